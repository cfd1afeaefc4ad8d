/**
 * The output directory is replaced as a whole or not at all: a build that fails halfway, after
 * it has written files, or a run that is interrupted, leaves the previous output byte for byte
 * and no temporary directory; a directory synth did not write is never touched. First in this
 * process with `main` (so a failure can be injected), then with the real CLI as a subprocess.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as render from '../node/render';
import * as nodeOutputs from '../cli/node-outputs';
import { replaceDir, SYNTH_MARKER } from '../lib/replace-dir';
import { run } from '../main';
import { BLOB, cli, cliReadyBeforeAll, mustCli, startCli } from './cli';
import { isRoot } from './host';
import { mustRun } from './process';
import { PRODUCTION_CONFIG as CONFIG, synthToDir, tempDir, TEST_TOKEN, tree, variantFile } from './support';

/** A config file that differs from cluster.yaml, so a replaced output would show. */
const otherConfig = () => variantFile((r) => (r.apps.admin.host = 'admin.example.org'));

/** Temporary directories beside an output directory: a run must leave none. */
const tmpSiblings = (out: string) => fs.readdirSync(path.dirname(out)).filter((n) => n.includes('.tmp-'));

describe('in this process, with a failure injected', () => {
  /** An output a previous synth wrote, and its content. */
  function previous(): { out: string; before: Record<string, string> } {
    const out = synthToDir();
    return { out, before: tree(out) };
  }

  afterEach(() => jest.restoreAllMocks());

  test('replaceDir: a build that throws after writing files leaves the target byte for byte and no temporary directory', () => {
    const parent = tempDir('replace');
    const target = path.join(parent, 'out');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, SYNTH_MARKER), 'marker\n');
    fs.writeFileSync(path.join(target, 'a.yaml'), 'old a\n');
    const before = tree(target);
    expect(() =>
      replaceDir(target, (dir) => {
        fs.writeFileSync(path.join(dir, 'a.yaml'), 'new a\n');
        fs.writeFileSync(path.join(dir, 'b.yaml'), 'new b\n');
        throw new Error('build failed halfway');
      }),
    ).toThrow('build failed halfway');
    expect(tree(target)).toEqual(before);
    expect(fs.readdirSync(parent)).toEqual(['out']);
  });

  test('synth: when writing the node files fails after the manifests were written, the old dist/ stays byte for byte and no temporary directory is left', async () => {
    const { out, before } = previous();
    let wrote = '';
    jest.spyOn(nodeOutputs, 'writeNodeOutputs').mockImplementation((dir) => {
      // The manifests are on disk by now; this run then dies partway through the node files.
      wrote = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .join(',');
      fs.mkdirSync(path.join(dir, 'cloud-init'));
      fs.writeFileSync(path.join(dir, 'cloud-init', 'half.user-data'), 'half');
      throw new Error('disk full');
    });
    const err = jest.spyOn(console, 'error').mockImplementation(() => {});
    expect(await run(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out })).toBe(70);
    // Every manifest the previous run wrote was written again before the failure.
    expect(wrote.split(',').sort()).toEqual(
      Object.keys(before)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .sort(),
    );
    expect(tree(out)).toEqual(before);
    expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
    expect(err.mock.calls[0]![0]).toBe('internal error (a bug in honeydue-infra; please report it):');
    expect(err.mock.calls[1]![0]).toMatch(/^Error: disk full\n\s+at /);
  });

  test('a bug (an exception that is not bad input) is reported as one, with its stack, exit 70', async () => {
    jest.spyOn(render, 'renderNodes').mockImplementation(() => {
      throw new TypeError("Cannot read properties of undefined (reading 'name')");
    });
    const err = jest.spyOn(console, 'error').mockImplementation(() => {});
    const out = path.join(tempDir('outdir'), 'dist');
    expect(await run(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out })).toBe(70);
    expect(err.mock.calls.map((c) => String(c[0]).split('\n')[0])).toEqual([
      'internal error (a bug in honeydue-infra; please report it):',
      "TypeError: Cannot read properties of undefined (reading 'name')",
    ]);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('the real CLI', () => {
  cliReadyBeforeAll();

  /** An output directory a previous synth wrote (it has the marker), built by the CLI itself. */
  function previousOutput(): string {
    const out = path.join(tempDir('cli-out'), 'dist');
    mustCli(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out });
    return out;
  }

  test('a directory synth did not write is refused, with exit 1 and one error line, and left as it was', () => {
    const out = path.join(tempDir('cli-foreign'), 'home');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'cluster.yaml'), 'precious\n');
    const before = tree(out);
    const r = cli(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out });
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
    const r = cli(['--config', CONFIG, '--bootstrap-only'], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: the output directory .* holds files synth did not write/);
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
  });

  test('a new or empty directory is written, marked as synth’s, and the next run replaces it', () => {
    const parent = tempDir('cli-new');
    const out = path.join(parent, 'dist');
    fs.mkdirSync(out);
    expect(cli(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }).status).toBe(0);
    expect(fs.readdirSync(out)).toContain('.honeydue-synth');
    expect(fs.readdirSync(path.join(out, 'cloud-init')).sort()).toEqual([
      'ubuntu-8gb-nbg1-1.user-data',
      'ubuntu-8gb-nbg1-2.user-data',
      'ubuntu-8gb-nbg1-3.user-data',
    ]);
    const r = cli(['--config', otherConfig()], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out });
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(out, '0005-ingress.k8s.yaml'), 'utf8')).toContain('admin.example.org');
    expect(fs.readdirSync(parent)).toEqual(['dist']);
  });

  test('--bootstrap-only into a new directory writes cloud-init/, hcloud/ and nodes/ in a marked directory; into a synth output it replaces only those', () => {
    const fresh = path.join(tempDir('cli-boot'), 'dist');
    expect(cli(['--config', CONFIG, '--bootstrap-only'], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: fresh }).status).toBe(
      0,
    );
    expect(fs.readdirSync(fresh).sort()).toEqual(['.honeydue-synth', 'cloud-init', 'hcloud', 'nodes']);
    const out = previousOutput();
    const nodeFile = path.join(out, 'cloud-init', 'ubuntu-8gb-nbg1-2.user-data');
    fs.writeFileSync(nodeFile, 'stale', { mode: 0o600 });
    const manifests = Object.entries(tree(out)).filter(([f]) => !/^(cloud-init|hcloud|nodes)\//.test(f));
    expect(manifests.length).toBeGreaterThan(7);
    expect(
      cli(['--config', otherConfig(), '--bootstrap-only'], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }).status,
    ).toBe(0);
    expect(Object.entries(tree(out)).filter(([f]) => !/^(cloud-init|hcloud|nodes)\//.test(f))).toEqual(manifests);
    expect(fs.readFileSync(nodeFile, 'utf8')).toMatch(/^#cloud-config\n/);
    expect(tmpSiblings(out)).toEqual([]);
  });

  test.each<[string, (base: string) => string, RegExp]>([
    [
      'a missing parent directory',
      (base) => path.join(base, 'missing', 'dist'),
      /^error: the parent directory of .*\/missing\/dist does not exist: create it \(mkdir -p .*\/missing\)/,
    ],
    [
      'a parent that is a file',
      (base) => (fs.writeFileSync(path.join(base, 'file'), ''), path.join(base, 'file', 'dist')),
      /^error: the parent of .*\/file\/dist, .*\/file, is not a directory/,
    ],
    [
      'an output path that is a file',
      (base) => (fs.writeFileSync(path.join(base, 'dist'), 'x'), path.join(base, 'dist')),
      /^error: the output directory .*\/dist is a file, not a directory/,
    ],
  ])('%s: exit 1, one error line, nothing written', (_name, outdir, expected) => {
    const base = tempDir('cli-parent');
    const out = outdir(base);
    const before = tree(base);
    const r = cli(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out });
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
    const r = cli(
      ['--config', CONFIG],
      { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: path.join(parent, 'dist') },
      isRoot() ? { uid: 65534, cwd: '/' } : {},
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `error: cannot create a directory in ${parent} (EACCES): synth builds ${parent}/dist beside it; make it writable or choose another output directory (CDK8S_OUTDIR)\n`,
    );
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  describe('interrupted runs', () => {
    /**
     * Starts a synth whose config is a named pipe, so the run waits for it: `signal` is sent
     * while the run is under way, before anything is replaced, at a moment that does not depend
     * on timing. Then the config is written and the run goes on to build its output beside the old.
     */
    async function interrupt(
      out: string,
      config: string,
      signal: NodeJS.Signals,
    ): Promise<{ status: number | null; stdout: string; stderr: string }> {
      const fifo = path.join(tempDir('cli-fifo'), 'cluster.yaml');
      mustRun(['mkfifo', '-m', '600', fifo]);
      const child = startCli(['--config', fifo], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out });
      try {
        // Opening the pipe for writing succeeds (instead of ENXIO) once the run has it open to read.
        let fd: number | undefined;
        for (const deadline = Date.now() + 60_000; fd === undefined;) {
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
        const { status, stdout, stderr } = await child.ended;
        return { status, stdout, stderr };
      } finally {
        child.kill('SIGKILL');
      }
    }

    test.each<[NodeJS.Signals, number]>([
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ])(
      '%s during a run: exit %i, the old output unchanged byte for byte, the temporary directory it built removed',
      async (signal, code) => {
        const out = previousOutput();
        const before = tree(out);
        const config = otherConfig();
        const r = await interrupt(out, config, signal);
        expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
          status: code,
          stdout: '',
          stderr: `interrupted (${signal}): nothing was replaced\n`,
        });
        expect(tree(out)).toEqual(before);
        expect(tmpSiblings(out)).toEqual([]);
        // The same run, not interrupted, would have replaced it: the signal is what kept it.
        expect(cli(['--config', config], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }).status).toBe(0);
        expect(tree(out)).not.toEqual(before);
      },
      90_000,
    );

    test('a temporary directory left by a run that was killed outright (SIGKILL) is removed by the next run', () => {
      const out = previousOutput();
      // A PID that no process has: larger than the kernel's pid_max.
      const deadPid = Number(fs.readFileSync('/proc/sys/kernel/pid_max', 'utf8')) + 1;
      const stale = path.join(path.dirname(out), `.dist.tmp-${deadPid}-AbC123`);
      fs.mkdirSync(path.join(stale, 'cloud-init'), { recursive: true });
      fs.writeFileSync(path.join(stale, 'cloud-init', 'node.user-data'), 'old secret');
      expect(cli(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }).status).toBe(0);
      expect(tmpSiblings(out)).toEqual([]);
    });
  });
});

