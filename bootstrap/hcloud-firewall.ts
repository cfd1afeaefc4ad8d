import type { ConfigProblem } from '../config/load';
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

/**
 * Hetzner's limits on one firewall (API reference, `POST /firewalls` and `set_rules`): 50 rules,
 * 100 CIDRs per rule's source list, and 500 "effective rules". Hetzner counts each source CIDR
 * of a rule as one effective rule; this count is that sum, which no reading of the limit makes
 * smaller.
 */
export const HCLOUD_FIREWALL_LIMITS = { rules: 50, sourcesPerRule: 100, effectiveRules: 500 } as const;

/** A CIDR as the API takes it (and as the CLI sends it back): a bare address becomes a /32. */
const asCidr = (family: 4 | 6, from: string | undefined): string =>
  from === undefined ? (family === 4 ? '0.0.0.0/0' : '::/0') : from.includes('/') ? from : `${from}/${family === 4 ? 32 : 128}`;

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
  // The configuration was checked against the limits when it was loaded (RENDER_CHECKS); a
  // file over them here means a caller skipped that check.
  if (hcloudFirewallLimitIssues(config).length > 0) throw new Error('bug: rendering a Cloud Firewall over Hetzner’s limits; load the config with RENDER_CHECKS');
  return `${JSON.stringify(hcloudFirewallRules(config), null, 2)}\n`;
}

/** Effective rules, as Hetzner counts them: every source CIDR of every rule. */
export const effectiveRules = (rules: readonly HcloudFirewallRule[]): number => rules.reduce((n, r) => n + r.source_ips.length, 0);

/** What to do about a list that is too long. */
const fix = (field: readonly string[]): string =>
  field[0] === 'cloudflare' ? 'Shorten cloudflare.ipv4 and cloudflare.ipv6 (merge ranges), or set firewall.web to anywhere' : `Shorten ${field.join('.')}`;

/**
 * What in the configuration makes the Cloud Firewall exceed Hetzner's limits; empty if nothing.
 * Each issue names the field whose list grows the firewall past the limit.
 */
export function hcloudFirewallLimitIssues(config: Config): ConfigProblem[] {
  const { rules: maxRules, sourcesPerRule, effectiveRules: maxEffective } = HCLOUD_FIREWALL_LIMITS;
  const public_ = publicAllowances(config);
  const rules = public_.map(ruleOf);
  const issues: ConfigProblem[] = [];
  const name = config.cluster.hetzner.firewall;
  if (rules.length > maxRules) {
    issues.push({ path: ['cluster', 'hetzner', 'firewall'], message: `the Cloud Firewall ${name} would hold ${rules.length} rules; Hetzner allows ${maxRules} per firewall` });
  }
  const tooLong = new Map<string, Allowance[]>();
  for (const a of public_) if (a.sources.length > sourcesPerRule) tooLong.set(a.field.join('.'), [...(tooLong.get(a.field.join('.')) ?? []), a]);
  for (const as of tooLong.values()) {
    const what = as.map((a) => `"${a.description}"`).join(' and ');
    issues.push({
      path: as[0]!.field,
      message: `the Cloud Firewall ${as.length > 1 ? 'rules' : 'rule'} ${what} would list ${as[0]!.sources.length} source CIDRs${as.length > 1 ? ' each' : ''}; Hetzner allows ${sourcesPerRule} per rule. ${fix(as[0]!.field)}`,
    });
  }
  const total = effectiveRules(rules);
  if (total > maxEffective) {
    // Name the field that contributes the most effective rules: shortening it helps the most.
    const byField = new Map<string, { path: readonly string[]; count: number }>();
    for (const a of public_) {
      const key = a.field.join('.');
      byField.set(key, { path: a.field, count: (byField.get(key)?.count ?? 0) + a.sources.length });
    }
    const parts = [...byField.entries()].map(([k, v]) => `${k} ${v.count}`).join(', ');
    const worst = [...byField.values()].sort((x, y) => y.count - x.count)[0]!;
    issues.push({
      path: worst.path,
      message: `the Cloud Firewall ${name} would hold ${total} effective rules (one per source CIDR of each rule: ${parts}); Hetzner allows ${maxEffective}. ${fix(worst.path)}`,
    });
  }
  return issues;
}
