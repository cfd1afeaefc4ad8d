import { type ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import { killOnCleanup } from './cleanup';

/**
 * The one way the test harness runs a program (eslint refuses child_process anywhere else in
 * the tests): argv, never a shell, always bounded by a timeout, with the output kept for
 * assertions and error messages. A program started with `start` is also killed on cleanup
 * (afterAll, Ctrl-C, exit), so none outlives the test run.
 */

/** What a finished command did. `status` is null when it was killed (e.g. by the timeout). */
export interface Outcome {
  readonly argv: readonly string[];
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to stdin, which is then closed. @default - stdin is /dev/null */
  readonly input?: string;
  /** Every command is bounded: a hung tool fails the test instead of hanging it. @default 120 s */
  readonly timeoutMs?: number;
  /** The whole environment of the command. @default - this process's environment */
  readonly env?: NodeJS.ProcessEnv;
  /** The working directory. @default - this process's */
  readonly cwd?: string;
}

export interface StartOptions extends RunOptions {
  /** Names the process in cleanup messages. @default - the program's name */
  readonly label?: string;
  /**
   * Where stdout and stderr go: kept for the Outcome (`pipe`), appended to a log file, or
   * dropped. A server that runs for the whole suite logs to a file, so that its output
   * neither fills memory nor keeps the test process waiting for the pipe. @default 'pipe'
   */
  readonly output?: 'pipe' | 'ignore' | { readonly file: string };
  /**
   * Starts the program as its own process group, and the timeout and cleanup kill the whole
   * group (mmdebstrap runs apt and dpkg below it). @default false
   */
  readonly group?: boolean;
}

/** A program started with `start`, running until it exits, is killed, or its timeout ends it. */
export interface Started {
  readonly pid: number;
  /** Resolves once the program has ended (stdout and stderr are empty unless `output` is `pipe`). */
  readonly ended: Promise<Outcome>;
  /** Sends `signal` to the program (or its group). */
  kill(signal?: NodeJS.Signals): void;
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Runs argv and reports what happened; never throws for a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Outcome {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
    env: opts.env,
    cwd: opts.cwd,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code !== 'ETIMEDOUT') throw r.error;
  return { argv, status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Like `run`, but throws with the command's output when it does not exit 0: setup steps must not fail silently. */
export function mustRun(argv: readonly string[], opts: RunOptions = {}): Outcome {
  return checked(run(argv, opts));
}

/**
 * Starts argv without waiting for it: a server for the suite (a VM, a mirror, a listener), or
 * a command the test signals while it runs. The timeout bounds its whole life.
 */
export function start(argv: readonly string[], opts: StartOptions = {}): Started {
  const log = typeof opts.output === 'object' ? fs.openSync(opts.output.file, 'a') : undefined;
  const out: number | 'pipe' | 'ignore' = log ?? (opts.output === 'ignore' ? 'ignore' : 'pipe');
  const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
    env: opts.env,
    cwd: opts.cwd,
    detached: !!opts.group,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', out, out],
  });
  if (log !== undefined) fs.closeSync(log);
  const kill = (signal: NodeJS.Signals = 'SIGKILL') => {
    try {
      if (opts.group && child.pid) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // already gone
    }
  };
  const cleanup = child.pid ? killOnCleanup(opts.label ?? argv[0]!, child.pid, !!opts.group) : undefined;
  // A server must not keep the test process alive on its own: the cleanup kills it at exit.
  child.unref();
  const timer = setTimeout(() => kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  timer.unref();
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const ended = new Promise<Outcome>((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      cleanup?.forget();
      reject(new Error(`${argv.join(' ')}: ${e.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      cleanup?.forget();
      resolve({ argv, status, signal, stdout, stderr });
    });
  });
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  return { pid: child.pid ?? 0, ended, kill };
}

/** Asynchronous `run`, so that many bounded probes can wait out their timeouts at the same time. */
export function runAsync(argv: readonly string[], opts: Omit<StartOptions, 'output'> = {}): Promise<Outcome> {
  return start(argv, { ...opts, output: 'pipe' }).ended;
}

/** Like `runAsync`, but rejects with the command's output when it does not exit 0. */
export async function mustRunAsync(argv: readonly string[], opts: Omit<StartOptions, 'output'> = {}): Promise<Outcome> {
  return checked(await runAsync(argv, opts));
}

function checked(r: Outcome): Outcome {
  if (r.status !== 0) throw new Error(explain(r));
  return r;
}

/** The command, its exit and its output, for assertion and error messages. */
export function explain(r: Outcome): string {
  const exit = r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`;
  // Multi-line arguments (the harness's mount script) are shown as one quoted line.
  const words = r.argv.map((w) => (/[\s'"]/.test(w) ? JSON.stringify(w) : w));
  // The tail: a failed image build prints thousands of lines, the cause among the last.
  const tail = (s: string) => s.trim().split('\n').slice(-40).join('\n');
  return [
    `$ ${words.join(' ')}  (${exit})`,
    r.stdout.trim() && `stdout:\n${tail(r.stdout)}`,
    r.stderr.trim() && `stderr:\n${tail(r.stderr)}`,
  ]
    .filter(Boolean)
    .join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The argv prefix that runs a command as an operator's shell would, with nothing of this
 * process's environment: `env -i`, in `cwd`, with PATH and exactly `vars` (an undefined one is
 * left out).
 */
export function cleanEnv(cwd: string, vars: NodeJS.ProcessEnv = {}): string[] {
  const set = Object.entries(vars).filter(([, v]) => v !== undefined);
  return ['env', '-i', '--chdir', cwd, `PATH=${process.env.PATH}`, ...set.map(([k, v]) => `${k}=${v}`)];
}