describe('the operator’s umask does not weaken what synth writes', () => {
  test.each(['000', '077'])(
    'under umask %s: manifests, records and firewall rules 0644 in 0755 directories; the node files 0600 in a 0700 directory',
    (umask) => {
      const out = path.join(tempDir('umask'), 'dist');
      const script = `umask ${umask} && exec "$0" --snapshot-blob "$1" -- --config "$2"`;
      mustRun(
        ['env', `K3S_TOKEN=${TEST_TOKEN}`, `CDK8S_OUTDIR=${out}`, 'sh', '-c', script, process.execPath, BLOB, CONFIG],
        { timeoutMs: 60_000 },
      );
      const mode = (p: string) => (fs.statSync(path.join(out, p)).mode & 0o777).toString(8);
      expect(mode('.')).toBe('755');
      for (const f of fs.readdirSync(out).filter((x) => x.endsWith('.k8s.yaml')))
        expect([f, mode(f)]).toEqual([f, '644']);
      expect([
        mode('nodes'),
        mode('nodes/ubuntu-8gb-nbg1-2.record'),
        mode('hcloud'),
        mode('hcloud/firewall.rules'),
      ]).toEqual(['755', '644', '755', '644']);
      expect([mode('cloud-init'), mode('cloud-init/ubuntu-8gb-nbg1-2.user-data')]).toEqual(['700', '600']);
    },
  );
});
