import { spawnSync } from 'child_process';
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { k3sNode, snapshotFile } from '../test/kube/k3s-node';
import { kubectlPath } from '../test/layer';

/**
 * `npm run bench`: wall time of the real commands, alternated run by run so machine noise
 * hits them alike, each reported as a ratio to `node -e 0` measured in the same run. Every
 * synth gets a new cluster token, so no cache of any kind can skip rendering the node files;
 * the bench checks that the node file it wrote holds that token.
 * It reports; it never fails on a figure.
 *
 * Two more rows say what the ratios leave out: the app with a config other than the one the
 * snapshot was built with (it then loads the schema: config/load.ts), and, when
 * NODE_EXTRA_CA_CERTS is set, node -e 0 and the app without it (Node loads those certificates
 * at the start of every process, which adds the same time to both sides of each ratio).
 *
 * BENCH_RUNS sets the runs per command (default 15, at least 5). BENCH_PEERS=1 adds
 * `npx cdk8s synth` and the `kubectl kustomize` peer (slow: about 1.5 s a run).
 */
const root = path.resolve(__dirname, '..');
const runs = Math.max(5, Number(process.env.BENCH_RUNS ?? 15));
const peers = process.env.BENCH_PEERS === '1';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'honeydue-bench-'));
// A scratch outdir: the benchmark must not touch dist/ or .secrets/.
const outdir = path.join(work, 'dist');
const blob = path.join(root, 'build', 'synth.blob');
const nodeBin = process.execPath;

interface Command {
  readonly name: string;
  readonly argv: readonly string[];
  /** Renders the node files: gets a new token, and its output is checked for it. */
  readonly synth?: boolean;
  /** Variables removed from the environment. */
  readonly unset?: readonly string[];
  /** Variables set in the environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** 48 hex digits: a plain K3s secret ([A-Za-z0-9], 32+), new for every run. */
const newToken = () => randomBytes(24).toString('hex');

function time(cmd: Command): number {
  const token = newToken();
  const env: NodeJS.ProcessEnv = { ...process.env, K3S_TOKEN: token, CDK8S_OUTDIR: outdir, ...cmd.env };
  for (const v of cmd.unset ?? []) delete env[v];
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd.argv[0]!, cmd.argv.slice(1), { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.name} failed (${r.status}): ${r.stderr}`);
  if (cmd.synth) {
    const dir = path.join(outdir, 'cloud-init');
    const files = fs.readdirSync(dir);
    if (files.length === 0 || !files.every((f) => fs.readFileSync(path.join(dir, f), 'utf8').includes(token))) {
      throw new Error(`${cmd.name}: a node file in ${dir} does not hold this run's token`);
    }
  }
  return seconds;
}

