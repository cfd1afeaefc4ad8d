import { stringify } from 'yaml';
import type { Config, NodeConfig } from '../config/schema';
import { kubeProxy } from './kube-proxy';
import { PATHS } from './paths';
import { K3S_PORTS } from './ports';
import { clusterAddress, joinTarget } from './topology';
import { rootFile, type WriteFile } from './write-file';

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
    ...kubeProxy(k3s).k3sConfig,
    'write-kubeconfig-mode': '0600',
  };
}

/** The config file, mode 0600: it names the token file and the cluster layout. */
export function k3sConfigFile(config: Config, node: NodeConfig): WriteFile {
  // YAML 1.1, as K3s's go-yaml reads it: a node named `yes` or `2001-12-14` stays a string.
  return rootFile(PATHS.k3sConfig, stringify(k3sConfig(config, node), { version: '1.1' }), '0600');
}

/** The shared cluster token. Only root may read it. */
export function k3sTokenFile(token: string): WriteFile {
  return rootFile(PATHS.k3sToken, `${token}\n`, '0600');
}
