import { configFileFrom } from '../config/load';
import { unreadableChar, visible } from '../config/text';
import { codePoint } from '../lib/chars';
import { UserInputError } from '../lib/errors';
import type { Layout } from '../model/layout';
import type { BuildCommands } from '../operator/build-lines';
import type { RunbookContext } from '../operator/runbooks/context';

/**
 * The context of a run, as the CLI resolves it. A path with a line break or another control
 * character is refused: printed in a runbook, the part after a line break would read as a
 * command line of its own (and a comment naming the path would end there). Any other
 * character is fine: every path is printed as one shell-quoted word (`shellWord`). `out` is the
 * run's output directory, the one `build` names the node files in: the synth step's
 * CDK8S_OUTDIR and the build lines' files are the same directory.
 */
export function runbookContext(
  configOption: string | undefined,
  env: NodeJS.ProcessEnv,
  out: Layout,
  build: BuildCommands,
): RunbookContext {
  const configFile = configFileFrom(configOption, env);
  checkPrintable(configFile, configOption ? '--config' : 'HONEYDUE_CONFIG');
  const outdir = out.dir;
  checkPrintable(outdir, 'CDK8S_OUTDIR');
  return { configFile, outdir, build };
}

function checkPrintable(value: string, source: string): void {
  const bad = unreadableChar(value);
  if (!bad) return;
  throw new UserInputError(
    `${source} "${visible(value)}" holds ${codePoint(bad.char)} at character ${bad.index + 1}: ` +
      'a runbook prints this path in its commands, where a line break would start a command of its own; use a path without control characters or line separators',
  );
}
