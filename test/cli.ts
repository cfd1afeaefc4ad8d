import * as path from 'path';
import { tempDir } from './dirs';
import { cleanEnv, explain, type Outcome, run, start, type Started } from './process';
import { ROOT } from './support';

/**
 * The synth CLI as an operator runs it: the real `node --snapshot-blob build/synth.blob --`
 * that `npm run synth` runs, as a subprocess, with everything it prints on stdout and stderr.
 * (`synthToDir` in ./support runs `main` in this process instead: faster, and mockable.)
 */

/** The V8 start-up snapshot `npm run synth` runs (scripts/build.js). */
export const BLOB = path.join(ROOT, 'build', 'synth.blob');

export interface Cli extends Outcome {
  /** stdout and stderr together: what the operator sees. */
  readonly all: string;
}

export interface CliOptions {
  /** The working directory. @default - a fresh one */
  readonly cwd?: string;
  /** Runs the CLI as this user and group (setpriv), e.g. as nobody, for whom a 0555 directory is read-only. */
  readonly uid?: number;
}

/** Runs the CLI with exactly `env` plus PATH, in a fresh working directory unless `cwd` is given. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}, opts: CliOptions = {}): Cli {
  const cwd = opts.cwd ?? tempDir('cli-cwd');
  const clean = cleanEnv(cwd, env);
  const command = [...clean, process.execPath, '--snapshot-blob', BLOB, '--', ...args];
  const asUser =
    opts.uid === undefined ? [] : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups'];
  const r = run([...asUser, ...command]);
  return { ...r, all: `${r.stdout}${r.stderr}` };
}

/** Like `cli`, but throws with the CLI's output unless it exits 0: for a run that sets a test up. */
export function mustCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, opts: CliOptions = {}): Cli {
  const r = cli(args, env, opts);
  if (r.status !== 0) throw new Error(explain(r));
  return r;
}

/**
 * Starts the CLI without waiting for it, with exactly `env` plus PATH, in a fresh working
 * directory: for a test that signals the run while it is under way.
 */
export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Started {
  return start([process.execPath, '--snapshot-blob', BLOB, '--', ...args], {
    label: 'synth under test',
    env: { PATH: process.env.PATH, ...env },
    cwd: tempDir('cli-start-cwd'),
    timeoutMs: 90_000,
  });
}

/**
 * Called once at the top of a test file that runs the CLI: a source newer than the snapshot
 * makes the first run rebuild it (and say so on stderr), so that first run happens here, in
 * a hook with time for the rebuild, and never inside a test that asserts on stderr.
 */
export function cliReadyBeforeAll(): void {
  beforeAll(() => void mustCli(['--version']), 120_000);
}
