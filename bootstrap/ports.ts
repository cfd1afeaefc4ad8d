import type { Config } from '../config/schema';

// The TCP ports of K3s and SSH live in config/ (the config checks the web ports against them).
export { K3S_PORTS, SSH_PORT } from '../config/ports';

/** The bridge Flannel's CNI plugin attaches this node's pods to. */
export const POD_BRIDGE = 'cni0';

/** What one Flannel backend means on a node. */
export interface Overlay {
  /** UDP port the backend carries node-to-node pod traffic on. */
  readonly port: number;
  /** The interface Flannel creates for it; pod traffic from other nodes arrives there. */
  readonly iface: string;
  /** Shown in firewall comments. */
  readonly label: string;
  /** The net-conf `Backend` object, as K3s's own template for this backend writes it. */
  readonly netConfBackend: Readonly<Record<string, unknown>>;
}

/**
 * Every Flannel backend the config offers, resolved in this one table: the firewall, the
 * net-conf and the tests all read it, so a backend cannot mean two things in two files.
 */
export const OVERLAYS: Readonly<Record<Config['cluster']['flannelBackend'], Overlay>> = {
  vxlan: { port: 8472, iface: 'flannel.1', label: 'flannel vxlan', netConfBackend: { Type: 'vxlan' } },
  // K3s's wireguard-native template: keepalive keeps NAT and conntrack state alive.
  'wireguard-native': {
    port: 51820,
    iface: 'flannel-wg',
    label: 'flannel wireguard',
    netConfBackend: { Type: 'wireguard', PersistentKeepaliveInterval: 25, Mode: 'separate' },
  },
};

/** The overlay of a cluster's configured backend. */
export const overlay = (cluster: Pick<Config['cluster'], 'flannelBackend'>): Overlay => OVERLAYS[cluster.flannelBackend];
