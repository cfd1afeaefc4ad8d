import type { Config, NodeConfig } from '../../config/schema';
import { UserInputError } from '../../lib/errors';
import { nodeFileName } from '../../model/layout';
import { SERVER_TOKEN_PATH, TOKEN_FILE } from '../../model/token';
import { joinTarget, peersOf } from '../../model/topology';
import { rebuildSynthCommand, type RunbookContext } from './context';
import { clusterGate, DB_INFO, nodeLabel } from './node';
import type { Runbook } from './runbook';

/**
 * The configured node named `name` (its name or its alias). Names and aliases are one
 * namespace (config/node-names.ts refuses a collision), so at most one node matches.
 */
export function findNode(config: Config, name: string, flag = '--node'): NodeConfig {
  const node = config.cluster.nodes.find((n) => n.name === name || n.alias === name);
  if (!node) {
    const known = config.cluster.nodes.map(nodeLabel).join(', ');
    throw new UserInputError(`${flag} ${name}: no such node in cluster.nodes; use one of ${known}`);
  }
  return node;
}

/**
 * A rebuild replaces one server of a running cluster. With cluster.established false the
 * configuration describes a cluster still to be built: the first node's file would start a
 * second cluster (cluster-init), and a synth without a token would make up a new one, which
 * the running cluster refuses (401 at /v1-k3s/server-bootstrap). So no rebuild step is printed
 * or rendered for such a configuration, whichever node it is for.
 */
export function refuseUnlessEstablished(config: Config, node: NodeConfig, flag: string): void {
  if (config.cluster.established) return;
  const target = joinTarget({ ...config.cluster, established: true }, node);
  throw new UserInputError(
    `${flag} ${node.name}: cluster.established is false in the config, and a rebuild replaces a server of a running cluster. ` +
      `Set cluster.established: true and put the running cluster's token in ${TOKEN_FILE} (copy ${SERVER_TOKEN_PATH} from a running server), ` +
      `so that the rebuilt server joins ${target ? nodeLabel(target) : 'another node'} with that token instead of starting a new cluster`,
  );
}

/**
 * Replacing one server of the running cluster by a freshly built one of the same name and
 * address. The order is the point: the old server leaves the cluster (its pods, its Node,
 * its etcd member) before the new one joins, and no second server is ever down. The build
 * commands are `ctx.build`'s, the lines the synth summary prints for the node, for its file
 * in the output directory (where `npm run synth` writes it).
 */
