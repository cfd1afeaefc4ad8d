import type { ClusterConfig, NodeConfig } from '../config/cluster';

/** The address other nodes reach this node on: private when a private network is attached. */
export function clusterAddress(node: NodeConfig): string {
  return node.privateIPv4 ?? node.publicIPv4;
}

/**
 * The server a node joins, or `undefined` for the one that starts the cluster: the first
 * listed node, unless the cluster is already established, when every node (a rebuilt first
 * node too) joins another listed node instead of starting a second cluster.
 */
export function joinTarget(cluster: ClusterConfig, node: NodeConfig): NodeConfig | undefined {
  const [first, second] = cluster.nodes as [NodeConfig, NodeConfig | undefined];
  if (node !== first) return first;
  return cluster.established ? second : undefined;
}

/** The other nodes of the cluster: the only sources the cluster ports are open to. */
export function peersOf(cluster: ClusterConfig, node: NodeConfig): NodeConfig[] {
  return cluster.nodes.filter((n) => n !== node);
}

/** A node's role: `first` starts the cluster (cluster-init), a `join` server joins another. */
export const roleOf = (cluster: ClusterConfig, node: NodeConfig): 'first' | 'join' =>
  joinTarget(cluster, node) ? 'join' : 'first';
