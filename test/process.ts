import { spawn, spawnSync } from 'child_process';

/**
 * The one way the test harness runs a program: argv, never a shell, always bounded by a
 * timeout, with the output kept for assertions and error messages.
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
}

export interface AsyncRunOptions extends RunOptions {
  /**
   * Called with the PID of a command started as its own process group (mmdebstrap runs apt
   * and dpkg below it), so the caller can kill the whole group on interrupt. The handle is
   * forgotten once the command ends.
   */
  readonly group?: (pid: number) => { forget(): void };
}

const DEFAULT_TIMEOUT_MS = 120_000;

/** Runs argv and reports what happened; never throws for a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Outcome {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
    env: opts.env,
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

/** Asynchronous `run`, so that many bounded probes can wait out their timeouts at the same time. */
export function runAsync(argv: readonly string[], opts: AsyncRunOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env, detached: !!opts.group, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const handle = opts.group && child.pid ? opts.group(child.pid) : undefined;
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      handle?.forget();
      reject(new Error(`${argv.join(' ')}: ${e.message}`));
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      handle?.forget();
      resolve({ argv, status, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** Like `runAsync`, but rejects with the command's output when it does not exit 0. */
export async function mustRunAsync(argv: readonly string[], opts: AsyncRunOptions = {}): Promise<Outcome> {
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
  return [`$ ${words.join(' ')}  (${exit})`, r.stdout.trim() && `stdout:\n${tail(r.stdout)}`, r.stderr.trim() && `stderr:\n${tail(r.stderr)}`]
    .filter(Boolean)
    .join('\n');
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
