import { z } from 'zod';

/** 32-bit value of a dotted IPv4 address that zod has already validated. */
export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Whether `ip` lies inside `cidr` (both IPv4). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = ipv4ToInt(base) - (ipv4ToInt(base) % size);
  const value = ipv4ToInt(ip);
  return value >= start && value < start + size;
}

export const ipv4Address = z.ipv4({ error: 'expected an IPv4 address such as 192.0.2.10' });

/**
 * IPv4 CIDR whose host bits are zero. ufw and iptables silently mask stray host bits,
 * so `10.42.0.1/16` would work but hide a typo: refuse it and name the network meant.
 */
export const ipv4Cidr = z
  .cidrv4({ error: 'expected an IPv4 CIDR such as 10.42.0.0/16' })
  .superRefine((cidr, ctx) => {
    const [base, bits] = cidr.split('/') as [string, string];
    const size = 2 ** (32 - Number(bits));
    const value = ipv4ToInt(base);
    if (value % size !== 0) {
      const start = value - (value % size);
      const network = [24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256).join('.');
      ctx.addIssue({ code: 'custom', message: `${cidr} has host bits set; expected the network address, ${network}/${bits}` });
    }
  });

/** IPv6 CIDR (only used for Cloudflare's published ranges). */
export const ipv6Cidr = z.cidrv6({ error: 'expected an IPv6 CIDR such as 2400:cb00::/32' });

/** RFC 1123 DNS name, as Ingress hosts and node names require. */
export const dnsName = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/,
    'expected a lower-case DNS name (RFC 1123) such as api.myhoneydue.com',
  );

/** A single DNS label: Kubernetes object names, node names. */
export const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'expected a lower-case DNS label (a-z, 0-9, "-", at most 63 characters)');

export const port = z
  .number({ error: 'expected a port number' })
  .int('expected a whole port number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');
