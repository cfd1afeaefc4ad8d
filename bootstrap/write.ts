import * as fs from 'fs';
import * as path from 'path';
import type { Config } from '../config/schema';
import { markSynthOutput } from '../lib/replace-dir';
import type { RenderedNode } from './render';
import { describeToken, type ClusterToken } from './token';
import { USER_DATA_LIMIT } from './user-data';

/** Writes each node's user-data, mode 0600 because it holds the cluster token, and marks the directory as synth's. */
export function writeCloudInit(dir: string, nodes: readonly RenderedNode[]): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const n of nodes) fs.writeFileSync(path.join(dir, n.fileName), n.content, { mode: 0o600 });
  markSynthOutput(dir);
}

/**
 * What the operator reads after a render: per node its file, role, size against Hetzner's
 * limit, and the command that builds it; where the cluster token came from; and what the
 * firewall leaves closed. Never the token itself.
 */
export function cloudInitSummary(config: Config, dir: string, nodes: readonly RenderedNode[], token: ClusterToken): string[] {
  const { serverType, image, location } = config.cluster.hetzner;
  const limit = `${USER_DATA_LIMIT / 1024} KiB`;
  return [
    ...nodes.flatMap((n) => {
      const file = path.join(dir, n.fileName);
      const size = Buffer.byteLength(n.content);
      const pct = ((100 * size) / USER_DATA_LIMIT).toFixed(1);
      return [
        `${file}  ${n.role.padEnd(5)}  ${size} bytes  ${pct}% of ${limit}`,
        `  hcloud server create --name ${n.name} --type ${serverType} --image ${image} --location ${location} --user-data-from-file ${file}`,
      ];
    }),
    `cluster token: ${describeToken(token, config.cluster.established)}`,
    ...(config.firewall.operatorCidrs.length === 0
      ? ['note: firewall.operatorCidrs is empty: SSH and the Kubernetes API are closed to everyone but the nodes; use the Hetzner console, or add your CIDRs to the config.']
      : []),
  ];
}
