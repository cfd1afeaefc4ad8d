/**
 * The harness's own promises, which every other test relies on: a program never outlives its
 * timeout, a failed setup step says what failed, and a variant of the config is the production
 * config with exactly the change applied.
 */
import * as fs from 'fs';
import { mustRun, run, start } from './process';
import { type ConfigChange, production, variant, variantFile, variantText } from './support';

describe('running a program (test/process.ts)', () => {
  test('a command that outlives its timeout is killed and reported as killed, not as an exit', () => {
    const r = run(['sleep', '60'], { timeoutMs: 200 });
    expect({ status: r.status, signal: r.signal }).toEqual({ status: null, signal: 'SIGKILL' });
  });

  test('a started program that outlives its timeout is killed', async () => {
    const r = await start(['sleep', '60'], { timeoutMs: 200 }).ended;
    expect({ status: r.status, signal: r.signal }).toEqual({ status: null, signal: 'SIGKILL' });
  });

  test('a started program gets the signal the test sends', async () => {
    const p = start(['sleep', '60']);
    p.kill('SIGTERM');
    const r = await p.ended;
    expect({ status: r.status, signal: r.signal }).toEqual({ status: null, signal: 'SIGTERM' });
  });

  test("a started program's output is kept, stdout and stderr apart", async () => {
    const r = await start(['sh', '-c', 'echo to-stdout; echo to-stderr >&2']).ended;
    expect(r).toMatchObject({ status: 0, stdout: 'to-stdout\n', stderr: 'to-stderr\n' });
  });

  test('mustRun throws with the command, its exit and its output', () => {
    expect(() => mustRun(['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 4'])).toThrow(
      /^\$ sh -c "echo to-stdout; echo to-stderr >&2; exit 4" {2}\(exit 4\)\nstdout:\nto-stdout\nstderr:\nto-stderr$/,
    );
  });
});

describe('variants of the production config (test/support.ts)', () => {
  test('a variant is the production config with the change, and nothing else, applied', () => {
    const changed = variant((r) => (r.apps.admin.host = 'admin.example.org'));
    const expected = production();
    expected.apps.admin.host = 'admin.example.org';
    expect(changed).toEqual(expected);
  });

  test('the text and the file of a variant hold the same change', () => {
    const change: ConfigChange = (r) => (r.apps.admin.host = 'admin.example.org');
    expect(variantText(change)).toContain('host: admin.example.org');
    expect(fs.readFileSync(variantFile(change), 'utf8')).toBe(variantText(change));
  });
});
