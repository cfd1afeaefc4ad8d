import * as fs from 'fs';
import * as path from 'path';
import type { Config, NodeConfig } from '../config/schema';
import { effectiveRules, HCLOUD_FIREWALL_LIMITS, hcloudFirewallRules, hcloudFirewallRulesText } from './hcloud-firewall';
import type { RenderedNode } from './render';
import { shellLine } from './shell';
import { describeToken, type ClusterToken } from './token';
import { USER_DATA_LIMIT } from './user-data';

/** Writes each node's user-data, mode 0600 because it holds the cluster token. */
export function writeCloudInit(dir: string, nodes: readonly RenderedNode[]): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const n of nodes) fs.writeFileSync(path.join(dir, n.fileName), n.content, { mode: 0o600 });
}

/** Where the Cloud Firewall's rules file goes inside dist/hcloud/. Not `.json`: `kubectl apply -R -f dist` reads every .json/.yaml/.yml file under dist/, and this one is no manifest. */
export const FIREWALL_RULES_FILE = 'firewall.rules';

/** Writes dist/hcloud/: the Cloud Firewall's rules file (no secret in it, so it is committed and reviewed). */
export function writeHcloud(dir: string, config: Config): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, FIREWALL_RULES_FILE), hcloudFirewallRulesText(config));
}

/** The hcloud commands that give the cluster its Cloud Firewall, in order. */
export function firewallCommands(config: Config, rulesFile: string): string[][] {
  const name = config.cluster.hetzner.firewall;
  return [
    ['hcloud', 'firewall', 'create', '--name', name],
    ['hcloud', 'firewall', 'replace-rules', name, '--rules-file', rulesFile],
  ];
}

/**
 * The hcloud commands that build one node with its own address, in order: show the Primary IP
 * that must already hold `publicIPv4` (so the operator sees the address and auto-delete before
 * anything is created), create the server on it with the firewall and the user-data. With a
 * private network the server is created stopped, joins the network at `privateIPv4`, and only
 * then is powered on: its first boot (cloud-init, then K3s with node-ip, advertise-address,
 * flannel-iface, the join URL and the UFW rules on that address) must find the address there.
 * `server create` starts the server at once otherwise (`--start-after-create` defaults to true).
 */
export function nodeCommands(config: Config, node: NodeConfig, file: string): string[][] {
  const { serverType, image, location, firewall, network } = config.cluster.hetzner;
  const privateIp = config.cluster.privateNetwork ? node.privateIPv4 : undefined;
  const create = [
    'hcloud', 'server', 'create', '--name', node.name, '--type', serverType, '--image', image, '--location', location,
    '--primary-ipv4', node.primaryIp, '--firewall', firewall, '--user-data-from-file', file,
  ];
  return [
    ['hcloud', 'primary-ip', 'describe', node.primaryIp],
    ...(privateIp
      ? [
          [...create, '--start-after-create=false'],
          ['hcloud', 'server', 'attach-to-network', node.name, '--network', network, '--ip', privateIp],
          ['hcloud', 'server', 'poweron', node.name],
        ]
      : [create]),
  ];
}

/**
 * What the operator reads after a render: the Cloud Firewall's file and commands; per node its
 * file, role, size against Hetzner's limit, and the commands that build it on its own address;
 * where the cluster token came from; and what the firewall leaves closed. Never the token
 * itself. Command lines start with `  hcloud ` and are shell-safe (`shellLine`).
 */
export function cloudInitSummary(config: Config, dir: string, nodes: readonly RenderedNode[], token: ClusterToken, hcloudDir: string = path.join(path.dirname(dir), 'hcloud')): string[] {
  const limit = `${USER_DATA_LIMIT / 1024} KiB`;
  const rulesFile = path.join(hcloudDir, FIREWALL_RULES_FILE);
  const rules = hcloudFirewallRules(config);
  const { firewall } = config.cluster.hetzner;
  const byName = new Map(config.cluster.nodes.map((n) => [n.name, n]));
  return [
    `${rulesFile}  Cloud Firewall ${firewall}: ${rules.length} rules, ${effectiveRules(rules)} of ${HCLOUD_FIREWALL_LIMITS.effectiveRules} effective`,
    `  # create it once; replace its rules after every render that changes the file`,
    ...firewallCommands(config, rulesFile).map((c) => `  ${shellLine(c)}`),
    ...nodes.flatMap((n) => {
      const node = byName.get(n.name)!;
      const file = path.join(dir, n.fileName);
      const size = Buffer.byteLength(n.content);
      const pct = ((100 * size) / USER_DATA_LIMIT).toFixed(1);
      return [
        `${file}  ${n.role.padEnd(5)}  ${size} bytes  ${pct}% of ${limit}`,
        `  # Primary IP ${node.primaryIp} must already hold ${node.publicIPv4}, auto-delete off (README, Build a node)`,
        ...nodeCommands(config, node, file).map((c) => `  ${shellLine(c)}`),
      ];
    }),
    `note: these commands build new servers; for a server that already runs, see README, Build a node (name its Primary IP, apply the firewall${config.cluster.privateNetwork ? ', attach the network' : ''})`,
    `cluster token: ${describeToken(token, config.cluster.established)}`,
    ...(config.firewall.operatorCidrs.length === 0
      ? ['note: firewall.operatorCidrs is empty: SSH and the Kubernetes API are closed to everyone but the nodes; use the Hetzner console, or add your CIDRs to the config.']
      : []),
  ];
}
