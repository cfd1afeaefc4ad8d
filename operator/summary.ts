import { HCLOUD_FIREWALL_LIMITS, USER_DATA_LIMIT } from '../config/hetzner-limits';
import type { Config } from '../config/schema';
import { effectiveRules, type HcloudFirewallRule } from '../model/firewall-rule';
import { etcdSnapshots } from '../model/etcd-backup';
import type { Layout } from '../model/layout';
import { recordFileName } from '../model/node-record';
import { roleOf } from '../model/topology';
import { describeToken, SERVER_TOKEN_PATH, TOKEN_FILE, type ClusterToken } from '../model/token';
import { firewallCommands } from './hcloud-firewall';
import type { BuildCommands } from './build-lines';
import { shellLine } from './shell';

/** The node files a synth wrote, or that it wrote none because the running cluster's token is not at hand. */
export type NodeFiles =
  | { readonly written: readonly { readonly name: string; readonly bytes: number }[]; readonly token: ClusterToken }
  | { readonly noToken: true };

/** What the run derived once, for every place that prints it: the Cloud Firewall's rules, each node's build lines. */
export interface Derived {
  readonly rules: readonly HcloudFirewallRule[];
  readonly build: BuildCommands;
}

/** The rest of what the run put in the output directory. */
export interface Written {
  /** The manifest files' names, as staged (`kubectl apply -f` order). */
  readonly manifests: readonly string[];
  /** `--bootstrap-only`: the manifests were carried over from the previous output, not rendered. */
  readonly carriedOver: boolean;
  /** The node records written to the records directory. */
  readonly records: readonly { readonly name: string }[];
}

/**
 * Where each topic lives (docs/): the summary names the page, never a copy of its steps. The
 * test of printed references (test/docs.test.ts) checks that every page and section exists.
 */
export const DOCS = {
  buildNode: 'docs/build-a-node.md',
  token: 'docs/secrets.md#the-k3s-cluster-token',
  adopt: 'docs/adopt-running-servers.md',
  firstApply: 'docs/plan-and-apply.md#the-first-apply',
} as const;

/**
 * What the operator reads after a render, about ten lines on a clean run: what was written
 * (the manifests and their count, the node records, the Cloud Firewall's rules, the node files
 * or why there are none, as the expected state it is), then the commands that come next.
 * With node files, the build block: the Cloud Firewall's commands and, per node, its file, role,
 * size against Hetzner's limit and the commands that build it on its own address, then where
 * the cluster token came from. Never the token itself. Without `written` (a caller that wants
 * only the node files' block) it starts with the Cloud Firewall. Command lines start with `  hcloud `
 * and are shell-safe (`shellLine`).
 */
export function synthSummary(
  config: Config,
  out: Layout,
  { rules, build }: Derived,
  files: NodeFiles,
  written?: Written,
): string[] {
  const limit = `${USER_DATA_LIMIT / 1024} KiB`;
  const { firewall } = config.cluster.hetzner;
  const byName = new Map(config.cluster.nodes.map((n) => [n.name, n]));
  const firewallLine = `${out.firewallRulesFile}  Cloud Firewall ${firewall}: ${rules.length} rules, ${effectiveRules(rules)} of ${HCLOUD_FIREWALL_LIMITS.effectiveRules} effective`;
  const wrote = (w: Written): string[] => {
    const counts = [
      `${w.manifests.length} manifests${w.carriedOver ? ' (kept from the last synth)' : ''}`,
      `${w.records.length} node records`,
      ...('written' in files ? [`${files.written.length} node files`] : []),
      'the Cloud Firewall rules',
    ];
    return [
      `wrote ${out.dir}/: ${counts.join(', ')}; the expected state, to review and commit`,
      `  ${braces(out.dir, w.manifests, '.k8s.yaml')}`,
      `  ${braces(out.recordsDir, w.records.map(recordFileName), '.record')}  what each node file writes, without the token: git diff shows what changes on which server`,
    ];
  };
  return [
    ...(written ? wrote(written) : []),
    ...('written' in files
      ? [
          firewallLine,
          `  # create it once; replace its rules after every render that changes the file`,
          ...firewallCommands(firewall, out.firewallRulesFile).map((c) => `  ${shellLine(c)}`),
          ...files.written.flatMap((n) => {
            const node = byName.get(n.name)!;
            const file = out.nodeFile(node);
            const role = roleOf(config.cluster, node);
            const pct = ((100 * n.bytes) / USER_DATA_LIMIT).toFixed(1);
            return [
              `${file}  ${role.padEnd(5)}  ${n.bytes} bytes  ${pct}% of ${limit}`,
              `  # Primary IP ${node.primaryIp} must already hold ${node.publicIPv4}, auto-delete off (${DOCS.buildNode})`,
              ...build(node).map((c) => `  ${shellLine(c)}`),
            ];
          }),
          `note: these commands build new servers; for a server that already runs, see ${DOCS.adopt} (npm run plan shows what differs)`,
          `cluster token: ${describeToken(files.token, config.cluster.established)}`,
        ]
      : [
          `  ${firewallLine}`,
          `${out.cloudInitDir}/  no node files, as expected: the cluster runs and its token is not at hand; only building a server needs them (${DOCS.token})`,
          `  to write them: copy ${SERVER_TOKEN_PATH} from a running server into ${TOKEN_FILE} (chmod 600), or set K3S_TOKEN, and synth again`,
        ]),
    ...(config.firewall.operatorCidrs.length === 0
      ? [
          'note: firewall.operatorCidrs is empty: SSH and the Kubernetes API are closed to everyone but the nodes; use the Hetzner console, or add your CIDRs to the config.',
        ]
      : []),
    etcdSnapshotsLine(config),
    'next:',
    ...nextCommands([
      [['git', 'diff', out.dir], 'review what this synth changed'],
      [['kubectl', 'apply', '-f', out.dir], `on a first apply, the CRD first: ${DOCS.firstApply}`],
      [['npm', 'run', 'plan'], 'what differs at Hetzner, and how each change rolls out'],
    ]),
  ];
}

/** The next commands, shell-safe, with their comments in one column. */
function nextCommands(commands: readonly [readonly string[], string][]): string[] {
  const lines = commands.map(([argv, why]) => [shellLine(argv), why] as const);
  const width = Math.max(...lines.map(([l]) => l.length));
  return lines.map(([l, why]) => `  ${l.padEnd(width)}  # ${why}`);
}

/** `dir/{a,b,c}suffix`, as a shell would expand it back into each file's path; `dir/a` for one. */
function braces(dir: string, names: readonly string[], suffix: string): string {
  const stems = names.map((n) => (n.endsWith(suffix) ? n.slice(0, -suffix.length) : n));
  if (stems.length === 1) return `${dir}/${stems[0]}${suffix}`;
  return `${dir}/{${stems.join(',')}}${suffix}`;
}

/** Where snapshots go, and how to create their Secret. */
function etcdSnapshotsLine(config: Config): string {
  const s = etcdSnapshots(config);
  if (!s) return 'etcd snapshots: on each server’s disk only (etcdSnapshots is not set)';
  return `etcd snapshots: "${s.schedule}" to ${s.location}, with the Secret kube-system/${s.secretName} (create it once: npm run -s synth -- --runbook etcd-secret)`;
}
