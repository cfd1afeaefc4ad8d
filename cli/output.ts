import { App } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { addStack } from '../charts/stack';
import type { Config } from '../config/schema';
import { isSynthOutput, type StagedDir, stageDir } from '../lib/replace-dir';
import { synthManifests } from '../lib/manifests';
import { NODE_OUTPUTS, OUTPUT } from '../model/layout';
import type { NodeRecord } from '../model/node-record';
import { type NodeFile, writeNodeOutputs } from './node-outputs';

/** What one run puts in the output directory. */
export interface Outputs {
  readonly config: Config;
  readonly nodes: readonly NodeFile[];
  readonly records: readonly NodeRecord[];
  /** The Cloud Firewall's rules file. */
  readonly firewallRules: string;
  /** Replace only the node files and the Cloud Firewall's rules, and carry the rest over. */
  readonly bootstrapOnly: boolean;
}

/** The staged output, and the manifest files it holds (the summary names each one). */
export interface StagedOutputs extends StagedDir {
  /** The manifest files' names, in the order `kubectl apply -f` reads them. */
  readonly manifests: readonly string[];
}

/**
 * Builds the whole new output beside `outdir` (lib/replace-dir.ts): the manifests at the top
 * level (what `kubectl apply -f dist` reads), the node files in cloud-init/, their records in
 * nodes/, the Cloud Firewall's rules in hcloud/. Nothing is replaced until the caller commits.
 */
export function stageOutputs(outdir: string, o: Outputs): StagedOutputs {
  let manifests: string[] = [];
  const staged = stageDir(outdir, (dir) => {
    if (o.bootstrapOnly) carryOver(outdir, dir);
    else writeManifests(dir, outdir, o.config);
    writeNodeOutputs(dir, o.nodes, o.records, o.firewallRules);
    fixModes(dir);
    manifests = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(MANIFEST_SUFFIX))
      .sort();
  });
  return { commit: () => staged.commit(), abort: () => staged.abort(), manifests };
}

/** The suffix of cdk8s's manifest files (cdk8s.yaml's default). */
const MANIFEST_SUFFIX = '.k8s.yaml';

/**
 * Every file and directory of the output gets its mode whatever the umask: an operator's umask
 * of 000 would otherwise leave manifests and records others could change before they are
 * applied or committed. The node files stay 0600 in a 0700 directory: they hold the token.
 */
function fixModes(dir: string): void {
  const secret = path.join(dir, OUTPUT.cloudInit);
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    const inSecret = p === secret || p.startsWith(`${secret}${path.sep}`);
    if (e.isDirectory()) fs.chmodSync(p, inSecret ? 0o700 : 0o755);
    else if (e.isFile()) fs.chmodSync(p, inSecret ? 0o600 : 0o644);
  }
}

/** The manifests, serialized once and read back as kubectl will before anything is replaced. */
function writeManifests(dir: string, outdir: string, config: Config): void {
  const app = new App({ outdir: dir });
  addStack(app, config);
  // Each file read back as kubectl will, before anything is replaced (lib/manifests.ts).
  synthManifests(app, outdir);
}

/**
 * Everything of the previous output but the node outputs, so a `--bootstrap-only` run still
 * replaces the whole directory at once.
 */
function carryOver(outdir: string, dir: string): void {
  for (const entry of isSynthOutput(outdir) ? fs.readdirSync(outdir) : []) {
    if (!NODE_OUTPUTS.includes(entry))
      fs.cpSync(path.join(outdir, entry), path.join(dir, entry), { recursive: true, preserveTimestamps: true });
  }
}
