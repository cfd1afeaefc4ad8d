import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { kubectlPath } from '../test/layer';

/**
 * `npm run bench`: wall time of the real commands, alternated run by run so machine noise
 * hits them alike, each reported as a ratio to `node -e 0` measured in the same run.
 * It reports; it never fails on a figure. BENCH_RUNS sets the runs per command (>= 5).
 */
const root = path.resolve(__dirname, '..');
const runs = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'honeydue-bench-'));
// A fixed token and a scratch outdir: the benchmark must not touch dist/ or .secrets/.
const env = { ...process.env, K3S_TOKEN: 'bench-token-not-used-by-any-cluster-0123456789', CDK8S_OUTDIR: path.join(work, 'dist') };

interface Command {
  readonly name: string;
  readonly argv: readonly string[];
}

function time(cmd: Command): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd.argv[0]!, cmd.argv.slice(1), { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.name} failed (${r.status}): ${r.stderr}`);
  return seconds;
}

/** Runs every command `runs` times, alternating, and returns the samples per command. */
function measure(cmds: readonly Command[]): Map<string, number[]> {
  const samples = new Map(cmds.map((c) => [c.name, [] as number[]]));
  for (let i = 0; i < runs; i++) for (const c of cmds) samples.get(c.name)!.push(time(c));
  return samples;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function table(title: string, samples: Map<string, number[]>, baseline: number): void {
  console.log(`\n${title}\n| command | median s | min s | max s | × node -e 0 |\n|---|---:|---:|---:|---:|`);
  for (const [name, xs] of samples) {
    console.log(`| ${name} | ${median(xs).toFixed(3)} | ${Math.min(...xs).toFixed(3)} | ${Math.max(...xs).toFixed(3)} | ${(median(xs) / baseline).toFixed(1)} |`);
  }
}

// The peer: the same manifests as plain YAML under a generated kustomization.yaml.
const kustomizeDir = path.join(work, 'kustomize');
fs.mkdirSync(kustomizeDir);
const manifests = fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.k8s.yaml'));
for (const f of manifests) fs.copyFileSync(path.join(root, 'dist', f), path.join(kustomizeDir, f));
fs.writeFileSync(path.join(kustomizeDir, 'kustomization.yaml'), `${JSON.stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: manifests })}\n`);

const nodeBin = process.execPath;
const baseline: Command = { name: 'node -e 0', argv: [nodeBin, '-e', '0'] };
const main = measure([
  baseline,
  { name: 'npm run synth', argv: ['npm', 'run', '-s', 'synth'] },
  { name: 'npx cdk8s synth', argv: ['npx', 'cdk8s', 'synth', '--no-check-upgrade', '--output', env.CDK8S_OUTDIR] },
  { name: 'kubectl kustomize (peer)', argv: [kubectlPath(), 'kustomize', kustomizeDir] },
]);
const base = median(main.get(baseline.name)!);

const sizes = [10, 100, 1000];
const scale = measure([baseline, ...sizes.map((n) => ({ name: `scale: ${n} web workloads`, argv: [nodeBin, path.join(root, 'build', 'scale.js'), String(n)] }))]);
const scaleBase = median(scale.get(baseline.name)!);

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${runs} alternating runs`);
table('synth', main, base);
table('scale (chart library, generated config; includes process start)', scale, scaleBase);
fs.rmSync(work, { recursive: true, force: true });
const t = (n: number) => median(scale.get(`scale: ${n} web workloads`)!);
console.log(`\nscale: t(1000)/t(100) = ${(t(1000) / t(100)).toFixed(2)}`);
