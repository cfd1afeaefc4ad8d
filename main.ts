/**
 * The synth CLI (`npm run synth`, `cdk8s synth`): cli/synth.ts reads the options and the config
 * and renders; cli/run.ts commits the output directory and maps failures to exit codes.
 */
import { complete, runGuarded } from './cli/run';
import { prepare } from './cli/synth';

export { parseOptions, usage } from './cli/options';

/**
 * Synthesizes dist/ (see `usage`). Everything is rendered before anything is replaced, and the
 * old output is replaced only as a whole. Returns the exit code; throws on bad input.
 */
export function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void = console.log,
): number {
  const p = prepare(argv, env, log);
  // The plan reads Hetzner and the cluster concurrently: only `run` awaits it.
  if (p instanceof Promise) throw new Error('main() is synchronous: --plan and --runbook rollout run through run()');
  return complete(p, log);
}

/** `main` as the command line runs it: failures as exit codes, signals honoured (cli/run.ts). */
export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runGuarded(() => prepare(argv, env, console.log));
}

// Guarded so that importing main (tests, the snapshot entry) does not run it.
if (typeof module !== 'undefined' && require.main === module)
  void run(process.argv.slice(2), process.env).then((code) => (process.exitCode = code));
