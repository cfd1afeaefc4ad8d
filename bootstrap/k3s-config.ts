import { stringify } from 'yaml';
import type { Config, NodeConfig } from '../config/schema';
import { K3S_PORTS } from './k3s-ports';
import { PATHS } from './paths';
import { rootFile, type WriteFile } from './write-file';

/** The address other nodes reach this node on: private when a private network is attached. */
export function clusterAddress(node: NodeConfig): string {
  return node.privateIPv4 ?? node.publicIPv4;
}

/**
 * The server a node joins, or `undefined` for the one that starts the cluster: the first
 * listed node, unless the cluster is already established, when every node (a rebuilt first
 * node too) joins another listed node instead of starting a second cluster.
 */
export function joinTarget(cluster: Config['cluster'], node: NodeConfig): NodeConfig | undefined {
  const [first, second] = cluster.nodes as [NodeConfig, NodeConfig | undefined];
  if (node !== first) return first;
  return cluster.established ? second : undefined;
}

/**
 * `/etc/rancher/k3s/config.yaml`: the K3s server flags as data (keys are the CLI flag names).
 * The first node starts the embedded etcd cluster; the others join it through its API.
 */
export function k3sConfig(config: Config, node: NodeConfig): Record<string, unknown> {
  const { cluster, k3s } = config;
  const target = joinTarget(cluster, node);
  const address = clusterAddress(node);
  return {
    ...(target ? { server: `https://${clusterAddress(target)}:${K3S_PORTS.api}` } : { 'cluster-init': true }),
    'token-file': PATHS.k3sToken,
    'node-name': node.name,
    'node-ip': address,
    'node-external-ip': node.publicIPv4,
    'advertise-address': address,
    // Operators reach the API on the public address; joining nodes on the cluster address.
    'tls-san': [...new Set([node.publicIPv4, address])],
    'cluster-cidr': cluster.podCidr,
    'service-cidr': cluster.serviceCidr,
    'cluster-dns': cluster.clusterDns,
    'flannel-backend': cluster.flannelBackend,
    'flannel-conf': PATHS.flannelConf,
    ...(cluster.privateNetwork ? { 'flannel-iface': cluster.privateNetwork.interface } : {}),
    // No LoadBalancer Services here (Traefik binds host ports), and with IPVS servicelb's
    // rules cut nodes off from each other (k3s issues 2804, 5000). Traefik stays enabled.
    disable: ['servicelb'],
    // K3s hard-codes kube-proxy's iptables mode unless told otherwise.
    ...(k3s.kubeProxyMode === 'ipvs' ? { 'kube-proxy-arg': ['proxy-mode=ipvs'] } : {}),
    'write-kubeconfig-mode': '0600',
  };
}

/** The config file, mode 0600: it names the token file and the cluster layout. */
export function k3sConfigFile(config: Config, node: NodeConfig): WriteFile {
  return rootFile(PATHS.k3sConfig, stringify(k3sConfig(config, node)), '0600');
}

/** The shared cluster token. Only root may read it. */
export function k3sTokenFile(token: string): WriteFile {
  return rootFile(PATHS.k3sToken, `${token}\n`, '0600');
}
