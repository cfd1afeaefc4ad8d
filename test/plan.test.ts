/**
 * `npm run plan` and `--runbook rollout` against the real hcloud CLI (Debian's hcloud-cli
 * 1.30.3) talking to the stand-in Hetzner API on 127.0.0.1: what differs between this synth and
 * the servers that run, by how each change rolls out, and the exit code Terraform's
 * -detailed-exitcode uses (0 nothing to do, 2 changes, 1 refused or an error).
 */
import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import type { RawConfig } from '../config/schema';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { CRITICAL_CONTROL_ARGS } from '../model/k3s-critical';
import { layout } from '../model/layout';
import { NODE_FILE_LABEL } from '../model/node-record';
import { renderRecords } from '../node/render';
import { makePlan, planExitCode } from '../operator/plan/plan';
import { tokenHash } from '../model/k3s-args';
import { cliReadyBeforeAll } from './cli';
import { matchingCluster, matchingLive } from './live-state';
import { missingTools, systemTest } from './host';
import { also, base, builtFrom, CLUSTER_TOKEN, cli, plan, readOnly, worldsOfThisBlock } from './plan-world';
import { FC_SEED, tempDir, variant } from './support';

const withHcloud = systemTest(missingTools(['hcloud', 'unzip'], false));
cliReadyBeforeAll();

const withSsh = also((r) => (r.firewall = { ...r.firewall, operatorCidrs: ['198.51.100.0/24', '203.0.113.0/24'] }));
const wireguard = also((r) => (r.cluster.flannelBackend = 'wireguard-native'));

describe('npm run plan against the servers at Hetzner (the stand-in)', () => {
  const make = worldsOfThisBlock();

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
      expect(r.stdout).toMatch(/^Plan: 4 live, 0 in place, 1 rebuild, 0 refused, 0 out of step\.$/m);
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
          `  ${n.name}: built by hand (no ${NODE_FILE_LABEL} label): adopt it by rebuilding; what it runs was read from its Node\n`,
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
        `  ~ Primary IP ${w.config.cluster.nodes[0]!.primaryIp} of ${w.config.cluster.nodes[0]!.name}: auto-delete on (deleting its server, a rebuild, would release the address): off\n`,
      );
      expect(r.stdout).toMatch(/^Plan: 4 live, 0 in place, 0 rebuild, 0 refused, 0 out of step\.$/m);
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
      // With the cluster: what each server runs (its Node's node-args) against what its file renders.
      const r = await plan(w, wireguard);
      expect(r.status).toBe(1);
      for (const n of w.config.cluster.nodes) {
        expect(r.stdout).toContain(
          `  ✗ ${n.name}: K3s critical argument flannel-backend: it runs vxlan, its node file renders wireguard-native\n`,
        );
      }
      expect(r.stdout).toMatch(
        /^ {6}why: a server rebuilt with the rendered value is refused when it joins .*critical configuration value mismatch between servers/m,
      );
      expect(r.stdout).toMatch(/^ {6}instead: .*; or set cluster\.yaml to what runs$/m);
      // Without it: the record each was built from stands in for what it runs.
      const blind = await plan(w, wireguard, { KUBECONFIG: undefined });
      expect(blind.status).toBe(1);
      for (const n of w.config.cluster.nodes) {
        expect(blind.stdout).toContain(
          `  ✗ ${n.name}: K3s critical argument flannel-backend: "vxlan" → "wireguard-native"\n`,
        );
      }
      expect(blind.stdout).toMatch(
        /^ {6}why: every server must share it: .*critical configuration value mismatch between servers/m,
      );
      expect(blind.stdout).toMatch(/^ {6}instead: keep the running value in cluster\.yaml/m);
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
      // With the running cluster's token at hand, only cluster-init is refused.
      const withToken = await plan(
        w,
        also((raw) => (raw.cluster.established = false)),
      );
      expect(withToken.stdout).toContain(`  ✗ ${w.config.cluster.nodes[0]!.name}: cluster-init on a running cluster\n`);
      expect(withToken.stdout).not.toContain('a new cluster token');
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
      // Each renders its file and checks its Primary IP, then checks that every other server is healthy.
      for (const i of firstOf) {
        expect(titles[i]).toMatch(/Render \S+'s node file and check its Primary IP, before anything goes down$/);
        expect(titles[i + 1]).toMatch(/Check that every other server is healthy$/);
      }
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
  /** The one change above that a restart applies: config.yaml keys only, none a member’s. */
  const IN_PLACE = 'a snapshot schedule';

  test('over random changes, the rebuild set is exactly the servers whose files changed beyond what a restart takes and that were not rebuilt yet, the in-place set the rest that changed; no change plans nothing', () => {
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
          // The same changes without the in-place one: what a rebuild is needed for.
          const beyondRestart = renderRecords(
            variant(also((raw) => picked.filter((p) => p !== IN_PLACE).forEach((p) => CHANGES[p]!(raw)))),
          );
          const builtWith = (i: number) => (rebuiltAlready[i] ? records : beforeRecords)[i]!;
          const live = matchingLive(after, (_n, i) => ({ [NODE_FILE_LABEL]: builtWith(i).fingerprint }));
          const p = makePlan({
            config: after,
            records,
            rules: hcloudFirewallRules(after),
            live,
            out,
            tokenAtHand: true,
            tokenHash: tokenHash(CLUSTER_TOKEN),
            cluster: matchingCluster(
              after,
              after.cluster.nodes.map((_n, i) => builtWith(i)),
              CLUSTER_TOKEN,
            ),
          });
          const nodes = after.cluster.nodes;
          const rebuild = nodes
            .filter((_n, i) => beyondRestart[i]!.text !== beforeRecords[i]!.text && !rebuiltAlready[i])
            .map((n) => n.name);
          const inPlace = nodes
            .filter(
              (n, i) => records[i]!.text !== beforeRecords[i]!.text && !rebuiltAlready[i] && !rebuild.includes(n.name),
            )
            .map((n) => n.name);
          expect(p.rebuilds.map((r) => r.node.name)).toEqual(rebuild);
          expect(p.inPlace.map((r) => r.node.name)).toEqual(inPlace);
          expect(p.refused).toEqual([]);
          expect(p.outOfStep).toEqual([]);
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
