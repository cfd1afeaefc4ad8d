/**
 * The synth CLI as an operator runs it: the real `node --snapshot-blob build/synth.blob --`
 * that `npm run synth` runs, as a subprocess, with everything it prints on stdout and stderr.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { version } from '../package.json';
import { killOnCleanup } from './cleanup';
import { explain, type Outcome, run } from './process';
import { productionRaw, tempDir } from './support';

const ROOT = path.join(__dirname, '..');
const BLOB = path.join(ROOT, 'build', 'synth.blob');
const CONFIG = path.join(ROOT, 'cluster.yaml');

/** Distinctive, so that a match anywhere in the output can only be a leak. */
const SECRET = 'leakcheck-Zq7vN3xW9pL2mK8rT5yB4hD6fJ1sG0aC';
const FULL_TOKEN = `K10${'0123456789abcdef'.repeat(4)}::server:${SECRET}`;

interface Cli extends Outcome {
  /** stdout and stderr together: what the operator sees. */
  readonly all: string;
}

/** Runs the CLI in `cwd` (a fresh directory unless given) with exactly `env` plus PATH. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, opts: { cwd?: string; uid?: number } = {}): Cli {
  const cwd = opts.cwd ?? tempDir('cli-cwd');
  const command = ['env', '-i', '--chdir', cwd, `PATH=${process.env.PATH}`, ...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, '--snapshot-blob', BLOB, '--', ...args];
  const r = run(opts.uid === undefined ? command : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups', ...command]);
  return { ...r, all: `${r.stdout}${r.stderr}` };
}

/** A directory tree as {relative path: content}, for byte-for-byte comparison. */
function tree(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = fs.readFileSync(p, 'latin1');
  }
  return out;
}

/** A config file that differs from cluster.yaml, so a replaced output would show. */
function otherConfig(change: (raw: any) => void = (r) => (r.apps.admin.host = 'admin.example.org')): string {
  const raw = productionRaw() as any;
  change(raw);
  const file = path.join(tempDir('cli-config'), 'cluster.yaml');
  fs.writeFileSync(file, stringify(raw));
  return file;
}

/** An output directory a previous synth wrote (it has the marker), built by the CLI itself. */
function previousOutput(): string {
  const out = path.join(tempDir('cli-out'), 'dist');
  const r = cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
  if (r.status !== 0) throw new Error(explain(r));
  return out;
}

const tmpSiblings = (out: string) => fs.readdirSync(path.dirname(out)).filter((n) => n.includes('.tmp-'));

beforeAll(() => {
  // A source newer than the snapshot makes the first run rebuild it (and say so on stderr).
  const r = cli(['--version']);
  if (r.status !== 0) throw new Error(explain(r));
}, 120_000);

describe('--help and --version', () => {
  test('--help prints the usage with every option, exits 0, and reads and writes nothing', () => {
    const cwd = tempDir('cli-help');
    const out = path.join(cwd, 'dist');
    const r = cli(['--help'], { HONEYDUE_CONFIG: '/nonexistent/cluster.yaml', CDK8S_OUTDIR: out }, { cwd });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: /);
    for (const option of ['--config FILE', '--bootstrap-only', '--write-schema', '--runbook NAME', '--node NODE', '--help', '--version']) expect(r.stdout).toContain(`  ${option} `);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  test('--version prints the package version and exits 0', () => {
    const r = cli(['--version']);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `honeydue-infra ${version}\n`, stderr: '' });
  });
});

