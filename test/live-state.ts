import type { Config, NodeConfig } from '../config/schema';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import type { NodeRecord } from '../model/node-record';
import { type ClusterRead, clusterOf } from '../operator/plan/cluster';
import type { LiveState } from '../operator/plan/live';
import { readRecord } from '../operator/plan/record-diff';
import { type K3sServer, k3sNode, snapshotFile } from './kube/k3s-node';

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
      primaryIpId: 100 + i,
      serverType: config.cluster.hetzner.serverType,
      image: config.cluster.hetzner.image,
      location: config.cluster.hetzner.location,
    })),
    firewall: {
      name: config.cluster.hetzner.firewall,
      rules: hcloudFirewallRules(config),
      serverIds: nodes.map((_n, i) => i + 1),
    },
    otherFirewalls: [],
    primaryIps: nodes.map((n, i) => ({
      id: 100 + i,
      name: n.primaryIp,
      ip: n.publicIPv4,
      assigneeId: i + 1,
      autoDelete: false,
    })),
  };
}

/**
 * The cluster as kubectl would read it when every configured server runs the K3s config its
 * record renders (as K3s records it on the Node), Ready and an etcd voter, with an off-node
 * snapshot of each taken with `token` a minute ago, and no upgrade running.
 */
export function matchingCluster(
  config: Config,
  records: readonly NodeRecord[],
  token: string,
  server: (node: NodeConfig, i: number) => Partial<K3sServer> = () => ({}),
): ClusterRead {
  const now = new Date();
  const nodes = config.cluster.nodes.map((n, i) =>
    k3sNode({
      name: n.name,
      ip: n.publicIPv4,
      configFiles: [k3sConfigOf(records.find((r) => r.name === n.name)!)],
      ...server(n, i),
    }),
  );
  const snapshots = config.cluster.nodes.map((n) =>
    snapshotFile({ node: n.name, s3: true, created: new Date(now.getTime() - 60_000), token }),
  );
  return clusterOf(
    { nodes: { items: nodes }, snapshots: { items: snapshots }, jobs: { items: [] }, plans: { items: [] } },
    now,
  );
}

/** The config.yaml a record renders. */
export const k3sConfigOf = (r: NodeRecord): Record<string, unknown> => readRecord(r.text)['k3s-config'];
