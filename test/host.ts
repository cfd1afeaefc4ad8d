import * as fs from 'fs';
import * as path from 'path';

/** What the machine running the tests has: CI or not, root or not, which programs. */

/** CI=true (or any value but 0/false): a skip there would hide a broken pipeline, so it fails. */
export function inCi(): boolean {
  const ci = process.env.CI;
  return !!ci && !/^(0|false)$/i.test(ci);
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
  if (needRoot && process.getuid?.() !== 0) return 'needs root';
  const absent = commands.filter((c) => !which(c));
  return absent.length ? `missing ${absent.join(', ')} (apt-get install the Debian packages .ci/run installs)` : undefined;
}
