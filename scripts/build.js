#!/usr/bin/env node
// Builds the fast synth: one esbuild bundle of snapshot.ts, then a V8 start-up snapshot of
// it (build/synth.blob). `npm run synth` and `cdk8s synth` run
// `node --snapshot-blob build/synth.blob -- [args]`: no module loading, no parsing, and for
// the committed cluster.yaml no validation at run time (README, Performance). Plain JavaScript,
// so that building needs no build. Type-checking is `tsc --noEmit`, in `npm run build` and
// `npm test`.
'use strict';
const { execFileSync } = require('child_process');
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const { k8sAsEsm } = require('./k8s-esm');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build');

/**
 * Bundles the Kubernetes API module (cdk8s-plus-30/lib/imports/k8s.js) as an ES module, so that
 * esbuild keeps only the classes the charts use (scripts/k8s-esm.js). Should the module ever
 * take a shape the rewrite does not know, it is bundled unchanged, with a warning: slower, the same.
 */
const treeShakenK8s = {
  name: 'tree-shaken-k8s',
  setup(b) {
    b.onLoad({ filter: /[\\/]cdk8s-plus-30[\\/]lib[\\/]imports[\\/]k8s\.js$/ }, (args) => {
      try {
        const { code, exported } = k8sAsEsm(fs.readFileSync(args.path, 'utf8'));
        const original = Object.keys(require(args.path));
        const lost = original.filter((n) => !exported.includes(n));
        if (lost.length > 0 || exported.length !== original.length)
          throw new Error(`exports differ: ${lost.slice(0, 5).join(', ')}`);
        return { contents: code, loader: 'js', resolveDir: path.dirname(args.path) };
      } catch (e) {
        return { warnings: [{ text: `bundling k8s.js as CommonJS, whole: ${e.message}` }] };
      }
    });
  },
};

/**
 * cdk8s bundles its own copy of `yaml`; when it is the same version as the project's, the
 * bundle holds one copy, not two. (The serializer's output is a function of its version.)
 */
const oneYaml = {
  name: 'one-yaml',
  setup(b) {
    const version = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
    const ours = path.dirname(require.resolve('yaml/package.json', { paths: [root] }));
    const cdk8s = path.dirname(require.resolve('cdk8s/package.json', { paths: [root] }));
    const theirs = path.join(cdk8s, 'node_modules', 'yaml');
    if (!fs.existsSync(theirs) || version(theirs) !== version(ours)) return;
    b.onResolve({ filter: /^yaml$/ }, (args) =>
      args.importer.startsWith(cdk8s + path.sep) ? { path: require.resolve('yaml', { paths: [root] }) } : undefined,
    );
  },
};

/** Builds into build/, replacing the previous blob only once the new one exists. */
async function build() {
  fs.mkdirSync(out, { recursive: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'scripts', 'snapshot.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: path.join(out, 'snapshot.js'),
    metafile: true,
    logLevel: 'warning',
    // Input paths in the metafile are relative to this, whatever directory the build runs from.
    absWorkingDir: root,
    // No comments, no indentation: esbuild escapes non-ASCII characters in code but not in
    // comments, and a single one made V8 keep the whole source as a two-byte string (4 MB of
    // the snapshot's heap). Names stay: stack traces still name the functions.
    minifyWhitespace: true,
    plugins: [treeShakenK8s, oneYaml],
  });
  // eslint-disable-next-line no-control-regex -- any byte above 0x7f is the point
  if (/[^\x00-\x7f]/.test(fs.readFileSync(path.join(out, 'snapshot.js'), 'latin1'))) {
    console.warn('build/snapshot.js holds non-ASCII characters: V8 keeps its source at twice the size');
  }
  // Inputs the snapshot was built from: a run compares their mtimes with the blob's and
  // rebuilds when one is newer, so an edit never synthesizes with stale code.
  const inputs = [
    ...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')),
    ...fs.readdirSync(path.join(root, 'node', 'templates')).map((f) => `node/templates/${f}`),
    // Read at module load by charts/upgrade/controller.ts, so the snapshot carries them.
    'crds/upgrade.cattle.io_plans.yaml',
    ...fs
      .readdirSync(path.join(root, 'vendor', 'system-upgrade-controller'), { recursive: true })
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `vendor/system-upgrade-controller/${f}`),
    'package-lock.json',
    // The build itself: its rewrites shape the bundle.
    'scripts/build.js',
    'scripts/k8s-esm.js',
    'scripts/validate-config.ts',
  ];
  fs.writeFileSync(path.join(out, 'snapshot-inputs.json'), JSON.stringify(inputs));
  fs.cpSync(path.join(root, 'node', 'templates'), path.join(out, 'templates'), { recursive: true });

  // cluster.yaml validated in a process of its own: the snapshot's warm-up takes the result
  // (scripts/snapshot.ts), so the snapshot holds the configuration and not zod and the schema
  // that validated it, which load only when a run reads another text (config/load.ts).
  const validated = path.join(out, 'validated-config.bin');
  fs.rmSync(validated, { force: true });
  await esbuild.build({
    entryPoints: [path.join(root, 'scripts', 'validate-config.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: path.join(out, 'validate-config.js'),
    logLevel: 'warning',
    absWorkingDir: root,
  });
  try {
    execFileSync(process.execPath, [path.join(out, 'validate-config.js'), 'cluster.yaml', validated], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    // An invalid cluster.yaml must not break the build: the run reports it properly. The
    // warm-up then validates it itself, and the snapshot carries the schema.
    const reason = String(e.stderr).trim().split('\n')[0] || e.message;
    console.warn(`cluster.yaml did not validate (${reason}): the snapshot carries the schema`);
  }

  const blob = path.join(out, 'synth.blob');
  const tmp = `${blob}.tmp-${process.pid}`;
  execFileSync(process.execPath, ['--snapshot-blob', tmp, '--build-snapshot', path.join(out, 'snapshot.js')], {
    cwd: root,
    // Node warns that some built-ins are not verified in snapshots; cdk8s loads them but a
    // synth never uses them (remote includes only).
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  fs.renameSync(tmp, blob);
}

build().catch((e) => {
  console.error(e);
  process.exit(1);
});
