/**
 * The plan reads the cluster, not only Hetzner: what each server runs (its Node's
 * k3s.io/node-args, as K3s writes it), etcd's voters, the snapshots and their token hash, and
 * system-upgrade-controller's Jobs, through the real kubectl 1.34 against the Kubernetes API
 * stand-in (test/kube/standin.ts), beside the real hcloud against the Hetzner stand-in.
 */
import { NODE_FILE_LABEL } from '../model/node-record';
import { cliReadyBeforeAll } from './cli';
import { missingTools, systemTest } from './host';
import { snapshotFile, upgradeJob } from './kube/k3s-node';
import { k3sConfigOf } from './live-state';
import { base, builtFrom, cli, CLUSTER_TOKEN, handBuilt, plan, readOnly, worldsOfThisBlock } from './plan-world';

const withTools = systemTest(missingTools(['hcloud', 'unzip'], false));
cliReadyBeforeAll();

/** How the three servers were built by hand: install.sh with flags on the command line, no config file. */
const byHand =
  (extra: readonly string[] = []) =>
  (i: number) => ({
    commandLine: [
      'server',
      ...(i === 0 ? ['--cluster-init'] : ['--server=https://192.0.2.11:6443', `--token=${CLUSTER_TOKEN}`]),
      `--node-ip=192.0.2.${11 + i}`,
      '--disable=servicelb',
      ...extra,
    ],
  });

const lines = (out: string, re: RegExp) => out.split('\n').filter((l) => re.test(l));

