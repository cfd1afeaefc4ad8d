import type { BuildCommands } from '../build-lines';
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
  /** Each node's build lines, for its file in `outdir`: the lines the synth summary prints for it. */
  readonly build: BuildCommands;
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
