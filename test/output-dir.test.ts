/**
 * The output directory is replaced as a whole or not at all: a build that fails halfway, after
 * it has written files, leaves the previous output byte for byte and no temporary directory.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as render from '../node/render';
import * as nodeOutputs from '../cli/node-outputs';
import { replaceDir, SYNTH_MARKER } from '../lib/replace-dir';
import { main, run } from '../main';
import { tempDir, TEST_TOKEN } from './support';

const CONFIG = path.join(__dirname, '..', 'cluster.yaml');

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out[path.relative(dir, path.join(e.parentPath, e.name))] = fs.readFileSync(path.join(e.parentPath, e.name), 'latin1');
  }
  return out;
}

/** An output a previous synth wrote, and its content. */
function previous(): { out: string; before: Record<string, string> } {
  const out = path.join(tempDir('outdir'), 'dist');
  main(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out }, () => {});
  return { out, before: tree(out) };
}

afterEach(() => jest.restoreAllMocks());

test('replaceDir: a build that throws after writing files leaves the target byte for byte and no temporary directory', () => {
  const parent = tempDir('replace');
  const target = path.join(parent, 'out');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, SYNTH_MARKER), 'marker\n');
  fs.writeFileSync(path.join(target, 'a.yaml'), 'old a\n');
  const before = tree(target);
  expect(() =>
    replaceDir(target, (dir) => {
      fs.writeFileSync(path.join(dir, 'a.yaml'), 'new a\n');
      fs.writeFileSync(path.join(dir, 'b.yaml'), 'new b\n');
      throw new Error('build failed halfway');
    }),
  ).toThrow('build failed halfway');
  expect(tree(target)).toEqual(before);
  expect(fs.readdirSync(parent)).toEqual(['out']);
});

test('synth: when writing the node files fails after the manifests were written, the old dist/ stays byte for byte and no temporary directory is left', async () => {
  const { out, before } = previous();
  let wrote = '';
  jest.spyOn(nodeOutputs, 'writeNodeOutputs').mockImplementation((dir) => {
    // The manifests are on disk by now; this run then dies partway through the node files.
    wrote = fs.readdirSync(dir).filter((f) => f.endsWith('.k8s.yaml')).join(',');
    fs.mkdirSync(path.join(dir, 'cloud-init'));
    fs.writeFileSync(path.join(dir, 'cloud-init', 'half.user-data'), 'half');
    throw new Error('disk full');
  });
  const err = jest.spyOn(console, 'error').mockImplementation(() => {});
  expect(await run(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out })).toBe(70);
  // Every manifest the previous run wrote was written again before the failure.
  expect(wrote.split(',').sort()).toEqual(Object.keys(before).filter((f) => f.endsWith('.k8s.yaml')).sort());
  expect(tree(out)).toEqual(before);
  expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
  expect(err.mock.calls[0]![0]).toBe('internal error (a bug in honeydue-infra; please report it):');
  expect(err.mock.calls[1]![0]).toMatch(/^Error: disk full\n\s+at /);
});

test('a bug (an exception that is not bad input) is reported as one, with its stack, exit 70', async () => {
  jest.spyOn(render, 'renderNodes').mockImplementation(() => {
    throw new TypeError("Cannot read properties of undefined (reading 'name')");
  });
  const err = jest.spyOn(console, 'error').mockImplementation(() => {});
  const out = path.join(tempDir('outdir'), 'dist');
  expect(await run(['--config', CONFIG], { K3S_TOKEN: TEST_TOKEN, CDK8S_OUTDIR: out })).toBe(70);
  expect(err.mock.calls.map((c) => String(c[0]).split('\n')[0])).toEqual([
    'internal error (a bug in honeydue-infra; please report it):',
    "TypeError: Cannot read properties of undefined (reading 'name')",
  ]);
  expect(fs.existsSync(out)).toBe(false);
});
