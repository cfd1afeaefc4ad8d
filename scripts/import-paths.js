#!/usr/bin/env node
// How many files a value passes through, counted over the relative imports of a tree's .ts
// files (issue 16: "following one value takes about 20 files each way"; the goal is 10 or
// fewer). Plain JavaScript, so it runs on any checkout, an old commit's included, with no build.
//
// The count, precisely:
// - The graph: one node per .ts file under the root (not .d.ts, nor node_modules/, dist/,
//   build/, coverage/ or a dot-directory), and an edge A → B when A names B in a relative
//   specifier: `import … from`, `import type … from`, `export … from`, a bare `import '…'`,
//   `require('…')` or `import('…')`. A specifier resolves to `<spec>.ts`, `<spec>` (if it ends
//   in .ts) or `<spec>/index.ts`. Type-only imports count: a renderer receives the config as an
//   argument, and `import type { Config }` is the only link in the code from that argument back
//   to the schema that defines it.
// - between(A, B): the files on some import path from A to B, both ends included: a path
//   names no file twice, so a cycle (a check importing the type of the schema that imports
//   it) adds nothing. Empty when A does not reach B.
// - A value defined in file S and written by the targets T1 … Tn passes through
//     ∪ over i of ( between(entry, Ti) ∪ between(Ti, S) )
//   the files on the way from the entry (main.ts) to each place the value is written, and the
//   files on the way from there back to its definition. The count is the size of that union.
//
// Usage:
//   node scripts/import-paths.js [--root DIR] [--list] [--max N]
//     the two paths, with the file names of the layout found under DIR (default: this
//     checkout): the current one (config/ → model/ → node/ ∥ operator/ → cli/), or the one before
//     it (bootstrap/, runbooks/, main.ts: commit d203c17), recognized by its bootstrap/ directory.
//   node scripts/import-paths.js [--root DIR] [--entry main.ts] --from FILE --to FILE [--to FILE …] [--list] [--max N]
//     one value: defined in --from, written by each --to.
// --max N exits 2 when a path passes through more than N files (the test suite gives 10).
// --list prints the files of each path and why each counts (↓ T: on a path from the entry to
// target T; ↑ T: on a path from T back to the definition), so one can see which make it long.
// Exit code 2 when a path is over --max; 1 when a file named does not exist, the entry does not
// reach a target, or a target does not reach the definition.
'use strict';
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

/**
 * The two paths, per layout: the file that defines each value (the zod field) and the
 * files that write it out: the renderer of ufw's user.rules, the builder of the Cloud Firewall
 * rules, the builder of the `hcloud server create` argv; the renderer of K3s's config.yaml and
 * the restore runbook.
 */
const LAYOUTS = {
  current: [
    {
      name: "a node's public IPv4 → UFW user.rules, Cloud Firewall JSON, hcloud server create",
      from: 'config/cluster.ts',
      to: ['node/ufw.ts', 'model/cloud-firewall.ts', 'operator/hcloud.ts'],
    },
    {
      name: 'etcdSnapshots → K3s config.yaml, restore runbook',
      from: 'config/etcd-snapshots.ts',
      to: ['node/k3s-config.ts', 'operator/runbooks/restore.ts'],
    },
  ],
  'd203c17 (bootstrap/, runbooks/)': [
    {
      name: "a node's public IPv4 → UFW user.rules, Cloud Firewall JSON, hcloud server create",
      from: 'config/schema.ts',
      to: ['bootstrap/ufw.ts', 'bootstrap/hcloud-firewall.ts', 'bootstrap/write.ts'],
    },
    {
      name: 'etcdSnapshots → K3s config.yaml, restore runbook',
      from: 'config/etcd-snapshots.ts',
      to: ['bootstrap/k3s-config.ts', 'runbooks/restore.ts'],
    },
  ],
};

/** Directories whose .ts files are not the tree's own: packages, and build or synth output. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'build', 'coverage']);

/** Every .ts file under root, as a path relative to it with forward slashes. */
function tsFiles(root, dir = '') {
  const files = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.')) {
        files.push(...tsFiles(root, rel));
      }
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      files.push(rel);
    }
  }
  return files;
}

/** file → the set of files it imports (relative specifiers that resolve to a .ts file of the tree). */
function importGraph(root) {
  const files = new Set(tsFiles(root));
  const graph = new Map();
  for (const file of files) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    // preProcessFile lists import, export-from, require and import() specifiers, type-only ones
    // included, and skips those in comments and strings.
    const { importedFiles } = ts.preProcessFile(source, true, true);
    const targets = new Set();
    for (const { fileName: spec } of importedFiles) {
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
      const resolved = [`${base}.ts`, base, `${base}/index.ts`].find((f) => f.endsWith('.ts') && files.has(f));
      if (resolved) targets.add(resolved);
    }
    graph.set(file, targets);
  }
  return graph;
}

