import * as fs from 'fs';
import * as path from 'path';
import { layout } from '../model/layout';
import type { NodeRecord } from '../model/node-record';

/** A node's user-data as the CLI writes it: a name in cloud-init/ and the text. */
export interface NodeFile {
  readonly fileName: string;
  readonly content: string;
}

/**
 * Writes into the output directory `dir` each node's user-data, mode 0600 in a 0700 directory
 * because it holds the cluster token; each node's token-free record; and the Cloud Firewall's
 * rules file. The records and the rules hold no secret: they are committed and reviewed.
 * Everything arrives rendered: this only writes bytes where the layout says.
 */
export function writeNodeOutputs(
  dir: string,
  nodes: readonly NodeFile[],
  records: readonly NodeRecord[],
  firewallRules: string,
): void {
  const out = layout(dir);
  fs.mkdirSync(out.cloudInitDir, { recursive: true, mode: 0o700 });
  for (const n of nodes) fs.writeFileSync(path.join(out.cloudInitDir, n.fileName), n.content, { mode: 0o600 });
  fs.mkdirSync(out.recordsDir, { recursive: true });
  for (const r of records) fs.writeFileSync(out.recordFile(r), r.text);
  fs.mkdirSync(out.hcloudDir, { recursive: true });
  fs.writeFileSync(out.firewallRulesFile, firewallRules);
}
