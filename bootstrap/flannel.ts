import type { Config } from '../config/schema';
import { PATHS } from './paths';
import { rootFile, type WriteFile } from './write-file';

/**
 * Flannel's net-conf. K3s uses a `flannel-conf` file as-is instead of generating one, so it
 * must carry Network and Backend itself. The key order follows K3s's own template.
 */
export function flannelNetConf(cluster: Config['cluster']): Record<string, unknown> {
  return {
    Network: cluster.podCidr,
    EnableIPv6: false,
    EnableIPv4: true,
    IPv6Network: '::/0',
    Backend:
      cluster.flannelBackend === 'wireguard-native'
        ? // K3s's wireguard-native template: keepalive keeps NAT and conntrack state alive.
          { Type: 'wireguard', PersistentKeepaliveInterval: 25, Mode: 'separate' }
        : { Type: 'vxlan' },
  };
}

export function flannelConfFile(cluster: Config['cluster']): WriteFile {
  return rootFile(PATHS.flannelConf, `${JSON.stringify(flannelNetConf(cluster))}\n`, '0644');
}

/** The overlay between nodes, per backend: its UDP port, and the interface Flannel creates. */
export function overlay(cluster: Config['cluster']): { port: number; iface: string; label: string } {
  return cluster.flannelBackend === 'wireguard-native'
    ? { port: 51820, iface: 'flannel-wg', label: 'flannel wireguard' }
    : { port: 8472, iface: 'flannel.1', label: 'flannel vxlan' };
}

/** The bridge Flannel's CNI plugin attaches this node's pods to. */
export const POD_BRIDGE = 'cni0';
