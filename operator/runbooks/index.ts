import type { Config } from '../../config/schema';
import { UserInputError } from '../../lib/errors';
import { etcdSnapshots } from '../../model/etcd-backup';
import { resolveToken } from '../../model/token';
import type { Plan } from '../plan/plan';
import { adoptSnapshotsRunbook } from './adopt-snapshots';
import type { RunbookContext } from './context';
import { etcdSecretRunbook } from './etcd-secret';
import type { RunbookRequest } from './names';
import { findNode, rebuildRunbook, refuseUnlessEstablished } from './rebuild';
import { restoreRunbook } from './restore';
import { rolloutRunbook } from './rollout';
import { type Runbook, renderRunbook } from './runbook';

/**
 * A runbook, whose commands reproduce `ctx`: the config it was printed for and the output
 * directory. The rollout follows `plan`, which the CLI reads from Hetzner for it.
 */
export function runbook(config: Config, req: RunbookRequest, ctx: RunbookContext, plan?: Plan): Runbook {
  if (req.name === 'rebuild') return rebuildRunbook(config, findNode(config, req.node!), ctx);
  if (req.name === 'rollout') return rolloutRunbook(config, plan!, ctx);
  const s = etcdSnapshots(config);
  if (!s)
    throw new UserInputError(
      `--runbook ${req.name}: etcdSnapshots is not set in the config; add the block (endpoint, region, bucket, folder) to back up etcd to S3`,
    );
  if (req.name === 'adopt-snapshots') return adoptSnapshotsRunbook(config, s, ctx);
  return req.name === 'restore' ? restoreRunbook(config.cluster, s, ctx) : etcdSecretRunbook(s);
}

/** The runbook's lines, for the CLI. */
export function runbookLines(config: Config, req: RunbookRequest, ctx: RunbookContext, plan?: Plan): string[] {
  return renderRunbook(runbook(config, req, ctx, plan));
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
