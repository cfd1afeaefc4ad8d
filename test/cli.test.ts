/**
 * The synth CLI as an operator runs it: the real `node --snapshot-blob build/synth.blob --`
 * that `npm run synth` runs, as a subprocess, with everything it prints on stdout and stderr.
 */
import * as fs from 'fs';
import * as path from 'path';
import { version } from '../package.json';
import { type Cli, cli, cliReadyBeforeAll } from './cli';
import { explain } from './process';
import { PRODUCTION_CONFIG as CONFIG, ROOT, tempDir, variantFile } from './support';

/** Distinctive, so that a match anywhere in the output can only be a leak. */
const SECRET = 'leakcheck-Zq7vN3xW9pL2mK8rT5yB4hD6fJ1sG0aC';
const FULL_TOKEN = `K10${'0123456789abcdef'.repeat(4)}::server:${SECRET}`;

cliReadyBeforeAll();

describe('--help and --version', () => {
  test('--help prints the usage with every option, exits 0, and reads and writes nothing', () => {
    const cwd = tempDir('cli-help');
    const out = path.join(cwd, 'dist');
    const r = cli(['--help'], { HONEYDUE_CONFIG: '/nonexistent/cluster.yaml', CDK8S_OUTDIR: out }, { cwd });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: /);
    for (const option of [
      '--config FILE',
      '--bootstrap-only',
      '--write-schema',
      '--runbook NAME',
      '--node NODE',
      '--help',
      '--version',
    ])
      expect(r.stdout).toContain(`  ${option} `);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('--version prints the package version and exits 0', () => {
    const r = cli(['--version']);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 0,
      stdout: `honeydue-infra ${version}\n`,
      stderr: '',
    });
  });
});

