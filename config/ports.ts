import { SSH_PORT } from './node-ports';

/**
 * The TCP ports of a K3s server that other nodes and the operators reach (docs.k3s.io,
 * Requirements, "Inbound rules for K3s server nodes"). They live here, at the bottom layer,
 * because the Cloud Firewall's limits count the rules they become. Every port a node listens
 * on, these and the ones it keeps to itself, is in ./node-ports.ts: the web ports stay off all of them.
 */
export const K3S_PORTS = { api: 6443, kubelet: 10250, etcd: [2379, 2380] as const };

/** The UDP port each Flannel backend carries node-to-node pod traffic on, and its name in rules. The schema's choices. */
export const OVERLAY_PORTS = {
  vxlan: { port: 8472, label: 'flannel vxlan' },
  'wireguard-native': { port: 51820, label: 'flannel wireguard' },
} as const satisfies Record<string, { port: number; label: string }>;

export type FlannelBackend = keyof typeof OVERLAY_PORTS;
export const FLANNEL_BACKENDS = Object.keys(OVERLAY_PORTS) as [FlannelBackend, ...FlannelBackend[]];

/** What `inboundPorts` reads of a configuration. */
export interface InboundPortsInput {
  readonly cluster: { readonly flannelBackend: FlannelBackend };
  readonly traefik: { readonly webPort: number; readonly websecurePort: number };
}

/** One port a group of sources is let in on. */
export interface InboundPort {
  readonly proto: 'tcp' | 'udp';
  /** A port or an inclusive range. */
  readonly port: number | readonly [number, number];
  /** What it is, in rule comments: `kubelet`, `ssh`, `web`. */
  readonly what: string;
}

/**
 * Which ports each group of sources is let in on, in UFW's rule order: the cluster ports from
 * the other nodes, SSH and the API from the operators, the web ports from anywhere or
 * Cloudflare. One table: the model's allowances (model/inbound.ts) add the sources to it, and
 * the Cloud Firewall's limits (./hetzner-limits.ts) count the rules it becomes.
 */
export function inboundPorts(
  c: InboundPortsInput,
): Readonly<Record<'peers' | 'operators' | 'web', readonly InboundPort[]>> {
  const overlay = OVERLAY_PORTS[c.cluster.flannelBackend];
  return {
    peers: [
      { proto: 'udp', port: overlay.port, what: overlay.label },
      { proto: 'tcp', port: K3S_PORTS.kubelet, what: 'kubelet' },
      { proto: 'tcp', port: K3S_PORTS.etcd, what: 'etcd' },
      { proto: 'tcp', port: K3S_PORTS.api, what: 'k3s api' },
    ],
    operators: [
      { proto: 'tcp', port: K3S_PORTS.api, what: 'k3s api' },
      { proto: 'tcp', port: SSH_PORT, what: 'ssh' },
    ],
    web: [
      { proto: 'tcp', port: c.traefik.webPort, what: 'web' },
      { proto: 'tcp', port: c.traefik.websecurePort, what: 'web' },
    ],
  };
}

/** The Cloud Firewall rule description of each group's rules: what `hcloud firewall describe` shows. */
export const inboundDescription = {
  peers: (p: InboundPort) => `${p.what} from the nodes`,
  operators: (p: InboundPort) => `${p.what} from operators`,
  web: (_p: InboundPort, cloudflareOnly: boolean) => (cloudflareOnly ? 'web from cloudflare' : 'web from anywhere'),
} as const;
