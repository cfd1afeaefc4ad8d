import { HCLOUD_FIREWALL_LIMITS, USER_DATA_LIMIT } from '../config/hetzner-limits';
import type { Config } from '../config/schema';
import { effectiveRules, type HcloudFirewallRule } from '../model/firewall-rule';
import { etcdSnapshots } from '../model/etcd-backup';
import type { Layout } from '../model/layout';
import { roleOf } from '../model/topology';
import { describeToken, type ClusterToken } from '../model/token';
import { firewallCommands } from './hcloud-firewall';
import type { BuildCommands } from './build-lines';
import { shellLine } from './shell';

/** The node files a synth wrote, or why it wrote none. */
export type NodeFiles =
  | { readonly written: readonly { readonly name: string; readonly bytes: number }[]; readonly token: ClusterToken }
  | { readonly notWritten: string };

/** What the run derived once, for every place that prints it: the Cloud Firewall's rules, each node's build lines. */
export interface Derived {
  readonly rules: readonly HcloudFirewallRule[];
  readonly build: BuildCommands;
}

/**
 * What the operator reads after a render: the Cloud Firewall's file and commands; per node its
 * file, role, size against Hetzner's limit, and the commands that build it on its own address;
 * where the cluster token came from; what the firewall leaves closed; where etcd snapshots go.
 * Never the token itself. Command lines start with `  hcloud ` and are shell-safe (`shellLine`).
 */
export function synthSummary(config: Config, out: Layout, { rules, build }: Derived, files: NodeFiles): string[] {
  const limit = `${USER_DATA_LIMIT / 1024} KiB`;
  const { firewall } = config.cluster.hetzner;
  const byName = new Map(config.cluster.nodes.map((n) => [n.name, n]));
  return [
    `${out.firewallRulesFile}  Cloud Firewall ${firewall}: ${rules.length} rules, ${effectiveRules(rules)} of ${HCLOUD_FIREWALL_LIMITS.effectiveRules} effective`,
    `  # create it once; replace its rules after every render that changes the file`,
    ...firewallCommands(firewall, out.firewallRulesFile).map((c) => `  ${shellLine(c)}`),
    `${out.recordsDir}/  what each node file writes, without the token (commit it: git diff shows what changes on which server)`,
    ...('notWritten' in files
      ? [`${out.cloudInitDir}/  not written: ${files.notWritten}`]
      : [
          ...files.written.flatMap((n) => {
            const node = byName.get(n.name)!;
            const file = out.nodeFile(node);
            const role = roleOf(config.cluster, node);
            const pct = ((100 * n.bytes) / USER_DATA_LIMIT).toFixed(1);
            return [
              `${file}  ${role.padEnd(5)}  ${n.bytes} bytes  ${pct}% of ${limit}`,
              `  # Primary IP ${node.primaryIp} must already hold ${node.publicIPv4}, auto-delete off (README, Build a node)`,
              ...build(node).map((c) => `  ${shellLine(c)}`),
            ];
          }),
          `note: these commands build new servers; for a server that already runs, see README, A node that runs today (npm run plan shows what differs)`,
          `cluster token: ${describeToken(files.token, config.cluster.established)}`,
        ]),
    ...(config.firewall.operatorCidrs.length === 0
      ? [
          'note: firewall.operatorCidrs is empty: SSH and the Kubernetes API are closed to everyone but the nodes; use the Hetzner console, or add your CIDRs to the config.',
        ]
      : []),
    etcdSnapshotsLine(config),
  ];
}

/** Where snapshots go, and how to create their Secret. */
function etcdSnapshotsLine(config: Config): string {
  const s = etcdSnapshots(config);
  if (!s) return 'etcd snapshots: on each server’s disk only (etcdSnapshots is not set)';
  return `etcd snapshots: "${s.schedule}" to ${s.location}, with the Secret kube-system/${s.secretName} (create it once: npm run -s synth -- --runbook etcd-secret)`;
}
