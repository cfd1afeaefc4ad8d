import type { z } from 'zod';
import { cidrContains, cidrsOverlap, prefixLength, unreachableRangeOverlapping } from './net';
import { NODE_TCP_PORT_OWNERS } from './node-ports';

/**
 * Cross-field rules of what the firewall opens: the web ports and the operator networks. Each
 * names the clash and the field to fix, and takes only the slice of the configuration it reads.
 */

/**
 * Traefik binds the web ports on every node (hostNetwork) and the firewall opens them to
 * the world (or Cloudflare): on a port something on the node already listens on (./node-ports.ts:
 * K3s, etcd, the kubelet, SSH, DNS, Traefik's own entry point) Traefik cannot start, or it
 * would expose that service to everyone; and two entrypoints cannot share a port.
 */
export function checkWebPorts(c: { traefik: { webPort: number; websecurePort: number } }, ctx: z.RefinementCtx): void {
  const { webPort, websecurePort } = c.traefik;
  for (const [field, p] of [
    ['webPort', webPort],
    ['websecurePort', websecurePort],
  ] as const) {
    const owner = NODE_TCP_PORT_OWNERS.get(p);
    if (owner) {
      ctx.addIssue({
        code: 'custom',
        path: ['traefik', field],
        message: `port ${p} belongs to ${owner}, which listens on it on every node (config/node-ports.ts): Traefik could not bind it, and the firewall opens the web ports to the world. Pick another port (80 and 443 are the usual ones)`,
      });
    }
  }
  if (webPort === websecurePort) {
    ctx.addIssue({
      code: 'custom',
      path: ['traefik', 'websecurePort'],
      message: `port ${websecurePort} is also traefik.webPort; the two entrypoints need two ports`,
    });
  }
}

/**
 * Shorter prefixes than this are "anywhere" for the firewall: /7 is already 33 million
 * addresses, more than any operator network, while a /8 can be a private network (10.0.0.0/8).
 */
export const WORLD_PREFIX_BELOW = 8;

/**
 * Operator networks are where people connect from. The firewall already admits the pod and
 * Service networks, nobody connects from a link-local, loopback, multicast or reserved range,
 * and an entry another one covers adds nothing: each is a likely typo, refused with what to
 * write instead. A world-wide prefix (/0 to /7) must be asked for by name, and, once asked
 * for, is not checked further: it covers everything on purpose.
 */
export function checkOperatorCidrs(
  c: {
    firewall: { operatorCidrs: readonly string[]; allowOperatorAccessFromAnywhere: boolean };
    cluster: { podCidr: string; serviceCidr: string };
  },
  ctx: z.RefinementCtx,
): void {
  const { operatorCidrs, allowOperatorAccessFromAnywhere } = c.firewall;
  const issue = (i: number, message: string) =>
    ctx.addIssue({ code: 'custom', path: ['firewall', 'operatorCidrs', i], message });
  const worldWide = (cidr: string) => {
    const bits = prefixLength(cidr);
    return bits !== undefined && bits < WORLD_PREFIX_BELOW;
  };
  operatorCidrs.forEach((cidr, i) => {
    if (worldWide(cidr)) {
      if (!allowOperatorAccessFromAnywhere) {
        issue(
          i,
          `${cidr} opens SSH and the Kubernetes API to (nearly) the whole internet; list your office or VPN networks ` +
            `instead, or, if you mean it, set firewall.allowOperatorAccessFromAnywhere: true`,
        );
      }
      return;
    }
    for (const [name, cluster] of [
      ['podCidr', c.cluster.podCidr],
      ['serviceCidr', c.cluster.serviceCidr],
    ] as const) {
      if (cidrsOverlap(cidr, cluster)) {
        issue(
          i,
          `${cidr} overlaps cluster.${name} ${cluster}: those are the cluster's own addresses, which the firewall ` +
            `admits already, and no operator connects from them; list only the networks operators connect from`,
        );
      }
    }
    const unreachable = unreachableRangeOverlapping(cidr);
    if (unreachable)
      issue(
        i,
        `${cidr} overlaps ${unreachable[0]} (${unreachable[1]}), from which no operator connects; list your office ` +
          `or VPN networks`,
      );
    // The later of two equal entries, or the narrower of two nested ones, is the one to remove.
    const cover = operatorCidrs.findIndex(
      (other, j) =>
        j !== i &&
        !worldWide(other) &&
        (other === cidr
          ? j < i
          : prefixLength(other)! < prefixLength(cidr)! && cidrContains(other, cidr.split('/')[0]!)),
    );
    if (cover !== -1) {
      issue(
        i,
        operatorCidrs[cover] === cidr
          ? `${cidr} is already firewall.operatorCidrs[${cover}]; remove the duplicate`
          : `${cidr} lies inside firewall.operatorCidrs[${cover}] ${operatorCidrs[cover]}, which admits it already; ` +
              `remove it`,
      );
    }
  });
}