describe('npm run plan reads the cluster', () => {
  const make = worldsOfThisBlock();

  withTools(
    'servers built by hand without secrets-encryption: the rebuild is refused, naming what each runs, with the way out',
    async () => {
      const w = await make(base, handBuilt(byHand()));
      const r = await plan(w);
      expect(r.status).toBe(1);
      for (const n of w.config.cluster.nodes) {
        expect(r.stdout).toContain(
          `  ✗ ${n.name}: K3s critical argument secrets-encryption: it runs false, its node file renders true\n`,
        );
        // servicelb is disabled on both sides: not a change.
        expect(r.stdout).not.toContain(`${n.name}: K3s critical argument disable-service-lb`);
      }
      expect(r.stdout).toMatch(/^ {6}why: a server rebuilt with the rendered value is refused when it joins/m);
      expect(r.stdout).toMatch(/^ {6}instead: turn it on in place first: k3s secrets-encrypt enable on one server/m);
      expect(r.stdout).toMatch(/or set cluster\.yaml to what runs$/m);
      // The token on the joiners' command line was redacted by K3s: never shown, never compared.
      expect(r.stdout).not.toMatch(/k3s token/);
      expect(r.stdout).toContain('token: the token at hand is this cluster’s');
      readOnly(w);
    },
    120_000,
  );

  withTools(
    'servers built by hand without servicelb disabled: both critical values and the disable list are refused',
    async () => {
      const w = await make(
        base,
        handBuilt((i) => ({
          commandLine: byHand(['--secrets-encryption'])(i).commandLine.filter((a) => a !== '--disable=servicelb'),
        })),
      );
      const r = await plan(w);
      expect(r.status).toBe(1);
      const n = w.config.cluster.nodes[1]!.name;
      expect(r.stdout).toContain(
        `  ✗ ${n}: K3s critical argument disable-service-lb: it runs false, its node file renders true\n`,
      );
      expect(r.stdout).toContain(
        `  ✗ ${n}: K3s argument disable: it runs (unset), its node file renders [servicelb]\n`,
      );
      expect(r.stdout).toMatch(/instead: add servicelb to disable on every running server first, one at a time/);
      expect(r.stdout).not.toContain('critical argument secrets-encryption');
    },
    120_000,
  );

  withTools(
    'servers built by hand that run what the node files render: the rebuild is allowed and verified; the rollout prints it',
    async () => {
      const w = await make(
        base,
        handBuilt((_i, record) => ({ configFiles: [k3sConfigOf(record)] })),
      );
      const r = await plan(w);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: '' });
      for (const n of w.config.cluster.nodes)
        expect(r.stdout).toContain(
          `  ${n.name}: built by hand (no ${NODE_FILE_LABEL} label): adopt it by rebuilding; what it runs was read from its Node\n`,
        );
      expect(r.stdout).not.toMatch(/unverified|refused on a running cluster|out of step:/);
      for (const n of w.config.cluster.nodes)
        expect(r.stdout).toMatch(new RegExp(`^ {2}${n.name}: snapshots: off-node, newest 1 minutes ago$`, 'm'));
      const rollout = await cli(w, ['--runbook', 'rollout'], base);
      expect({ status: rollout.status, stderr: rollout.stderr }).toEqual({ status: 0, stderr: '' });
      expect(lines(rollout.stdout, /^# \d+\. \[1\/3 /).length).toBeGreaterThan(0);
      readOnly(w);
    },
    120_000,
  );

  withTools(
    'a hand-built server with a different node-ip on its command line: a member setting, brought by the rebuild, never in place',
    async () => {
      const w = await make(
        base,
        handBuilt((i, record) => {
          // The third was started with --node-ip on its unit's command line and no node-ip in config.yaml.
          const { 'node-ip': _ip, ...rest } = k3sConfigOf(record);
          return i === 2
            ? { configFiles: [rest], commandLine: ['server', '--node-ip=192.0.2.99'] }
            : { configFiles: [k3sConfigOf(record)] };
        }),
      );
      const r = await plan(w);
      expect(r.status).toBe(2);
      const n = w.config.cluster.nodes[2]!.name;
      expect(r.stdout).toMatch(
        new RegExp(
          `^ {2}${n}: built by hand.*\\n {6}k3s node-ip: \\[192\\.0\\.2\\.99\\] → \\[192\\.0\\.2\\.13\\]$`,
          'm',
        ),
      );
      expect(r.stdout).not.toMatch(/^in place/m);
    },
    120_000,
  );

  withTools(
    'a learner, a NotReady server and a running upgrade Job: out of step, and the rollout is refused',
    async () => {
      const w = await make(
        base,
        builtFrom((_i, rs) => rs),
        undefined,
        () => ({
          jobs: [upgradeJob({ name: 'apply-k3s-server-on-n1-with-abc', node: 'ubuntu-8gb-nbg1-1', active: true })],
        }),
      );
      // Every server runs its file; two of them are not well, and an upgrade runs.
      const nodes = (w.kube as any).seed.nodes as any[];
      nodes[0].status.conditions[1] = {
        type: 'EtcdIsVoter',
        status: 'False',
        reason: 'MemberIsLearner',
        message: 'Node has not been promoted to voting member of the etcd cluster',
      };
      nodes[1].status.conditions[0].status = 'Unknown';
      const r = await plan(w);
      expect(r.status).toBe(2);
      const [n0, n1] = w.config.cluster.nodes;
      const outOfStep = r.stdout.slice(r.stdout.indexOf('out of step:'));
      expect(outOfStep).toContain(
        `  ${n0!.name} is not an etcd voter (EtcdIsVoter=False, MemberIsLearner: False: not yet promoted to a voting member)`,
      );
      expect(outOfStep).toContain(`  ${n1!.name} is not Ready (Ready=Unknown)`);
      expect(outOfStep).toContain(
        '  an upgrade Job runs: system-upgrade/apply-k3s-server-on-n1-with-abc on ubuntu-8gb-nbg1-1',
      );
      const rollout = await cli(w, ['--runbook', 'rollout'], base);
      expect(rollout.status).toBe(1);
      expect(rollout.stderr).toMatch(/^error: --runbook rollout: the cluster is out of step: .*is not an etcd voter/);
      expect(rollout.stdout).toBe('');
    },
    120_000,
  );

  withTools(
    'a server two minors behind the rendered K3s: outside the skew it supports, out of step; one patch behind is an upgrade',
    async () => {
      const w = await make(base);
      const nodes = (w.kube as any).seed.nodes as any[];
      nodes[0].status.nodeInfo.kubeletVersion = 'v1.32.9+k3s1';
      nodes[1].status.nodeInfo.kubeletVersion = 'v1.34.5+k3s1';
      const r = await plan(w);
      expect(r.status).toBe(2);
      expect(r.stdout).toContain(
        `  ${nodes[0].metadata.name} runs v1.32.9+k3s1, outside the skew v1.34.6+k3s1 supports (one minor either way): upgrade it one minor at a time first\n`,
      );
      expect(r.stdout).toMatch(/^ {6}upgrade: v1\.34\.5\+k3s1 → v1\.34\.6\+k3s1$/m);
      expect(r.stdout).not.toMatch(new RegExp(`${nodes[1].metadata.name} runs v1\\.34\\.5`));
    },
    120_000,
  );

  withTools(
    'a token whose hash differs from the snapshots’: refused before anything is deleted',
    async () => {
      const w = await make(
        base,
        handBuilt((_i, record) => ({ configFiles: [k3sConfigOf(record)] })),
      );
      const r = await plan(w, base, { K3S_TOKEN: 'another-clusters-token-0123456789abcdefghijkLMN' });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain(
        '  ✗ the cluster token at hand (K3S_TOKEN or .secrets/k3s-token) is not this cluster’s\n',
      );
      expect(r.stdout).toContain('token: the token at hand is NOT this cluster’s');
      expect(r.all).not.toContain('another-clusters-token-0123456789abcdefghijkLMN');
      // The one refusal is enough to refuse the rollout.
      const rollout = await cli(w, ['--runbook', 'rollout'], base, {
        K3S_TOKEN: 'another-clusters-token-0123456789abcdefghijkLMN',
      });
      expect({ status: rollout.status, stdout: rollout.stdout }).toEqual({ status: 1, stdout: '' });
      expect(rollout.stderr).toMatch(/^error: --runbook rollout: the plan refuses the cluster token at hand/);
    },
    120_000,
  );

  withTools(
    'adopt-snapshots: before the restart the snapshot settings are in place changes and snapshots local only; after it, neither',
    async () => {
      const now = Date.now();
      // Before: built by hand with the rendered arguments except the snapshot keys; local snapshots only.
      const withoutSnapshotKeys = (record: any) =>
        Object.fromEntries(Object.entries(k3sConfigOf(record)).filter(([k]) => !/^etcd-s(3|napshot)/.test(k)));
      const local = () => ({
        snapshots: ['ubuntu-8gb-nbg1-1', 'ubuntu-8gb-nbg1-2', 'ubuntu-8gb-nbg1-3'].map((node) =>
          snapshotFile({ node, s3: false, created: new Date(now - 3 * 3600_000), token: CLUSTER_TOKEN }),
        ),
      });
      const before = await make(
        base,
        builtFrom((_i, rs) => rs),
      );
      const beforeNodes = (before.kube as any).seed.nodes as any[];
      (before.kube as any).seed.snapshots = local().snapshots;
      for (const [i, n] of beforeNodes.entries()) {
        const { k3sNode } = await import('./kube/k3s-node');
        beforeNodes[i] = k3sNode({
          name: n.metadata.name,
          ip: `192.0.2.${11 + i}`,
          configFiles: [withoutSnapshotKeys(before.records[i])],
        });
      }
      const r = await plan(before);
      expect(r.status).toBe(2);
      for (const n of before.config.cluster.nodes) {
        expect(r.stdout).toMatch(new RegExp(`^ {2}${n.name}: snapshots: local only \\(newest 3 hours ago\\)$`, 'm'));
      }
      expect(r.stdout).toMatch(/^in place /m);
      expect(r.stdout).toMatch(/^ {6}k3s etcd-s3: false → true$/m);
      expect(r.stdout).toMatch(/^ {6}k3s etcd-s3-config-secret: \(unset\) → k3s-etcd-s3$/m);
      expect(r.stdout).not.toMatch(/needs a rebuild/);

      // After: the drop-in is in node-args (K3s read it at the restart), and the bucket has a snapshot of each.
      const after = await make(base);
      const p = await plan(after);
      expect(p.status).toBe(0);
      expect(p.stdout).not.toMatch(/^in place /m);
      for (const n of after.config.cluster.nodes)
        expect(p.stdout).toMatch(new RegExp(`^ {2}${n.name}: snapshots: off-node, newest 1 minutes ago$`, 'm'));
    },
    120_000,
  );

  withTools(
    'no kubeconfig: one line says so, the Hetzner side is planned, every rebuild is unverified, the rollout is refused',
    async () => {
      const w = await make(base, handBuilt(byHand()));
      const r = await plan(w, base, { KUBECONFIG: undefined });
      expect(r.status).toBe(2);
      expect(lines(r.stdout, /^cluster: /)).toEqual([
        'cluster: not read: no kubeconfig (set KUBECONFIG, or pass --kubeconfig FILE; ~/.kube/config does not exist). The plan covers Hetzner only; every rebuild is unverified and a rollout is refused.',
      ]);
      for (const n of w.config.cluster.nodes)
        expect(r.stdout).toContain(
          `  ${n.name}: built by hand (no ${NODE_FILE_LABEL} label): adopt it by rebuilding (unverified: no cluster access)\n`,
        );
      expect(w.kube.requests).toEqual([]);
      const rollout = await cli(w, ['--runbook', 'rollout'], base, { KUBECONFIG: undefined });
      expect(rollout.status).toBe(1);
      expect(rollout.stderr).toMatch(/^error: --runbook rollout: the cluster could not be read \(no kubeconfig/);
      // --kubeconfig FILE gives it back.
      const given = await cli(w, ['--plan', '--kubeconfig', w.kube.kubeconfig(require('os').tmpdir())], base, {
        KUBECONFIG: undefined,
      });
      expect(given.stdout).toContain('cluster (read with kubectl):');
    },
    120_000,
  );

  withTools(
    'kubectl refused (403): bounded, one clear line, no cluster access',
    async () => {
      const w = await make(base, undefined, undefined, () => ({ misbehave: 'forbidden' }));
      const r = await plan(w);
      // Hetzner matches, so the exit code is the Hetzner side's; the line says the cluster was not read.
      expect(r.status).toBe(0);
      expect(lines(r.stdout, /^cluster: /)).toEqual([
        expect.stringMatching(
          /^cluster: not read: kubectl get \S+ failed \(exit 1\): Error from server \(Forbidden\): .* is forbidden: .*\. The plan covers Hetzner only;/,
        ),
      ]);
    },
    120_000,
  );

  withTools(
    'an API server that never answers: the plan still ends, within kubectl’s bound, with one line',
    async () => {
      const w = await make(base, undefined, undefined, () => ({ misbehave: 'hang' }));
      const started = Date.now();
      const r = await plan(w);
      expect(Date.now() - started).toBeLessThan(60_000);
      expect(r.status).toBe(0);
      // Not silence: what it waits for, and for how long at most.
      expect(r.stderr).toMatch(/^waiting for kubectl get nodes \(the cluster in .*kubeconfig\) \(at most 30 s\)…$/m);
      expect(lines(r.stdout, /^cluster: /)).toEqual([
        expect.stringMatching(/^cluster: not read: kubectl get \S+ (failed|did not answer)/),
      ]);
    },
    120_000,
  );
});
