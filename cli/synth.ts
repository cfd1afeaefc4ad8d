import { JSON_SCHEMA_FILE } from '../config/schema-file';
import { configFileFrom, loadConfig } from '../config/load';
import { UsageError } from '../lib/errors';
import { TERMINAL_UNSAFE, terminalSafe } from '../lib/terminal-safe';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { firewallRulesText } from '../model/firewall-rule';
import { layout, outputDir } from '../model/layout';
import { tokenHash } from '../model/k3s-args';
import { type ClusterToken, NoTokenError, resolveToken, tokenAtHand } from '../model/token';
import type { NodeRecord } from '../model/node-record';
import { renderNodes, renderRecords } from '../node/render';
import { buildCommands } from '../operator/hcloud';
import type { BuildCommands } from '../operator/build-lines';
import { checkRebuildSynth, runbookLines } from '../operator/runbooks';
import { findNode } from '../operator/runbooks/rebuild';
import { planFor, type PlanAccess } from '../operator/plan';
import { kubeconfigOf } from '../operator/plan/cluster';
import { planExitCode } from '../operator/plan/plan';
import { planLines } from '../operator/plan/print';
import { runbookRequest } from '../operator/runbooks/names';
import { synthSummary } from '../operator/summary';
import { version } from '../package.json';
import { type Options, parseOptions, usage } from './options';
import { stageOutputs } from './output';
import type { Prepared } from './run';
import { runbookContext } from './runbook-context';

/**
 * Everything up to the point of no return: reads the command line, the config and the token,
 * renders every file and builds the new output beside the old one. What the config yields is
 * derived here once (the node files, their records, the Cloud Firewall's rules, each node's
 * build lines) and handed as data to what writes or prints it: the summary, the runbooks, the
 * plan and the output directory never derive it again. Returns an exit code when
 * there is nothing to replace (--help, --version, --write-schema, --runbook, --plan: the plan's own code).
 */
export function prepare(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): number | Prepared | Promise<number> {
  const opts = parseOptions(argv);
  if (opts.help) return done(log, usage());
  if (opts.version) return done(log, `honeydue-infra ${version}`);
  if (opts['write-schema']) {
    // Loaded here: the schema (zod) stays out of a synth whose config is already validated (config/load.ts).
    (require('../config/json-schema') as typeof import('../config/json-schema')).writeConfigJsonSchema();
    return done(log, `wrote ${JSON_SCHEMA_FILE}`);
  }
  if (opts.config === '') throw new UsageError('--config needs a file name: --config path/to/cluster.yaml');
  // `--runbook NAME [--node NODE]` prints a runbook and writes nothing; checked before any file is read.
  const runbook = runbookRequest(opts.runbook, opts.node, opts.rebuild);
  const config = loadConfig(configFileFrom(opts.config, env));
  const out = layout(outputDir(env));
  const rules = hcloudFirewallRules(config);
  // Records without the token; a synth renders them again below from its own node files.
  const tokenless = (): NodeRecord[] => renderRecords(config);
  const buildFrom = (records: readonly NodeRecord[]) => buildCommands(config.cluster, out.nodeFile, records);
  if (opts.kubeconfig !== undefined && !opts.plan && runbook?.name !== 'rollout')
    throw new UsageError('--kubeconfig is for --plan and --runbook rollout, which read the cluster');
  // The plan reads the cluster with the operator's kubeconfig, and checks the token at hand by its hash only.
  const access = (): PlanAccess => ({
    kubeconfig: kubeconfigOf(opts.kubeconfig, env),
    token: tokenAtHand(env)
      ? { hash: tokenHash(resolveToken(env, { established: config.cluster.established }).token) }
      : undefined,
  });
  if (opts.plan) {
    if (runbook || opts.rebuild !== undefined)
      throw new UsageError('--plan prints the plan and writes nothing; leave out --runbook and --rebuild');
    return planFor(config, { records: tokenless(), rules }, out, env, access()).then((plan) => {
      // Hetzner's and the cluster's strings (rule descriptions, snapshot and Job names, kubectl's
      // errors) are in these lines: none may forge a line or move the cursor.
      for (const line of planLines(plan, out)) log(terminalSafe(line));
      return planExitCode(plan);
    });
  }
  if (runbook) {
    const records = tokenless();
    const ctx = runbookContext(opts.config, env, out, buildFrom(records));
    if (runbook.name !== 'rollout') return done(log, ...runbookLines(config, runbook, ctx, undefined));
    return planFor(config, { records, rules }, out, env, access()).then((plan) =>
      // Its lines are pasted into a shell: backslashes stay as written (a JSON escape in a
      // here-document), and only a line that still holds a character a terminal acts on is escaped.
      done(
        log,
        ...runbookLines(config, runbook, ctx, plan).map((l) => (TERMINAL_UNSAFE.test(l) ? terminalSafe(l) : l)),
      ),
    );
  }
  if (opts.rebuild !== undefined) checkRebuildSynth(config, opts.rebuild, env);

  const found = tokenFor(env, config.cluster.established, opts);
  const token = found instanceof NoTokenError ? undefined : found;
  const nodes = token ? renderNodes(config, token) : [];
  const records = token ? renderRecords(config, nodes) : tokenless();
  // A rebuild renders every file but builds one server: only its build lines are printed.
  const rebuilt = opts.rebuild === undefined ? undefined : findNode(config, opts.rebuild, '--rebuild');
  const build: BuildCommands = (node, label) => (rebuilt && node !== rebuilt ? [] : buildFrom(records)(node, label));
  const staged = stageOutputs(out.dir, {
    config,
    nodes,
    records,
    firewallRules: firewallRulesText(rules),
    bootstrapOnly: opts['bootstrap-only'] === true,
  });
  let summary: string[];
  try {
    // After the build: the summary names the files that were staged.
    summary = synthSummary(config, out, { rules, build }, token ? { written: nodes, token } : { noToken: true }, {
      manifests: staged.manifests,
      carriedOver: opts['bootstrap-only'] === true,
      records,
    });
  } catch (e) {
    staged.abort();
    throw e;
  }
  const commit = () => {
    try {
      token?.save?.();
    } catch (e) {
      staged.abort();
      throw e;
    }
    staged.commit();
  };
  return { staged, commit, summary };
}

/**
 * The cluster token, or why there is none for an established cluster: the synth then writes
 * everything but the user-data (which it could only fill with a token that the running cluster
 * would refuse). `--bootstrap-only` exists to write the user-data, so it needs the token.
 */
function tokenFor(env: NodeJS.ProcessEnv, established: boolean, opts: Options): ClusterToken | NoTokenError {
  try {
    return resolveToken(env, { established });
  } catch (e) {
    if (e instanceof NoTokenError && !opts['bootstrap-only']) return e;
    throw e;
  }
}

function done(log: (line: string) => void, ...lines: string[]): 0 {
  for (const line of lines) log(line);
  return 0;
}
