import type { ClusterConfig, NodeConfig } from '../config/cluster';
import type { CloudflareConfig, FirewallConfig } from '../config/firewall';
import { inboundDescription, type InboundPort, inboundPorts, type InboundPortsInput } from '../config/ports';
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
export interface Allowance extends InboundPort {
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

/** The parts of the configuration the allowances come from: the ports, the nodes, who may connect. */
export interface InboundInputs extends InboundPortsInput {
  readonly cluster: ClusterConfig;
  readonly firewall: FirewallConfig;
  readonly cloudflare: CloudflareConfig;
}

/**
 * The allowances of a node whose peers are `peers`, in UFW's rule order: the cluster ports from
 * the peers (on the private network when one is attached), SSH and the API from the operators,
 * the web ports from anywhere or from Cloudflare. The node-only rules for pod traffic
 * (interface-bound, no port) are UFW's own and go between the operators' and the web rules.
 */
export function allowances(
  config: InboundInputs,
  peers: readonly NodeConfig[],
): { cluster: Allowance[]; operators: Allowance[]; web: Allowance[] } {
  const { cluster, firewall, cloudflare } = config;
  const ports = inboundPorts(config);
  const iface = cluster.privateNetwork?.interface;
  const fromPeers = (p: InboundPort): Allowance => ({
    ...p,
    iface,
    description: inboundDescription.peers(p),
    field: ['cluster', 'nodes'],
    sources: peers.map((n) => ({ family: 4, from: clusterAddress(n), comment: `${p.what} from ${n.name}` })),
  });
  const fromOperators = (p: InboundPort): Allowance => ({
    ...p,
    description: inboundDescription.operators(p),
    field: ['firewall', 'operatorCidrs'],
    sources: firewall.operatorCidrs.map((from) => ({ family: 4, from, comment: inboundDescription.operators(p) })),
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
  const web = (p: InboundPort): Allowance => ({
    ...p,
    description: inboundDescription.web(p, cloudflareOnly),
    field: cloudflareOnly ? ['cloudflare', 'ipv4'] : ['firewall', 'web'],
    sources: webSources,
  });
  return {
    cluster: ports.peers.map(fromPeers),
    operators: ports.operators.map(fromOperators),
    web: ports.web.map(web),
  };
}
