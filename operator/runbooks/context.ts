import { configFileFrom } from '../../config/load';
import { unreadableChar, visible } from '../../config/text';
import { codePoint } from '../../lib/chars';
import { UserInputError } from '../../lib/errors';
import { outputDir } from '../../model/layout';
import type { NodeRecord } from '../../model/node-record';
import type { Command } from './runbook';

/**
 * What a printed runbook was printed for, so that every command it prints reproduces it: a
 * rebuild's synth step printed for a production config must render that config, into the
 * directory whose node files the build lines name (a first server rendered from the default
 * config would get cluster-init and start a second cluster).
 */
export interface RunbookContext {
  /** The configuration file: `--config`, else `HONEYDUE_CONFIG`, else cluster.yaml, as given. */
  readonly configFile: string;
  /** Where synth writes: `CDK8S_OUTDIR`, else dist. */
  readonly outdir: string;
  /** Each node's record fingerprint, by node name: the label its build lines give the server. */
  readonly fingerprints: ReadonlyMap<string, string>;
}

/**
 * The context of a run, as the CLI resolves it. A path with a line break or another control
 * character is refused: printed in a runbook, the part after a line break would read as a
 * command line of its own (and a comment naming the path would end there). Any other
 * character is fine: every path is printed as one shell-quoted word (`shellWord`).
 */
export function runbookContext(
  configOption: string | undefined,
  env: NodeJS.ProcessEnv,
  records: readonly NodeRecord[],
): RunbookContext {
  const configFile = configFileFrom(configOption, env);
  checkPrintable(configFile, configOption ? '--config' : 'HONEYDUE_CONFIG');
  const outdir = outputDir(env);
  checkPrintable(outdir, 'CDK8S_OUTDIR');
  return { configFile, outdir, fingerprints: new Map(records.map((r) => [r.name, r.fingerprint])) };
}

function checkPrintable(value: string, source: string): void {
  const bad = unreadableChar(value);
  if (!bad) return;
  throw new UserInputError(
    `${source} "${visible(value)}" holds ${codePoint(bad.char)} at character ${bad.index + 1}: ` +
      'a runbook prints this path in its commands, where a line break would start a command of its own; use a path without control characters or line separators',
  );
}

/**
 * The synth that renders the node files for a rebuild of `node`, as one command line: the
 * same configuration (`--config`, which wins over `HONEYDUE_CONFIG`) and the same output
 * directory (`CDK8S_OUTDIR`, set even when it is dist, so that one exported in the shell
 * cannot redirect it). `--rebuild` refuses to run unless the cluster is established and
 * the running cluster's token is at hand, so the step can never make up a new token.
 */
export function rebuildSynthCommand(ctx: RunbookContext, nodeName: string): Command {
  return {
    env: [['CDK8S_OUTDIR', ctx.outdir]],
    // `--config=FILE` as one word: a file name starting with "-" stays a value.
    argv: ['npm', 'run', 'synth', '--', `--config=${ctx.configFile}`, '--rebuild', nodeName],
  };
}

/** `npm run plan` for the same configuration and output directory, as rebuildSynthCommand. */
export function planCommand(ctx: RunbookContext): Command {
  return { env: [['CDK8S_OUTDIR', ctx.outdir]], argv: ['npm', 'run', 'plan', '--', `--config=${ctx.configFile}`] };
}
