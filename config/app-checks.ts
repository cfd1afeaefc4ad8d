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
