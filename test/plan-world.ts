import * as path from 'path';
import { loadConfig } from '../config/load';
import type { Config, RawConfig } from '../config/schema';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { NODE_FILE_LABEL, type NodeRecord } from '../model/node-record';
import { renderRecords } from '../node/render';
import { BLOB } from './cli';
import { kubectlPath } from './layer';
import { HcloudStandin } from './hcloud/standin';
import { type K3sServer, k3sNode, snapshotFile } from './kube/k3s-node';
import { type KubeSeed, KubeStandin } from './kube/standin';
import { k3sConfigOf } from './live-state';
import { cleanEnv, runAsync } from './process';
import { synthToDir, tempDir, variantFile } from './support';

/**
 * A running cluster for the plan and rollout tests: the previous synth in an output directory,
 * Hetzner (the hcloud stand-in) with the Cloud Firewall and the servers, and the cluster (the
 * Kubernetes API stand-in) with each server's Node as K3s writes it, etcd snapshots and
 * upgrade Jobs. The real hcloud and kubectl talk to them; the CLI runs as an operator runs it.
 */

/** The cluster of these tests: the production config on TEST-NET addresses, with an operator network. */
export const base = (raw: RawConfig) => {
  raw.cluster.nodes = raw.cluster.nodes.map((n, i) => ({ ...n, publicIPv4: `192.0.2.${11 + i}` }));
  raw.firewall = { ...raw.firewall, operatorCidrs: ['198.51.100.0/24'] };
};
export const also = (change: (raw: RawConfig) => void) => (raw: RawConfig) => (base(raw), change(raw));

/** A planted Hetzner API token, cluster token and kubeconfig token: none may appear in any output. */
export const API_TOKEN = 'hcloud-planted-api-token-ZZ9PluralZAlpha0123456789abcdefABCDEF';
export const CLUSTER_TOKEN = 'planted-cluster-token-Q7w9Xz3Lk2Vb8Nm4Rt6Yp1Hj5Gf0Dc3Sa';
export const KUBE_TOKEN = 'planted-kubeconfig-bearer-token-Hh3Jj5Kk7Ll9Mm1Nn3Pp5';

/** A server at Hetzner, and what its K3s runs (`null`: no Node in the cluster). */
export interface ServerSpec {
  readonly name: string;
  readonly ip: string;
  readonly labels: Record<string, string>;
  readonly firewall?: string;
  readonly autoDelete?: boolean;
  /** The name of the Primary IP it holds (default: the one the config names). */
  readonly primaryIp?: string;
  readonly status?: 'running' | 'off';
  /** Other Cloud Firewalls it carries. */
  readonly alsoBehind?: readonly string[];
  readonly runs?: Partial<K3sServer> | null;
}

export interface World {
  /** Where the previous synth (the one the servers were built from) wrote. */
  readonly out: string;
  readonly config: Config;
  readonly records: readonly NodeRecord[];
  readonly standin: HcloudStandin;
  readonly endpoint: string;
  readonly kube: KubeStandin;
}

/** Every server runs the file its label names, from the records `pick(i)` chooses, behind the firewall. */
export const builtFrom =
  (pick: (i: number, built: readonly NodeRecord[]) => readonly NodeRecord[]) =>
  (c: Config, rs: readonly NodeRecord[]): ServerSpec[] =>
    c.cluster.nodes.map((n, i) => {
      const record = pick(i, rs).find((r) => r.name === n.name)!;
      return {
        name: n.name,
        ip: n.publicIPv4,
        labels: { [NODE_FILE_LABEL]: record.fingerprint },
        firewall: c.cluster.hetzner.firewall,
        runs: { configFiles: [k3sConfigOf(record)] },
      };
    });

/** Servers built by hand: no label, running `runs(i)`, behind the firewall. */
export const handBuilt =
  (runs: (i: number, record: NodeRecord) => Partial<K3sServer>) =>
  (c: Config, rs: readonly NodeRecord[]): ServerSpec[] =>
    c.cluster.nodes.map((n, i) => ({
      name: n.name,
      ip: n.publicIPv4,
      labels: {},
      firewall: c.cluster.hetzner.firewall,
      runs: runs(i, rs[i]!),
    }));

