import type { NodeConfig } from '../config/cluster';
import { PATHS } from '../model/paths';
import { type Allowance, allowances, type InboundInputs } from '../model/inbound';
import { overlay, POD_BRIDGE } from '../model/overlays';
import { plainWord, renderTemplate } from './template';
import { peersOf } from '../model/topology';
import { CHAIN_PREFIX, userInputChain } from './ufw-chains';
import { rootFile, type WriteFile } from './write-file';

/** One `ufw allow` rule, as data. */
export interface UfwRule {
  readonly proto: 'tcp' | 'udp' | 'any';
  /** A port or an inclusive range. @default - every port */
  readonly port?: number | readonly [number, number];
  /** Source address or CIDR. @default - anywhere */
  readonly from?: string;
  /** Inbound interface. @default - any */
  readonly iface?: string;
  /** Shown by `ufw status`. */
  readonly comment: string;
}

/** The UFW rules of an allowance for one IP family: one rule per source, as `ufw allow` takes them. */
export function ufwRulesOf(a: Allowance, family: 4 | 6): UfwRule[] {
  return a.sources
    .filter((s) => s.family === family)
    .map((s) => ({ proto: a.proto, port: a.port, from: s.from, iface: a.iface, comment: s.comment }));
}

/**
 * The inbound rules of one node. Cluster ports open only to the other nodes (on the private
 * network when one is attached); operators reach SSH and the API from their CIDRs; the web
 * ports follow `firewall.web`. Everything else is dropped by the default policy. The public
 * rules are the allowances the Cloud Firewall is rendered from too (`model/inbound.ts`).
 */
export function ufwRules(config: InboundInputs, node: NodeConfig): { v4: UfwRule[]; v6: UfwRule[] } {
  const { cluster } = config;
  const { cluster: fromPeers, operators, web } = allowances(config, peersOf(cluster, node));
  const tunnel = overlay(cluster);
  // Pod and Service sources arrive on the pod bridge (this node's pods) or the overlay
  // interface (other nodes' pods), never on the public interface: binding the rules to those
  // interfaces keeps a forged 10.42.x.x source on eth0 from passing every port, UDP 8472 too.
  const fromCluster = (from: string, what: string): UfwRule[] =>
    [POD_BRIDGE, tunnel.iface].map((i) => ({ proto: 'any' as const, from, iface: i, comment: `${what} via ${i}` }));
  const family = (as: Allowance[], f: 4 | 6) => as.flatMap((a) => ufwRulesOf(a, f));

  const v4: UfwRule[] = [
    ...family(fromPeers, 4),
    ...family(operators, 4),
    // K3s with UFW: pods and Services reach the node's own endpoints (kubelet, DNS, API).
    ...fromCluster(cluster.podCidr, 'k3s pods'),
    ...fromCluster(cluster.serviceCidr, 'k3s services'),
    ...family(web, 4),
  ];
  const v6: UfwRule[] = [...family(fromPeers, 6), ...family(operators, 6), ...family(web, 6)];
  return { v4, v6 };
}

/** ufw's `### tuple ###` line and iptables lines for a rule, byte for byte as `ufw allow` writes them (the system test compares with ufw's own rewrite). */
export function ufwRuleText(rule: UfwRule, family: 4 | 6): { tuple: string; lines: string[] } {
  const any = family === 4 ? '0.0.0.0/0' : '::/0';
  const chain = userInputChain(family);
  const port =
    rule.port === undefined ? 'any' : typeof rule.port === 'number' ? String(rule.port) : rule.port.join(':');
  // ufw writes a single host without its prefix length: /32 in IPv4, /128 in IPv6. A shorter
  // prefix stays: an IPv6 /32 (one of Cloudflare's ranges) is a network, not a host.
  const from = rule.from === undefined ? any : rule.from.replace(family === 4 ? /\/32$/ : /\/128$/, '');
  const direction = rule.iface ? `in_${rule.iface}` : 'in';
  const comment = `comment=${Buffer.from(rule.comment, 'utf8').toString('hex')}`;
  const tuple = [`allow`, rule.proto, port, any, 'any', from, direction, comment].join(' ');
  const match = [
    ...(rule.iface ? ['-i', rule.iface] : []),
    ...(rule.proto === 'any' ? [] : ['-p', rule.proto]),
    ...(rule.port === undefined
      ? []
      : typeof rule.port === 'number'
        ? ['--dport', port]
        : ['-m', 'multiport', '--dports', port]),
    ...(rule.from === undefined ? [] : ['-s', from]),
  ];
  return { tuple, lines: [['-A', chain, ...match, '-j', 'ACCEPT'].map(plainWord).join(' ')] };
}

/** user.rules, user6.rules, ufw.conf and /etc/default/ufw: UFW configured as data, enabled at boot. */
export function ufwFiles(config: InboundInputs, node: NodeConfig): WriteFile[] {
  const { v4, v6 } = ufwRules(config, node);
  const rulesFile = (rules: UfwRule[], family: 4 | 6) =>
    renderTemplate('user.rules', { chain: CHAIN_PREFIX[family], rules: rules.map((r) => ufwRuleText(r, family)) });
  return [
    rootFile(PATHS.ufwUserRules, rulesFile(v4, 4), '0640'),
    rootFile(PATHS.ufwUser6Rules, rulesFile(v6, 6), '0640'),
    rootFile(PATHS.ufwConf, renderTemplate('ufw.conf', { logLevel: 'low' }), '0644'),
    rootFile(PATHS.ufwDefaults, renderTemplate('default-ufw', {}), '0644'),
  ];
}
