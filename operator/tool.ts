import { execFile } from 'child_process';
import { terminalSafe } from '../lib/terminal-safe';

/** How one run of hcloud or kubectl ended. */
export interface ToolResult {
  /** The exit status, or undefined when it did not exit by itself (not started, killed at its bound). */
  readonly status: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** ENOENT when the program is not installed; ETIMEDOUT when it ran past its bound. */
  readonly code?: string;
}

/**
 * Runs a read-only tool without a shell, bounded: killed (SIGKILL) once it runs past
 * `timeoutMs`, so a hanging API costs the operator that long and no longer. Several run at
 * once, which is why this is asynchronous: the plan reads Hetzner and the cluster in parallel.
 */
export function runTool(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  /** Said on stderr once the tool has taken a few seconds, so that a slow API is not silence. */
  waitingFor?: string,
): Promise<ToolResult> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const slow = waitingFor
      ? setTimeout(() => console.error(`waiting for ${waitingFor} (at most ${timeoutMs / 1000} s)…`), SLOW_MS)
      : undefined;
    slow?.unref();
    execFile(
      file!,
      args,
      { env, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (slow) clearTimeout(slow);
        if (!error) return resolve({ status: 0, stdout, stderr });
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
        if (e.killed) return resolve({ status: undefined, stdout, stderr, code: 'ETIMEDOUT' });
        if (typeof e.code === 'number') return resolve({ status: e.code, stdout, stderr });
        resolve({ status: undefined, stdout, stderr, code: e.code ?? e.message });
      },
    );
  });
}

/** After how long a read is said to be slow. */
const SLOW_MS = 5_000;

/** The last line a tool wrote to stderr, with every secret it was given taken out, safe to print. */
export function lastLine(text: string, secrets: readonly (string | undefined)[]): string {
  const line = text.trim().split('\n').pop() ?? '';
  return terminalSafe(secrets.reduce<string>((l, s) => (s ? l.split(s).join('<hidden>') : l), line));
}
