/**
 * The synth CLI (`npm run synth`, `cdk8s synth`): cli/ parses the options, renders, commits the
 * output directory and maps failures to exit codes. This file only starts it.
 */
import { run } from './cli/run';

export { main, run } from './cli/run';
export { parseOptions, usage } from './cli/options';

// Guarded so that importing main (tests, the snapshot entry) does not run it.
if (typeof module !== 'undefined' && require.main === module)
  void run(process.argv.slice(2), process.env).then((code) => (process.exitCode = code));
