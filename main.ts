import { App } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { RENDER_CHECKS } from './bootstrap/config-checks';
import { type RenderedNode, renderNodes } from './bootstrap/render';
import { resolveToken } from './bootstrap/token';
import { cloudInitSummary, writeCloudInit, writeHcloud } from './bootstrap/write';
import { addStack } from './charts/stack';
import { configFileFrom, loadConfig } from './config/load';
import { JSON_SCHEMA_FILE } from './config/schema-file';
import type { Config } from './config/schema';
import { UsageError, UserInputError } from './lib/errors';
import { synthManifests } from './lib/manifests';
import { isSynthOutput, type StagedDir, stageDir } from './lib/replace-dir';
import { version } from './package.json';
import { etcdSnapshotsSummary, RUNBOOKS, runbookLines, runbookRequest } from './runbooks';

/**
 * The command line, one entry per option: parsing and the usage text both derive from it,
 * so adding an option is adding an entry here (and reading it in `prepare`).
 */
const OPTIONS = [
  { name: 'config', arg: 'FILE', help: 'the configuration to read (default: $HONEYDUE_CONFIG, else cluster.yaml)' },
  { name: 'bootstrap-only', help: 'replace only the node files (cloud-init/) and the Cloud Firewall rules (hcloud/)' },
  { name: 'write-schema', help: `write the configuration's JSON Schema to ${JSON_SCHEMA_FILE} and exit` },
  { name: 'runbook', arg: 'NAME', help: `print a runbook and exit, writing nothing: ${RUNBOOKS.join(', ')}` },
  { name: 'node', arg: 'NODE', help: 'the node a runbook is for (rebuild): a name or alias from cluster.nodes' },
  { name: 'help', help: 'print this help and exit' },
  { name: 'version', help: 'print the version and exit' },
] as const satisfies readonly { name: string; arg?: string; help: string }[];

type OptionName = (typeof OPTIONS)[number]['name'];
type Options = Partial<Record<OptionName, string | boolean>>;

/** The usage text, from OPTIONS. */
export function usage(): string {
  const left = (o: (typeof OPTIONS)[number]) => `--${o.name}${'arg' in o ? ` ${o.arg}` : ''}`;
  const width = Math.max(...OPTIONS.map((o) => left(o).length));
  return [
    'usage: npm run synth -- [options]     (or: node --snapshot-blob build/synth.blob -- [options])',
    '',
    'Writes the Kubernetes manifests to <outdir>/*.k8s.yaml, one cloud-init file per server node to',
    '<outdir>/cloud-init/<node>.user-data and the Cloud Firewall rules to <outdir>/hcloud/. <outdir> is',
    '$CDK8S_OUTDIR, else dist; synth replaces it as a whole, so it must be a directory synth wrote',
    'before, an empty one, or a new one.',
    'The cluster token comes from $K3S_TOKEN, else .secrets/k3s-token.',
    '',
    'options:',
    ...OPTIONS.map((o) => `  ${left(o).padEnd(width)}  ${o.help}`),
    '',
    'exit status: 0 done; 1 bad input, nothing written; 2 bad command line; 70 internal error (a bug);',
    '             129, 130, 143 interrupted by SIGHUP, SIGINT (Ctrl-C), SIGTERM, nothing replaced',
  ].join('\n');
}

export function parseOptions(argv: readonly string[]): Options {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: Object.fromEntries(OPTIONS.map((o) => [o.name, { type: 'arg' in o ? 'string' : 'boolean' }] as const)),
      strict: true,
      allowPositionals: false,
    });
    return values as Options;
  } catch (e) {
    // parseArgs' messages carry a hint about `--` that does not apply here: keep the first sentence.
    throw new UsageError((e as Error).message.split(/\.\s/)[0]!.replace(/\.$/, ''));
  }
}

