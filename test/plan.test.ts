/**
 * `npm run plan` and `--runbook rollout` against the real hcloud CLI (Debian's hcloud-cli
 * 1.30.3) talking to the stand-in Hetzner API on 127.0.0.1: what differs between this synth and
 * the servers that run, by how each change rolls out, and the exit code Terraform's
 * -detailed-exitcode uses (0 nothing to do, 2 changes, 1 refused or an error).
 */
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { loadConfig } from '../config/load';
import type { Config, RawConfig } from '../config/schema';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { CRITICAL_CONTROL_ARGS } from '../model/k3s-critical';
import { layout } from '../model/layout';
import { NODE_FILE_LABEL, type NodeRecord } from '../model/node-record';
import { renderRecords } from '../node/render';
import { makePlan, planExitCode } from '../operator/plan/plan';
import { BLOB, cliReadyBeforeAll } from './cli';
import { HcloudStandin } from './hcloud/standin';
import { matchingLive } from './live-state';
import { missingTools, systemTest } from './host';
import { cleanEnv, runAsync } from './process';
import { FC_SEED, synthToDir, tempDir, variant, variantFile } from './support';

const withHcloud = systemTest(missingTools(['hcloud'], false));
cliReadyBeforeAll();

/** The cluster of these tests: the production config on TEST-NET addresses, with an operator network. */
const base = (raw: RawConfig) => {
  raw.cluster.nodes = raw.cluster.nodes.map((n, i) => ({ ...n, publicIPv4: `192.0.2.${11 + i}` }));
  raw.firewall = { ...raw.firewall, operatorCidrs: ['198.51.100.0/24'] };
};
const also = (change: (raw: RawConfig) => void) => (raw: RawConfig) => (base(raw), change(raw));
const withSsh = also((r) => (r.firewall = { ...r.firewall, operatorCidrs: ['198.51.100.0/24', '203.0.113.0/24'] }));
const wireguard = also((r) => (r.cluster.flannelBackend = 'wireguard-native'));

/** A planted Hetzner API token and cluster token: neither may appear in any output. */
const API_TOKEN = 'hcloud-planted-api-token-ZZ9PluralZAlpha0123456789abcdefABCDEF';
const CLUSTER_TOKEN = 'planted-cluster-token-Q7w9Xz3Lk2Vb8Nm4Rt6Yp1Hj5Gf0Dc3Sa';

interface World {
  /** Where the previous synth (the one the servers were built from) wrote. */
  readonly out: string;
  readonly config: Config;
  readonly records: readonly NodeRecord[];
  readonly standin: HcloudStandin;
  readonly endpoint: string;
}

/**
 * A cluster built from `builtFrom`: its synth in an output directory, and at the stand-in the
 * firewall with that synth's rules and every server labelled with its record's fingerprint,
 * except where `servers` says otherwise.
 */
async function world(
  builtFrom: (raw: RawConfig) => void,
  servers: (
    config: Config,
    records: readonly NodeRecord[],
  ) => { name: string; ip: string; labels: Record<string, string>; firewall?: string; autoDelete?: boolean }[] = (
    c,
    rs,
  ) =>
    c.cluster.nodes.map((n) => ({
      name: n.name,
      ip: n.publicIPv4,
      labels: { [NODE_FILE_LABEL]: rs.find((r) => r.name === n.name)!.fingerprint },
      firewall: c.cluster.hetzner.firewall,
    })),
  rules?: (config: Config) => unknown[],
): Promise<World> {
  const file = variantFile(builtFrom);
  const out = synthToDir({ config: file, env: { K3S_TOKEN: CLUSTER_TOKEN } });
  const config = loadConfig(file);
  const records = renderRecords(config);
  const standin = new HcloudStandin({ primaryIps: [], networks: [] });
  standin.addFirewall(
    config.cluster.hetzner.firewall,
    (rules ?? ((c: Config) => hcloudFirewallRules(c) as unknown[]))(config) as never,
  );
  for (const s of servers(config, records))
    standin.addServer({ ...s, primaryIp: config.cluster.nodes.find((n) => n.name === s.name)?.primaryIp });
  const endpoint = await standin.start();
  return { out, config, records, standin, endpoint };
}

