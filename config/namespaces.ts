import type { z } from 'zod';

/**
 * Namespaces the workloads' namespace must not be, each with who owns it. The stack labels its
 * namespace Pod Security `restricted` and denies its pods the metadata service: in kube-system
 * that refuses the hostNetwork Traefik, the Helm jobs and CoreDNS; in system-upgrade it makes a
 * second Namespace object beside the controller's `privileged` one, and one of the two wins.
 */
export const STACK_NAMESPACES = {
  /** K3s's own components, Traefik's HelmChartConfig (charts/traefik-config.ts) and the etcd-s3 Secret. */
  kubeSystem: 'kube-system',
  /**
   * system-upgrade-controller's, as its vendored release manifest names it:
   * charts/upgrade/controller.ts refuses to load a release that names another.
   */
  systemUpgrade: 'system-upgrade',
} as const;

/** Every namespace the workloads' namespace may not be, and whose it is. */
export const RESERVED_NAMESPACES: ReadonlyMap<string, string> = new Map([
  [STACK_NAMESPACES.kubeSystem, 'Kubernetes and K3s (CoreDNS, Traefik, the Helm jobs, metrics-server)'],
  ['kube-public', 'Kubernetes (the cluster-info ConfigMap, readable by anyone)'],
  ['kube-node-lease', "Kubernetes (the nodes' heartbeat Leases)"],
  ['default', 'Kubernetes (the kubernetes Service; everything without a namespace lands there)'],
  [STACK_NAMESPACES.systemUpgrade, "system-upgrade-controller, whose Jobs need Pod Security 'privileged'"],
]);

/** The workloads get a namespace of their own (`RESERVED_NAMESPACES`). */
export function checkNamespace(c: { namespace: string }, ctx: z.RefinementCtx): void {
  const owner = RESERVED_NAMESPACES.get(c.namespace);
  if (!owner) return;
  ctx.addIssue({
    code: 'custom',
    path: ['namespace'],
    message: `${c.namespace} belongs to ${owner}; the stack labels its namespace Pod Security "restricted", which would refuse those pods. Choose a namespace of the workloads' own, such as honeydue`,
  });
}
