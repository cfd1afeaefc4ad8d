import type { Config, NodeConfig } from '../config/schema';
import { K3S_PORTS, overlay, SSH_PORT } from './ports';
import { clusterAddress } from './topology';

/** One source of an allowance: an address or CIDR of one IP family, or that family's "anywhere". */
export interface AllowedSource {
  readonly family: 4 | 6;
  /** Address or CIDR. @default - anywhere (0.0.0.0/0 or ::/0) */
  readonly from?: string;
  /** The UFW comment of the rule this source becomes (`ufw status` shows it). */
  readonly comment: string;
}

/**
 * One inbound allowance as data: a protocol and port opened to a list of sources. The node's
 * UFW rules and the Hetzner Cloud Firewall are both rendered from it, so they cannot disagree.
 */
export interface Allowance {
  readonly proto: 'tcp' | 'udp';
  /** A port or an inclusive range. */
  readonly port: number | readonly [number, number];
  readonly sources: readonly AllowedSource[];
  /**
   * The interface the allowance is bound to. A bound allowance is not public: it is a UFW rule
   * only, since a Cloud Firewall filters only the public interface.
   * @default - every interface, the public one included
   */
  readonly iface?: string;
  /** What it is for, as the Cloud Firewall rule's description. */
  readonly description: string;
  /** The configuration field its sources come from: a limit error names it. */
  readonly field: readonly string[];
}

/**
 * The allowances of a node whose peers are `peers`, in UFW's rule order: the cluster ports from
 * the peers (on the private network when one is attached), SSH and the API from the operators,
 * the web ports from anywhere or from Cloudflare. The node-only rules for pod traffic
 * (interface-bound, no port) are UFW's own and go between the operators' and the web rules.
 */
export function allowances(config: Config, peers: readonly NodeConfig[]): { cluster: Allowance[]; operators: Allowance[]; web: Allowance[] } {
  const { cluster, firewall, traefik, cloudflare } = config;
  const iface = cluster.privateNetwork?.interface;
  const tunnel = overlay(cluster);
  const fromPeers = (proto: Allowance['proto'], port: Allowance['port'], what: string): Allowance => ({
    proto,
    port,
    iface,
    description: `${what} from the nodes`,
    field: ['cluster', 'nodes'],
    sources: peers.map((p) => ({ family: 4, from: clusterAddress(p), comment: `${what} from ${p.name}` })),
  });
  const fromOperators = (port: number, what: string): Allowance => ({
    proto: 'tcp',
    port,
    description: `${what} from operators`,
    field: ['firewall', 'operatorCidrs'],
    sources: firewall.operatorCidrs.map((from) => ({ family: 4, from, comment: `${what} from operators` })),
  });
  const cloudflareOnly = firewall.web === 'cloudflareOnly';
  const webSources: AllowedSource[] = cloudflareOnly
    ? [
        ...cloudflare.ipv4.map((from) => ({ family: 4 as const, from, comment: 'web from cloudflare' })),
        ...cloudflare.ipv6.map((from) => ({ family: 6 as const, from, comment: 'web from cloudflare' })),
      ]
    : [
        { family: 4, comment: 'web' },
        { family: 6, comment: 'web' },
      ];
  const web = (port: number): Allowance => ({
    proto: 'tcp',
    port,
    description: cloudflareOnly ? 'web from cloudflare' : 'web from anywhere',
    field: cloudflareOnly ? ['cloudflare', 'ipv4'] : ['firewall', 'web'],
    sources: webSources,
  });
  return {
    cluster: [
      fromPeers('udp', tunnel.port, tunnel.label),
      fromPeers('tcp', K3S_PORTS.kubelet, 'kubelet'),
      fromPeers('tcp', K3S_PORTS.etcd, 'etcd'),
      fromPeers('tcp', K3S_PORTS.api, 'k3s api'),
    ],
    operators: [fromOperators(K3S_PORTS.api, 'k3s api'), fromOperators(SSH_PORT, 'ssh')],
    web: [web(traefik.webPort), web(traefik.websecurePort)],
  };
}