/** Runs every command `runs` times, alternating, and returns the samples per command. */
function measure(cmds: readonly Command[]): Map<string, number[]> {
  const samples = new Map(cmds.map((c) => [c.name, [] as number[]]));
  for (const c of cmds) time(c); // one unrecorded round: page cache, kubectl layer
  for (let i = 0; i < runs; i++) for (const c of cmds) samples.get(c.name)!.push(time(c));
  return samples;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function table(title: string, samples: Map<string, number[]>, baseline: number): void {
  console.log(`\n${title}\n| command | median s | min s | max s | × node -e 0 |\n|---|---:|---:|---:|---:|`);
  for (const [name, xs] of samples) {
    const cells = [median(xs), Math.min(...xs), Math.max(...xs)].map((x) => x.toFixed(3));
    console.log(`| ${name} | ${cells.join(' | ')} | ${(median(xs) / baseline).toFixed(2)} |`);
  }
}

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const loadBefore = load();

const baseline: Command = { name: 'node -e 0', argv: [nodeBin, '-e', '0'] };
const APP = 'the app (node --snapshot-blob build/synth.blob --)';
const STARTUP = 'start-up alone (the app with --version)';
const NPM = 'npm run synth';
// Another config: cluster.yaml with one host changed.
const otherConfig = path.join(work, 'other.yaml');
fs.writeFileSync(
  otherConfig,
  fs.readFileSync(path.join(root, 'cluster.yaml'), 'utf8').replace(/^(\s+host: )admin\./m, '$1admin2.'),
);
const app = [nodeBin, '--snapshot-blob', blob, '--'];
const main = measure([
  baseline,
  { name: APP, argv: app, synth: true },
  { name: STARTUP, argv: [...app, '--version'] },
  { name: NPM, argv: ['npm', 'run', '-s', 'synth'], synth: true },
  { name: 'the app, another config (loads the schema)', argv: [...app, '--config', otherConfig], synth: true },
]);
const base = median(main.get(baseline.name)!);

/**
 * The plan's own cost, without the tools': `hcloud` and `kubectl` on PATH are stubs that print
 * canned JSON of a cluster that matches this synth (every server labelled with its record's
 * fingerprint and running its file's K3s arguments, the firewall with the rules file's rules,
 * an off-node snapshot of each), so the plan does all its work and finds nothing to do. The
 * stubs' calls are timed alone too, as the plan makes them (three rounds of hcloud, kubectl
 * beside the first), and taken off.
 */
const stubDir = path.join(work, 'stub');
fs.mkdirSync(stubDir);
{
  const config = fs.readFileSync(path.join(root, 'cluster.yaml'), 'utf8');
  const names = [...config.matchAll(/\{ name: ([\w.-]+),[^}]*publicIPv4: ([\d.]+) \}/g)].map((m) => ({
    name: m[1]!,
    ip: m[2]!,
  }));
  const record = (n: string) => fs.readFileSync(path.join(outdir, 'nodes', `${n}.record`), 'utf8');
  const fingerprint = (n: string) => createHash('sha256').update(record(n)).digest('hex').slice(0, 40);
  const servers = names.map((n, i) => ({
    id: i + 1,
    name: n.name,
    status: 'running',
    labels: { 'honeydue/node-file': fingerprint(n.name) },
    public_net: { ipv4: { id: 100 + i, ip: n.ip } },
    server_type: { name: 'cx33' },
    image: { name: 'ubuntu-24.04' },
    location: { name: 'nbg1' },
  }));
  const rules = JSON.parse(fs.readFileSync(path.join(outdir, 'hcloud', 'firewall.rules'), 'utf8'));
  const firewall = {
    name: 'honeydue',
    rules,
    applied_to: servers.map((x) => ({ type: 'server', server: { id: x.id } })),
  };
  const configIps = [...config.matchAll(/primaryIp: ([\w.-]+)/g)].map((m) => m[1]!);
  const ips = names.map((n, i) => ({
    id: 100 + i,
    name: configIps[i] ?? `${n.name}-ipv4`,
    ip: n.ip,
    assignee_id: i + 1,
    auto_delete: false,
  }));
  const write = (file: string, data: unknown) => fs.writeFileSync(path.join(stubDir, file), JSON.stringify(data));
  write(
    'servers.json',
    servers.map(({ id, name, labels }) => ({ id, name, labels })),
  );
  servers.forEach((x) => write(`server-${x.id}.json`, x));
  ips.forEach((x) => {
    write(`ip-${x.id}.json`, x);
    write(`ip-${x.name}.json`, x);
  });
  write('firewall.json', firewall);
  write('firewalls.json', [firewall]);
  const k3sConfig = (n: string) => (parse(record(n)) as { 'k3s-config': Record<string, unknown> })['k3s-config'];
  const nodes = names.map((n) =>
    k3sNode({ name: n.name, ip: n.ip, configFiles: [k3sConfig(n.name)], version: 'v1.34.6+k3s1' }),
  );
  const snapshots = names.map((n) => snapshotFile({ node: n.name, s3: true, created: new Date() }));
  write('nodes.json', { items: nodes });
  write('snapshots.json', { items: snapshots });
  write('empty.json', { items: [] });
  const hcloud = `#!/bin/sh\ncase "$1 $2" in\n"server list") exec cat ${stubDir}/servers.json;;\n"server describe") exec cat ${stubDir}/server-$3.json;;\n"firewall list") exec cat ${stubDir}/firewalls.json;;\n"firewall describe") exec cat ${stubDir}/firewall.json;;\n"primary-ip describe") exec cat ${stubDir}/ip-$3.json;;\nesac\nexit 1\n`;
  const kubectl = `#!/bin/sh\ncase "$4" in\nnodes) exec cat ${stubDir}/nodes.json;;\netcdsnapshotfiles.k3s.cattle.io) exec cat ${stubDir}/snapshots.json;;\nesac\nexec cat ${stubDir}/empty.json\n`;
  fs.writeFileSync(path.join(stubDir, 'hcloud'), hcloud, { mode: 0o755 });
  fs.writeFileSync(path.join(stubDir, 'kubectl'), kubectl, { mode: 0o755 });
  fs.writeFileSync(path.join(stubDir, 'kubeconfig'), '{}');
}
const stubEnv = {
  PATH: `${stubDir}:${process.env.PATH}`,
  HCLOUD_TOKEN: 'bench-not-a-token',
  KUBECONFIG: path.join(stubDir, 'kubeconfig'),
};
const PLAN = 'the plan (--plan; hcloud and kubectl stubs of canned JSON)';
const STUB = 'the stubs alone, their calls as the plan makes them';
const ids = [1, 2, 3];
const round = (calls: string[]) => `${calls.map((c) => `${c} >/dev/null &`).join(' ')} wait`;
const stubCalls = [
  round([
    'hcloud server list -o json',
    'hcloud firewall list -o json',
    'hcloud firewall describe honeydue -o json',
    ...['nodes', 'etcdsnapshotfiles.k3s.cattle.io', 'jobs.batch', 'plans.upgrade.cattle.io'].map(
      (k) => `kubectl --kubeconfig x get ${k} -o json`,
    ),
  ]),
  round(ids.map((i) => `hcloud server describe ${i} -o json`)),
  round([
    ...ids.map((i) => `hcloud primary-ip describe ${100 + i - 1} -o json`),
    ...ids.map(() => 'hcloud primary-ip describe x -o json'),
  ]),
].join('; ');
const planned = measure([
  { name: APP, argv: app, synth: true },
  { name: PLAN, argv: [...app, '--plan'], env: stubEnv },
  {
    name: STUB,
    argv: ['sh', '-c', stubCalls],
    env: stubEnv,
  },
]);

