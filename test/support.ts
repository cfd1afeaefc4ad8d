import { Testing } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { addStack } from '../charts/stack';
import { loadConfig, parseConfig } from '../config/load';
import type { Config, RawConfig } from '../config/schema';
import { main } from '../main';
import { tempDir } from './dirs';

/**
 * The tests' view of the product: the production config and variants of it, the stack
 * synthesized in memory, and a synth through the CLI's own `main` into a fresh directory.
 * (Processes: ./process. Temporary directories: ./dirs. What the machine has: ./host.)
 */

export { tempDir, tree } from './dirs';

/**
 * fast-check's seed: fixed, so every run (CI's too) tries the same cases and a failure is
 * never intermittent; HONEYDUE_FC_SEED=<n> replays a run, HONEYDUE_FC_SEED=random explores new
 * cases. fast-check prints the seed when a property fails.
 */
export const FC_SEED =
  process.env.HONEYDUE_FC_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.HONEYDUE_FC_SEED ?? 20261123);

/** A fixed token, so snapshots are stable; never a real cluster's. */
export const TEST_TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEF';

/** The repository's root. */
export const ROOT = path.join(__dirname, '..');

/** The production configuration file, cluster.yaml at the repository root. */
export const PRODUCTION_CONFIG = path.join(ROOT, 'cluster.yaml');

/** The production configuration, validated. */
export const production = (): Config => loadConfig(PRODUCTION_CONFIG);

/**
 * The production cluster as a new one (cluster.established: false): what its three servers'
 * first boots would be if they were built from empty disks, the first server starting it.
 */
export const newCluster = (): Config => variant((r) => void (r.cluster.established = false));

/** The production YAML as data, to derive variants from. */
export function productionRaw(): RawConfig {
  return parseAllDocuments(fs.readFileSync(PRODUCTION_CONFIG, 'utf8'))[0]!.toJS() as RawConfig;
}

/** A change to the production config's data, as a test makes it to derive a variant. */
export type ConfigChange = (raw: RawConfig) => void;

/** The YAML text of a variant of the production config: the data after `change`, as YAML. */
export function variantText(change: ConfigChange): string {
  const raw = productionRaw();
  change(raw);
  return stringify(raw);
}

/** A variant of the production config, validated in memory, as the CLI would; throws its ConfigError. */
export function variant(change: ConfigChange): Config {
  return parseConfig(variantText(change), 'variant.yaml');
}

/** A variant of the production config written to a fresh `cluster.yaml`, as an operator would; returns its path. */
export function variantFile(change: ConfigChange): string {
  const file = path.join(tempDir('config'), 'cluster.yaml');
  fs.writeFileSync(file, variantText(change));
  return file;
}

/** A Kubernetes object as synthesized, loosely typed for assertions. */
export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: any;
};

/** Every object the stack synthesizes from `config`, in memory. */
export function synthObjects(config: Config = production()): KubeObject[] {
  // Testing.app() would make an outdir in /tmp of its own that nothing removes.
  const app = Testing.app({ outdir: tempDir('cdk8s') });
  addStack(app, config);
  return app.charts.flatMap((c) => Testing.synth(c)) as KubeObject[];
}

export interface SynthOptions {
  /** The config file. @default PRODUCTION_CONFIG */
  readonly config?: string;
  /** More command-line arguments (`--bootstrap-only`). */
  readonly args?: readonly string[];
  /** More environment; K3S_TOKEN is TEST_TOKEN and CDK8S_OUTDIR the fresh directory unless given. */
  readonly env?: NodeJS.ProcessEnv;
  /** Receives each line the CLI prints (the summary). @default - dropped */
  readonly log?: (line: string) => void;
}

/**
 * Synthesizes through the CLI's own `main`, in this process, into a fresh output directory,
 * and returns that directory. Throws unless main exits 0. (To see exit codes and what an
 * operator sees, run the real CLI: ./cli.)
 */
export function synthToDir(opts: SynthOptions = {}): string {
  const out = path.join(tempDir('dist'), 'dist');
  const argv = ['--config', opts.config ?? PRODUCTION_CONFIG, ...(opts.args ?? [])];
  const status = main(argv, { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out, ...opts.env }, opts.log ?? (() => {}));
  if (status !== 0) throw new Error(`main ${argv.join(' ')} exited ${status}`);
  return out;
}
