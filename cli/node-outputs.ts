import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../config/schema';
import { hcloudFirewallRulesText } from '../model/cloud-firewall';
import { layout } from '../model/layout';
import type { RenderedNode } from '../node/render';

/**
 * Writes into the output directory `dir` each node's user-data, mode 0600 in a 0700 directory
 * because it holds the cluster token, and the Cloud Firewall's rules file (no secret in it, so
 * it is committed and reviewed).
 */
export function writeNodeOutputs(dir: string, config: Config, nodes: readonly RenderedNode[]): void {
  const out = layout(dir);
  fs.mkdirSync(out.cloudInitDir, { recursive: true, mode: 0o700 });
  for (const n of nodes) fs.writeFileSync(path.join(out.cloudInitDir, n.fileName), n.content, { mode: 0o600 });
  fs.mkdirSync(out.hcloudDir, { recursive: true });
  fs.writeFileSync(out.firewallRulesFile, hcloudFirewallRulesText(config));
}