/** The files `from` reaches (itself included) in `graph`. */
function reach(graph, from) {
  const seen = new Set([from]);
  const todo = [from];
  while (todo.length > 0) {
    for (const next of graph.get(todo.pop()) ?? []) {
      if (!seen.has(next)) {
        seen.add(next);
        todo.push(next);
      }
    }
  }
  return seen;
}

/**
 * The files on some import chain from a to b, both included: the files of every simple path
 * (no file twice) from a to b. A chain that runs round a cycle adds nothing, so a type-only
 * import back up (a check that imports the type of the schema that imports it) does not pull
 * the cycle's files in. Empty when a does not reach b.
 */
function between(graph, a, b) {
  // Only files that a reaches and that reach b can be on such a path; search among them.
  const candidates = new Set([...reach(graph, a)].filter((x) => reach(graph, x).has(b)));
  const onPath = new Set();
  const stack = [];
  const visit = (x) => {
    stack.push(x);
    if (x === b) for (const f of stack) onPath.add(f);
    else for (const next of graph.get(x)) if (candidates.has(next) && !stack.includes(next)) visit(next);
    stack.pop();
  };
  if (candidates.has(a)) visit(a);
  return onPath;
}

/**
 * The files a value defined in `from` passes through on its way from `entry` to each of `to`:
 * file → the reasons it counts ("↓ target": on a path from the entry to that target; "↑ target":
 * on a path from that target back to the definition).
 */
function pathFiles(graph, entry, from, to) {
  const files = new Map();
  const add = (f, why) => files.set(f, [...(files.get(f) ?? []), why]);
  for (const target of to) {
    const down = between(graph, entry, target);
    if (down.size === 0) throw new Error(`${target} is not imported, directly or not, by ${entry}`);
    const back = between(graph, target, from);
    if (back.size === 0) throw new Error(`${target} does not import ${from}, directly or not`);
    for (const f of down) add(f, `↓ ${target}`);
    for (const f of back) add(f, `↑ ${target}`);
  }
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

function parseArgs(argv) {
  const args = {
    root: path.resolve(__dirname, '..'),
    entry: 'main.ts',
    from: undefined,
    to: [],
    list: false,
    max: Infinity,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--list') args.list = true;
    else if (arg === '--root') args.root = path.resolve(argv[++i]);
    else if (arg === '--entry') args.entry = argv[++i];
    else if (arg === '--max') args.max = Number(argv[++i]);
    else if (arg === '--from') args.from = argv[++i];
    else if (arg === '--to') args.to.push(argv[++i]);
    else throw new Error(`unknown argument ${arg}; see the header of scripts/import-paths.js`);
  }
  if ((args.from === undefined) !== (args.to.length === 0)) throw new Error('give --from and --to together');
  if (!(args.max >= 0)) throw new Error('--max takes a number of files');
  return args;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const layout = fs.existsSync(path.join(args.root, 'bootstrap')) ? 'd203c17 (bootstrap/, runbooks/)' : 'current';
  const paths = args.from
    ? [{ name: `${args.from} → ${args.to.join(', ')}`, from: args.from, to: args.to }]
    : LAYOUTS[layout];
  const graph = importGraph(args.root);
  for (const file of [args.entry, ...paths.flatMap((p) => [p.from, ...p.to])]) {
    if (!graph.has(file)) throw new Error(`${file}: no such .ts file under ${args.root}`);
  }
  if (!args.from) console.log(`${args.root}: layout ${layout}`);
  for (const p of paths) {
    const files = pathFiles(graph, args.entry, p.from, p.to);
    console.log(`${files.size} files: ${p.name} (defined in ${p.from}; from ${args.entry})`);
    const width = Math.max(...[...files.keys()].map((f) => f.length));
    if (args.list) for (const [f, why] of files) console.log(`  ${f.padEnd(width)}  ${why.join(', ')}`);
    if (files.size > args.max) {
      console.error(`import-paths: ${p.name}: ${files.size} files, over --max ${args.max}; --list shows which`);
      process.exitCode = 2;
    }
  }
}

try {
  main();
} catch (e) {
  console.error(`import-paths: ${e.message}`);
  process.exitCode = 1;
}
