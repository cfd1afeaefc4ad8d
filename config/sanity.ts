import type { z } from 'zod';
import { cidrContains, cidrsOverlap, notANodeAddress, prefixLength } from './net';
import { RESERVED_TCP_PORTS } from './ports';

/**
 * Rules about ports, addresses and the release URL. Each names the clash and the field to fix.
 * They take only the slice of the configuration they read.
 */

/**
 * Traefik binds the web ports on every node (hostNetwork) and the firewall opens them to
 * the world (or Cloudflare): on a K3s or SSH port that would expose etcd, the kubelet or the
 * API to everyone, and two entrypoints cannot share a port.
 */
export function checkWebPorts(c: { traefik: { webPort: number; websecurePort: number } }, ctx: z.RefinementCtx): void {
  const { webPort, websecurePort } = c.traefik;
  for (const [field, p] of [['webPort', webPort], ['websecurePort', websecurePort]] as const) {
    const owner = RESERVED_TCP_PORTS.get(p);
    if (owner) {
      ctx.addIssue({
        code: 'custom',
        path: ['traefik', field],
        message: `port ${p} belongs to ${owner}; the firewall opens the web ports to the world, so pick another port (80 and 443 are the usual ones)`,
      });
    }
  }
  if (webPort === websecurePort) {
    ctx.addIssue({ code: 'custom', path: ['traefik', 'websecurePort'], message: `port ${websecurePort} is also traefik.webPort; the two entrypoints need two ports` });
  }
}

interface NetworkSlice {
  cluster: {
    podCidr: string;
    serviceCidr: string;
    privateNetwork?: { cidr: string } | undefined;
    nodes: readonly { publicIPv4: string; privateIPv4?: string | undefined }[];
  };
}

/**
 * Node addresses must be reachable unicast addresses, and the cluster's own networks (pods,
 * Services) must not hide a node or the private network: K3s would route that traffic into
 * the overlay, and the firewall's pod and Service rules would admit it.
 */
export function checkNetworks(c: NetworkSlice, ctx: z.RefinementCtx): void {
  const { podCidr, serviceCidr, privateNetwork, nodes } = c.cluster;
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: ['cluster', ...path], message });
  if (cidrsOverlap(podCidr, serviceCidr)) {
    issue(['serviceCidr'], `${serviceCidr} overlaps cluster.podCidr ${podCidr}; pods and Services need separate networks`);
  }
  if (privateNetwork) {
    for (const [field, cidr] of [['podCidr', podCidr], ['serviceCidr', serviceCidr]] as const) {
      if (cidrsOverlap(cidr, privateNetwork.cidr)) {
        issue([field], `${cidr} overlaps cluster.privateNetwork.cidr ${privateNetwork.cidr}; choose a ${field} outside the private network`);
      }
    }
  }
  nodes.forEach((n, i) => {
    for (const [field, ip] of [['publicIPv4', n.publicIPv4], ['privateIPv4', n.privateIPv4]] as const) {
      if (ip === undefined) continue;
      const why = notANodeAddress(ip);
      if (why) issue(['nodes', i, field], `${ip} is ${why}, not an address a node can be reached at`);
      for (const [name, cidr] of [['podCidr', podCidr], ['serviceCidr', serviceCidr]] as const) {
        if (cidrContains(cidr, ip)) issue(['nodes', i, field], `${ip} lies inside cluster.${name} ${cidr}; a node address must be outside the pod and Service networks`);
      }
    }
  });
}

/**
 * Shorter prefixes than this are "anywhere" for the firewall: /7 is already 33 million
 * addresses, more than any operator network, while a /8 can be a private network (10.0.0.0/8).
 */
export const WORLD_PREFIX_BELOW = 8;

/** An operator CIDR that admits the world to SSH and the API must be asked for by name. */
export function checkOperatorCidrs(c: { firewall: { operatorCidrs: readonly string[]; allowOperatorAccessFromAnywhere: boolean } }, ctx: z.RefinementCtx): void {
  if (c.firewall.allowOperatorAccessFromAnywhere) return;
  c.firewall.operatorCidrs.forEach((cidr, i) => {
    const bits = prefixLength(cidr);
    if (bits !== undefined && bits < WORLD_PREFIX_BELOW) {
      ctx.addIssue({
        code: 'custom',
        path: ['firewall', 'operatorCidrs', i],
        message: `${cidr} opens SSH and the Kubernetes API to (nearly) the whole internet; list your office or VPN networks instead, or, if you mean it, set firewall.allowOperatorAccessFromAnywhere: true`,
      });
    }
  });
}

/**
 * The release URL lands in a 0644 systemd unit and in curl's argv: credentials there are
 * readable by every local user, and a query or fragment would be glued to the file names.
 */
export function checkReleaseUrl(u: string, ctx: z.RefinementCtx) {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return; // the url format check reports it
  }
  const problems = [
    [url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/]*@/i.test(u), 'credentials (user:password@); the URL is written into a world-readable unit: use a mirror that needs none'],
    [u.includes('?'), 'a query (?…); <version>/k3s is appended to the URL, so give the base path only'],
    [u.includes('#'), 'a fragment (#…); <version>/k3s is appended to the URL, so give the base path only'],
  ] as const;
  for (const [bad, what] of problems) if (bad) ctx.addIssue({ code: 'custom', message: `the URL has ${what}` });
}
