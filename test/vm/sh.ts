import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { killOnCleanup } from './cleanup';

/** Output of a finished command. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs argv (never through a shell) and rejects with its output when it fails: a failed
 * image build or `ip` call must say what the tool printed, not only its exit code.
 */
export function run(
  argv: readonly string[],
  opts: { timeoutMs?: number; killGroupOnCleanup?: boolean } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // A long build (mmdebstrap runs apt and dpkg below it) gets its own process group, killed
    // whole on interrupt, before its directory is removed.
    const group = opts.killGroupOnCleanup ?? false;
    const child = spawn(argv[0]!, argv.slice(1), { detached: group, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = group && child.pid ? killOnCleanup(argv[0]!, child.pid, true) : undefined;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      kill?.forget();
      reject(new Error(`${argv.join(' ')}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      kill?.forget();
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve({ stdout, stderr });
      const tail = `${stderr}\n${stdout}`.trim().split('\n').slice(-40).join('\n');
      reject(new Error(`${argv.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${tail}`));
    });
  });
}

/** Synchronous, for cleanup in signal handlers and 'exit', where nothing asynchronous runs. */
export function runSync(argv: readonly string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
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

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
