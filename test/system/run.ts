import { spawn, spawnSync } from 'child_process';

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
  /** Every system command is bounded: a hung tool fails the test instead of hanging it. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Runs argv without a shell and reports what happened; never throws for a non-zero exit. */
export function run(argv: readonly string[], opts: RunOptions = {}): Outcome {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    input: opts.input,
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
  const r = run(argv, opts);
  if (r.status !== 0) throw new Error(explain(r));
  return r;
}

/** Asynchronous `run`, so that many bounded probes can wait out their timeouts at the same time. */
export function runAsync(argv: readonly string[], opts: RunOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ argv, status, signal, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
  });
}

/** The command, its exit and its output, for assertion and error messages. */
export function explain(r: Outcome): string {
  const exit = r.status === null ? `killed by ${r.signal}` : `exit ${r.status}`;
  // Multi-line arguments (the harness's mount script) are shown as one quoted line.
  const words = r.argv.map((w) => (/[\s'"]/.test(w) ? JSON.stringify(w) : w));
  return [`$ ${words.join(' ')}  (${exit})`, r.stdout.trim() && `stdout:\n${r.stdout.trim()}`, r.stderr.trim() && `stderr:\n${r.stderr.trim()}`]
    .filter(Boolean)
    .join('\n');
}
