import { etcdSnapshots } from '../bootstrap/etcd-snapshots';
import { resolveToken } from '../bootstrap/token';
import type { Config } from '../config/schema';
import { UsageError, UserInputError } from '../lib/errors';
import { DEFAULT_CONTEXT, type RunbookContext } from './context';
import { etcdSecretRunbook } from './etcd-secret';
import { findNode, rebuildRunbook, refuseUnlessEstablished } from './rebuild';
import { restoreRunbook } from './restore';
import { type Runbook, renderRunbook } from './runbook';

export const RUNBOOKS = ['etcd-secret', 'restore', 'rebuild'] as const;
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
export function runbookRequest(name: string | undefined, node: string | undefined, rebuild?: string): RunbookRequest | undefined {
  if (rebuild !== undefined && (name !== undefined || node !== undefined)) {
    throw new UsageError('--rebuild NODE renders the node files for a rebuild and prints no runbook; leave out --runbook and --node');
  }
  if (name === undefined) {
    if (node !== undefined) throw new UsageError('--node goes with --runbook rebuild');
    return undefined;
  }
  if (!(RUNBOOKS as readonly string[]).includes(name)) throw new UsageError(`--runbook ${name}: unknown runbook; use one of ${RUNBOOKS.join(', ')}`);
  if (name === 'rebuild' && !node) throw new UsageError('--runbook rebuild needs --node NAME (a node name or alias from cluster.nodes)');
  if (name !== 'rebuild' && node !== undefined) throw new UsageError(`--node goes with --runbook rebuild, not --runbook ${name}`);
  return { name: name as RunbookName, node };
}

/** A runbook, whose commands reproduce `ctx`: the config it was printed for and the output directory. */
export function runbook(config: Config, req: RunbookRequest, ctx: RunbookContext = DEFAULT_CONTEXT): Runbook {
  if (req.name === 'rebuild') return rebuildRunbook(config, findNode(config, req.node!), ctx);
  const s = etcdSnapshots(config);
  if (!s) throw new UserInputError(`--runbook ${req.name}: etcdSnapshots is not set in the config; add the block (endpoint, region, bucket, folder) to back up etcd to S3`);
  return req.name === 'restore' ? restoreRunbook(config, s, ctx) : etcdSecretRunbook(s);
}

/** The runbook's lines, for the CLI. */
export function runbookLines(config: Config, req: RunbookRequest, ctx: RunbookContext = DEFAULT_CONTEXT): string[] {
  return renderRunbook(runbook(config, req, ctx));
}

/**
 * `--rebuild NODE`, the synth step of the rebuild runbook, checked before anything is rendered:
 * the node exists, the cluster is established (a rebuild replaces a server of a running
 * cluster), and the running cluster's token is at hand. The token check is `resolveToken`
 * for an established cluster, which refuses when there is none and never makes one up: a
 * server rendered with a new token is refused by the cluster with 401 at /v1-k3s/server-bootstrap.
 */
export function checkRebuildSynth(config: Config, name: string, env: NodeJS.ProcessEnv, tokenFile?: string): void {
  const node = findNode(config, name, '--rebuild');
  refuseUnlessEstablished(config, node, '--rebuild');
  resolveToken(env, { established: true, file: tokenFile });
}

/** One line for the synth summary: where snapshots go, and how to create their Secret. */
export function etcdSnapshotsSummary(config: Config): string[] {
  const s = etcdSnapshots(config);
  if (!s) return ['etcd snapshots: on each server’s disk only (etcdSnapshots is not set)'];
  return [`etcd snapshots: "${s.schedule}" to ${s.location}, with the Secret kube-system/${s.secretName} (create it once: npm run -s synth -- --runbook etcd-secret)`];
}
