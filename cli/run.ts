import { UsageError, UserInputError } from '../lib/errors';
import type { StagedDir } from '../lib/replace-dir';
import { usage } from './options';

/** What a run has built and not yet put in place. */
export interface Prepared {
  readonly staged: StagedDir;
  /** Saves a newly generated token, then renames the new output into place. */
  readonly commit: () => void;
  readonly summary: readonly string[];
}

/**
 * A run up to its point of no return (cli/synth.ts `prepare`): an exit code when there is
 * nothing to replace, else the new output built beside the old one.
 */
export type Prepare = () => number | Prepared | Promise<number>;

/** Puts what a run prepared in place and prints its summary. Returns the exit code. */
export function complete(p: number | Prepared, log: (line: string) => void): number {
  if (typeof p === 'number') return p;
  p.commit();
  for (const line of p.summary) log(line);
  return 0;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type TrappedSignal = keyof typeof SIGNAL_EXIT;

/**
 * A run as the CLI makes it: its failures turned into exit codes. Bad input is one `error: …` line
 * (exit 1), a bad command line adds the usage (exit 2), and anything else is a bug, shown
 * with its stack under a line that says so (exit 70).
 *
 * SIGINT, SIGTERM and SIGHUP are held while the new output is built (synchronous work cannot
 * be interrupted by a handler in Node), then honoured at the one point before it is put in
 * place: an interrupted run removes what it built and leaves the old output as it was.
 */
export async function runGuarded(prepare: Prepare): Promise<number> {
  let received: TrappedSignal | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as TrappedSignal[]).map((signal) => {
    const handler = () => void (received ??= signal);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  try {
    const p = await prepare();
    if (typeof p === 'number') return p;
    // Two turns of the event loop: a signal that came during the build is delivered here.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    if (received) {
      p.staged.abort();
      console.error(`interrupted (${received}): nothing was replaced`);
      return SIGNAL_EXIT[received];
    }
    return complete(p, console.log);
  } catch (e) {
    return report(e);
  } finally {
    for (const off of handlers) off();
  }
}

/** Prints a failure the way the CLI reports it and returns its exit code. */
export function report(e: unknown): number {
  if (e instanceof UsageError) {
    console.error(`error: ${e.message}\n\n${usage()}`);
    return 2;
  }
  if (e instanceof UserInputError) {
    console.error(`error: ${e.message}`);
    return 1;
  }
  // A file system refusal (permissions, a full disk, a read-only mount) is the machine's, not a bug.
  const errno = e as NodeJS.ErrnoException;
  if (errno instanceof Error && typeof errno.code === 'string' && /^E[A-Z]+$/.test(errno.code) && errno.syscall) {
    console.error(`error: ${errno.message}`);
    return 1;
  }
  console.error('internal error (a bug in honeydue-infra; please report it):');
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return 70;
}