describe('a bad command line exits 2 with the usage on stderr, and writes nothing', () => {
  test.each<[string, string[], string]>([
    ['a misspelt option', ['--confg', 'x.yaml'], "error: Unknown option '--confg'"],
    ['an extra argument', ['extra'], "error: Unexpected argument 'extra'"],
    ['--config without a file', ['--config'], "error: Option '--config <value>' argument missing"],
    [
      '--config= with an empty file name',
      ['--config='],
      'error: --config needs a file name: --config path/to/cluster.yaml',
    ],
    ['a value for a flag', ['--bootstrap-only=yes'], "error: Option '--bootstrap-only' does not take an argument"],
    ['--node without --runbook', ['--node', 'hetzner2'], 'error: --node goes with --runbook rebuild'],
    [
      'an unknown runbook',
      ['--runbook', 'restroe'],
      'error: --runbook restroe: unknown runbook; use one of etcd-secret, restore, rebuild, adopt-snapshots, rollout',
    ],
    [
      '--runbook rebuild without --node',
      ['--runbook', 'rebuild'],
      'error: --runbook rebuild needs --node NAME (a node name or alias from cluster.nodes)',
    ],
    [
      '--node with a runbook that takes none',
      ['--runbook', 'restore', '--node', 'hetzner2'],
      'error: --node goes with --runbook rebuild, not --runbook restore',
    ],
  ])('%s', (_name, args, firstLine) => {
    const cwd = tempDir('cli-usage');
    const r = cli(args, { K3S_TOKEN: SECRET, CDK8S_OUTDIR: path.join(cwd, 'dist') }, { cwd });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toBe(firstLine);
    expect(r.stderr).toContain('\nusage: ');
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});

describe('a bad or unreadable config', () => {
  test.each<[string, () => string, RegExp]>([
    [
      'a release URL with ;',
      () => variantFile((r: any) => (r.k3s.releaseBaseUrl = 'https://example.com/a;b')),
      /^ {2}- line \d+, k3s\.releaseBaseUrl: /m,
    ],
    [
      'a YAML alias bomb',
      () => {
        const file = path.join(tempDir('cli-bomb'), 'cluster.yaml');
        const level = (name: string, of: string) => `${name}: &${name} [${Array(10).fill(of).join(', ')}]\n`;
        fs.writeFileSync(
          file,
          level('a', 'x') + level('b', '*a') + level('c', '*b') + level('d', '*c') + level('e', '*d'),
        );
        return file;
      },
      /^ {2}- its YAML aliases \(\*name\) expand too far/m,
    ],
  ])('%s: exit 1, an error: block naming the problem, no stack trace, nothing written', (_name, config, problem) => {
    const out = path.join(tempDir('cli-bad'), 'dist');
    const r = cli(['--config', config()], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: .*cluster\.yaml: invalid configuration\n/);
    expect(r.stderr).toMatch(problem);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('an unreadable config: exit 1, the error, no stack trace, nothing written', () => {
    const out = path.join(tempDir('cli-noconf'), 'dist');
    const r = cli(['--config', '/nonexistent/cluster.yaml'], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'error: /nonexistent/cluster.yaml: invalid configuration\n  - cannot read the file (ENOENT); pass an existing file with --config or HONEYDUE_CONFIG\n',
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('the cluster token never reaches the terminal', () => {
  const established = () => variantFile((r) => (r.cluster.established = true));
  /** The production cluster as a new one: the only kind synth makes a token for. */
  const NEW_CLUSTER = () => variantFile((r) => (r.cluster.established = false));

  function tokenFileIn(cwd: string, text: string, mode = 0o600): string {
    fs.mkdirSync(path.join(cwd, '.secrets'), { mode: 0o700 });
    const f = path.join(cwd, '.secrets', 'k3s-token');
    fs.writeFileSync(f, text, { mode });
    fs.chmodSync(f, mode);
    return f;
  }

  const runs: [string, () => Cli, number][] = [
    [
      'a synth with K3S_TOKEN',
      () => cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }),
      0,
    ],
    [
      '--bootstrap-only with K3S_TOKEN',
      () =>
        cli(['--config', CONFIG, '--bootstrap-only'], {
          K3S_TOKEN: SECRET,
          CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist'),
        }),
      0,
    ],
    [
      'an established cluster with the full token',
      () =>
        cli(['--config', established()], {
          K3S_TOKEN: FULL_TOKEN,
          CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist'),
        }),
      0,
    ],
    [
      'a synth with the token file',
      () => {
        const cwd = tempDir('cli-tok-cwd');
        tokenFileIn(cwd, `${SECRET}\n`);
        return cli(['--config', CONFIG], { CDK8S_OUTDIR: path.join(cwd, 'out') }, { cwd });
      },
      0,
    ],
    [
      'a token file others can read',
      () => {
        const cwd = tempDir('cli-tok-cwd');
        tokenFileIn(cwd, `${SECRET}\n`, 0o644);
        return cli(['--config', CONFIG], { CDK8S_OUTDIR: path.join(cwd, 'out') }, { cwd });
      },
      1,
    ],
    [
      'a full token for a new cluster',
      () =>
        cli(['--config', NEW_CLUSTER()], {
          K3S_TOKEN: FULL_TOKEN,
          CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist'),
        }),
      1,
    ],
    [
      'a malformed token',
      () => cli(['--config', CONFIG], { K3S_TOKEN: `${SECRET}!`, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }),
      1,
    ],
    [
      'an agent token',
      () =>
        cli(['--config', established()], {
          K3S_TOKEN: FULL_TOKEN.replace('::server:', '::node:'),
          CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist'),
        }),
      1,
    ],
    [
      'a bad config',
      () =>
        cli(['--config', variantFile((r: any) => (r.apps.worker.replicas = 2))], {
          K3S_TOKEN: SECRET,
          CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist'),
        }),
      1,
    ],
    ['a refused output directory', () => cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: ROOT }), 1],
  ];

  test.each(runs)('%s: stdout and stderr never contain the token', (_name, go, status) => {
    const r = go();
    expect({ status: r.status, run: r.status === status ? '' : explain(r) }).toEqual({ status, run: '' });
    expect(r.all).not.toContain(SECRET);
    expect(r.all).not.toContain('0123456789abcdef0123');
    expect(r.all).not.toMatch(/\n\s+at /);
  });

  test('the summary names where the token came from', () => {
    const r = cli(['--config', established()], {
      K3S_TOKEN: FULL_TOKEN,
      CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist'),
    });
    expect(r.stdout).toContain(
      'cluster token: from K3S_TOKEN (full K10 server token: joining servers verify the cluster CA)\n',
    );
  });

  const NO_TOKEN =
    'cluster.established is true but there is no cluster token: neither K3S_TOKEN nor .secrets/k3s-token is set, and a new token could never join the running cluster. ' +
    'Copy /var/lib/rancher/k3s/server/token from a running server into .secrets/k3s-token (mode 0600: chmod 600 .secrets/k3s-token), or set K3S_TOKEN to its content';

  test('an established cluster without a token: the manifests, records and firewall rules, no user-data, what to copy where, and no token file is made', () => {
    const cwd = tempDir('cli-est');
    const out = path.join(cwd, 'dist');
    const r = cli(['--config', established()], { CDK8S_OUTDIR: out }, { cwd });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain(
      `${path.join(out, 'cloud-init')}/  no node files, as expected: the cluster runs and its token is not at hand; only building a server needs them (docs/secrets.md#the-k3s-cluster-token)\n` +
        '  to write them: copy /var/lib/rancher/k3s/server/token from a running server into .secrets/k3s-token (chmod 600), or set K3S_TOKEN, and synth again\n',
    );
    expect(r.stdout).not.toMatch(/hcloud server create/);
    expect(fs.readdirSync(cwd)).toEqual(['dist']);
    expect(fs.readdirSync(path.join(out, 'cloud-init'))).toEqual([]);
    expect(fs.readdirSync(path.join(out, 'nodes')).sort()).toEqual([
      'ubuntu-8gb-nbg1-1.record',
      'ubuntu-8gb-nbg1-2.record',
      'ubuntu-8gb-nbg1-3.record',
    ]);
    expect(fs.readdirSync(out).filter((f) => f.endsWith('.k8s.yaml')).length).toBeGreaterThan(0);
  });

  test('--bootstrap-only for an established cluster without a token: exit 1, what to copy where, nothing written', () => {
    const cwd = tempDir('cli-est');
    const r = cli(['--config', established(), '--bootstrap-only'], { CDK8S_OUTDIR: path.join(cwd, 'dist') }, { cwd });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 1, stderr: `error: ${NO_TOKEN}\n` });
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('a token file others can read: exit 1 with the chmod to run', () => {
    const cwd = tempDir('cli-mode');
    tokenFileIn(cwd, `${SECRET}\n`, 0o644);
    const r = cli(['--config', CONFIG], { CDK8S_OUTDIR: path.join(cwd, 'dist') }, { cwd });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'error: .secrets/k3s-token is readable or writable by group or others (mode 0644); it holds the cluster token: run  chmod 600 .secrets/k3s-token\n',
    );
  });

  test('a new cluster’s first run generates the token only when it writes its output: a failed run leaves none', () => {
    const cwd = tempDir('cli-gen');
    fs.mkdirSync(path.join(cwd, 'foreign'));
    fs.writeFileSync(path.join(cwd, 'foreign', 'x'), '');
    const config = NEW_CLUSTER();
    expect(cli(['--config', config], { CDK8S_OUTDIR: path.join(cwd, 'foreign') }, { cwd }).status).toBe(1);
    expect(fs.existsSync(path.join(cwd, '.secrets'))).toBe(false);
    const r = cli(['--config', config], { CDK8S_OUTDIR: path.join(cwd, 'dist') }, { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cluster token: from .secrets/k3s-token (new)\n');
    const token = fs.readFileSync(path.join(cwd, '.secrets', 'k3s-token'), 'utf8').trim();
    expect(fs.statSync(path.join(cwd, '.secrets', 'k3s-token')).mode & 0o777).toBe(0o600);
    expect(r.all).not.toContain(token);
    expect(fs.readFileSync(path.join(cwd, 'dist', 'cloud-init', 'ubuntu-8gb-nbg1-2.user-data'), 'utf8')).toContain(
      token,
    );
  });
});
