import type { Config } from '../config/schema';
import { type Allowance, allowances } from './inbound';

/**
 * One rule of a Hetzner Cloud Firewall, in the API's own shape: what
 * `hcloud firewall replace-rules NAME --rules-file FILE` reads (a JSON array of these) and sends
 * to `POST /v1/firewalls/{id}/actions/set_rules`. Inbound only: a firewall with no `out` rule
 * lets all outbound traffic pass, and inbound traffic no rule admits is dropped.
 */
export interface HcloudFirewallRule {
  readonly direction: 'in';
  readonly protocol: 'tcp' | 'udp';
  /** A port, or an inclusive range written `2379-2380`. */
  readonly port: string;
  /** CIDRs; `0.0.0.0/0` and `::/0` are "anywhere" of each family. */
  readonly source_ips: readonly string[];
  readonly description: string;
}

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
function publicAllowances(config: Config): Allowance[] {
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
export function hcloudFirewallRules(config: Config): HcloudFirewallRule[] {
  return publicAllowances(config).map(ruleOf);
}

/** The rules file, as `hcloud firewall replace-rules --rules-file` reads it. */
export function hcloudFirewallRulesText(config: Config): string {
  // Within Hetzner's limits: the config was checked against them when it was loaded
  // (config/hetzner-limits.ts).
  return `${JSON.stringify(hcloudFirewallRules(config), null, 2)}\n`;
}

/** Effective rules, as Hetzner counts them: every source CIDR of every rule. */
export const effectiveRules = (rules: readonly HcloudFirewallRule[]): number =>
  rules.reduce((n, r) => n + r.source_ips.length, 0);
