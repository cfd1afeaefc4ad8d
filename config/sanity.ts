import type { z } from 'zod';
import { NETWORK_GATEWAY_INDEX, PUBLIC_INTERFACE_GATEWAY } from './hetzner';
import {
  K3S_DEFAULT_DNS_INDEX,
  KUBERNETES_SERVICE_INDEX,
  NODE_POD_CIDR_PREFIX,
  SERVICE_CIDR_PREFIX,
} from './kubernetes';
import {
  addressAt,
  cidrContains,
  cidrsOverlap,
  notANodeAddress,
  prefixLength,
  unreachableRangeOverlapping,
} from './net';
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
  for (const [field, p] of [
    ['webPort', webPort],
    ['websecurePort', websecurePort],
  ] as const) {
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
    ctx.addIssue({
      code: 'custom',
      path: ['traefik', 'websecurePort'],
      message: `port ${websecurePort} is also traefik.webPort; the two entrypoints need two ports`,
    });
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
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: ['cluster', ...path], message });
  if (cidrsOverlap(podCidr, serviceCidr)) {
    issue(
      ['serviceCidr'],
      `${serviceCidr} overlaps cluster.podCidr ${podCidr}; pods and Services need separate networks`,
    );
  }
  if (privateNetwork) {
    for (const [field, cidr] of [
      ['podCidr', podCidr],
      ['serviceCidr', serviceCidr],
    ] as const) {
      if (cidrsOverlap(cidr, privateNetwork.cidr)) {
        issue(
          [field],
          `${cidr} overlaps cluster.privateNetwork.cidr ${privateNetwork.cidr}; choose a ${field} outside the private network`,
        );
      }
    }
  }
  nodes.forEach((n, i) => {
    for (const [field, ip] of [
      ['publicIPv4', n.publicIPv4],
      ['privateIPv4', n.privateIPv4],
    ] as const) {
      if (ip === undefined) continue;
      const why = notANodeAddress(ip);
      if (why) issue(['nodes', i, field], `${ip} is ${why}, not an address a node can be reached at`);
      for (const [name, cidr] of [
        ['podCidr', podCidr],
        ['serviceCidr', serviceCidr],
      ] as const) {
        if (cidrContains(cidr, ip))
          issue(
            ['nodes', i, field],
            `${ip} lies inside cluster.${name} ${cidr}; a node address must be outside the pod and Service networks`,
          );
      }
    }
  });
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

interface AddressSlice {
  cluster: {
    podCidr: string;
    serviceCidr: string;
    clusterDns: string;
    privateNetwork?: { cidr: string } | undefined;
    nodes: readonly { publicIPv4: string; privateIPv4?: string | undefined }[];
  };
}

/**
 * Addresses K3s, Kubernetes or Hetzner would refuse, or that would break the cluster later:
 * - the service CIDR kube-apiserver accepts (/12 to /29);
 * - a cluster DNS address Kubernetes can give the CoreDNS Service: not the network address,
 *   not the broadcast address, not the `kubernetes` Service's first address;
 * - a pod CIDR with one /24 per node: kube-controller-manager cuts a /24 for each node (K3s
 *   sets no node-cidr-mask-size), and a node without one gets no pod network;
 * - private addresses Hetzner can give a server: not the network's network address, gateway or
 *   broadcast address, nor the public interface's gateway; and a private network that does not
 *   hold the nodes' public addresses.
 */
