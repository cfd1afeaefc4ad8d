import type { z } from 'zod';

/**
 * Node names and aliases form one namespace: `--node X` (the runbooks) picks the node whose
 * name or alias is X, so an alias that repeats another node's alias, or equals another node's
 * name, would make X mean two servers, and a rebuild would drain and delete the wrong one.
 * Duplicate names are refused with the other per-node duplicates in node-checks.ts; this adds the
 * aliases. A node's alias equal to its own name is harmless (X still means one node).
 */
export function checkNodeNames(
  c: { cluster: { nodes: readonly { name: string; alias?: string | undefined }[] } },
  ctx: z.RefinementCtx,
): void {
  const { nodes } = c.cluster;
  // Every name first, so an alias is compared with the names of the nodes after it too.
  const owner = new Map<string, { index: number; field: 'name' | 'alias' }>();
  nodes.forEach((n, index) => {
    if (!owner.has(n.name)) owner.set(n.name, { index, field: 'name' });
  });
  nodes.forEach((n, index) => {
    if (n.alias === undefined || n.alias === n.name) return;
    const first = owner.get(n.alias);
    if (first === undefined) {
      owner.set(n.alias, { index, field: 'alias' });
      return;
    }
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'nodes', index, 'alias'],
      message:
        `${n.alias} is already the ${first.field} of cluster.nodes[${first.index}]; --node ${n.alias} would pick that node, ` +
        'so a rebuild could drain and delete the wrong server: give every node an alias no other node uses as a name or alias',
    });
  });
}
