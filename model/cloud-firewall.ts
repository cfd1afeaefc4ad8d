import type { HcloudFirewallRule } from './firewall-rule';
import { type Allowance, allowances, type InboundInputs } from './inbound';

/** A CIDR as the API takes it (and as the CLI sends it back): a bare address becomes a /32. */
const asCidr = (family: 4 | 6, from: string | undefined): string =>
  from === undefined
    ? family === 4
      ? '0.0.0.0/0'
      : '::/0'
    : from.includes('/')
      ? from
      : `${from}/${family === 4 ? 32 : 128}`;

/**
 * The public allowances of the one Cloud Firewall every node of the cluster carries. Its
 * cluster-port sources are all the nodes: a node's own address among them is harmless, because
 * a packet a server sends to its own address stays on the server and never reaches the
 * firewall. With a private network the cluster ports are bound to the private interface, which
 * the Cloud Firewall does not see, so they are not opened on it at all: the nodes talk over the
 * private network, and UFW alone filters there. Interface-bound rules stay UFW's own.
 */
function publicAllowances(config: InboundInputs): Allowance[] {
  const { cluster, operators, web } = allowances(config, config.cluster.nodes);
  return [...cluster, ...operators, ...web].filter((a) => a.iface === undefined && a.sources.length > 0);
}

const ruleOf = (a: Allowance): HcloudFirewallRule => ({
  direction: 'in',
  protocol: a.proto,
  port: typeof a.port === 'number' ? String(a.port) : a.port.join('-'),
  source_ips: a.sources.map((s) => asCidr(s.family, s.from)),
  description: a.description,
});

/** The inbound rules of the cluster's Cloud Firewall, from the same allowances as every node's UFW. */
export function hcloudFirewallRules(config: InboundInputs): HcloudFirewallRule[] {
  return publicAllowances(config).map(ruleOf);
}
