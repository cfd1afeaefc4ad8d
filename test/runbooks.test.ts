import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { CREDENTIAL_ENV, CREDENTIAL_KEYS, etcdSnapshots } from '../bootstrap/etcd-snapshots';
import { k3sConfig } from '../bootstrap/k3s-config';
import { PATHS } from '../bootstrap/paths';
import { renderNodes } from '../bootstrap/render';
import { cloudInitSummary } from '../bootstrap/write';
import type { Config } from '../config/schema';
import { main, run } from '../main';
import { createSecretCommand, SECRET_TYPE } from '../runbooks/etcd-secret';
import { runbook, runbookLines, runbookRequest, type RunbookName } from '../runbooks/index';
import { type Command, commandLines, commandsOf, type Runbook, wordText } from '../runbooks/runbook';
import { kubectlPath } from '../tools/layer';
import { K3S_SERVER_FLAGS, k3sArgvProblems, k3sConfigProblems } from './k3s-flags';
import { production, productionRaw, tempDir, TEST_TOKEN, variant } from './support';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'etcd-s3.json'), 'utf8')) as {
  secretKeys: string[];
  secretIgnoredKeysAllowed: string[];
  envVars: Record<string, string[]>;
};
const config = production();
const established = variant((raw) => (raw.cluster.established = true));
const snapshots = etcdSnapshots(config)!;
const book = (name: RunbookName, node?: string, c: Config = config) => runbook(c, { name, node });
const text = (c: Command) => commandLines(c).join('\n');
const words = (c: Command) => c.argv.map(wordText);
/** Index of the first step whose commands satisfy `pred` (-1 if none). */
const stepOf = (rb: Runbook, pred: (c: Command, on: string) => boolean) => rb.steps.findIndex((s) => s.commands.some((c) => pred(c, s.on)));
const isK3sServer = (c: Command) => c.argv[0] === 'k3s' && c.argv[1] === 'server';
const allBooks = (): [string, Runbook][] => [
  ['etcd-secret', book('etcd-secret')],
  ['restore', book('restore')],
  ['restore (established)', book('restore', undefined, established)],
  ...config.cluster.nodes.slice(1).map((n): [string, Runbook] => [`rebuild ${n.name}`, book('rebuild', n.name)]),
  ['rebuild first (established)', book('rebuild', 'hetzner1', established)],
];

describe('etcdSnapshots config', () => {
  test('the servers get the schedule, the retention, etcd-s3 and the Secret name, and no other etcd-s3-* key', () => {
    for (const n of config.cluster.nodes) {
      const c = k3sConfig(config, n);
      expect(c).toMatchObject({ 'etcd-snapshot-schedule-cron': '0 */6 * * *', 'etcd-snapshot-retention': 12, 'etcd-s3': true, 'etcd-s3-config-secret': 'k3s-etcd-s3' });
      // Any other etcd-s3-* key makes K3s ignore the Secret (pkg/etcd/s3/s3.go GetClient).
      expect(Object.keys(c).filter((k) => k.startsWith('etcd-s3')).filter((k) => !fixture.secretIgnoredKeysAllowed.includes(k))).toEqual([]);
      expect(k3sConfigProblems(c)).toEqual([]);
      expect(JSON.stringify(c)).not.toMatch(/backblazeb2|honeydue-etcd-snapshots|access-key|secret-key/);
    }
  });

  test('without the block, no etcd key is written and K3s keeps its defaults', () => {
    const off = variant((raw) => delete raw.etcdSnapshots);
    expect(Object.keys(k3sConfig(off, off.cluster.nodes[0]!)).filter((k) => k.startsWith('etcd'))).toEqual([]);
    expect(() => runbook(off, { name: 'restore' })).toThrow(/etcdSnapshots is not set in the config/);
  });

  test('the bucket keeps the same number of schedule runs as each disk: retention × servers, unless s3Retention says otherwise', () => {
    expect(snapshots.settings['etcd-s3-retention']).toBe(String(12 * config.cluster.nodes.length));
    const own = variant((raw) => (raw.etcdSnapshots = { ...raw.etcdSnapshots!, s3Retention: 50 }));
    expect(etcdSnapshots(own)!.settings['etcd-s3-retention']).toBe('50');
  });

  // Refused etcdSnapshots settings, with field and message: test/config-table.test.ts.
});

