import type { z } from 'zod';
import { type CapacityInput, capacityReport } from './capacity';
import type { CheckedConfig, Config } from './schema';
import { TOOL_ENV } from './tool-env';

/** Cross-field rules of the workloads: their routes, their environment, and whether their pods fit the nodes. */

/**
 * The Ingress routes every app's host, path /, to its Service: two apps on one host would be
 * two rules for the same host and path, and only one of them would ever be served.
 */
export function checkRoutes(c: { apps: Record<'api' | 'admin', { host: string }> }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const app of ['api', 'admin'] as const) {
    const { host } = c.apps[app];
    const first = seen.get(host);
    if (first) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps', app, 'host'],
        message:
          `${host} is also apps.${first}.host; the Ingress routes a host's path / to one Service, so the two ` +
          `rules would clash: give each app its own host`,
      });
    } else {
      seen.set(host, app);
    }
  }
}

/** An app's `env` must not hold a variable its chart sets itself: the chart's value would silently win. */
export function checkToolEnv(c: CheckedConfig, ctx: z.RefinementCtx) {
  for (const [app, vars] of Object.entries(TOOL_ENV) as [keyof typeof TOOL_ENV, Record<string, string>][]) {
    for (const [name, what] of Object.entries(vars)) {
      if (Object.hasOwn(c.apps[app].env, name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['apps', app, 'env', name],
          message:
            `${name} is set by the stack itself, and its value would silently replace this one: ` +
            `it holds ${what}. Remove it from env`,
        });
      }
    }
  }
}

/**
 * The requests of every pod must fit the nodes left after the system pods, and with one
 * node drained every pod must still fit on the others (a PDB-respecting drain must not
 * strand pods as Pending).
 */
export function checkCapacity(c: CheckedConfig, ctx: z.RefinementCtx) {
  const report = capacityReport(capacityInput(c));
  for (const [what, need, have] of [
    ['CPU (millicores)', report.requested.cpu, report.allocatableOneNodeDown.cpu],
    ['memory (bytes)', report.requested.memory, report.allocatableOneNodeDown.memory],
  ] as const) {
    if (need > have) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps'],
        message: `pod requests need ${need} ${what} but ${c.cluster.nodes.length - 1} node(s) left after a drain offer ${have}; lower replicas or requests, or raise cluster.nodeCapacity`,
      });
    }
  }
}

/** The capacity check's view of a configuration: every workload's pods and the nodes. */
export function capacityInput(c: Pick<Config, 'apps' | 'cluster'>): CapacityInput {
  const { api, admin, worker, redis } = c.apps;
  return {
    workloads: [
      { replicas: api.replicas, requests: api.resources },
      { replicas: admin.replicas, requests: admin.resources },
      { replicas: worker.replicas, requests: worker.resources },
      { replicas: 1, requests: redis.resources },
    ],
    nodes: c.cluster.nodes.length,
    nodeCapacity: c.cluster.nodeCapacity,
    systemReserved: c.cluster.systemReserved,
  };
}

/**
 * Most bytes an app's environment variables may take together, as kubectl's JSON holds them.
 * `kubectl apply` copies the whole Deployment into its last-applied-configuration annotation,
 * and the API server refuses an object whose annotations pass 256 KiB (apimachinery
 * `TotalAnnotationSizeLimitB`); this leaves the rest of the object (a few KiB) ample room.
 */
export const ENV_TOTAL_MAX = 128 * 1024;

/**
 * The bytes of `s` in Go's encoding/json, which kubectl uses: UTF-8, with `"` and `\` escaped
 * by one more byte each and `<`, `>`, `&` written as six-byte `\u003c` escapes.
 */
export function goJsonBytes(s: string): number {
  let n = Buffer.byteLength(s, 'utf8');
  for (const c of s)
    if (c === '"' || c === '\\') n += 1;
    else if (c === '<' || c === '>' || c === '&') n += 5;
  return n;
}

/** An app's variables together must fit the annotation kubectl apply writes (`ENV_TOTAL_MAX`). */
export function checkEnvSize(c: Pick<CheckedConfig, 'apps'>, ctx: z.RefinementCtx) {
  for (const [app, { env }] of [
    ['api', c.apps.api],
    ['admin', c.apps.admin],
    ['worker', c.apps.worker],
  ] as const) {
    const entries = Object.entries(env);
    // {"name":"…","value":"…"}, and a comma.
    const total = entries.reduce((n, [k, v]) => n + goJsonBytes(k) + goJsonBytes(v) + 22, 0);
    if (total <= ENV_TOTAL_MAX) continue;
    const [largest] = [...entries].sort((a, b) => goJsonBytes(b[1]) - goJsonBytes(a[1]))[0]!;
    ctx.addIssue({
      code: 'custom',
      path: ['apps', app, 'env', largest],
      message: `apps.${app}.env takes ${total} bytes as kubectl writes it, more than ${ENV_TOTAL_MAX}: kubectl apply stores the whole Deployment in an annotation that Kubernetes caps at 256 KiB. Move the largest values (this one first) into a ConfigMap or a Secret (secretEnv)`,
    });
  }
}