export function checkClusterAddresses(c: AddressSlice, ctx: z.RefinementCtx): void {
  const { podCidr, serviceCidr, clusterDns, privateNetwork, nodes } = c.cluster;
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path: ['cluster', ...path], message });

  const serviceBits = prefixLength(serviceCidr);
  if (serviceBits !== undefined && serviceBits < SERVICE_CIDR_PREFIX.shortest) {
    issue(
      ['serviceCidr'],
      `${serviceCidr} is too large: kube-apiserver refuses a service CIDR of more than 20 host bits; use a ` +
        `/${SERVICE_CIDR_PREFIX.shortest} or smaller, such as 10.43.0.0/16 (K3s's default)`,
    );
  }
  if (serviceBits !== undefined && serviceBits > SERVICE_CIDR_PREFIX.longest) {
    issue(
      ['serviceCidr'],
      `${serviceCidr} is too small: kube-apiserver needs at least 8 addresses; use a /${SERVICE_CIDR_PREFIX.longest} ` +
        `or larger, such as 10.43.0.0/16 (K3s's default)`,
    );
  }

  if (serviceBits !== undefined && cidrContains(serviceCidr, clusterDns)) {
    const taken: [number, string][] = [
      [0, `the network address of cluster.serviceCidr ${serviceCidr}, which Kubernetes never gives a Service`],
      [-1, `the broadcast address of cluster.serviceCidr ${serviceCidr}, which Kubernetes never gives a Service`],
      [
        KUBERNETES_SERVICE_INDEX,
        `the address of the kubernetes Service (the API server takes the first address of cluster.serviceCidr ` +
          `${serviceCidr})`,
      ],
    ];
    for (const [index, what] of taken) {
      if (addressAt(serviceCidr, index) === clusterDns) {
        issue(
          ['clusterDns'],
          `${clusterDns} is ${what}; CoreDNS needs an address of its own: use ` +
            `${addressAt(serviceCidr, K3S_DEFAULT_DNS_INDEX)}, K3s's default`,
        );
      }
    }
  }

  const podBits = prefixLength(podCidr);
  if (podBits !== undefined) {
    const room = podBits > NODE_POD_CIDR_PREFIX ? 0 : 2 ** (NODE_POD_CIDR_PREFIX - podBits);
    if (room < nodes.length) {
      const needed = NODE_POD_CIDR_PREFIX - Math.ceil(Math.log2(nodes.length));
      issue(
        ['podCidr'],
        `${podCidr} has room for ${room} node pod range(s) of /${NODE_POD_CIDR_PREFIX} but cluster.nodes lists ` +
          `${nodes.length}: kube-controller-manager gives every node a /${NODE_POD_CIDR_PREFIX} (K3s sets no ` +
          `node-cidr-mask-size), and a node without one gets no pod network; use a /${needed} or larger, such as ` +
          `10.42.0.0/16 (K3s's default)`,
      );
    }
  }

  if (privateNetwork && prefixLength(privateNetwork.cidr) !== undefined) {
    const { cidr } = privateNetwork;
    const reserved: [string, string][] = [
      [addressAt(cidr, 0), `the network address of cluster.privateNetwork.cidr ${cidr}`],
      [addressAt(cidr, NETWORK_GATEWAY_INDEX), `the gateway of the Hetzner network ${cidr} (its first address)`],
      [addressAt(cidr, -1), `the broadcast address of cluster.privateNetwork.cidr ${cidr}`],
      [PUBLIC_INTERFACE_GATEWAY, "the gateway of every Hetzner server's public interface"],
    ];
    const outside = nodes.filter((n) => cidrContains(cidr, n.publicIPv4));
    nodes.forEach((n, i) => {
      const taken = reserved.find(([ip]) => ip === n.privateIPv4);
      if (taken) {
        issue(
          ['nodes', i, 'privateIPv4'],
          `${n.privateIPv4} is ${taken[1]}, which Hetzner gives no server; use another address of the network, from ` +
            `${addressAt(cidr, NETWORK_GATEWAY_INDEX + 1)} on`,
        );
      }
    });
    if (outside.length > 0) {
      issue(
        ['privateNetwork', 'cidr'],
        `${cidr} contains the public address of ` +
          `${outside.map((n) => `${n.publicIPv4} (cluster.nodes[${nodes.indexOf(n)}])`).join(', ')}; the private ` +
          `network must lie outside the nodes' public addresses, or traffic to them would be routed into it: choose ` +
          `a private range such as 10.0.0.0/16`,
      );
    }
  }
}

/**
 * The Ingress routes every app's host, path /, to its Service: two apps on one host would be
 * two rules for the same host and path, and only one of them would ever be served.
 */
export function checkRoutes(c: { apps: Record<'api' | 'admin', { host: string }> }, ctx: z.RefinementCtx): void {
  const seen = new Map<string, string>();
  for (const app of ['api', 'admin'] as const) {
    const { host } = c.apps[app];
    const first = seen.get(host);
    if (first) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps', app, 'host'],
        message:
          `${host} is also apps.${first}.host; the Ingress routes a host's path / to one Service, so the two ` +
          `rules would clash: give each app its own host`,
      });
    } else {
      seen.set(host, app);
    }
  }
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
    [
      url.username !== '' || url.password !== '' || /^[a-z]+:\/\/[^/]*@/i.test(u),
      'credentials (user:password@); the URL is written into a world-readable unit: use a mirror that needs none',
    ],
    [u.includes('?'), 'a query (?…); <version>/k3s is appended to the URL, so give the base path only'],
    [u.includes('#'), 'a fragment (#…); <version>/k3s is appended to the URL, so give the base path only'],
  ] as const;
  for (const [bad, what] of problems) if (bad) ctx.addIssue({ code: 'custom', message: `the URL has ${what}` });
}
