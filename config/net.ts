import * as ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { printable, text } from './text';

// zod runs the cross-field refinements even when a field failed its own check, so these
// helpers take unvalidated strings: a malformed one is contained in, overlaps and is nothing.
const isAddress = (ip: string) => ipaddr.IPv4.isValidFourPartDecimal(ip);
const isCidr = (cidr: string) => ipaddr.IPv4.isValidCIDRFourPartDecimal(cidr);

/** Whether `ip` lies inside `cidr` (both IPv4); false when either is malformed. */
export function cidrContains(cidr: string, ip: string): boolean {
  return isCidr(cidr) && isAddress(ip) && ipaddr.IPv4.parse(ip).match(ipaddr.IPv4.parseCIDR(cidr));
}

/** Whether two IPv4 CIDRs share an address: then one contains the other's network address. */
export function cidrsOverlap(a: string, b: string): boolean {
  if (!isCidr(a) || !isCidr(b)) return false;
  const network = (cidr: string) => ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
  return cidrContains(a, network(b)) || cidrContains(b, network(a));
}

/**
 * ipaddr.js's ranges a node address may never be in: no host can be reached there from the
 * other nodes. `reserved` is refused except the documentation networks (RFC 5737,
 * TEST-NET-1..3), which the system and VM tests use as node addresses inside their own
 * network namespaces. Private (RFC 1918) and shared (RFC 6598) addresses are accepted: a lab
 * or a NAT'd network may use them.
 */
const NOT_A_NODE_ADDRESS: ReadonlyMap<string, string> = new Map([
  ['unspecified', 'the unspecified address (0.0.0.0/8)'],
  ['broadcast', 'the broadcast address'],
  ['multicast', 'a multicast address (224.0.0.0/4)'],
  ['linkLocal', 'link-local (169.254.0.0/16, where the metadata service lives)'],
  ['loopback', 'a loopback address (127.0.0.0/8)'],
  ['reserved', 'in a reserved range'],
]);
const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((c) => ipaddr.IPv4.parseCIDR(c));

/** Why `ip` cannot be a node's address, or undefined when it can. */
export function notANodeAddress(ip: string): string | undefined {
  if (!isAddress(ip)) return undefined;
  const addr = ipaddr.IPv4.parse(ip);
  if (DOCUMENTATION.some((net) => addr.match(net))) return undefined;
  return NOT_A_NODE_ADDRESS.get(addr.range());
}

/** Short names of the ranges of {@link NOT_A_NODE_ADDRESS}, to follow a CIDR in a message. */
const RANGE_NAMES: ReadonlyMap<string, string> = new Map([
  ['unspecified', '"this network"'],
  ['broadcast', 'the broadcast address'],
  ['multicast', 'multicast'],
  ['linkLocal', 'link-local, where the metadata service lives'],
  ['loopback', 'loopback'],
  ['reserved', 'reserved'],
]);

/**
 * A range of {@link NOT_A_NODE_ADDRESS} that `cidr` overlaps, as `[range, name]`; undefined when
 * none does. Nobody connects from such a range, so it makes no sense as an operator network.
 * The documentation networks are left out, as for node addresses.
 */
export function unreachableRangeOverlapping(cidr: string): readonly [string, string] | undefined {
  if (!isCidr(cidr)) return undefined;
  // ipaddr.js's own table of the ranges `range()` names (not in its type definitions).
  const special = (
    ipaddr.IPv4.prototype as unknown as {
      SpecialRanges: Record<string, [ipaddr.IPv4, number] | [ipaddr.IPv4, number][]>;
    }
  ).SpecialRanges;
  for (const name of NOT_A_NODE_ADDRESS.keys()) {
    const ranges = special[name]!;
    for (const [base, bits] of (Array.isArray(ranges[0]) ? ranges : [ranges]) as [ipaddr.IPv4, number][]) {
      if (DOCUMENTATION.some(([b, n]) => n === bits && b.toString() === base.toString())) continue;
      const range = `${base.toString()}/${bits}`;
      if (cidrsOverlap(cidr, range)) return [range, RANGE_NAMES.get(name)!];
    }
  }
  return undefined;
}

const toNumber = (ip: string) =>
  ipaddr.IPv4.parse(ip)
    .toByteArray()
    .reduce((n, byte) => n * 256 + byte, 0);
const toAddress = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/**
 * The address at `index` in a well-formed IPv4 CIDR, counted from its network address (0);
 * a negative index counts back from its broadcast address (-1).
 */
export function addressAt(cidr: string, index: number): string {
  const [base, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const network = toNumber(base.toString()) - (toNumber(base.toString()) % 2 ** (32 - bits));
  return toAddress(index >= 0 ? network + index : network + 2 ** (32 - bits) + index);
}

/**
 * Whether Kubernetes reads `host` as an IPv4 address: k8s.io/utils `ParseIPSloppy` takes four
 * dot-separated decimal parts of at most 255 each, leading zeros allowed (010.0.0.1 too).
 * An IPv6 address cannot pass the DNS name pattern, so only IPv4 is looked for.
 */
export function isSloppyIPv4(host: string): boolean {
  const parts = host.split('.');
  return parts.length === 4 && parts.every((p) => /^[0-9]+$/.test(p) && Number(p) <= 255);
}

export const ipv4Address = printable(z.ipv4({ error: 'expected an IPv4 address such as 192.0.2.10' }));

/**
 * IPv4 CIDR whose host bits are zero. ufw and iptables silently mask stray host bits,
 * so `10.42.0.1/16` would work but hide a typo: refuse it and name the network meant.
 */
export const ipv4Cidr = printable(z.cidrv4({ error: 'expected an IPv4 CIDR such as 10.42.0.0/16' })).superRefine(
  (cidr, ctx) => {
    // Only a well-formed CIDR has a network address; the format check reports the others.
    if (!isCidr(cidr)) return;
    const [base, bits] = cidr.split('/') as [string, string];
    const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
    if (network !== base) {
      ctx.addIssue({
        code: 'custom',
        message: `${cidr} has host bits set; expected the network address, ${network}/${bits}`,
      });
    }
  },
);

/** The prefix length of an IPv4 CIDR; undefined when it is malformed. */
export const prefixLength = (cidr: string): number | undefined =>
  isCidr(cidr) ? ipaddr.IPv4.parseCIDR(cidr)[1] : undefined;

/** IPv6 CIDR (only used for Cloudflare's published ranges). */
export const ipv6Cidr = printable(z.cidrv6({ error: 'expected an IPv6 CIDR such as 2400:cb00::/32' })).superRefine(
  (cidr, ctx) => {
    // As for IPv4: ip6tables and the Cloud Firewall mask stray host bits silently.
    if (!ipaddr.IPv6.isValidCIDR(cidr)) return;
    const [base, bits] = ipaddr.IPv6.parseCIDR(cidr);
    const network = ipaddr.IPv6.networkAddressFromCIDR(cidr);
    if (network.toNormalizedString() !== base.toNormalizedString()) {
      ctx.addIssue({
        code: 'custom',
        message: `${cidr} has host bits set; expected the network address, ${network.toString()}/${bits}`,
      });
    }
  },
);

/** RFC 1123 DNS name, as Ingress hosts and node names require. */
export const dnsName = text
  .max(253)
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    'expected a lower-case DNS name (RFC 1123) such as api.myhoneydue.com',
  );

/** A single DNS label: Kubernetes object names, node names. */
export const dnsLabel = text.regex(
  /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/,
  'expected a lower-case DNS label (a-z, 0-9, "-", at most 63 characters)',
);

export const port = z
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');
