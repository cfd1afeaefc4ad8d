import { etcdSnapshots } from '../bootstrap/etcd-snapshots';
import type { Config } from '../config/schema';
import { UsageError, UserInputError } from '../lib/errors';
import { etcdSecretRunbook } from './etcd-secret';
import { findNode, rebuildRunbook } from './rebuild';
import { restoreRunbook } from './restore';
import { type Runbook, renderRunbook } from './runbook';

export const RUNBOOKS = ['etcd-secret', 'restore', 'rebuild'] as const;
export type RunbookName = (typeof RUNBOOKS)[number];

export interface RunbookRequest {
  readonly name: RunbookName;
  /** Name or alias of the node (rebuild). */
  readonly node?: string;
}

/** `--runbook NAME [--node NODE]`, as main.ts parsed them, or undefined when no runbook is asked for. */
export function runbookRequest(name: string | undefined, node: string | undefined): RunbookRequest | undefined {
  if (name === undefined) {
    if (node !== undefined) throw new UsageError('--node goes with --runbook rebuild');
    return undefined;
  }
  if (!(RUNBOOKS as readonly string[]).includes(name)) throw new UsageError(`--runbook ${name}: unknown runbook; use one of ${RUNBOOKS.join(', ')}`);
  if (name === 'rebuild' && !node) throw new UsageError('--runbook rebuild needs --node NAME (a node name or alias from cluster.nodes)');
  if (name !== 'rebuild' && node !== undefined) throw new UsageError(`--node goes with --runbook rebuild, not --runbook ${name}`);
  return { name: name as RunbookName, node };
}

/** A runbook; the rebuild names the node files in `cloudInitDir`, where synth writes them. */
export function runbook(config: Config, req: RunbookRequest, cloudInitDir?: string): Runbook {
  if (req.name === 'rebuild') return rebuildRunbook(config, findNode(config, req.node!), cloudInitDir);
  const s = etcdSnapshots(config);
  if (!s) throw new UserInputError(`--runbook ${req.name}: etcdSnapshots is not set in the config; add the block (endpoint, region, bucket, folder) to back up etcd to S3`);
  return req.name === 'restore' ? restoreRunbook(config, s) : etcdSecretRunbook(s);
}

/** The runbook's lines, for the CLI. */
export function runbookLines(config: Config, req: RunbookRequest, cloudInitDir?: string): string[] {
  return renderRunbook(runbook(config, req, cloudInitDir));
}

/** One line for the synth summary: where snapshots go, and how to create their Secret. */
export function etcdSnapshotsSummary(config: Config): string[] {
  const s = etcdSnapshots(config);
  if (!s) return ['etcd snapshots: on each server’s disk only (etcdSnapshots is not set)'];
  return [`etcd snapshots: "${s.schedule}" to ${s.location}, with the Secret kube-system/${s.secretName} (create it once: npm run -s synth -- --runbook etcd-secret)`];
}
