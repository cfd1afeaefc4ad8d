import { stringify } from 'yaml';
import type { Config } from '../../config/schema';
import type { EtcdSnapshots } from '../../model/etcd-backup';
import { PATHS } from '../../model/paths';
import { K3S_NODE, nodeArgsFor } from '../../model/k3s-args';
import { planCommand, type RunbookContext } from './context';
import { clusterGate, nodeLabel, systemctl } from './node';

/** The node-args K3s recorded at a server's last start. */
const nodeArgsCommand = (node: string) => [
  'kubectl',
  'get',
  'node',
  node,
  '-o',
  `jsonpath={.metadata.annotations.${K3S_NODE.annotations.nodeArgs.replace(/\./g, '\\.')}}`,
];
import type { Runbook, Step } from './runbook';

/** The drop-in that gives a running server the snapshot settings, merged over its config.yaml. */
export const SNAPSHOT_DROP_IN = `${PATHS.k3sConfigDropIns}/50-honeydue-etcd-snapshots.yaml`;

/**
 * The one change a server that runs today gets in place, before anything is rebuilt: its etcd
 * snapshots go off the server, to the bucket. A drop-in under config.yaml.d carries the same
 * keys a node file's config.yaml does, and K3s restarts one server at a time, each gated on
 * every node Ready and etcd whole. None of these keys is a critical control argument, so the
 * restart compares nothing with the other servers. Then the plan and the rollout adopt the
 * servers by rebuilding them.
 */
export function adoptSnapshotsRunbook(config: Config, s: EtcdSnapshots, ctx: RunbookContext): Runbook {
  const nodes = config.cluster.nodes;
  const members = nodes.length;
  const dropIn = stringify(s.k3sConfig, { version: '1.1' });
  // The pairs K3s records in node-args for the drop-in's keys (pkg/nodeconfig/nodeconfig.go).
  const added = nodeArgsFor(['server'], [s.k3sConfig]).slice(1);
  const pairs = added.flatMap((a, i) => (i % 2 === 0 ? [`"${a}","${added[i + 1]}"`] : [])).join(', ');
  const steps: Step[] = [
    {
      on: 'your machine',
      title: `Check that the Secret kube-system/${s.secretName} exists`,
      commands: [{ argv: ['kubectl', '-n', 'kube-system', 'get', 'secret', s.secretName] }],
      check:
        'it is listed. NotFound: create it first (npm run -s synth -- --runbook etcd-secret); without it every upload fails.',
    },
    {
      on: 'your machine',
      title: 'Check that every server is healthy before the first restart',
      ...clusterGate(members),
    },
    ...nodes.flatMap((n, i): Step[] => [
      {
        on: 'your machine',
        title: `[${i + 1}/${members}] Record what ${n.name} runs now`,
        commands: [
          { argv: nodeArgsCommand(n.name), note: `keep the output: the restart must add exactly the pairs below` },
        ],
        check: `it prints a JSON list starting with "server": the arguments K3s started with (k3s.io/node-args, secrets as ********).`,
      },
      {
        on: nodeLabel(n),
        title: `[${i + 1}/${members}] Give ${n.name} the snapshot settings and restart K3s`,
        commands: [
          { argv: ['install', '-D', '-m', '0600', '/dev/stdin', SNAPSHOT_DROP_IN], stdin: dropIn },
          systemctl('stop'),
          systemctl('start'),
        ],
        check: `systemctl is-active k3s prints "active" on ${n.name}.`,
        why: 'K3s reads config.yaml.d only when it starts. A restart of a member compares nothing with the other servers, and these keys are not critical arguments anyway.',
      },
      {
        on: 'your machine',
        title: `[${i + 1}/${members}] Check that ${n.name} runs the snapshot settings, and that etcd is whole`,
        commands: [{ argv: nodeArgsCommand(n.name) }, ...clusterGate(members).commands],
        check:
          `node-args now holds, beside what it held before, exactly these pairs: ${pairs}; and no other "--etcd-s3-…" pair. ` +
          'A pair missing, or another etcd-s3 flag: the unit starts K3s with its own flags (systemctl cat k3s), which win over config.yaml.d, or the K3s is older than the drop-in; ' +
          'AWS_* in the unit (systemctl show k3s -p Environment) makes K3s ignore the Secret too, and node-args cannot show it. ' +
          `Then ${clusterGate(members).check} Only now restart the next server.`,
      },
    ]),
    ...nodes.map((n): Step => ({
      on: nodeLabel(n),
      title: `Take a snapshot of ${n.name} and see it in the bucket`,
      commands: [{ argv: ['k3s', 'etcd-snapshot', 'save'] }],
      check: `it ends with a snapshot saved to ${s.s3Url}/…`,
    })),
    {
      on: 'your machine',
      title: 'Check that every server has an off-node snapshot',
      commands: [
        {
          argv: [
            'kubectl',
            'get',
            'etcdsnapshotfiles.k3s.cattle.io',
            '-l',
            `${K3S_NODE.labels.snapshotStorageNode}=${K3S_NODE.labels.snapshotStorageNodeS3}`,
          ],
        },
        planCommand(ctx),
      ],
      check: `get lists an s3 entry of each of ${nodes.map((n) => n.name).join(', ')}, and the plan shows "snapshots: off-node, newest N minutes ago" for each and no in-place etcd-s3 change. Then the rollout it proposes.`,
    },
  ];
  return {
    title: `Send the etcd snapshots of the servers that run today to ${s.location}`,
    intro: [
      'For servers built by hand: until a server is rebuilt from its node file, this is how its snapshots leave its disk.',
      `One server at a time: etcd has ${members} members and needs ${Math.floor(members / 2) + 1}.`,
    ],
    steps,
  };
}