const CA = 'NODE_EXTRA_CA_CERTS';
const withoutCa = process.env[CA]
  ? measure([
      { name: `node -e 0, without ${CA}`, argv: baseline.argv, unset: [CA] },
      { name: `the app, without ${CA}`, argv: app, synth: true, unset: [CA] },
    ])
  : undefined;

let peerSamples: Map<string, number[]> | undefined;
if (peers) {
  // The peer: the same manifests as plain YAML under a generated kustomization.yaml.
  const kustomizeDir = path.join(work, 'kustomize');
  fs.mkdirSync(kustomizeDir);
  const manifests = fs.readdirSync(path.join(root, 'dist')).filter((f) => f.endsWith('.k8s.yaml'));
  for (const f of manifests) fs.copyFileSync(path.join(root, 'dist', f), path.join(kustomizeDir, f));
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: manifests };
  fs.writeFileSync(path.join(kustomizeDir, 'kustomization.yaml'), `${JSON.stringify(kustomization)}\n`);
  peerSamples = measure([
    baseline,
    { name: 'npx cdk8s synth', argv: ['npx', 'cdk8s', 'synth', '--no-check-upgrade', '--output', outdir], synth: true },
    { name: 'kubectl kustomize (peer)', argv: [kubectlPath(), 'kustomize', kustomizeDir] },
  ]);
}

const sizes = [10, 100, 1000];
const scaleName = (n: number) => `scale: ${n} web workloads`;
const scale = measure([
  baseline,
  ...sizes.map((n) => ({ name: scaleName(n), argv: [nodeBin, path.join(root, 'build', 'scale.js'), String(n)] })),
]);
const scaleBase = median(scale.get(baseline.name)!);
if (!process.env.BENCH_KEEP) fs.rmSync(work, { recursive: true, force: true });

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const memory = `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`;
console.log(`machine: ${cpu}, ${os.cpus().length} cores, ${memory}, node ${process.version}, ${runs} alternating runs`);
console.log(`load average (1, 5, 15 min): ${loadBefore} before, ${load()} after`);
table('synth (a new K3S_TOKEN every run)', main, base);
if (withoutCa)
  table(
    `without ${CA} (set here: every node process loads it at start)`,
    withoutCa,
    median(withoutCa.get(`node -e 0, without ${CA}`)!),
  );
if (peerSamples) table('peers', peerSamples, median(peerSamples.get(baseline.name)!));
table('scale (chart library, generated config; includes process start)', scale, scaleBase);
table('the plan (ratios here to node -e 0 of the first table)', planned, base);
const ratio = (name: string) => (median(main.get(name)!) / base).toFixed(2);
const t = (n: number) => median(scale.get(scaleName(n))!);
console.log(`
ratios to node -e 0 (medians of the same run)
  the app:         ${ratio(APP)}
  npm run synth:   ${ratio(NPM)}
  start-up alone:  ${ratio(STARTUP)}
scale: t(1000)/t(100) = ${(t(1000) / t(100)).toFixed(2)}
the plan's own cost, without the tools': (plan - stub) / the app's synth = ${(
  (median(planned.get(PLAN)!) - median(planned.get(STUB)!)) /
  median(planned.get(APP)!)
).toFixed(2)}`);
