import type { Config, NodeConfig } from '../config/schema';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import type { LiveState } from '../operator/plan/live';

/**
 * The live state of a cluster as the plan reads it, for tests that need no hcloud: every
 * configured server runs on its Primary IP (auto-delete off) behind the Cloud Firewall, which
 * holds exactly the rules this synth renders; each server carries the labels `labels` gives it.
 */
export function matchingLive(
  config: Config,
  labels: (node: NodeConfig, i: number) => Record<string, string>,
): LiveState {
  const nodes = config.cluster.nodes;
  return {
    servers: nodes.map((n, i) => ({
      id: i + 1,
      name: n.name,
      status: 'running',
      labels: labels(n, i),
      ipv4: n.publicIPv4,
    })),
    firewall: { rules: hcloudFirewallRules(config), serverIds: nodes.map((_n, i) => i + 1) },
    primaryIps: nodes.map((n) => ({ name: n.primaryIp, ip: n.publicIPv4, assigned: true, autoDelete: false })),
  };
}