export function rebuildRunbook(config: Config, node: NodeConfig, ctx: RunbookContext): Runbook {
  const { cluster } = config;
  refuseUnlessEstablished(config, node, '--node');
  const [peer] = peersOf(cluster, node) as [NodeConfig];
  const target = joinTarget(cluster, node)!;
  const n = node.name;
  const members = cluster.nodes.length;
  return {
    title: `Rebuild ${nodeLabel(node)}`,
    intro: [
      'Commands on your machine run from the repository root: the synth step and the build lines name files relative to it.',
      `kubectl runs on your machine against ${nodeLabel(peer)} (never the node being rebuilt), or as \`k3s kubectl\` on ${nodeLabel(peer)}.`,
      `etcd has ${members} members and needs ${Math.floor(members / 2) + 1} for a quorum: from step 4 (shutdown) until step 8 (a voter again) no other server may go down, be rebooted or be upgraded.`,
    ],
    steps: [
      {
        on: 'your machine',
        title: `Render ${n}'s node file and check its Primary IP, before anything goes down`,
        commands: [
          {
            ...rebuildSynthCommand(ctx, n),
            note: `renders ${nodeFileName(node)} from the config this runbook was printed for; refused without the running cluster's token (K3S_TOKEN or ${TOKEN_FILE}), never makes one up`,
          },
          {
            argv: ['hcloud', 'primary-ip', 'describe', node.primaryIp],
            note: `must show IP: ${node.publicIPv4} and Auto delete: no`,
          },
        ],
        check: `the synth exits 0 and describe shows IP ${node.publicIPv4} and Auto delete: no. Otherwise stop here, while every server still runs: a failure after the shutdown would leave the cluster a member short for longer.`,
        why: 'every check that can fail without the cluster comes first.',
      },
      {
        on: 'your machine',
        title: 'Check that every other server is healthy',
        ...clusterGate(members),
      },
      {
        on: 'your machine',
        title: `Drain ${n}`,
        commands: [{ argv: ['kubectl', 'drain', n, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=15m'] }],
        check: `\`kubectl get pods -A -o wide --field-selector spec.nodeName=${n}\` lists only DaemonSet pods (Traefik). A redis pod whose local-path volume is on ${n} stays Pending until the node is back, and starts empty: its data goes with the disk.`,
        why: 'the drain honours the PodDisruptionBudgets while the other servers still run; deleting the node first would kill its pods at once.',
      },
      {
        on: 'your machine',
        title: `Shut ${n} down`,
        commands: [
          { argv: ['hcloud', 'server', 'shutdown', n] },
          { argv: ['hcloud', 'server', 'describe', n, '-o', 'format={{.Status}}'] },
        ],
        check: 'describe prints "off" (repeat until it does).',
        why: 'a running K3s would register the Node again right after the delete, and its etcd would keep trying to reach its peers as a removed member.',
      },
      {
        on: 'your machine',
        title: `Delete the Node ${n}, so that K3s removes its etcd member`,
        commands: [{ argv: ['kubectl', 'delete', 'node', n, '--timeout=5m'] }],
        check: `the command returns and \`kubectl get node ${n}\` says NotFound. It waits for the finalizer wrangler.cattle.io/managed-etcd-controller, which K3s's etcd member removal controller drops once the member is removed (pkg/etcd/member_controller.go).`,
        why: `a server rejoining under the name of an existing member fails with "duplicate node name found" (pkg/etcd/etcd.go; k3s issues 4210, 10408), and the Node's password Secret ${n}.node-password.k3s would reject the new server's password. Both go with the Node.`,
      },
      {
        on: 'your machine',
        title: 'Check the member list and the node password',
        commands: [
          { argv: ['ssh', `root@${peer.publicIPv4}`, DB_INFO], note: `or in ${nodeLabel(peer)}'s console` },
          { argv: ['kubectl', '-n', 'kube-system', 'get', 'secret', `${n}.node-password.k3s`] },
        ],
        check: `/db/info lists ${members - 1} members and none named ${n}-<hex>; the secret is NotFound (the garbage collector removes it with the Node; give it a minute).`,
        why: `now ${members - 1} members must all stay up: the quorum of ${members - 1} is ${Math.floor((members - 1) / 2) + 1}.`,
      },
      {
        on: 'your machine',
        title: `Rebuild ${n} with the same name, on its Primary IP ${node.primaryIp} (${node.publicIPv4})`,
        commands: [{ argv: ['hcloud', 'server', 'delete', n] }, ...ctx.build(node).map((argv) => ({ argv }))],
        check: `the new server has ${node.publicIPv4}: the other servers' firewall rules and their server: URLs name it, and with auto-delete on the delete would have released it. cloud-init status --long on it says done; its file joins ${nodeLabel(target)}, not a new cluster.`,
        why: 'a fresh disk and the current file: the same token, the same config, and cluster.established keeps a rebuilt first node from starting a second cluster.',
      },
      {
        on: 'your machine',
        title: `Wait until ${n} is Ready and a voting etcd member again`,
        commands: [
          // A wait for a condition fails at once while the Node does not exist yet.
          { argv: ['kubectl', 'wait', '--for=create', `node/${n}`, '--timeout=20m'], note: 'kubectl 1.31 or later' },
          { argv: ['kubectl', 'wait', '--for=condition=Ready', `node/${n}`, '--timeout=20m'] },
          { argv: ['kubectl', 'wait', '--for=condition=EtcdIsVoter=True', `node/${n}`, '--timeout=20m'] },
          { argv: ['ssh', `root@${peer.publicIPv4}`, DB_INFO] },
        ],
        check: `the node is Ready and EtcdIsVoter=True (the leader promoted the new member from learner), and /db/info lists ${members} members again, one named ${n}-<new hex>. Only now may another server go down.`,
      },
      {
        on: 'your machine',
        title: `Uncordon ${n}`,
        commands: [{ argv: ['kubectl', 'uncordon', n] }],
        check: `\`kubectl get node ${n}\` shows no SchedulingDisabled. The new Node registers schedulable, so this is a no-op unless something cordoned it since; pods return as the scheduler places them.`,
      },
    ],
  };
}
