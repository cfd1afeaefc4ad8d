import * as path from 'path';
import type { NodeConfig } from '../config/cluster';
import { recordFileName } from './node-record';

/**
 * Where a synth writes, relative to its output directory: the manifests at the top level (what
 * `kubectl apply -f dist` reads), the node files and the Cloud Firewall's rules in directories
 * of their own. Every name here is one `kubectl apply -R -f dist` skips: nothing below is a
 * .yaml, .yml or .json file, and the node files hold the cluster token.
 */
export const OUTPUT = {
  /** The output directory when `$CDK8S_OUTDIR` is unset (cdk8s's own default). */
  defaultDir: 'dist',
  /** One user-data file per node. Mode 0700: the files hold the token. */
  cloudInit: 'cloud-init',
  /** The Cloud Firewall's rules file. */
  hcloud: 'hcloud',
  firewallRules: 'firewall.rules',
  /** Each node's token-free record (model/node-record.ts), committed and reviewed. */
  records: 'nodes',
} as const;

/** The directories a `--bootstrap-only` run replaces; everything else (the manifests) is carried over. */
export const NODE_OUTPUTS: readonly string[] = [OUTPUT.cloudInit, OUTPUT.hcloud, OUTPUT.records];

/** The node's user-data file name: not .yaml, .yml or .json, so kubectl never reads it (nor prints its token). */
export const nodeFileName = (node: Pick<NodeConfig, 'name'>): string => `${node.name}.user-data`;

/** The output directory: `$CDK8S_OUTDIR`, else `dist` (relative to the working directory). */
export const outputDir = (env: NodeJS.ProcessEnv): string => env.CDK8S_OUTDIR || OUTPUT.defaultDir;

/** The paths of one output directory, as the summary and the runbooks print them. */
export interface Layout {
  readonly dir: string;
  readonly cloudInitDir: string;
  readonly hcloudDir: string;
  readonly firewallRulesFile: string;
  readonly recordsDir: string;
  nodeFile(node: Pick<NodeConfig, 'name'>): string;
  recordFile(node: Pick<NodeConfig, 'name'>): string;
}

export function layout(dir: string): Layout {
  const cloudInitDir = path.join(dir, OUTPUT.cloudInit);
  const hcloudDir = path.join(dir, OUTPUT.hcloud);
  const recordsDir = path.join(dir, OUTPUT.records);
  return {
    dir,
    cloudInitDir,
    hcloudDir,
    firewallRulesFile: path.join(hcloudDir, OUTPUT.firewallRules),
    recordsDir,
    nodeFile: (node) => path.join(cloudInitDir, nodeFileName(node)),
    recordFile: (node) => path.join(recordsDir, recordFileName(node)),
  };
}
