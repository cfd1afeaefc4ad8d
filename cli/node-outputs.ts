import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../config/schema';
import { hcloudFirewallRulesText } from '../model/cloud-firewall';
import { layout } from '../model/layout';
import type { NodeRecord } from '../model/node-record';
import type { RenderedNode } from '../node/render';

/**
 * Writes into the output directory `dir` each node's user-data, mode 0600 in a 0700 directory
 * because it holds the cluster token; each node's token-free record; and the Cloud Firewall's
 * rules file. The records and the rules hold no secret: they are committed and reviewed.
 */
export function writeNodeOutputs(
  dir: string,
  config: Config,
  nodes: readonly RenderedNode[],
  records: readonly NodeRecord[],
): void {
  const out = layout(dir);
  fs.mkdirSync(out.cloudInitDir, { recursive: true, mode: 0o700 });
  for (const n of nodes) fs.writeFileSync(path.join(out.cloudInitDir, n.fileName), n.content, { mode: 0o600 });
  fs.mkdirSync(out.recordsDir, { recursive: true });
  for (const r of records) fs.writeFileSync(out.recordFile(r), r.text);
  fs.mkdirSync(out.hcloudDir, { recursive: true });
  fs.writeFileSync(out.firewallRulesFile, hcloudFirewallRulesText(config));
}