/** The real CLI as an operator runs it, asynchronously (the stand-in answers in this process). */
async function cli(w: World, args: string[], config: (raw: RawConfig) => void, env: NodeJS.ProcessEnv = {}) {
  const home = tempDir('plan-home');
  const vars = {
    HOME: home,
    HCLOUD_CONFIG: path.join(home, 'cli.toml'),
    HCLOUD_ENDPOINT: w.endpoint,
    HCLOUD_TOKEN: API_TOKEN,
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
  // Nothing the plan prints holds either secret, whatever it says.
  expect(all).not.toContain(API_TOKEN);
  expect(all).not.toContain(CLUSTER_TOKEN);
  return { ...r, all };
}
const plan = (w: World, config = base, env: NodeJS.ProcessEnv = {}) => cli(w, ['--plan'], config, env);

/** Servers behind the firewall, each labelled with the fingerprint of its record in the records `pick(i)` chooses. */
const builtFrom =
  (pick: (i: number, built: readonly NodeRecord[]) => readonly NodeRecord[]) =>
  (c: Config, rs: readonly NodeRecord[]) =>
    c.cluster.nodes.map((n, i) => ({
      name: n.name,
      ip: n.publicIPv4,
      labels: { [NODE_FILE_LABEL]: pick(i, rs).find((r) => r.name === n.name)!.fingerprint },
      firewall: c.cluster.hetzner.firewall,
    }));

/** Every request the plan sent was a read. */
const readOnly = (w: World) => expect(w.standin.requests.filter((r) => r.method !== 'GET')).toEqual([]);

describe('npm run plan against the servers at Hetzner (the stand-in)', () => {
  const worlds: World[] = [];
  const make = async (...a: Parameters<typeof world>) => {
    const w = await world(...a);
    worlds.push(w);
    return w;
  };
  afterAll(async () => void (await Promise.all(worlds.map((w) => w.standin.stop()))));

  withHcloud(
    'every server runs its current node file and the firewall matches: exit 0, "No changes", and only reads',
    async () => {
      const w = await make(base);
      const r = await plan(w);
      expect(r.stdout).toMatch(/^No changes: every server runs its current node file/m);
      expect(r.stdout).toContain(`manifests: kubectl diff -f ${w.out}`);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      readOnly(w);
    },
    120_000,
  );

  withHcloud(
    'one server built from the previous file: only that server needs a rebuild, with the UFW rules it gains',
    async () => {
      // The servers were built from `base`; two were rebuilt from `withSsh` since, one was not.
      const next = renderRecords(variant(withSsh));
      const w = await make(
        base,
        builtFrom((i, rs) => (i === 1 ? rs : next)),
      );
      const r = await plan(w, withSsh);
      expect(r.status).toBe(2);
      const rebuild = r.stdout.split('\n').filter((l) => /^ {2}\S+: (its node file changed|built by hand)/.test(l));
      expect(rebuild).toEqual([
        expect.stringMatching(
          new RegExp(`^ {2}${w.config.cluster.nodes[1]!.name}: its node file changed \\(built from `),
        ),
      ]);
      expect(r.stdout).toMatch(/^ {6}files: \/etc\/ufw\/user\.rules$/m);
      expect(r.stdout).toMatch(/^ {6}ufw \+ allow tcp 22 0\.0\.0\.0\/0 any 203\.0\.113\.0\/24 in$/m);
      expect(r.stdout).toMatch(/^ {6}ufw \+ allow tcp 6443 0\.0\.0\.0\/0 any 203\.0\.113\.0\/24 in$/m);
      // The same change is a live change of the Cloud Firewall: its rules gain the new network.
      expect(r.stdout).toMatch(
        /^ {2}- Cloud Firewall honeydue rule: in tcp 22 from 198\.51\.100\.0\/24 "ssh from operators"$/m,
      );
      expect(r.stdout).toMatch(
        /^ {2}\+ Cloud Firewall honeydue rule: in tcp 22 from 198\.51\.100\.0\/24,203\.0\.113\.0\/24 "ssh from operators"$/m,
      );
      expect(r.stdout).toMatch(/^Plan: 4 live, 1 rebuild, 0 refused, 0 out of step\.$/m);
      readOnly(w);
    },
    120_000,
  );

  withHcloud(
    'servers built by hand carry no label: each is to be adopted by rebuilding',
    async () => {
      const w = await make(base, (c) =>
        c.cluster.nodes.map((n) => ({
          name: n.name,
          ip: n.publicIPv4,
          labels: {},
          firewall: c.cluster.hetzner.firewall,
        })),
      );
      const r = await plan(w);
      expect(r.status).toBe(2);
      for (const n of w.config.cluster.nodes)
        expect(r.stdout).toContain(
          `  ${n.name}: built by hand (no ${NODE_FILE_LABEL} label): adopt it by rebuilding\n`,
        );
    },
    120_000,
  );

  withHcloud(
    'firewall drift both ways, a server outside the firewall, a Primary IP with auto-delete on: applied live',
    async () => {
      const w = await make(
        base,
        (c, rs) =>
          c.cluster.nodes.map((n, i) => ({
            name: n.name,
            ip: n.publicIPv4,
            labels: { [NODE_FILE_LABEL]: rs[i]!.fingerprint },
            firewall: i === 2 ? undefined : c.cluster.hetzner.firewall,
            autoDelete: i === 0,
          })),
        (c) => [
          ...hcloudFirewallRules(c).slice(1),
          { direction: 'in', protocol: 'tcp', port: '8080', source_ips: ['0.0.0.0/0'], description: 'left over' },
        ],
      );
      const r = await plan(w);
      expect(r.status).toBe(2);
      const first = hcloudFirewallRules(w.config)[0]!;
      expect(r.stdout).toContain(
        `  + Cloud Firewall honeydue rule: in ${first.protocol} ${first.port} from ${first.source_ips.join(',')} "${first.description}"\n`,
      );
      expect(r.stdout).toContain('  - Cloud Firewall honeydue rule: in tcp 8080 from 0.0.0.0/0 "left over"\n');
      expect(r.stdout).toContain(`  ~ ${w.config.cluster.nodes[2]!.name} is not behind the Cloud Firewall honeydue\n`);
      expect(r.stdout).toContain(
        `  ~ Primary IP ${w.config.cluster.nodes[0]!.primaryIp} has auto-delete on: deleting its server (a rebuild) would release the address\n`,
      );
      expect(r.stdout).toMatch(/^Plan: 4 live, 0 rebuild, 0 refused, 0 out of step\.$/m);
      expect(r.stdout).not.toMatch(/needs a rebuild/);
    },
    120_000,
  );

  withHcloud(
    'a configured server missing at Hetzner and a labelled server the config does not name: out of step',
    async () => {
      const w = await make(base, (c, rs) => [
        ...c.cluster.nodes.slice(0, 2).map((n, i) => ({
          name: n.name,
          ip: n.publicIPv4,
          labels: { [NODE_FILE_LABEL]: rs[i]!.fingerprint },
          firewall: c.cluster.hetzner.firewall,
        })),
        {
          name: 'old-node-4',
          ip: '192.0.2.99',
          labels: { [NODE_FILE_LABEL]: 'f'.repeat(40) },
          firewall: c.cluster.hetzner.firewall,
        },
      ]);
      const r = await plan(w);
      expect(r.status).toBe(2);
      const missing = w.config.cluster.nodes[2]!;
      expect(r.stdout).toContain(`  ${missing.name} is in the config but not at Hetzner`);
      expect(r.stdout).toContain(`  Primary IP ${missing.primaryIp} (for ${missing.name}) does not exist`);
      expect(r.stdout).toContain(`  old-node-4 at Hetzner carries ${NODE_FILE_LABEL} but the config does not name it`);
    },
    120_000,
  );

  withHcloud(
    'a critical K3s argument changed on a running cluster is refused, says why and what instead: exit 1',
    async () => {
      const w = await make(base);
      const r = await plan(w, wireguard);
      expect(r.status).toBe(1);
      for (const n of w.config.cluster.nodes) {
        expect(r.stdout).toContain(
          `  ✗ ${n.name}: K3s critical argument flannel-backend: "vxlan" → "wireguard-native"\n`,
        );
      }
      expect(r.stdout).toMatch(
        /^ {6}why: every server must share it: .*critical configuration value mismatch between servers/m,
      );
      expect(r.stdout).toMatch(/^ {6}instead: keep the running value in cluster\.yaml/m);
    },
    120_000,
  );

  withHcloud(
    'cluster-init on a running cluster, and a new token, are refused',
    async () => {
      const w = await make(base);
      const r = await plan(
        w,
        also((raw) => (raw.cluster.established = false)),
        { K3S_TOKEN: undefined },
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`  ✗ ${w.config.cluster.nodes[0]!.name}: cluster-init on a running cluster\n`);
      expect(r.stdout).toContain('  ✗ a new cluster token\n');
    },
    120_000,
  );

  withHcloud(
    'a running member’s address changed in the config is refused',
    async () => {
      const w = await make(base);
      const r = await plan(
        w,
        also((raw) => (raw.cluster.nodes[1]!.publicIPv4 = '192.0.2.77')),
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(`  ✗ ${w.config.cluster.nodes[1]!.name}: address 192.0.2.12 → 192.0.2.77\n`);
    },
    120_000,
  );

  withHcloud(
    'no API token: exit 1, one error line that says what to set, and no request sent',
    async () => {
      const w = await make(base);
      const r = await plan(w, base, { HCLOUD_TOKEN: undefined });
      expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 1, stdout: '' });
      expect(r.stderr).toBe(
        'error: no Hetzner API token: set HCLOUD_TOKEN to an API token of the cluster’s project (read-only is enough: the plan only reads), or HCLOUD_CONTEXT to an hcloud context\n',
      );
      expect(w.standin.requests).toEqual([]);
    },
    120_000,
  );

  withHcloud(
    'hcloud failing (the API unreachable): exit 1 with hcloud’s reason',
    async () => {
      const w = await make(base);
      const r = await plan(w, base, { HCLOUD_ENDPOINT: 'http://127.0.0.1:9/v1' });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /^error: hcloud server list -o json failed \(exit 1\): .*connection refused; nothing was changed\n$/,
      );
    },
    120_000,
  );

  withHcloud(
    'a bad config: exit 1 before any request',
    async () => {
      const w = await make(base);
      const r = await plan(
        w,
        also((raw: any) => (raw.apps.worker.replicas = 2)),
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/invalid configuration/);
      expect(w.standin.requests).toEqual([]);
    },
    120_000,
  );

  withHcloud(
    'the rollout: live changes widening first, the off-node snapshot, then one server at a time, then the plan again',
    async () => {
      const next = renderRecords(variant(withSsh));
      const w = await make(
        base,
        builtFrom((i, rs) => (i === 0 ? next : rs)),
      );
      const r = await cli(w, ['--runbook', 'rollout'], withSsh);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const titles = r.stdout
        .split('\n')
        .filter((l) => /^# \d+\. /.test(l))
        .map((l) => l.replace(/^# \d+\. /, '').replace(/ {2}\[on .*\]$/, ''));
      const at = (re: RegExp) => titles.findIndex((t) => re.test(t));
      const widen = at(/^Widen the Cloud Firewall honeydue/);
      const narrow = at(/^Narrow the Cloud Firewall honeydue/);
      const snapshot = at(/^Take an etcd snapshot off the servers/);
      const rebuilt = w.config.cluster.nodes.slice(1).map((n) => n.name);
      const firstOf = rebuilt.map((n) => at(new RegExp(`^\\[\\d/2 ${n}\\] `)));
      expect(widen).toBe(0);
      expect(narrow).toBeGreaterThan(widen);
      expect(snapshot).toBeGreaterThan(narrow);
      expect(firstOf[0]).toBeGreaterThan(snapshot);
      // One server at a time: the second rebuild starts after the first one's last step, and each
      // starts by checking that every server is Ready and etcd has all its members.
      const lastOfFirst = titles
        .map((t, i) => (t.startsWith(`[1/2 ${rebuilt[0]}] `) ? i : -1))
        .reduce((a, b) => Math.max(a, b));
      expect(firstOf[1]).toBeGreaterThan(lastOfFirst);
      for (const i of firstOf) expect(titles[i]).toMatch(/Check that every other server is healthy$/);
      expect(titles.at(-1)).toBe('Plan again: nothing may be left to do');
      expect(r.stdout).toContain(`CDK8S_OUTDIR=${w.out} npm run plan -- --config=`);
      // The widening set holds every rule the firewall has now and every new one.
      expect(r.stdout).toMatch(/"198\.51\.100\.0\/24",\n\s+"203\.0\.113\.0\/24"/);
      readOnly(w);
    },
    120_000,
  );
});

describe('the plan, without hcloud: which servers need a rebuild', () => {
  /** Config changes that touch some, all or none of the records. */
  const CHANGES: Record<string, (raw: RawConfig) => void> = {
    'an operator network': (r) =>
      (r.firewall = { ...r.firewall, operatorCidrs: ['198.51.100.0/24', '203.0.113.0/24'] }),
    'web from anywhere': (r) => (r.firewall = { ...r.firewall, web: 'anywhere' }),
    'IPVS kube-proxy': (r) => (r.k3s = { ...r.k3s, kubeProxyMode: 'ipvs' }),
    'iptables kube-proxy': (r) => (r.k3s = { ...r.k3s, kubeProxyMode: 'iptables' }),
    'an api replica': (r) => (r.apps.api.replicas = 5),
    'a snapshot schedule': (r) => (r.etcdSnapshots = { ...r.etcdSnapshots!, schedule: '0 */4 * * *' }),
    'a node alias': (r) => (r.cluster.nodes[2]!.alias = 'third'),
  };
  const names = Object.keys(CHANGES);

  test('over random changes, the rebuild set is exactly the servers whose records changed and that were not rebuilt yet; no change plans nothing', () => {
    const before = variant(base);
    const beforeRecords = renderRecords(before);
    const out = layout(tempDir('plan-prop'));
    fs.mkdirSync(out.recordsDir, { recursive: true });
    for (const r of beforeRecords) fs.writeFileSync(out.recordFile(r), r.text);
    fc.assert(
      fc.property(
        fc.subarray(names),
        fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
        (picked, rebuiltAlready) => {
          const after = variant(also((raw) => picked.forEach((p) => CHANGES[p]!(raw))));
          const records = renderRecords(after);
          const label = (i: number) => (rebuiltAlready[i] ? records : beforeRecords)[i]!.fingerprint;
          const live = matchingLive(after, (_n, i) => ({ [NODE_FILE_LABEL]: label(i) }));
          const p = makePlan({
            config: after,
            records,
            rules: hcloudFirewallRules(after),
            live,
            out,
            tokenAtHand: true,
          });
          const changed = after.cluster.nodes
            .filter((_n, i) => records[i]!.text !== beforeRecords[i]!.text && !rebuiltAlready[i])
            .map((n) => n.name);
          expect(p.rebuilds.map((r) => r.node.name)).toEqual(changed);
          expect(p.refused).toEqual([]);
          if (picked.length === 0) expect(planExitCode(p)).toBe(0);
        },
      ),
      { numRuns: 60, seed: FC_SEED },
    );
  });

  test('the critical arguments are K3s’s own list (test/fixtures/k3s/critical-control-args.json)', () => {
    const fixture = JSON.parse(
      fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'critical-control-args.json'), 'utf8'),
    ) as { criticalControlArgs: { flag: string }[] };
    expect([...CRITICAL_CONTROL_ARGS]).toEqual(fixture.criticalControlArgs.map((a) => a.flag));
  });
});
