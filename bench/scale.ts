import { App } from 'cdk8s';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { WebApp } from '../charts/app/web-app';
import { IngressChart } from '../charts/ingress';
import { StackChart } from '../charts/stack-chart';
import { webApp } from '../config/workloads';

/**
 * The scale series of `npm run bench`: synthesizes N generated web workloads (Deployment,
 * Service, PodDisruptionBudget each, plus one Ingress routing all of them) with the chart
 * library, from a generated config validated by the same zod schema as apps.api. The config
 * is written as JSON (a subset of YAML): the yaml parser's cost on a 200 KB file says nothing
 * about the chart library. Usage: node build/scale.js N. Prints the in-process milliseconds.
 */
const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 1) throw new Error('usage: scale.js N (a whole number of workloads)');
const started = process.hrtime.bigint();

const schema = webApp({ replicas: 2, startupFailureThreshold: 24 });
const generated = JSON.stringify(
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [
      `web-${i}`,
      {
        image: `registry.example/web-${i}:1.0.${i}`,
        port: 8000 + (i % 1000),
        host: `web-${i}.example.com`,
        probes: { path: '/healthz' },
        resources: { cpu: '50m', memory: '64Mi', memoryLimit: '128Mi' },
      },
    ]),
  ),
);
const apps = Object.entries(JSON.parse(generated) as Record<string, unknown>).map(([name, raw]) => ({
  name,
  ...schema.parse(raw),
}));

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'honeydue-scale-'));
try {
  const app = new App({ outdir });
  const chart = new StackChart(app, 'web', { partOf: 'scale', namespace: 'scale' });
  const routes = apps.map((a) => new WebApp(chart, a.name, { ...a, component: 'web', partOf: 'scale' }).route);
  new IngressChart(app, 'ingress', { partOf: 'scale', namespace: 'scale', className: 'traefik', routes });
  app.synth();
} finally {
  fs.rmSync(outdir, { recursive: true, force: true });
}
console.log(Number(process.hrtime.bigint() - started) / 1e6);
