/**
 * One rule of a Hetzner Cloud Firewall, in the API's own shape: what
 * `hcloud firewall replace-rules NAME --rules-file FILE` reads (a JSON array of these) and sends
 * to `POST /v1/firewalls/{id}/actions/set_rules`. Inbound only: a firewall with no `out` rule
 * lets all outbound traffic pass, and inbound traffic no rule admits is dropped.
 *
 * Hetzner's shape, apart from how a config yields the rules (./cloud-firewall.ts): the summary,
 * the rules file and the plan work on rules they are handed, and never derive them again.
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
 * The rules file, as `hcloud firewall replace-rules --rules-file` reads it. Written as given:
 * the rules of a loaded config (`hcloudFirewallRules`) are within Hetzner's limits, because the
 * config was checked against them when it was loaded (config/hetzner-limits.ts).
 */
export const firewallRulesText = (rules: readonly HcloudFirewallRule[]): string =>
  `${JSON.stringify(rules, null, 2)}\n`;

/** Effective rules, as Hetzner counts them: every source CIDR of every rule. */
export const effectiveRules = (rules: readonly HcloudFirewallRule[]): number =>
  rules.reduce((n, r) => n + r.source_ips.length, 0);
