import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isAlive } from '../lib/alive';
import { onCleanup } from './cleanup';
import { mustRun } from './process';

/** Directories the tests write to: each one registered for removal, none left behind. */

/** A fresh temporary directory, removed when the test file's process ends (or is interrupted). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `honeydue-${prefix}-`));
  onCleanup(`temporary directory ${dir}`, () => removeTree(dir));
  return dir;
}

/**
 * A directory for this run, named `<prefix><pid>-XXXXXX` under `parent`. Directories of
 * earlier runs that died without cleaning up (SIGKILL, power loss: no handler runs) are
 * removed first: those whose PID names no live process.
 */
export function runDirectory(parent: string, prefix: string): string {
  fs.mkdirSync(parent, { recursive: true });
  for (const name of fs.readdirSync(parent)) {
    const m = new RegExp(`^${prefix.replace(/[.]/g, '\\.')}(\\d+)-`).exec(name);
    if (m && !isAlive(Number(m[1]))) removeTree(path.join(parent, name));
  }
  return fs.mkdtempSync(path.join(parent, `${prefix}${process.pid}-`));
}

/**
 * Deletes a directory tree that may still have file systems mounted inside it (mmdebstrap
 * mounts /proc, /sys and /dev in its chroot, and leaves them when it is killed): unmount
 * those first, so the deletion can never reach through a mount into the host's files.
 */
export function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const prefix = `${fs.realpathSync(dir)}/`;
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && m.startsWith(prefix))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) mustRun(['umount', '--lazy', m], { timeoutMs: 30_000 });
  fs.rmSync(dir, { recursive: true, force: true });
}

/** A directory tree as {relative path: content}, to compare an output byte for byte. */
export function tree(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out[path.relative(dir, p)] = fs.readFileSync(p, 'latin1');
  }
  return out;
}
