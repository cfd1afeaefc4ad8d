import type { z } from 'zod';
import { NETWORK_GATEWAY_INDEX, PUBLIC_INTERFACE_GATEWAY } from './hetzner';
import {
  K3S_DEFAULT_DNS_INDEX,
  KUBERNETES_SERVICE_INDEX,
  NODE_POD_CIDR_PREFIX,
  SERVICE_CIDR_PREFIX,
} from './kubernetes';
import { addressAt, cidrContains, cidrsOverlap, notANodeAddress, prefixLength } from './net';

/**
 * Cross-field rules of the cluster's addresses: the node addresses, the pod and Service
 * networks, the cluster DNS address and the private network. Each names the clash and the
 * field to fix, and takes only the slice of the configuration it reads.
 */

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