/** What a run has built and not yet put in place. */
interface Prepared {
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
function prepare(argv: readonly string[], env: NodeJS.ProcessEnv, log: (line: string) => void): number | Prepared {
  const opts = parseOptions(argv);
  if (opts.help) {
    log(usage());
    return 0;
  }
  if (opts.version) {
    log(`honeydue-infra ${version}`);
    return 0;
  }
  if (opts['write-schema']) {
    // Loaded here: the schema (zod) stays out of a synth whose config is already validated (config/load.ts).
    (require('./config/json-schema') as typeof import('./config/json-schema')).writeConfigJsonSchema();
    log(`wrote ${JSON_SCHEMA_FILE}`);
    return 0;
  }
  if (opts.config === '') throw new UsageError('--config needs a file name: --config path/to/cluster.yaml');
  // `--runbook NAME [--node NODE]` prints a runbook and writes nothing; checked before any file is read.
  const runbook = runbookRequest(opts.runbook as string | undefined, opts.node as string | undefined);
  const config = loadConfig(configFileFrom(opts.config as string | undefined, env), RENDER_CHECKS);
  const outdir = env.CDK8S_OUTDIR || 'dist';
  const cloudInitDir = path.join(outdir, 'cloud-init');
  if (runbook) {
    for (const line of runbookLines(config, runbook, cloudInitDir)) log(line);
    return 0;
  }
  const hcloudDir = path.join(outdir, 'hcloud');
  const token = resolveToken(env, { established: config.cluster.established });
  const nodes = renderNodes(config, token);
  const summary = [...cloudInitSummary(config, cloudInitDir, nodes, token, hcloudDir), ...etcdSnapshotsSummary(config)];

  const prepared = (staged: StagedDir): Prepared => ({
    staged,
    commit: () => {
      try {
        token.save?.();
      } catch (e) {
        staged.abort();
        throw e;
      }
      staged.commit();
    },
    summary,
  });
  if (!opts['bootstrap-only']) return prepared(stageDir(outdir, (dir) => synthesize(dir, outdir, config, nodes)));
  // The node files and the Cloud Firewall's rules are replaced; everything else in the output
  // (the manifests) is carried over into the new one, so the whole directory still changes at once.
  return prepared(
    stageDir(outdir, (dir) => {
      for (const entry of isSynthOutput(outdir) ? fs.readdirSync(outdir) : []) {
        if (entry !== 'cloud-init' && entry !== 'hcloud') fs.cpSync(path.join(outdir, entry), path.join(dir, entry), { recursive: true, preserveTimestamps: true });
      }
      writeCloudInit(path.join(dir, 'cloud-init'), nodes);
      writeHcloud(path.join(dir, 'hcloud'), config);
    }),
  );
}

/**
 * The manifests at the top level (what `kubectl apply -f dist` reads), the node files in
 * cloud-init/, the Cloud Firewall's rules in hcloud/.
 */
function synthesize(dir: string, outdir: string, config: Config, nodes: readonly RenderedNode[]): void {
  const app = new App({ outdir: dir });
  addStack(app, config);
  // Each file read back as kubectl will, before anything is replaced (lib/manifests.ts).
  synthManifests(app, outdir);
  writeCloudInit(path.join(dir, 'cloud-init'), nodes);
  writeHcloud(path.join(dir, 'hcloud'), config);
}

/**
 * Synthesizes dist/ (see `usage`). Everything is rendered before anything is replaced, and the
 * old output is replaced only as a whole. Returns the exit code; throws on bad input.
 */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, log: (line: string) => void = console.log): number {
  const p = prepare(argv, env, log);
  if (typeof p === 'number') return p;
  p.commit();
  for (const line of p.summary) log(line);
  return 0;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type TrappedSignal = keyof typeof SIGNAL_EXIT;

/**
 * The CLI: `main` with its failures turned into exit codes. Bad input is one `error: …` line
 * (exit 1), a bad command line adds the usage (exit 2), and anything else is a bug, shown
 * with its stack under a line that says so (exit 70).
 *
 * SIGINT, SIGTERM and SIGHUP are held while the new output is built (synchronous work cannot
 * be interrupted by a handler in Node), then honoured at the one point before it is put in
 * place: an interrupted run removes what it built and leaves the old output as it was.
 */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let received: TrappedSignal | undefined;
  const handlers = (Object.keys(SIGNAL_EXIT) as TrappedSignal[]).map((signal) => {
    const handler = () => void (received ??= signal);
    process.on(signal, handler);
    return () => process.off(signal, handler);
  });
  try {
    const p = prepare(argv, env, console.log);
    if (typeof p === 'number') return p;
    // Two turns of the event loop: a signal that came during the build is delivered here.
    for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
    if (received) {
      p.staged.abort();
      console.error(`interrupted (${received}): nothing was replaced`);
      return SIGNAL_EXIT[received];
    }
    p.commit();
    for (const line of p.summary) console.log(line);
    return 0;
  } catch (e) {
    return report(e);
  } finally {
    for (const off of handlers) off();
  }
}

/** Prints a failure the way the CLI reports it and returns its exit code. */
function report(e: unknown): number {
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

// Guarded so that importing main (tests, the snapshot entry) does not run it.
if (typeof module !== 'undefined' && require.main === module) void run(process.argv.slice(2), process.env).then((code) => (process.exitCode = code));
