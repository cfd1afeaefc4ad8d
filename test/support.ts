import { Testing } from 'cdk8s';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { addStack } from '../charts/stack';
import { loadConfig, parseConfig } from '../config/load';
import type { Config, RawConfig } from '../config/schema';
import { main } from '../main';
import { onCleanup, removeTree } from './cleanup';
import { inCi } from './host';

/**
 * fast-check's seed: fixed, so every run (CI's too) tries the same cases and a failure is
 * never intermittent; HONEYDUE_FC_SEED=<n> replays a run, HONEYDUE_FC_SEED=random explores new
 * cases. fast-check prints the seed when a property fails.
 */
export const FC_SEED = process.env.HONEYDUE_FC_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.HONEYDUE_FC_SEED ?? 20261123);

/** A fixed token, so snapshots are stable; never a real cluster's. */
export const TEST_TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEF';

/** The production configuration, cluster.yaml at the repository root. */
export const production = (): Config => loadConfig(path.join(__dirname, '..', 'cluster.yaml'));

/** The production YAML as data, to derive variants from. */
export function productionRaw(): RawConfig {
  return parseAllDocuments(fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8'))[0]!.toJS() as RawConfig;
}

/** Validates a variant of the production config, as the CLI would. */
export function variant(change: (raw: RawConfig) => void): Config {
  const raw = productionRaw();
  change(raw);
  return parseConfig(JSON.stringify(raw), 'variant.yaml');
}

/** A Kubernetes object as synthesized, loosely typed for assertions. */
export type KubeObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any };

/** Every object the stack synthesizes from `config`, in memory. */
export function synthObjects(config: Config = production()): KubeObject[] {
  // Testing.app() would make an outdir in /tmp of its own that nothing removes.
  const app = Testing.app({ outdir: tempDir('cdk8s') });
  addStack(app, config);
  return app.charts.flatMap((c) => Testing.synth(c)) as KubeObject[];
}

/** A fresh temporary directory, removed when the test file's process ends (or is interrupted). */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `honeydue-${prefix}-`));
  onCleanup(`temporary directory ${dir}`, () => removeTree(dir));
  return dir;
}

/** Runs the CLI's main into a fresh output directory and returns that directory. */
export function synthToDir(argv: string[] = [], env: NodeJS.ProcessEnv = {}): string {
  const out = path.join(tempDir('dist'), 'dist');
  main(['--config', path.join(__dirname, '..', 'cluster.yaml'), ...argv], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out, ...env }, () => {});
  return out;
}

/**
 * `test` for a system test. When the machine lacks what it needs, the test is reported as
 * SKIPPED with the reason; under CI (CI=true) it fails instead, so a green CI run means it ran.
 */
export function systemTest(missing: string | undefined): jest.It {
  if (!missing) return test;
  if (inCi()) {
    return ((name: string, _fn: unknown, timeout?: number) =>
      test(name, () => {
        throw new Error(`cannot run: ${missing}; CI=true does not allow a skip`);
      }, timeout)) as unknown as jest.It;
  }
  console.warn(`SKIPPED: ${missing}`);
  return ((name: string, fn: jest.ProvidesCallback, timeout?: number) => test.skip(`${name} [SKIPPED: ${missing}]`, fn, timeout)) as unknown as jest.It;
}