describe('the Secret', () => {
  test('holds only keys K3s reads from it: the settings from the config and the two keys from the file', () => {
    const keys = [...Object.keys(snapshots.settings), ...snapshots.credentialKeys];
    expect(keys.filter((k) => !fixture.secretKeys.includes(k))).toEqual([]);
    // K3s names them after its flags; a restore passes the same names as flags.
    expect(keys.filter((k) => !K3S_SERVER_FLAGS.has(k))).toEqual([]);
    expect(Object.keys(snapshots.settings).sort()).toEqual(['etcd-s3-bucket', 'etcd-s3-endpoint', 'etcd-s3-folder', 'etcd-s3-region', 'etcd-s3-retention']);
  });

  test('the printed command, run by bash against kubectl 1.34, makes exactly that Secret, with the keys read from the file', () => {
    const home = tempDir('secret-home');
    fs.mkdirSync(path.join(home, '.config', 'honeydue'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config', 'honeydue', 'etcd-s3.env'), 'etcd-s3-access-key=PLANTED-ACCESS-KEY-ID\netcd-s3-secret-key=PLANTED/secret+key\n', { mode: 0o600 });
    // kubectl as a function that only renders what it would create.
    const script = `kubectl() { "${kubectlPath()}" "$@" --dry-run=client -o json; }\n${text(createSecretCommand(snapshots))}\n`;
    const secret = JSON.parse(execFileSync('bash', ['-c', script], { env: { PATH: process.env.PATH, HOME: home }, encoding: 'utf8' }));
    const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    expect(secret).toMatchObject({ kind: 'Secret', type: SECRET_TYPE, metadata: { name: 'k3s-etcd-s3', namespace: 'kube-system' } });
    expect(data).toEqual({ ...snapshots.settings, 'etcd-s3-access-key': 'PLANTED-ACCESS-KEY-ID', 'etcd-s3-secret-key': 'PLANTED/secret+key' });
    expect(text(createSecretCommand(snapshots))).not.toContain('PLANTED');
  });
});

describe('every printed K3s command', () => {
  test.each(allBooks())('%s: every k3s server flag is in the K3s v1.34.6 flag list, with a value of its kind', (_name, rb) => {
    for (const { command } of commandsOf(rb).filter(({ command }) => isK3sServer(command))) {
      expect(k3sArgvProblems(words(command).slice(2))).toEqual([]);
    }
  });

  test.each(allBooks())('%s: k3s etcd-snapshot subcommands carry no flags (their flags are not the server’s)', (_name, rb) => {
    for (const { command } of commandsOf(rb).filter(({ command }) => command.argv[0] === 'k3s' && command.argv[1] === 'etcd-snapshot')) {
      expect(command.argv).toHaveLength(3);
    }
  });

  test('the flag check bites: a misspelt and a subcommand-only flag are reported', () => {
    expect(k3sArgvProblems(['--cluster-reset', '--etcd-s3-bucket-name=x', '--s3-bucket=x'])).toEqual(['--etcd-s3-bucket-name: not a k3s server flag', '--s3-bucket: not a k3s server flag']);
  });
});

describe('the restore runbook', () => {
  const rb = book('restore');
  const [first, ...others] = config.cluster.nodes;
  const isMvDb = (c: Command) => c.argv[0] === 'mv' && c.argv[1] === '/var/lib/rancher/k3s/server/db';

  const isCpDb = (c: Command) => c.argv[0] === 'cp' && c.argv[2] === '/var/lib/rancher/k3s/server/db';

  test('stops K3s on every server before any data is touched, then resets the first server only, once', () => {
    const stop = stepOf(rb, (c, where) => text(c) === 'systemctl stop k3s' && where.startsWith('every server'));
    const resets = commandsOf(rb).filter(({ command }) => isK3sServer(command) && command.argv.includes('--cluster-reset'));
    expect(resets).toHaveLength(1);
    expect(resets[0]!.on.startsWith(first!.name)).toBe(true);
    expect(stop).toBeGreaterThanOrEqual(0);
    for (const n of config.cluster.nodes) expect(rb.steps[stop]!.on).toContain(n.name);
    const touches = commandsOf(rb).filter(({ command }) => isCpDb(command) || isMvDb(command) || command.argv[0] === 'sed');
    expect(touches.length).toBeGreaterThan(config.cluster.nodes.length);
    for (const t of touches) expect(t.step - 1).toBeGreaterThan(stop);
  });

  test('the restoring server keeps server/db/etcd for K3s to rename itself: a dated copy before the reset, never a move', () => {
    const reset = stepOf(rb, isK3sServer);
    const copy = stepOf(rb, (c, where) => isCpDb(c) && where.startsWith(first!.name));
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(copy).toBeLessThan(reset);
    expect(rb.steps.filter((s) => s.on.startsWith(first!.name)).some((s) => s.commands.some(isMvDb))).toBe(false);
  });

  test('takes server: out of config.yaml for the reset and puts it back before K3s starts', () => {
    const sed = stepOf(rb, (c) => c.argv[0] === 'sed' && c.argv.includes(PATHS.k3sConfig));
    const reset = stepOf(rb, isK3sServer);
    const back = stepOf(rb, (c) => c.argv[0] === 'mv' && c.argv[2] === PATHS.k3sConfig);
    const start = stepOf(rb, (c, where) => text(c) === 'systemctl start k3s' && where.startsWith(first!.name));
    expect([sed < reset, reset < back, back <= start]).toEqual([true, true, true]);
    expect(words(rb.steps[sed]!.commands.find((c) => c.argv[0] === 'sed')!)).toEqual(['sed', '-i', "'/^server:/d'", PATHS.k3sConfig]);
  });

  test('passes the S3 settings as flags and the keys and token only as environment variables from files', () => {
    const reset = commandsOf(rb).find(({ command }) => isK3sServer(command))!.command;
    const line = text(reset);
    for (const [k, v] of Object.entries(snapshots.settings).filter(([k]) => k !== 'etcd-s3-retention')) expect(words(reset)).toContain(`--${k}=${v}`);
    expect(words(reset)).toContain('--etcd-s3');
    expect(line).not.toMatch(/--(etcd-s3-access-key|etcd-s3-secret-key|token)\b/);
    // The variables K3s really reads those flags from (urfave EnvVars).
    const env = Object.fromEntries((reset.env ?? []).map(([k, v]) => [k, wordText(v)]));
    expect(Object.keys(env).sort()).toEqual([...CREDENTIAL_KEYS.map((k) => fixture.envVars[k]![0]!), fixture.envVars.token![0]!].sort());
    for (const k of CREDENTIAL_KEYS) expect(env[CREDENTIAL_ENV[k]]).toBe(`"$(sed -n 's/^${k}=//p' /root/etcd-s3.env)"`);
    expect(env.K3S_TOKEN).toBe(`"$(cat ${PATHS.k3sToken})"`);
  });

  test('the other servers move their database aside before they start, one after the other, after the first is up', () => {
    const firstStart = stepOf(rb, (c, where) => text(c) === 'systemctl start k3s' && where.startsWith(first!.name));
    let previous = firstStart;
    for (const n of others) {
      const step = rb.steps.findIndex((s) => s.on.startsWith(n.name));
      const cmds = rb.steps[step]!.commands;
      expect(step).toBeGreaterThan(previous);
      expect(cmds.findIndex(isMvDb)).toBeLessThan(cmds.findIndex((c) => text(c) === 'systemctl start k3s'));
      expect(cmds.findIndex(isMvDb)).toBeGreaterThan(-1);
      expect(cmds.some(isK3sServer)).toBe(false);
      previous = step;
    }
  });
});

describe('the rebuild runbook', () => {
  const n = config.cluster.nodes[2]!;
  const rb = book('rebuild', n.alias);
  const at = (pred: (c: Command) => boolean) => stepOf(rb, (c) => pred(c));

  test('drains, shuts down, deletes the Node, checks the members, rebuilds, waits for Ready, uncordons: in that order', () => {
    const order = [
      at((c) => c.argv[0] === 'kubectl' && c.argv[1] === 'drain' && c.argv[2] === n.name),
      at((c) => c.argv.join(' ') === `hcloud server shutdown ${n.name}`),
      at((c) => c.argv.join(' ') === `kubectl delete node ${n.name} --timeout=5m`),
      rb.steps.findIndex((s) => s.title.startsWith('Check the member list') && s.commands.some((c) => text(c).includes('/db/info'))),
      at((c) => c.argv.join(' ') === `hcloud server delete ${n.name}`),
      at((c) => c.argv.join(' ') === `kubectl wait --for=condition=Ready node/${n.name} --timeout=20m`),
      at((c) => c.argv.join(' ') === `kubectl uncordon ${n.name}`),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(new Set(order).size).toBe(order.length);
  });

  test('the address survives: the Primary IP is checked before the old server is deleted', () => {
    const cmds = commandsOf(rb).map(({ command }) => command.argv.join(' '));
    const describe = cmds.indexOf(`hcloud primary-ip describe ${n.primaryIp}`);
    expect(n.primaryIp).toBe(`${n.name}-ipv4`);
    expect(describe).toBeGreaterThanOrEqual(0);
    expect(describe).toBeLessThan(cmds.indexOf(`hcloud server delete ${n.name}`));
  });

  test.each<[string, Config, number]>([
    ['a joining node', config, 2],
    ['the first node of an established cluster', established, 0],
    [
      'a node on a private network',
      variant((raw) => {
        raw.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
        raw.cluster.nodes.forEach((node, i) => (node.privateIPv4 = `10.0.0.${i + 2}`));
      }),
      1,
    ],
  ])('the rebuild step runs exactly the build lines the synth summary prints for %s, after the synth, the Primary IP check and the delete', (_name, c, i) => {
    const node = c.cluster.nodes[i]!;
    const dir = path.join('dist', 'cloud-init');
    const summary = cloudInitSummary(c, dir, renderNodes(c, { token: TEST_TOKEN }), { token: TEST_TOKEN, source: 'K3S_TOKEN', form: 'plain' });
    const header = summary.findIndex((l) => l.startsWith(`${path.join(dir, `${node.name}.user-data`)}  `));
    expect(header).toBeGreaterThan(0);
    const end = summary.findIndex((l, j) => j > header && !l.startsWith('  '));
    const printed = summary.slice(header + 1, end).filter((l) => l.startsWith('  hcloud ')).map((l) => l.slice(2));
    expect(printed.some((l) => l.startsWith(`hcloud server create --name ${node.name} `))).toBe(true);

    const step = book('rebuild', node.name, c).steps.find((s) => s.title.startsWith('Rebuild'))!;
    const lines = step.commands.map((cmd) => commandLines(cmd)[0]!.replace(/ {2}# .*$/, ''));
    expect(lines).toEqual(['npm run synth', `hcloud primary-ip describe ${node.primaryIp}`, `hcloud server delete ${node.name}`, ...printed]);
    expect(printed.at(-1)).toEqual(c.cluster.privateNetwork ? `hcloud server poweron ${node.name}` : expect.stringMatching(/^hcloud server create /));
  });

  test('every step says what to check, and the member check looks on another server', () => {
    for (const s of rb.steps) expect(s.check.length).toBeGreaterThan(20);
    const memberCheck = rb.steps.find((s) => s.title.startsWith('Check the member list'))!;
    expect(text(memberCheck.commands[0]!)).toContain(`root@${config.cluster.nodes[0]!.publicIPv4}`);
    expect(memberCheck.check).toContain(`none named ${n.name}-<hex>`);
  });

  test('the first node is rebuilt only once the cluster is established, and then joins the second', () => {
    expect(() => book('rebuild', 'hetzner1')).toThrow(/Set cluster.established: true/);
    const rebuilt = book('rebuild', 'hetzner1', established);
    expect(rebuilt.steps.find((s) => s.title.startsWith('Rebuild'))!.check).toContain(`joins ${config.cluster.nodes[1]!.name}`);
  });

  test('an unknown node is refused with the names to use', () => {
    expect(() => book('rebuild', 'hetzner9')).toThrow(/--node hetzner9: no such node in cluster.nodes; use one of ubuntu-8gb-nbg1-2 \(hetzner1\)/);
    expect(() => runbookRequest('rebuild', undefined)).toThrow(/needs --node NAME/);
  });
});

describe('the CLI', () => {
  const PLANTED = { AWS_ACCESS_KEY_ID: 'PLANTED-ACCESS-KEY-ID-0001', AWS_SECRET_ACCESS_KEY: 'PLANTED-SECRET-KEY-0002' };

  test('no credential in any output: runbooks, summary and dist/ never carry a key or the token', () => {
    const out = tempDir('day-two-dist');
    const env = { ...PLANTED, K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out };
    const logged: string[] = [];
    const log = (l: string) => logged.push(l);
    expect(main([], env, log)).toBe(0);
    for (const argv of [['--runbook', 'etcd-secret'], ['--runbook', 'restore'], ['--runbook', 'rebuild', '--node', 'hetzner2']]) expect(main(argv, env, log)).toBe(0);
    const all = logged.join('\n');
    for (const secret of [...Object.values(PLANTED), TEST_TOKEN]) expect(all).not.toContain(secret);
    for (const f of fs.readdirSync(out).filter((x) => x.endsWith('.yaml'))) {
      for (const secret of [...Object.values(PLANTED), TEST_TOKEN]) expect(fs.readFileSync(path.join(out, f), 'utf8')).not.toContain(secret);
    }
    // The summary points at the Secret's runbook, once.
    expect(logged.filter((l) => l.includes('--runbook etcd-secret'))).toHaveLength(1);
  });

  test('the rebuild runbook names the node file where synth writes it (CDK8S_OUTDIR)', () => {
    const out = tempDir('day-two-outdir');
    const logged: string[] = [];
    expect(main(['--runbook', 'rebuild', '--node', 'hetzner2'], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }, (l) => void logged.push(l))).toBe(0);
    const create = logged.find((l) => l.startsWith('hcloud server create'))!;
    expect(create).toContain(`--user-data-from-file ${path.join(out, 'cloud-init', 'ubuntu-8gb-nbg1-1.user-data')}`);
  });

  test('a runbook writes nothing: dist/ is left as it was', () => {
    const out = tempDir('day-two-none');
    expect(main(['--runbook', 'restore'], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }, () => undefined)).toBe(0);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test('an unknown runbook is a bad command line (exit 2); an unknown node is an operator error (exit 1)', async () => {
    const errors: string[] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    try {
      expect(await run(['--runbook', 'upgrade'], { K3S_TOKEN: TEST_TOKEN })).toBe(2);
      expect(await run(['--runbook', 'rebuild', '--node', 'nope'], { K3S_TOKEN: TEST_TOKEN })).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]!.split('\n')[0]).toBe('error: --runbook upgrade: unknown runbook; use one of etcd-secret, restore, rebuild');
    expect(errors[1]).toMatch(/^error: --node nope: no such node/);
  });
});

test.each([
  ['etcd-secret', undefined],
  ['restore', undefined],
  ['rebuild', 'hetzner2'],
] as const)('the %s runbook matches the snapshot', (name, node) => {
  expect(runbookLines(config, { name, node }).join('\n')).toMatchSnapshot();
});

test('the production config round-trips: cluster.yaml has etcd snapshots on, to B2', () => {
  expect(productionRaw().etcdSnapshots).toMatchObject({ endpoint: expect.stringMatching(/\.backblazeb2\.com$/) });
  expect(parse(fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8')).etcdSnapshots.secretName).toBe(snapshots.secretName);
});
