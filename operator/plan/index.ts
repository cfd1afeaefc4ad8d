import type { Config } from '../../config/schema';
import type { HcloudFirewallRule } from '../../model/firewall-rule';
import type { Layout } from '../../model/layout';
import { NODE_FILE_LABEL, type NodeRecord } from '../../model/node-record';
import { readCluster } from './cluster';
import { readLive } from './live';
import { makePlan, type Plan } from './plan';

/** What the plan is handed of the operator's machine: where the cluster is, and the token's hash. */
export interface PlanAccess {
  /** The kubeconfig to read the cluster with (operator/plan/cluster.ts kubeconfigOf), or none. */
  readonly kubeconfig: string | undefined;
  /** Whether a cluster token is at hand, and its snapshot token hash; the token itself stays in cli/. */
  readonly token: { readonly hash: string } | undefined;
}

/**
 * The plan of this synth (its records and Cloud Firewall rules) against what runs: Hetzner read
 * with hcloud and the cluster with kubectl, in parallel and read only; the previous records from
 * `out` and git. Changes nothing.
 */
export async function planFor(
  config: Config,
  desired: { readonly records: readonly NodeRecord[]; readonly rules: readonly HcloudFirewallRule[] },
  out: Layout,
  env: NodeJS.ProcessEnv,
  access: PlanAccess,
): Promise<Plan> {
  const [live, cluster] = await Promise.all([
    readLive(
      {
        firewall: config.cluster.hetzner.firewall,
        primaryIps: config.cluster.nodes.map((n) => n.primaryIp),
        servers: config.cluster.nodes.map((n) => n.name),
        label: NODE_FILE_LABEL,
      },
      env,
    ),
    readCluster(access.kubeconfig, env),
  ]);
  return makePlan({
    config,
    ...desired,
    live,
    out,
    tokenAtHand: access.token !== undefined,
    tokenHash: access.token?.hash,
    cluster,
  });
}
