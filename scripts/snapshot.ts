import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { rememberConfig } from '../config/load';
import type { Config } from '../config/schema';
import { main, run } from '../main';

/**
 * Entry of the V8 start-up snapshot that `npm run synth` and `cdk8s synth` run
 * (scripts/build.js). Everything `main` imports is loaded and initialized while the snapshot
 * is built (but the config schema, which only another config needs: config/load.ts), and one
 * throwaway synth of cluster.yaml runs then, so the functions a synth calls are already
 * compiled, and what it serialized and validated is remembered (lib/reread.ts,
 * config/load.ts). A run deserializes the heap and calls `run`.
 */
const warmup = fs.mkdtempSync(path.join(os.tmpdir(), 'honeydue-warmup-'));
try {
  // cluster.yaml as the build validated it in a process of its own (scripts/build.js): the
  // warm-up then never loads the schema, and the snapshot does not carry it.
  const validated = path.join('build', 'validated-config.bin');
  if (fs.existsSync(validated)) {
    const { text, config } = v8.deserialize(fs.readFileSync(validated)) as { text: string; config: Config };
    rememberConfig(text, config);
  }
  main(
    ['--config', 'cluster.yaml'],
    { K3S_TOKEN: 'warmup-token-never-used-by-any-node-0123456789', CDK8S_OUTDIR: path.join(warmup, 'dist') },
    () => {},
  );
} catch {
  // A broken cluster.yaml must not break the build: the run reports it properly.
} finally {
  fs.rmSync(warmup, { recursive: true, force: true });
}

/** A source edited after the snapshot was built: run the build, then this command again. */
function rebuildIfStale(): number | undefined {
  // Paths are taken at run time: the snapshot must not remember where it was built.
  const blob = path.resolve(process.execArgv[process.execArgv.indexOf('--snapshot-blob') + 1]!);
  const root = path.dirname(path.dirname(blob));
  const inputs: string[] = JSON.parse(fs.readFileSync(path.join(root, 'build', 'snapshot-inputs.json'), 'utf8'));
  const built = fs.statSync(blob).mtimeMs;
  const newer = inputs.find((f) => (fs.statSync(path.join(root, f), { throwIfNoEntry: false })?.mtimeMs ?? 0) > built);
  if (!newer) return undefined;
  console.error(`${newer} changed since the last build: rebuilding the synth snapshot (type-check with npm run build)`);
  const step = (args: string[]) =>
    spawnSync(process.execPath, args, { stdio: 'inherit', cwd: process.cwd() }).status ?? 1;
  return (
    step([path.join(root, 'scripts', 'build.js')]) || step(['--snapshot-blob', blob, '--', ...process.argv.slice(1)])
  );
}

v8.startupSnapshot.setDeserializeMainFunction(() => {
  // A synth is over in tens of milliseconds: V8's optimizing compiler never pays for itself in
  // that time, and its background jobs compete with the synth for the CPU (on a 2-core machine,
  // 15 ms or more of a 120 ms run; README, Performance). The interpreter and the baseline
  // compiler run everything; the flag is V8's own, and takes effect for this process only.
  v8.setFlagsFromString('--no-opt');
  const rebuilt = rebuildIfStale();
  if (rebuilt !== undefined) process.exitCode = rebuilt;
  else {
    void run(process.argv.slice(1), process.env).then((code) => {
      // Everything is written: exit now rather than tear the heap down piece by piece, unless
      // output is still queued (pipes are asynchronous on some systems; then exit as usual).
      if (process.stdout.writableLength === 0 && process.stderr.writableLength === 0) process.exit(code);
      process.exitCode = code;
    });
  }
});
