/**
 * kubectl's answers are read at the boundary (lib/answer.ts through operator/plan/cluster.ts):
 * whatever JSON comes back, the plan gets the cluster or one line saying where the answer is of
 * another shape, never a crash.
 */
import fc from 'fast-check';
import { Answer, AnswerShapeError } from '../lib/answer';
import { clusterOf } from '../operator/plan/cluster';
import { k3sNode } from './kube/k3s-node';
import { FC_SEED } from './support';

const empty = { items: [] };
const read = (nodes: unknown) => clusterOf({ nodes, snapshots: empty, jobs: empty, plans: empty }, new Date());

test('any JSON at all, in any of the four answers: the cluster or "no cluster access", never an exception', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 3 }), (value, which) => {
      const got = { nodes: empty, snapshots: empty, jobs: empty, plans: empty } as Record<string, unknown>;
      got[['nodes', 'snapshots', 'jobs', 'plans'][which]!] = value;
      const r = clusterOf(got as never, new Date());
      if (!r.access) expect(r.why).toMatch(/^kubectl get \w+ answered a list kubectl would not print \(at /);
    }),
    { numRuns: 500, seed: FC_SEED },
  );
});

test('a Node of another shape names the field: an annotation that is not a string', () => {
  const node = k3sNode({ name: 'n1', ip: '192.0.2.11' });
  node.metadata.annotations['k3s.io/node-args'] = 42;
  expect(read({ items: [node] })).toEqual({
    access: false,
    why: 'kubectl get nodes answered a list kubectl would not print (at items[0].metadata.annotations.k3s.io/node-args: expected a string)',
  });
});

test('the reader: absent members read as missing, wrong types say where', () => {
  const a = new Answer({ x: { y: [1, 'two'] } });
  expect(a.get('x').get('y').list()[0]!.number()).toBe(1);
  expect(a.get('nope').missing).toBe(true);
  expect(a.get('nope').list(true)).toEqual([]);
  expect(() => a.get('x').get('y').list()[1]!.number()).toThrow(new AnswerShapeError('x.y[1]', 'a number'));
  expect(() => a.get('x').get('y').get('z')).toThrow('at x.y: expected an object');
});
