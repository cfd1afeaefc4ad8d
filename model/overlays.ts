import { type FlannelBackend, OVERLAY_PORTS } from '../config/ports';

/** The bridge Flannel's CNI plugin attaches this node's pods to. */
export const POD_BRIDGE = 'cni0';

/** What one Flannel backend means on a node. */
export interface Overlay {
  /** UDP port the backend carries node-to-node pod traffic on (config/ports.ts OVERLAY_PORTS). */
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
export const OVERLAYS: Readonly<Record<FlannelBackend, Overlay>> = {
  vxlan: { ...OVERLAY_PORTS.vxlan, iface: 'flannel.1', netConfBackend: { Type: 'vxlan' } },
  // K3s's wireguard-native template: keepalive keeps NAT and conntrack state alive.
  'wireguard-native': {
    ...OVERLAY_PORTS['wireguard-native'],
    iface: 'flannel-wg',
    netConfBackend: { Type: 'wireguard', PersistentKeepaliveInterval: 25, Mode: 'separate' },
  },
};

/** The overlay of a cluster's configured backend. */
export const overlay = (cluster: { readonly flannelBackend: FlannelBackend }): Overlay =>
  OVERLAYS[cluster.flannelBackend];
