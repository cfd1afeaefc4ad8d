import { JSON_SCHEMA_FILE, writeConfigJsonSchema } from '../config/json-schema';
import { configFileFrom, loadConfig } from '../config/load';
import { UsageError } from '../lib/errors';
import type { StagedDir } from '../lib/replace-dir';
import { layout, outputDir } from '../model/layout';
import { resolveToken } from '../model/token';
import { renderNodes } from '../node/render';
import { runbookLines } from '../operator/runbooks';
import { runbookRequest } from '../operator/runbooks/names';
import { synthSummary } from '../operator/summary';
import { version } from '../package.json';
import { parseOptions, usage } from './options';
import { stageOutputs } from './output';

/** What a run has built and not yet put in place. */
export interface Prepared {
  readonly staged: StagedDir;
  /** Saves a newly generated token, then renames the new output into place. */
  readonly commit: () => void;
  readonly summary: readonly string[];
}

/**
 * Everything up to the point of no return: reads the command line, the config and the token,
 * renders every file and builds the new output beside the old one. Returns an exit code when
 * there is nothing to replace (--help, --version, --write-schema, --runbook).
 */
export function prepare(argv: readonly string[], env: NodeJS.ProcessEnv, log: (line: string) => void): number | Prepared {
  const opts = parseOptions(argv);
  if (opts.help) return done(log, usage());
  if (opts.version) return done(log, `honeydue-infra ${version}`);
  if (opts['write-schema']) {
    writeConfigJsonSchema();
    return done(log, `wrote ${JSON_SCHEMA_FILE}`);
  }
  if (opts.config === '') throw new UsageError('--config needs a file name: --config path/to/cluster.yaml');
  // `--runbook NAME [--node NODE]` prints a runbook and writes nothing; checked before any file is read.
  const runbook = runbookRequest(opts.runbook, opts.node);
  const config = loadConfig(configFileFrom(opts.config, env));
  const outdir = outputDir(env);
  if (runbook) return done(log, ...runbookLines(config, runbook, layout(outdir)));

  const token = resolveToken(env, { established: config.cluster.established });
  const nodes = renderNodes(config, token);
  const summary = synthSummary(config, layout(outdir), nodes, token);
  const staged = stageOutputs(outdir, { config, nodes, bootstrapOnly: opts['bootstrap-only'] === true });
  const commit = () => {
    try {
      token.save?.();
    } catch (e) {
      staged.abort();
      throw e;
    }
    staged.commit();
  };
  return { staged, commit, summary };
}

function done(log: (line: string) => void, ...lines: string[]): 0 {
  for (const line of lines) log(line);
  return 0;
}
