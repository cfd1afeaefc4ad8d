import type { z } from 'zod';
import { inboundDescription, type InboundPort, inboundPorts } from './ports';
import type { CheckedConfig as Config } from './schema';

/** Hetzner Cloud's limit on server user-data. */
export const USER_DATA_LIMIT = 32 * 1024;

/**
 * Hetzner's limits on one firewall (API reference, `POST /firewalls` and `set_rules`): 50 rules,
 * 100 CIDRs per rule's source list, and 500 "effective rules". Hetzner counts each source CIDR
 * of a rule as one effective rule; this count is that sum, which no reading of the limit makes
 * smaller.
 */
export const HCLOUD_FIREWALL_LIMITS = { rules: 50, sourcesPerRule: 100, effectiveRules: 500 } as const;

/** One source list of the config that becomes public Cloud Firewall rules: one rule per port. */
interface PublicGroup {
  readonly field: readonly string[];
  readonly ports: readonly InboundPort[];
  readonly descriptions: readonly string[];
  readonly sources: number;
}

/**
 * The config's source lists as the Cloud Firewall holds them (model/cloud-firewall.ts renders
 * the rules; a test holds the two to the same counts). With a private network the cluster
 * ports are bound to its interface, which the Cloud Firewall does not see; "anywhere" is one
 * source per IP family.
 */
function publicGroups(c: Config): PublicGroup[] {
  const ports = inboundPorts(c);
  const cloudflareOnly = c.firewall.web === 'cloudflareOnly';
  const groups: PublicGroup[] = [
    ...(c.cluster.privateNetwork
      ? []
      : [
          {
            field: ['cluster', 'nodes'],
            ports: ports.peers,
            descriptions: ports.peers.map(inboundDescription.peers),
            sources: c.cluster.nodes.length,
          },
        ]),
    {
      field: ['firewall', 'operatorCidrs'],
      ports: ports.operators,
      descriptions: ports.operators.map(inboundDescription.operators),
      sources: c.firewall.operatorCidrs.length,
    },
    {
      field: cloudflareOnly ? ['cloudflare', 'ipv4'] : ['firewall', 'web'],
      ports: ports.web,
      descriptions: ports.web.map((p) => inboundDescription.web(p, cloudflareOnly)),
      sources: cloudflareOnly ? c.cloudflare.ipv4.length + c.cloudflare.ipv6.length : 2,
    },
  ];
  return groups.filter((g) => g.sources > 0);
}

/** What to do about a list that is too long. */
const fix = (field: readonly string[]): string =>
  field[0] === 'cloudflare'
    ? 'Shorten cloudflare.ipv4 and cloudflare.ipv6 (merge ranges), or set firewall.web to anywhere'
    : `Shorten ${field.join('.')}`;

/**
 * Refuses a configuration whose Cloud Firewall would exceed Hetzner's limits, naming the field
 * whose list grows it past the limit: Hetzner would refuse the rules file at `replace-rules`.
 */
export function checkHetznerLimits(c: Config, ctx: z.RefinementCtx): void {
  const { rules: maxRules, sourcesPerRule, effectiveRules: maxEffective } = HCLOUD_FIREWALL_LIMITS;
  const groups = publicGroups(c);
  const name = c.cluster.hetzner.firewall;
  const rules = groups.reduce((n, g) => n + g.ports.length, 0);
  if (rules > maxRules) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'hetzner', 'firewall'],
      message: `the Cloud Firewall ${name} would hold ${rules} rules; Hetzner allows ${maxRules} per firewall`,
    });
  }
  for (const g of groups.filter((x) => x.sources > sourcesPerRule)) {
    const many = g.ports.length > 1;
    const what = [...new Set(g.descriptions)].map((d) => `"${d}"`).join(' and ');
    ctx.addIssue({
      code: 'custom',
      path: [...g.field],
      message: `the Cloud Firewall ${many ? 'rules' : 'rule'} ${what} would list ${g.sources} source CIDRs${many ? ' each' : ''}; Hetzner allows ${sourcesPerRule} per rule. ${fix(g.field)}`,
    });
  }
  const total = groups.reduce((n, g) => n + g.ports.length * g.sources, 0);
  if (total > maxEffective) {
    // Name the field that contributes the most effective rules: shortening it helps the most.
    const parts = groups.map((g) => `${g.field.join('.')} ${g.ports.length * g.sources}`).join(', ');
    const worst = [...groups].sort((x, y) => y.ports.length * y.sources - x.ports.length * x.sources)[0]!;
    ctx.addIssue({
      code: 'custom',
      path: [...worst.field],
      message: `the Cloud Firewall ${name} would hold ${total} effective rules (one per source CIDR of each rule: ${parts}); Hetzner allows ${maxEffective}. ${fix(worst.field)}`,
    });
  }
}
