import { UsageError } from '../../lib/errors';

/** The runbooks `--runbook NAME` prints; checked before any file is read. */
export const RUNBOOKS = ['etcd-secret', 'restore', 'rebuild', 'adopt-snapshots', 'rollout'] as const;
export type RunbookName = (typeof RUNBOOKS)[number];

export interface RunbookRequest {
  readonly name: RunbookName;
  /** Name or alias of the node (rebuild). */
  readonly node?: string;
}

/**
 * `--runbook NAME [--node NODE]`, as main.ts parsed them, or undefined when no runbook is asked
 * for. `rebuild` is `--rebuild NODE`, the rebuild's synth step, which prints no runbook.
 */
export function runbookRequest(
  name: string | undefined,
  node: string | undefined,
  rebuild?: string,
): RunbookRequest | undefined {
  if (rebuild !== undefined && (name !== undefined || node !== undefined)) {
    throw new UsageError(
      '--rebuild NODE renders the node files for a rebuild and prints no runbook; leave out --runbook and --node',
    );
  }
  if (name === undefined) {
    if (node !== undefined) throw new UsageError('--node goes with --runbook rebuild');
    return undefined;
  }
  if (!(RUNBOOKS as readonly string[]).includes(name))
    throw new UsageError(`--runbook ${name}: unknown runbook; use one of ${RUNBOOKS.join(', ')}`);
  if (name === 'rebuild' && !node)
    throw new UsageError('--runbook rebuild needs --node NAME (a node name or alias from cluster.nodes)');
  if (name !== 'rebuild' && node !== undefined)
    throw new UsageError(`--node goes with --runbook rebuild, not --runbook ${name}`);
  return { name: name as RunbookName, node };
}
