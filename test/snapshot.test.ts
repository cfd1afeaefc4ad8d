/**
 * The synth snapshot (build/synth.blob, scripts/build.js) is built from a bundle the build
 * rewrites for start-up time: the Kubernetes API module as a tree-shaken ES module, one copy of
 * `yaml` for cdk8s and the project, and the documents the warm-up synth already serialized and
 * checked, and cluster.yaml validated by the build (so that the schema is loaded only for
 * another config). None of that may change a byte of what synth writes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { configJsonSchema } from '../config/json-schema';
import { main } from '../main';
import { explain, run } from './process';
import { productionRaw, tempDir } from './support';

const ROOT = path.join(__dirname, '..');
const BLOB = path.join(ROOT, 'build', 'synth.blob');
const TOKEN = 'snapshot-test-token-0123456789abcdefghijklmnop';

/** A directory tree as {relative path: content}, for byte-for-byte comparison. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile())
      out[path.relative(dir, path.join(e.parentPath, e.name))] = fs.readFileSync(
        path.join(e.parentPath, e.name),
        'latin1',
      );
  }
  return out;
}

/** The snapshot's synth of `config`, as `npm run synth` runs it. */
function snapshotSynth(config: string): Record<string, string> {
  const out = path.join(tempDir('snapshot-cli'), 'dist');
  const r = run([process.execPath, '--snapshot-blob', BLOB, '--', '--config', config], {
    env: { PATH: process.env.PATH, K3S_TOKEN: TOKEN, CDK8S_OUTDIR: out },
  });
  if (r.status !== 0) throw new Error(explain(r));
  return tree(out);
}

/** The same synth from the TypeScript sources, in this process. */
function sourceSynth(config: string): Record<string, string> {
  const out = path.join(tempDir('snapshot-src'), 'dist');
  main(['--config', config], { K3S_TOKEN: TOKEN, CDK8S_OUTDIR: out }, () => {});
  return tree(out);
}

beforeAll(() => {
  // A source newer than the snapshot makes this first run rebuild it.
  const r = run([process.execPath, '--snapshot-blob', BLOB, '--', '--version']);
  if (r.status !== 0) throw new Error(explain(r));
}, 120_000);

test('the snapshot writes byte for byte what the sources write, for the production config', () => {
  const config = path.join(ROOT, 'cluster.yaml');
  const fromSnapshot = snapshotSynth(config);
  expect(Object.keys(fromSnapshot)).toContain('0007-upgrade-controller.k8s.yaml');
  expect(fromSnapshot).toEqual(sourceSynth(config));
});

test('and for a config whose every manifest differs from the warm-up’s (nothing serialized before)', () => {
  const raw = productionRaw() as any;
  raw.partOf = 'other-stack';
  raw.apps.admin.host = 'admin.example.org';
  const config = path.join(tempDir('snapshot-config'), 'cluster.yaml');
  fs.writeFileSync(config, stringify(raw));
  const fromSnapshot = snapshotSynth(config);
  expect(fromSnapshot['0007-upgrade-controller.k8s.yaml']).toContain('app.kubernetes.io/part-of: other-stack');
  expect(fromSnapshot).toEqual(sourceSynth(config));
});

test('--write-schema, which loads the schema the snapshot leaves out, writes what the sources write', () => {
  const cwd = tempDir('snapshot-schema');
  const r = run(['env', '--chdir', cwd, process.execPath, '--snapshot-blob', BLOB, '--', '--write-schema']);
  if (r.status !== 0) throw new Error(explain(r));
  expect(fs.readFileSync(path.join(cwd, '.schema', 'cluster.schema.json'), 'utf8')).toBe(configJsonSchema());
});
