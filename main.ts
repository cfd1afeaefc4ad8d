import { App } from 'cdk8s';
import * as path from 'path';
import { RENDER_CHECKS } from './bootstrap/config-checks';
import { renderNodes } from './bootstrap/render';
import { resolveToken } from './bootstrap/token';
import { cloudInitSummary, writeCloudInit, writeHcloud } from './bootstrap/write';
import { addStack } from './charts/stack';
import { JSON_SCHEMA_FILE, writeConfigJsonSchema } from './config/json-schema';
import { configFileFrom, loadConfig } from './config/load';
import { UserInputError } from './lib/errors';
import { replaceDir } from './lib/replace-dir';
import { rereadManifests } from './lib/reread';
import { etcdSnapshotsSummary, runbookLines, runbookRequest } from './runbooks';

/**
 * Synthesizes dist/: the Kubernetes manifests at its top level (what `kubectl apply -f dist`
 * reads), one cloud-init file per node in dist/cloud-init/, and the Cloud Firewall's rules in
 * dist/hcloud/. With `--bootstrap-only`, only dist/cloud-init/ and dist/hcloud/ are replaced; `--write-schema` writes the config's JSON Schema instead.
 * Everything is rendered before anything is replaced.
 * Returns the process exit code.
 */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv, log: (line: string) => void = console.log): number {
  if (argv.includes('--write-schema')) {
    writeConfigJsonSchema();
    log(`wrote ${JSON_SCHEMA_FILE}`);
    return 0;
  }
  const bootstrapOnly = argv.includes('--bootstrap-only');
  const config = loadConfig(configFileFrom(argv, env), RENDER_CHECKS);
  // `--runbook NAME [--node NODE]` prints a runbook and writes nothing.
  const runbook = runbookRequest(argv);
  if (runbook) {
    for (const line of runbookLines(config, runbook)) log(line);
    return 0;
  }
  const outdir = env.CDK8S_OUTDIR || 'dist';
  const cloudInitDir = path.join(outdir, 'cloud-init');
  const hcloudDir = path.join(outdir, 'hcloud');
  const token = resolveToken(env);
  const nodes = renderNodes(config, token);

  if (bootstrapOnly) {
    replaceDir(cloudInitDir, (dir) => writeCloudInit(dir, nodes), 0o700);
    replaceDir(hcloudDir, (dir) => writeHcloud(dir, config));
  } else {
    replaceDir(outdir, (dir) => {
      const app = new App({ outdir: dir });
      addStack(app, config);
      app.synth();
      rereadManifests(dir, app.charts.map((c) => c.toJson()), outdir);
      writeCloudInit(path.join(dir, 'cloud-init'), nodes);
      writeHcloud(path.join(dir, 'hcloud'), config);
    });
  }
  for (const line of [...cloudInitSummary(config, cloudInitDir, nodes, token.source, hcloudDir), ...etcdSnapshotsSummary(config)]) log(line);
  return 0;
}

/** Runs `main`, turning a bad input into its message and exit code 1 (no stack trace). */
export function run(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  try {
    return main(argv, env);
  } catch (e) {
    if (e instanceof UserInputError) {
      console.error(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

// Guarded so that importing main (tests, the snapshot entry) does not run it.
if (typeof module !== 'undefined' && require.main === module) process.exitCode = run(process.argv.slice(2), process.env);