describe('a bad command line exits 2 with the usage on stderr, and writes nothing', () => {
  test.each<[string, string[], string]>([
    ['a misspelt option', ['--confg', 'x.yaml'], "error: Unknown option '--confg'"],
    ['an extra argument', ['extra'], "error: Unexpected argument 'extra'"],
    ['--config without a file', ['--config'], "error: Option '--config <value>' argument missing"],
    ['--config= with an empty file name', ['--config='], 'error: --config needs a file name: --config path/to/cluster.yaml'],
    ['a value for a flag', ['--bootstrap-only=yes'], "error: Option '--bootstrap-only' does not take an argument"],
    ['--node without --runbook', ['--node', 'hetzner2'], 'error: --node goes with --runbook rebuild'],
    ['an unknown runbook', ['--runbook', 'restroe'], 'error: --runbook restroe: unknown runbook; use one of etcd-secret, restore, rebuild'],
    ['--runbook rebuild without --node', ['--runbook', 'rebuild'], 'error: --runbook rebuild needs --node NAME (a node name or alias from cluster.nodes)'],
    ['--node with a runbook that takes none', ['--runbook', 'restore', '--node', 'hetzner2'], 'error: --node goes with --runbook rebuild, not --runbook restore'],
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

describe('the output directory', () => {
  test('a directory synth did not write is refused, with exit 1 and one error line, and left as it was', () => {
    const out = path.join(tempDir('cli-foreign'), 'home');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'cluster.yaml'), 'precious\n');
    const before = tree(out);
    const r = cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: the output directory ${out} holds files synth did not write (it has no .honeydue-synth), and synth replaces the whole directory: choose a new or empty directory (CDK8S_OUTDIR), or, if ${out} holds nothing but an old output, delete it yourself\n`,
    );
    expect(tree(out)).toEqual(before);
    expect(tmpSiblings(out)).toEqual([]);
  });

  test('--bootstrap-only refuses it too', () => {
    const out = path.join(tempDir('cli-foreign'), 'home');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    const r = cli(['--config', CONFIG, '--bootstrap-only'], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: the output directory .* holds files synth did not write/);
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
  });

  test('a new or empty directory is written, marked as synth’s, and the next run replaces it', () => {
    const parent = tempDir('cli-new');
    const out = path.join(parent, 'dist');
    fs.mkdirSync(out);
    expect(cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out }).status).toBe(0);
    expect(fs.readdirSync(out)).toContain('.honeydue-synth');
    expect(fs.readdirSync(path.join(out, 'cloud-init')).sort()).toEqual(['ubuntu-8gb-nbg1-1.user-data', 'ubuntu-8gb-nbg1-2.user-data', 'ubuntu-8gb-nbg1-3.user-data']);
    const r = cli(['--config', otherConfig()], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(out, '0005-ingress.k8s.yaml'), 'utf8')).toContain('admin.example.org');
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  test('--bootstrap-only into a new directory writes cloud-init/, hcloud/ and nodes/ in a marked directory; into a synth output it replaces only those', () => {
    const fresh = path.join(tempDir('cli-boot'), 'dist');
    expect(cli(['--config', CONFIG, '--bootstrap-only'], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: fresh }).status).toBe(0);
    expect(fs.readdirSync(fresh).sort()).toEqual(['.honeydue-synth', 'cloud-init', 'hcloud', 'nodes']);
    const out = previousOutput();
    const nodeFile = path.join(out, 'cloud-init', 'ubuntu-8gb-nbg1-2.user-data');
    fs.writeFileSync(nodeFile, 'stale', { mode: 0o600 });
    const manifests = Object.entries(tree(out)).filter(([f]) => !/^(cloud-init|hcloud|nodes)\//.test(f));
    expect(manifests.length).toBeGreaterThan(7);
    expect(cli(['--config', otherConfig(), '--bootstrap-only'], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out }).status).toBe(0);
    expect(Object.entries(tree(out)).filter(([f]) => !/^(cloud-init|hcloud|nodes)\//.test(f))).toEqual(manifests);
    expect(fs.readFileSync(nodeFile, 'utf8')).toMatch(/^#cloud-config\n/);
    expect(tmpSiblings(out)).toEqual([]);
  });

  test.each<[string, (base: string) => string, RegExp]>([
    ['a missing parent directory', (base) => path.join(base, 'missing', 'dist'), /^error: the parent directory of .*\/missing\/dist does not exist: create it \(mkdir -p .*\/missing\)/],
    ['a parent that is a file', (base) => (fs.writeFileSync(path.join(base, 'file'), ''), path.join(base, 'file', 'dist')), /^error: the parent of .*\/file\/dist, .*\/file, is not a directory/],
    ['an output path that is a file', (base) => (fs.writeFileSync(path.join(base, 'dist'), 'x'), path.join(base, 'dist')), /^error: the output directory .*\/dist is a file, not a directory/],
  ])('%s: exit 1, one error line, nothing written', (_name, outdir, expected) => {
    const base = tempDir('cli-parent');
    const out = outdir(base);
    const before = tree(base);
    const r = cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(expected);
    expect(tree(base)).toEqual(before);
    expect(fs.readdirSync(base).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  test('a read-only parent directory: exit 1 and one error line, no stack trace', () => {
    const base = tempDir('cli-ro');
    const parent = path.join(base, 'ro');
    fs.mkdirSync(parent);
    fs.chmodSync(base, 0o755);
    fs.chmodSync(parent, 0o555);
    // root writes anywhere: run as nobody, for whom 0555 really is read-only.
    const asRoot = process.getuid?.() === 0;
    const r = cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: path.join(parent, 'dist') }, asRoot ? { uid: 65534, cwd: '/' } : {});
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: cannot create a directory in ${parent} (EACCES): synth builds ${parent}/dist beside it; make it writable or choose another output directory (CDK8S_OUTDIR)\n`,
    );
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  test.each<[string, () => string, RegExp]>([
    ['a release URL with ;', () => otherConfig((r) => (r.k3s.releaseBaseUrl = 'https://example.com/a;b')), /^ {2}- line \d+, k3s\.releaseBaseUrl: /m],
    [
      'a YAML alias bomb',
      () => {
        const file = path.join(tempDir('cli-bomb'), 'cluster.yaml');
        const level = (name: string, of: string) => `${name}: &${name} [${Array(10).fill(of).join(', ')}]\n`;
        fs.writeFileSync(file, level('a', 'x') + level('b', '*a') + level('c', '*b') + level('d', '*c') + level('e', '*d'));
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
    expect(r.stderr).toBe('error: /nonexistent/cluster.yaml: invalid configuration\n  - cannot read the file (ENOENT); pass an existing file with --config or HONEYDUE_CONFIG\n');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('interrupted runs', () => {
  /**
   * Starts a synth whose config is a named pipe, so the run waits for it: `signal` is sent
   * while the run is under way, before anything is replaced, at a moment that does not depend
   * on timing. Then the config is written and the run goes on to build its output beside the old.
   */
  async function interrupt(out: string, config: string, signal: NodeJS.Signals): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const fifo = path.join(tempDir('cli-fifo'), 'cluster.yaml');
    const made = run(['mkfifo', '-m', '600', fifo]);
    if (made.status !== 0) throw new Error(explain(made));
    const child = spawn(process.execPath, ['--snapshot-blob', BLOB, '--', '--config', fifo], {
      env: { PATH: process.env.PATH, K3S_TOKEN: SECRET, CDK8S_OUTDIR: out },
      cwd: tempDir('cli-sig-cwd'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cleanup = killOnCleanup('synth under test', child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      // Opening the pipe for writing succeeds (instead of ENXIO) once the run has it open to read.
      let fd: number | undefined;
      for (const deadline = Date.now() + 60_000; fd === undefined; ) {
        try {
          fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 5));
        }
      }
      child.kill(signal);
      fs.writeFileSync(fd, fs.readFileSync(config));
      fs.closeSync(fd);
      return { status: await closed, stdout, stderr };
    } finally {
      child.kill('SIGKILL');
      cleanup.forget();
    }
  }

  test.each<[NodeJS.Signals, number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])('%s during a run: exit %i, the old output unchanged byte for byte, the temporary directory it built removed', async (signal, code) => {
    const out = previousOutput();
    const before = tree(out);
    const config = otherConfig();
    const r = await interrupt(out, config, signal);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: code, stdout: '', stderr: `interrupted (${signal}): nothing was replaced\n` });
    expect(tree(out)).toEqual(before);
    expect(tmpSiblings(out)).toEqual([]);
    // The same run, not interrupted, would have replaced it: the signal is what kept it.
    expect(cli(['--config', config], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out }).status).toBe(0);
    expect(tree(out)).not.toEqual(before);
  }, 90_000);

  test('a temporary directory left by a run that was killed outright (SIGKILL) is removed by the next run', () => {
    const out = previousOutput();
    // A PID that no process has: larger than the kernel's pid_max.
    const deadPid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
    const stale = path.join(path.dirname(out), `.dist.tmp-${deadPid}-AbC123`);
    fs.mkdirSync(path.join(stale, 'cloud-init'), { recursive: true });
    fs.writeFileSync(path.join(stale, 'cloud-init', 'node.user-data'), 'old secret');
    expect(cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: out }).status).toBe(0);
    expect(tmpSiblings(out)).toEqual([]);
  });
});

describe('the cluster token never reaches the terminal', () => {
  const established = () => otherConfig((r) => (r.cluster.established = true));

  function tokenFileIn(cwd: string, text: string, mode = 0o600): string {
    fs.mkdirSync(path.join(cwd, '.secrets'), { mode: 0o700 });
    const f = path.join(cwd, '.secrets', 'k3s-token');
    fs.writeFileSync(f, text, { mode });
    fs.chmodSync(f, mode);
    return f;
  }

  const runs: [string, () => Cli, number][] = [
    ['a synth with K3S_TOKEN', () => cli(['--config', CONFIG], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 0],
    ['--bootstrap-only with K3S_TOKEN', () => cli(['--config', CONFIG, '--bootstrap-only'], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 0],
    ['an established cluster with the full token', () => cli(['--config', established()], { K3S_TOKEN: FULL_TOKEN, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 0],
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
    ['a full token for a new cluster', () => cli(['--config', CONFIG], { K3S_TOKEN: FULL_TOKEN, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 1],
    ['a malformed token', () => cli(['--config', CONFIG], { K3S_TOKEN: `${SECRET}!`, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 1],
    ['an agent token', () => cli(['--config', established()], { K3S_TOKEN: FULL_TOKEN.replace('::server:', '::node:'), CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 1],
    ['a bad config', () => cli(['--config', otherConfig((r) => (r.apps.worker.replicas = 2))], { K3S_TOKEN: SECRET, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') }), 1],
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
    const r = cli(['--config', established()], { K3S_TOKEN: FULL_TOKEN, CDK8S_OUTDIR: path.join(tempDir('cli-tok'), 'dist') });
    expect(r.stdout).toContain('cluster token: from K3S_TOKEN (full K10 server token: joining servers verify the cluster CA)\n');
  });

  const NO_TOKEN =
    'cluster.established is true but there is no cluster token: neither K3S_TOKEN nor .secrets/k3s-token is set, and a new token could never join the running cluster. ' +
    'Copy /var/lib/rancher/k3s/server/token from a running server into .secrets/k3s-token (mode 0600: chmod 600 .secrets/k3s-token), or set K3S_TOKEN to its content';

  test('an established cluster without a token: the manifests, records and firewall rules, no user-data, what to copy where, and no token file is made', () => {
    const cwd = tempDir('cli-est');
    const out = path.join(cwd, 'dist');
    const r = cli(['--config', established()], { CDK8S_OUTDIR: out }, { cwd });
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toContain(`${path.join(out, 'cloud-init')}/  not written: no user-data written: ${NO_TOKEN}\n`);
    expect(r.stdout).not.toMatch(/hcloud server create/);
    expect(fs.readdirSync(cwd)).toEqual(['dist']);
    expect(fs.readdirSync(path.join(out, 'cloud-init'))).toEqual([]);
    expect(fs.readdirSync(path.join(out, 'nodes')).sort()).toEqual(['ubuntu-8gb-nbg1-1.record', 'ubuntu-8gb-nbg1-2.record', 'ubuntu-8gb-nbg1-3.record']);
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
    expect(r.stderr).toBe('error: .secrets/k3s-token is readable or writable by group or others (mode 0644); it holds the cluster token: run  chmod 600 .secrets/k3s-token\n');
  });

  test('a new cluster’s first run generates the token only when it writes its output: a failed run leaves none', () => {
    const cwd = tempDir('cli-gen');
    fs.mkdirSync(path.join(cwd, 'foreign'));
    fs.writeFileSync(path.join(cwd, 'foreign', 'x'), '');
    expect(cli(['--config', CONFIG], { CDK8S_OUTDIR: path.join(cwd, 'foreign') }, { cwd }).status).toBe(1);
    expect(fs.existsSync(path.join(cwd, '.secrets'))).toBe(false);
    const r = cli(['--config', CONFIG], { CDK8S_OUTDIR: path.join(cwd, 'dist') }, { cwd });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('cluster token: from .secrets/k3s-token (new)\n');
    const token = fs.readFileSync(path.join(cwd, '.secrets', 'k3s-token'), 'utf8').trim();
    expect(fs.statSync(path.join(cwd, '.secrets', 'k3s-token')).mode & 0o777).toBe(0o600);
    expect(r.all).not.toContain(token);
    expect(fs.readFileSync(path.join(cwd, 'dist', 'cloud-init', 'ubuntu-8gb-nbg1-2.user-data'), 'utf8')).toContain(token);
  });
});
