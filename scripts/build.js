#!/usr/bin/env node
// Builds the fast synth: one esbuild bundle of snapshot.ts, then a V8 start-up snapshot of
// it (build/synth.blob). `npm run synth` and `cdk8s synth` run
// `node --snapshot-blob build/synth.blob -- [args]`: no module loading, no parsing, no
// zod schema construction at run time (README, Performance). Plain JavaScript, so that
// building needs no build. Type-checking is `tsc --noEmit`, in `npm run build` and `npm test`.
'use strict';
const { execFileSync } = require('child_process');
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'build');

/** Builds into build/, replacing the previous blob only once the new one exists. */
function build() {
  fs.mkdirSync(out, { recursive: true });
  const result = esbuild.buildSync({
    entryPoints: [path.join(root, 'scripts', 'snapshot.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    outfile: path.join(out, 'snapshot.js'),
    metafile: true,
    logLevel: 'warning',
    // Input paths in the metafile are relative to this, whatever directory the build runs from.
    absWorkingDir: root,
  });
  // Inputs the snapshot was built from: a run compares their mtimes with the blob's and
  // rebuilds when one is newer, so an edit never synthesizes with stale code.
  const inputs = [
    ...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')),
    ...fs.readdirSync(path.join(root, 'node', 'templates')).map((f) => `node/templates/${f}`),
    // Read at module load by charts/upgrade/controller.ts, so the snapshot carries them.
    'crds/upgrade.cattle.io_plans.yaml',
    ...fs.readdirSync(path.join(root, 'vendor', 'system-upgrade-controller'), { recursive: true })
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => `vendor/system-upgrade-controller/${f}`),
    'package-lock.json',
  ];
  fs.writeFileSync(path.join(out, 'snapshot-inputs.json'), JSON.stringify(inputs));
  fs.cpSync(path.join(root, 'node', 'templates'), path.join(out, 'templates'), { recursive: true });

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

build();
