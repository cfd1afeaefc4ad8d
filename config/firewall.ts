import { z } from 'zod';
import { WORLD_PREFIX_BELOW } from './firewall-checks';
import { ipv4Cidr, ipv6Cidr } from './net';

/** Who may reach the nodes: the operator networks, and the web ports' sources (anywhere or Cloudflare). */

export const cloudflare = z
  .strictObject({
    ipv4: z.array(ipv4Cidr).min(1).describe('Cloudflare’s published IPv4 ranges (https://www.cloudflare.com/ips-v4).'),
    ipv6: z
      .array(ipv6Cidr)
      .default([])
      .describe('Cloudflare’s published IPv6 ranges (https://www.cloudflare.com/ips-v6).'),
  })
  .describe('Cloudflare edge ranges: Traefik trusts X-Forwarded-* only from them, and UFW can limit :80/:443 to them.');

export const firewall = z
  .strictObject({
    operatorCidrs: z
      .array(ipv4Cidr)
      .default([])
      .describe(
        `Operator networks allowed to SSH (22) and the Kubernetes API (6443). Empty: only the nodes reach 6443 and nobody reaches SSH; use the Hetzner console. A prefix shorter than /${WORLD_PREFIX_BELOW} (0.0.0.0/0 and the like) is refused unless allowOperatorAccessFromAnywhere is true.`,
      ),
    allowOperatorAccessFromAnywhere: z
      .boolean()
      .default(false)
      .describe(
        `Set to true only if SSH and the Kubernetes API are meant to be open to the whole internet: it lets operatorCidrs hold 0.0.0.0/0 or another prefix shorter than /${WORLD_PREFIX_BELOW}. Off: such an entry is refused as a likely mistake.`,
      ),
    web: z
      .enum(['anywhere', 'cloudflareOnly'])
      .default('anywhere')
      .describe('Who may reach TCP 80/443: anywhere, or only Cloudflare’s ranges (cloudflare.ipv4/ipv6).'),
  })
  .describe('UFW policy of the nodes.');

/** The resolved `firewall` and `cloudflare` blocks, for the modules that read only them. */
export type FirewallConfig = z.output<typeof firewall>;
export type CloudflareConfig = z.output<typeof cloudflare>;
