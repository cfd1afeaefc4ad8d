import type { Config } from '../../config/schema';
import { UserInputError } from '../../lib/errors';
import { etcdSnapshots } from '../../model/etcd-backup';
import type { Layout } from '../../model/layout';
import type { NodeRecord } from '../../model/node-record';
import { etcdSecretRunbook } from './etcd-secret';
import { findNode, rebuildRunbook } from './rebuild';
import { restoreRunbook } from './restore';
import type { RunbookRequest } from './names';
import { type Runbook, renderRunbook } from './runbook';

/**
 * A runbook; the rebuild names the node files in `out`, where synth writes them, and labels
 * the server with its record's fingerprint.
 */
export function runbook(config: Config, req: RunbookRequest, out: Layout, records: readonly NodeRecord[]): Runbook {
  if (req.name === 'rebuild') return rebuildRunbook(config, findNode(config, req.node!), out, records);
  const s = etcdSnapshots(config);
  if (!s) throw new UserInputError(`--runbook ${req.name}: etcdSnapshots is not set in the config; add the block (endpoint, region, bucket, folder) to back up etcd to S3`);
  return req.name === 'restore' ? restoreRunbook(config, s) : etcdSecretRunbook(s);
}

/** The runbook's lines, for the CLI. */
export function runbookLines(config: Config, req: RunbookRequest, out: Layout, records: readonly NodeRecord[]): string[] {
  return renderRunbook(runbook(config, req, out, records));
}