/** The rest of the cluster: snapshots (default: an off-node one per server, a minute old, with CLUSTER_TOKEN), Jobs. */
export type ClusterSeed = (config: Config) => Omit<KubeSeed, 'nodes'>;
const offNodeSnapshots: ClusterSeed = (c) => ({
  snapshots: c.cluster.nodes.map((n) =>
    snapshotFile({ node: n.name, s3: true, created: new Date(Date.now() - 60_000), token: CLUSTER_TOKEN }),
  ),
});

export async function world(
  builtFromConfig: (raw: RawConfig) => void,
  servers: (config: Config, records: readonly NodeRecord[]) => ServerSpec[] = builtFrom((_i, rs) => rs),
  rules?: (config: Config) => unknown[],
  cluster: ClusterSeed = offNodeSnapshots,
  /** What else Hetzner holds before the servers are added: other firewalls, spare Primary IPs. */
  hetzner: (standin: HcloudStandin, config: Config) => void = () => {},
): Promise<World> {
  const file = variantFile(builtFromConfig);
  const out = synthToDir({ config: file, env: { K3S_TOKEN: CLUSTER_TOKEN } });
  const config = loadConfig(file);
  const records = renderRecords(config);
  const standin = new HcloudStandin({ primaryIps: [], networks: [] });
  standin.addFirewall(
    config.cluster.hetzner.firewall,
    (rules ?? ((c: Config) => hcloudFirewallRules(c) as unknown[]))(config) as never,
  );
  hetzner(standin, config);
  const specs = servers(config, records);
  for (const { runs: _runs, ...s } of specs)
    standin.addServer({
      ...s,
      primaryIp: s.primaryIp ?? config.cluster.nodes.find((n) => n.name === s.name)?.primaryIp,
    });
  // By default a server runs the file its label names (or, built by hand, what its file renders).
  const runsOf = (s: ServerSpec): Partial<K3sServer> => {
    const record =
      records.find((r) => r.fingerprint === s.labels[NODE_FILE_LABEL]) ?? records.find((r) => r.name === s.name);
    return s.runs ?? (record ? { configFiles: [k3sConfigOf(record)] } : {});
  };
  const nodes = specs.flatMap((s) => (s.runs === null ? [] : [k3sNode({ name: s.name, ip: s.ip, ...runsOf(s) })]));
  const kube = new KubeStandin({ nodes, ...cluster(config) }, KUBE_TOKEN);
  const [endpoint] = await Promise.all([standin.start(), kube.start()]);
  return { out, config, records, standin, endpoint, kube };
}

/** The real CLI as an operator runs it, asynchronously (the stand-ins answer in this process). */
export async function cli(w: World, args: string[], config: (raw: RawConfig) => void, env: NodeJS.ProcessEnv = {}) {
  const home = tempDir('plan-home');
  const vars = {
    HOME: home,
    HCLOUD_CONFIG: path.join(home, 'cli.toml'),
    HCLOUD_ENDPOINT: w.endpoint,
    HCLOUD_TOKEN: API_TOKEN,
    KUBECONFIG: w.kube.kubeconfig(home),
    // The real kubectl 1.34, from the layer zip, first on PATH.
    PATH: `${path.dirname(kubectlPath())}:${process.env.PATH}`,
    CDK8S_OUTDIR: w.out,
    K3S_TOKEN: CLUSTER_TOKEN,
    ...env,
  };
  const clean = cleanEnv(tempDir('plan-cwd'), vars);
  const r = await runAsync(
    [...clean, process.execPath, '--snapshot-blob', BLOB, '--', ...args, '--config', variantFile(config)],
    { timeoutMs: 90_000 },
  );
  const all = `${r.stdout}${r.stderr}`;
  // Nothing the plan prints holds any secret, whatever it says.
  for (const secret of [API_TOKEN, CLUSTER_TOKEN, KUBE_TOKEN]) expect(all).not.toContain(secret);
  return { ...r, all };
}
export const plan = (w: World, config = base, env: NodeJS.ProcessEnv = {}) => cli(w, ['--plan'], config, env);

/** Every request the plan sent, to Hetzner and to the cluster, was a read. */
export const readOnly = (w: World) => {
  expect(w.standin.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  expect(w.kube.requests.filter((r) => r.method !== 'GET')).toEqual([]);
};

/** `world`, for one describe block: every world it makes is stopped after the block's tests. */
export function worldsOfThisBlock(): typeof world {
  const worlds: World[] = [];
  afterAll(async () => void (await Promise.all(worlds.flatMap((w) => [w.standin.stop(), w.kube.stop()]))));
  return async (...a) => {
    const w = await world(...a);
    worlds.push(w);
    return w;
  };
}
