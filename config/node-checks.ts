import type { z } from 'zod';
import { cidrContains } from './net';
import type { CheckedConfig } from './schema';

/** Cross-field rules of the node list; each names the field to fix. */
export function checkCluster(c: CheckedConfig, ctx: z.RefinementCtx) {
  const { nodes, privateNetwork } = c.cluster;
  if (nodes.length % 2 === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'nodes'],
      message: `${nodes.length} server nodes: embedded etcd needs an odd number (1, 3, 5 …) to keep a quorum through a node loss`,
    });
  }
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const [field, value] of [
      ['name', n.name],
      ['publicIPv4', n.publicIPv4],
      ['privateIPv4', n.privateIPv4],
      ['primaryIp', n.primaryIp],
    ] as const) {
      if (value === undefined) continue;
      const key = `${field === 'publicIPv4' || field === 'privateIPv4' ? 'ip' : field}:${value}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['cluster', 'nodes', i, field],
          message: `${value} is already used by cluster.nodes[${first}]; every node needs its own`,
        });
      } else {
        seen.set(key, i);
      }
    }
    if (!privateNetwork && n.privateIPv4) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'nodes', i, 'privateIPv4'],
        message:
          'privateIPv4 is set but cluster.privateNetwork is not; set cluster.privateNetwork (cidr, interface) to use the private network, or remove privateIPv4',
      });
    }
    if (privateNetwork && !n.privateIPv4) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'nodes', i, 'privateIPv4'],
        message: 'cluster.privateNetwork is set, so every node needs a privateIPv4',
      });
    }
    if (privateNetwork && n.privateIPv4 && !cidrContains(privateNetwork.cidr, n.privateIPv4)) {
      ctx.addIssue({
        code: 'custom',
        path: ['cluster', 'nodes', i, 'privateIPv4'],
        message: `${n.privateIPv4} is outside cluster.privateNetwork.cidr ${privateNetwork.cidr}`,
      });
    }
  });
  if (c.cluster.established && nodes.length < 2) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'established'],
      message:
        'an established cluster needs a second node to join; a rebuilt single server starts a new cluster anyway, so leave established false',
    });
  }
  if (!cidrContains(c.cluster.serviceCidr, c.cluster.clusterDns)) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'clusterDns'],
      message: `${c.cluster.clusterDns} is outside cluster.serviceCidr ${c.cluster.serviceCidr}`,
    });
  }
}
