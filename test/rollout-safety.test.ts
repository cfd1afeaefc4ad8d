/**
 * A rollout that cannot drop etcd's quorum, lock the operator out or lose a server's address:
 * each state that broke the cluster before, through the real hcloud against the Hetzner stand-in
 * (which pages its lists as the API does) and the real kubectl against the cluster stand-in.
 */
import * as fs from 'fs';
import * as path from 'path';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { NODE_FILE_LABEL } from '../model/node-record';
import { TERMINAL_UNSAFE } from '../lib/terminal-safe';
import { commandLines } from '../operator/runbooks/runbook';
import { cliReadyBeforeAll } from './cli';
import { missingTools, systemTest } from './host';
import {
  also,
  base,
  builtFrom,
  cli,
  CLUSTER_TOKEN,
  handBuilt,
  plan,
  readOnly,
  type ServerSpec,
  type World,
  worldsOfThisBlock,
} from './plan-world';
import { tempDir, variantFile } from './support';
import { main } from '../main';
import { mustRun } from './process';

const withTools = systemTest(missingTools(['hcloud', 'unzip'], false));
cliReadyBeforeAll();

const rollout = (w: World, config = base, env: NodeJS.ProcessEnv = {}) => cli(w, ['--runbook', 'rollout'], config, env);

