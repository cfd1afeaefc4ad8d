#!/usr/bin/env node
// The npm registry reachable here lacks some platform builds of @unrs/resolver-binding
// (jest 30's resolver): npm install leaves them out of package-lock.json, and `npm ci` then
// refuses the lock ("Missing: … from lock file"). This adds the missing optional entries
// with their os/cpu/libc, so npm ci sees a complete lock and skips them on this platform,
// as it would with a full registry. Run it after any `npm install` that rewrites the lock.
'use strict';
const fs = require('fs');
const path = require('path');

const file = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const platform = {
  android: 'android',
  darwin: 'darwin',
  freebsd: 'freebsd',
  linux: 'linux',
  openharmony: 'openharmony',
  win32: 'win32',
};
const cpus = {
  'arm-eabi': 'arm',
  'arm-gnueabihf': 'arm',
  'arm-musleabihf': 'arm',
  arm64: 'arm64',
  x64: 'x64',
  ia32: 'ia32',
  loong64: 'loong64',
  ppc64: 'ppc64',
  riscv64: 'riscv64',
  s390x: 's390x',
};
let added = 0;
for (const [where, pkg] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || lock.packages[`${where}/${key}`]) continue;
    const m = /^@unrs\/resolver-binding-([a-z0-9]+)-(.+?)(?:-(gnu|musl|msvc))?$/.exec(name);
    if (!m)
      throw new Error(
        `${name} is missing from the lock and is not a known platform package; run npm install on a full registry`,
      );
    const [, os, cpuPart, libc] = m;
    const cpu = cpus[cpuPart] ?? cpus[cpuPart.replace(/-.*/, '')];
    if (!platform[os] || !cpu) throw new Error(`cannot tell the platform of ${name}`);
    lock.packages[key] = {
      version,
      cpu: [cpu],
      dev: pkg.dev,
      ...(libc && libc !== 'msvc'
        ? { libc: [libc === 'gnu' ? 'glibc' : 'musl'] }
        : cpuPart.endsWith('musleabihf')
          ? { libc: ['musl'] }
          : cpuPart.endsWith('gnueabihf')
            ? { libc: ['glibc'] }
            : {}),
      license: 'MIT',
      optional: true,
      os: [platform[os]],
    };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`added ${added} missing optional platform entries to package-lock.json`);
