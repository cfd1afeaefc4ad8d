import * as fs from 'fs';
import * as path from 'path';

/**
 * What the machine running the tests has (CI or not, root or not, which programs), and what
 * a system test does when something is missing: SKIPPED with the reason, or, under CI, a
 * failure, so that a green CI run means every test ran.
 */

/** CI=true (or any value but 0/false): a skip there would hide a broken pipeline, so it fails. */
export function inCi(): boolean {
  const ci = process.env.CI;
  return !!ci && !/^(0|false)$/i.test(ci);
}

/** Whether the tests run as root (network namespaces, mounts, chroot, setpriv to another user). */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Absolute path of a program on PATH (plus the sbin directories a non-login root shell may lack). */
export function which(program: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** What a system test lacks on this machine: a missing command, or root. `undefined` if nothing. */
export function missingTools(commands: readonly string[], needRoot = true): string | undefined {
  if (needRoot && !isRoot()) return 'needs root';
  const absent = commands.filter((c) => !which(c));
  return absent.length
    ? `missing ${absent.join(', ')} (apt-get install the Debian packages .ci/run installs)`
    : undefined;
}

/**
 * `test` for a system test that needs what `missing` names (`undefined`: nothing is missing).
 * When the machine lacks it, the test is reported as SKIPPED with the reason; under CI
 * (CI=true) it fails instead.
 */
export function systemTest(missing: string | undefined): jest.It {
  if (!missing) return test;
  if (inCi()) {
    return ((name: string, _fn: unknown, timeout?: number) =>
      test(
        name,
        () => {
          throw new Error(`cannot run: ${missing}; CI=true does not allow a skip`);
        },
        timeout,
      )) as unknown as jest.It;
  }
  console.warn(`SKIPPED: ${missing}`);
  return ((name: string, fn: jest.ProvidesCallback, timeout?: number) =>
    test.skip(`${name} [SKIPPED: ${missing}]`, fn, timeout)) as unknown as jest.It;
}

/**
 * A whole suite that needs what `missing` names: `define` declares its tests and hooks when
 * nothing is missing. Otherwise the suite is one test named `name`, SKIPPED with the reason,
 * or failing under CI, and none of its hooks run.
 */
export function systemSuite(name: string, missing: string | undefined, define: () => void): void {
  if (missing) systemTest(missing)(name, () => undefined);
  else define();
}