/** The rollout's step titles, in order. */
const titles = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^# \d+\. /.test(l))
    .map((l) => l.replace(/^# \d+\. /, '').replace(/ {2}\[on .*\]$/, ''));

/** The here-document fed to the nth `replace-rules … /dev/stdin` of a printed runbook, parsed. */
function stdinRules(out: string, title: RegExp): any[] {
  const lines = out.split('\n');
  const at = lines.findIndex((l) => /^# \d+\. /.test(l) && title.test(l));
  expect(at).toBeGreaterThanOrEqual(0);
  const start = lines.findIndex((l, i) => i > at && l.endsWith("--rules-file /dev/stdin <<'EOF'"));
  const end = lines.findIndex((l, i) => i > start && l === 'EOF');
  return JSON.parse(lines.slice(start + 1, end).join('\n'));
}

/** Hand-built servers on Hetzner's own Primary IPs (primary_ip-<id>, auto-delete on), running what their files render. */
const onHetznersIps = (c: any, rs: any): ServerSpec[] =>
  handBuilt((_i, r) => ({ configFiles: [require('./live-state').k3sConfigOf(r)] }))(c, rs).map((s, i) => ({
    ...s,
    primaryIp: `primary_ip-${300 + i}`,
    autoDelete: true,
  }));

describe('the rollout refuses while anything is out of step', () => {
  const make = worldsOfThisBlock();

  withTools(
    'a server missing at Hetzner: no snapshot on it, no health check through it, no rebuild of another; exit 1',
    async () => {
      const w = await make(base, (c, rs) => builtFrom((_i, r) => r)(c, rs).slice(0, 2));
      const r = await rollout(
        w,
        also((raw) => (raw.apps.api.replicas = 4)),
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/the cluster is out of step: ubuntu-8gb-nbg1-3 is in the config but not at Hetzner/);
      readOnly(w);
    },
    120_000,
  );

  withTools(
    'two labelled servers (still etcd members) no longer in the config: refused, not cut off by a narrowed firewall',
    async () => {
      const w = await make(base, (c, rs) => [
        ...builtFrom((_i, r) => r)(c, rs),
        ...['old-4', 'old-5'].map((name, i) => ({
          name,
          ip: `192.0.2.${40 + i}`,
          labels: { [NODE_FILE_LABEL]: 'f'.repeat(40) },
          firewall: c.cluster.hetzner.firewall,
          runs: {},
        })),
        // A server the config does not name and that carries no node-file label (a bastion) is no stray.
        { name: 'bastion', ip: '192.0.2.60', labels: {}, runs: null },
      ]);
      const r = await rollout(
        w,
        also((raw) => (raw.firewall = { ...raw.firewall, operatorCidrs: ['203.0.113.0/24'] })),
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/old-4 at Hetzner carries honeydue\/node-file but the config does not name it/);
      expect(r.stderr).toMatch(/old-5 is an etcd member \(at 192\.0\.2\.41\) the config does not name/);
      expect(r.stdout).not.toMatch(/Narrow/);
      expect(r.stderr).not.toMatch(/bastion/);
    },
    120_000,
  );

  withTools(
    'a server that is off: out of step, and the rollout is refused',
    async () => {
      const w = await make(base, (c, rs) =>
        builtFrom((_i, r) => r)(c, rs).map((s, i) => (i === 1 ? { ...s, status: 'off' as const } : s)),
      );
      const p = await plan(w);
      expect(p.status).toBe(2);
      expect(p.stdout).toContain('  ubuntu-8gb-nbg1-1 is off at Hetzner, not running: start it');
      const r = await rollout(w);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/out of step: ubuntu-8gb-nbg1-1 is off at Hetzner/);
    },
    120_000,
  );

  withTools(
    'another Cloud Firewall open to the world on a server: out of step; a firewall applied through a label selector counts as behind it',
    async () => {
      const w = await make(
        base,
        (c, rs) =>
          builtFrom((_i, r) => r)(c, rs).map((s, i) => ({
            ...s,
            firewall: i === 2 ? undefined : s.firewall,
            labels: i === 2 ? { ...s.labels, role: 'k3s' } : s.labels,
            alsoBehind: i === 0 ? ['wide-open'] : [],
          })),
        undefined,
        undefined,
        (standin, c) => {
          standin.addFirewall('wide-open', [
            { direction: 'in', protocol: 'tcp', port: '1-65535', source_ips: ['0.0.0.0/0', '::/0'] },
          ]);
          // The third server is behind the cluster's firewall through its label only.
          (standin as any).firewalls.find((f: any) => f.name === c.cluster.hetzner.firewall).selector = 'role=k3s';
        },
      );
      const p = await plan(w);
      expect(p.stdout).not.toMatch(/is not behind the Cloud Firewall/);
      expect(p.stdout).toContain(
        '  ubuntu-8gb-nbg1-2 carries another Cloud Firewall, wide-open: Hetzner applies the rules of every firewall a server carries',
      );
      expect(p.stdout).not.toMatch(/No changes/);
      const r = await rollout(w);
      expect(r.status).toBe(1);
    },
    120_000,
  );
});

describe('Primary IPs are found through the servers', () => {
  const make = worldsOfThisBlock();
  /** The first two servers run; the third is still to be built, on a Primary IP of its configured name that holds `ip`. */
  const thirdStillToBuild = (ip: string) =>
    make(
      base,
      (c, rs) => builtFrom((_i, r) => r)(c, rs).slice(0, 2),
      undefined,
      undefined,
      (standin, c) => standin.addPrimaryIp(c.cluster.nodes[2]!.primaryIp, ip),
    );

  withTools(
    'hand-built servers on primary_ip-<id> with auto-delete on, behind 60 other Primary IPs: adopted (auto-delete off, the config’s name) before any server delete',
    async () => {
      const w = await make(base, onHetznersIps, undefined, undefined, (standin) => standin.addSparePrimaryIps(60));
      const p = await plan(w);
      expect(p.status).toBe(2);
      for (const [i, n] of w.config.cluster.nodes.entries())
        expect(p.stdout).toContain(
          `  ~ Primary IP primary_ip-${300 + i} of ${n.name}: auto-delete on (deleting its server, a rebuild, would release the address): off; rename to ${n.primaryIp}, the name the config gives it\n`,
        );
      // Found through each server, not through one page of `primary-ip list`.
      expect(p.stdout).not.toMatch(/does not exist/);
      readOnly(w);
      const r = await rollout(w);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      const lines = r.stdout.split('\n');
      const firstDelete = lines.findIndex((l) => /^hcloud server delete /.test(l));
      expect(firstDelete).toBeGreaterThan(0);
      for (const [i, n] of w.config.cluster.nodes.entries()) {
        const adopt = lines.indexOf(
          `hcloud primary-ip update primary_ip-${300 + i} --name ${n.primaryIp} --auto-delete=false`,
        );
        expect(adopt).toBeGreaterThan(0);
        expect(adopt).toBeLessThan(firstDelete);
      }
    },
    120_000,
  );

  withTools(
    'two Primary IP names swapped: refused with exit 1, never "No changes"',
    async () => {
      const w = await make(base, (c, rs) =>
        builtFrom((_i, r) => r)(c, rs).map((s, i) => ({
          ...s,
          primaryIp: i === 0 ? c.cluster.nodes[1]!.primaryIp : i === 1 ? c.cluster.nodes[0]!.primaryIp : undefined,
        })),
      );
      const p = await plan(w);
      expect(p.status).toBe(1);
      const [n0, n1] = w.config.cluster.nodes;
      expect(p.stdout).toContain(
        `  ✗ ${n0!.name}: it holds the Primary IP ${n1!.primaryIp} (${n0!.publicIPv4}), and ${n0!.primaryIp}, the name the config gives it, is another one (${n1!.publicIPv4})\n`,
      );
    },
    120_000,
  );

  withTools(
    'a configured Primary IP that holds its address, for a server still to be built: unattached, the server built on it takes it',
    async () => {
      const w = await thirdStillToBuild('192.0.2.13');
      const p = await plan(w);
      expect(p.status).toBe(2);
      expect(p.stdout).toContain(
        `  ~ Primary IP ${w.config.cluster.nodes[2]!.primaryIp} is unattached: the server built on it takes it\n`,
      );
      expect(p.stdout).not.toMatch(/does not exist/);
    },
    120_000,
  );

  withTools(
    'a configured Primary IP that holds another address, for a server still to be built: refused',
    async () => {
      const w = await thirdStillToBuild('192.0.2.200');
      const p = await plan(w);
      expect(p.status).toBe(1);
      expect(p.stdout).toContain(
        `  ✗ ubuntu-8gb-nbg1-3: its Primary IP ${w.config.cluster.nodes[2]!.primaryIp} holds 192.0.2.200, not 192.0.2.13\n`,
      );
    },
    120_000,
  );
});

describe('the firewall steps', () => {
  const make = worldsOfThisBlock();

  withTools(
    'an extra rule alone (an out rule with its destinations): widen keeps every current rule, narrow removes the extra one; new CIDRs without a synth reach the narrow step',
    async () => {
      const extra = {
        direction: 'out',
        protocol: 'tcp',
        port: '25',
        destination_ips: ['0.0.0.0/0'],
        description: 'left over',
      };
      const w = await make(base, undefined, (c) => [...hcloudFirewallRules(c), extra]);
      // Only an extra rule: no widen needed, but the narrow step must come.
      const only = await rollout(w);
      expect(only.status).toBe(0);
      const narrowed = stdinRules(only.stdout, /Narrow the Cloud Firewall/);
      expect(narrowed).toEqual(JSON.parse(JSON.stringify(hcloudFirewallRules(w.config))));
      // New operator CIDRs, no synth run since: this run's rules, not the stale rules file.
      const wider = also(
        (raw) => (raw.firewall = { ...raw.firewall, operatorCidrs: ['198.51.100.0/24', '203.0.113.0/24'] }),
      );
      const r = await rollout(w, wider);
      expect(r.status).toBe(0);
      const union = stdinRules(r.stdout, /Widen the Cloud Firewall/);
      // Every current rule, the out rule with its destinations, and every new one.
      const current = [...hcloudFirewallRules(w.config), extra].map((x) => JSON.stringify(x));
      for (const rule of current) expect(union.map((x) => JSON.stringify(x))).toContain(rule);
      expect(union.some((x) => (x.source_ips ?? []).includes('203.0.113.0/24'))).toBe(true);
      const last = stdinRules(r.stdout, /Narrow the Cloud Firewall/);
      expect(last.some((x) => (x.source_ips ?? []).includes('203.0.113.0/24'))).toBe(true);
      expect(last.some((x) => x.direction === 'out')).toBe(false);
      // The rules file in the output directory is the old synth's, and the rollout does not read it.
      expect(fs.readFileSync(path.join(w.out, 'hcloud', 'firewall.rules'), 'utf8')).not.toContain('203.0.113.0/24');
      expect(titles(r.stdout)[0]).toMatch(/^Widen/);
    },
    120_000,
  );

  withTools(
    'a new server type: the servers need a rebuild, named by what changes',
    async () => {
      const w = await make(base);
      const p = await plan(
        w,
        also((raw) => (raw.cluster.hetzner = { ...raw.cluster.hetzner, serverType: 'cx43' })),
      );
      expect(p.status).toBe(2);
      expect(p.stdout).toMatch(/^ {6}hetzner server type: cx33 → cx43$/m);
    },
    120_000,
  );

  withTools(
    'a new k3s.version is an upgrade through the Plan, not three rebuilds; once the servers run it, nothing is left',
    async () => {
      const next = also((raw) => (raw.k3s = { ...raw.k3s, version: 'v1.34.7+k3s1' }));
      const w = await make(base);
      const p = await plan(w, next);
      expect(p.status).toBe(2);
      expect(p.stdout).not.toMatch(/needs a rebuild/);
      expect(p.stdout).toMatch(/^ {6}upgrade: v1\.34\.6\+k3s1 → v1\.34\.7\+k3s1$/m);
      // dist/ is still the old synth's: the plan says so, and that a synth renders it.
      expect(p.stdout).toMatch(
        /^manifests: \S+\/ is stale: its node records are not this config's.*run npm run synth/m,
      );
      // After the synth and the upgrade Plan: the servers report the new version, their labels still the old files.
      // As in the repository, the records the servers were built from are in git history.
      const git = (...a: string[]) =>
        mustRun(['git', '-C', path.dirname(w.out), ...a], {
          env: {
            ...process.env,
            GIT_AUTHOR_NAME: 't',
            GIT_AUTHOR_EMAIL: 't@example.org',
            GIT_COMMITTER_NAME: 't',
            GIT_COMMITTER_EMAIL: 't@example.org',
          },
        });
      git('init', '-q');
      git('add', '-A');
      git('commit', '-qm', 'the synth the servers were built from');
      main(['--config', variantFile(next)], { K3S_TOKEN: CLUSTER_TOKEN, CDK8S_OUTDIR: w.out }, () => {});
      for (const n of (w.kube as any).seed.nodes) n.status.nodeInfo.kubeletVersion = 'v1.34.7+k3s1';
      const after = await plan(w, next);
      expect({ status: after.status, tail: after.stdout.trim().split('\n').at(-1) }).toEqual({
        status: 0,
        tail: expect.stringMatching(/^No changes/),
      });
    },
    120_000,
  );
});

describe('what hcloud answers, validated at the boundary', () => {
  /** A stand-in `hcloud` that prints `answer` for every command, exiting with `code`. */
  function fakeHcloud(answer: string, code = 0): string {
    const dir = tempDir('fake-hcloud');
    fs.writeFileSync(path.join(dir, 'hcloud'), `#!/bin/sh\nprintf '%s' '${answer}'\nexit ${code}\n`, { mode: 0o755 });
    return dir;
  }
  const make = worldsOfThisBlock();

  withTools(
    '`{}` from server list: one error line naming the command and the shape, exit 1, no stack trace',
    async () => {
      const w = await make(base);
      const r = await plan(w, base, { PATH: `${fakeHcloud('{}')}:${process.env.PATH}` });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: hcloud server list -o json printed JSON of another shape \(at the top: .*\)/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    },
    120_000,
  );

  withTools(
    'a Primary IP whose name holds ESC, a newline or a bidi override: refused at the boundary, never printed',
    async () => {
      for (const hostile of ['ip\u001b[2Jx', 'ip\nNo changes', 'ip\u202Etxt.exe']) {
        const w = await make(base, (c, rs) =>
          builtFrom((_i, r) => r)(c, rs).map((s, i) => (i === 0 ? { ...s, primaryIp: hostile } : s)),
        );
        const r = await plan(w);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(
          /^error: hcloud primary-ip describe -o json printed JSON of another shape \(at name: expected a Hetzner resource name/,
        );
        expect(r.all).not.toContain(hostile);
        expect(r.all.includes('\u001b') || r.all.includes('\u202E')).toBe(false);
      }
    },
    120_000,
  );

  withTools(
    'a rule description with a newline, ESC, CR or a bidi override: printed escaped by the plan and the rollout, never raw',
    async () => {
      const hostile = 'x\nNo changes: all good\u001b[2J\r\u202Eexe.txt';
      const extra = { direction: 'in', protocol: 'tcp', port: '8080', source_ips: ['0.0.0.0/0'], description: hostile };
      const w = await make(base, undefined, (c) => [...hcloudFirewallRules(c), extra]);
      // Any character the terminal acts on, but the line feed between lines (lib/terminal-safe.ts's set).
      const raw = new RegExp(TERMINAL_UNSAFE.source.replace('\\u0000-\\u001f', '\\u0000-\\u0009\\u000b-\\u001f'), 'u');
      const p = await plan(w);
      expect(p.status).toBe(2);
      expect(p.all).not.toMatch(raw);
      expect(p.stdout).toContain(
        '  - Cloud Firewall honeydue rule: in tcp 8080 from 0.0.0.0/0 "x\\u{000A}No changes: all good\\u{001B}[2J\\u{000D}\\u{202E}exe.txt"\n',
      );
      expect(p.stdout).not.toMatch(/^No changes/m);
      // A wider operator network: the widen step carries the hostile rule on, as a JSON escape that reads back as it was.
      const r = await rollout(
        w,
        also((raw) => (raw.firewall = { ...raw.firewall, operatorCidrs: ['198.51.100.0/24', '203.0.113.0/24'] })),
      );
      expect(r.status).toBe(0);
      expect(r.all).not.toMatch(raw);
      expect(stdinRules(r.stdout, /Widen the Cloud Firewall/).some((x) => x.description === hostile)).toBe(true);
      expect(stdinRules(r.stdout, /Narrow the Cloud Firewall/).some((x) => x.description === hostile)).toBe(false);
    },
    120_000,
  );

  test('the printed adopt command is one argv a shell reads back as written', () => {
    const [line] = commandLines({ argv: ['hcloud', 'primary-ip', 'update', 'primary_ip-300', '--auto-delete=false'] });
    expect(line).toBe('hcloud primary-ip update primary_ip-300 --auto-delete=false');
  });
});

test('--rebuild hetzner2 prints the build lines of that server only', () => {
  const lines: string[] = [];
  const config = variantFile(also((raw) => (raw.cluster.established = true)));
  const status = main(
    ['--config', config, '--rebuild', 'hetzner2'],
    { K3S_TOKEN: CLUSTER_TOKEN, CDK8S_OUTDIR: path.join(tempDir('rebuild-one'), 'dist') },
    (l) => void lines.push(l),
  );
  expect(status).toBe(0);
  const creates = lines.filter((l) => /^\s*hcloud server create /.test(l));
  expect(creates).toEqual([expect.stringMatching(/^\s*hcloud server create --name ubuntu-8gb-nbg1-1 /)]);
});
