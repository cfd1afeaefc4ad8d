import { stringify } from 'yaml';
import type { Config } from '../../config/schema';
import type { EtcdSnapshots } from '../../model/etcd-backup';
import { PATHS } from '../../model/paths';
import { DB_INFO, nodeLabel, systemctl } from './node';
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
export function adoptSnapshotsRunbook(config: Config, s: EtcdSnapshots): Runbook {
  const nodes = config.cluster.nodes;
  const members = nodes.length;
  const dropIn = stringify(s.k3sConfig, { version: '1.1' });
  const steps: Step[] = [
    {
      on: 'your machine',
      title: `Check that the Secret kube-system/${s.secretName} exists`,
      commands: [{ argv: ['kubectl', '-n', 'kube-system', 'get', 'secret', s.secretName] }],
      check:
        'it is listed. NotFound: create it first (npm run -s synth -- --runbook etcd-secret); without it every upload fails.',
    },
    ...nodes.flatMap((n, i): Step[] => [
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
        title: `Wait until ${n.name} is Ready and etcd has all ${members} members`,
        commands: [
          { argv: ['kubectl', 'wait', '--for=condition=Ready', `node/${n.name}`, '--timeout=10m'] },
          { argv: ['ssh', `root@${n.publicIPv4}`, DB_INFO] },
        ],
        check: `the node is Ready and /db/info lists ${members} members. Only now restart the next server.`,
      },
    ]),
    {
      on: nodeLabel(nodes[0]!),
      title: 'Take a snapshot and see it in the bucket',
      commands: [{ argv: ['k3s', 'etcd-snapshot', 'save'] }, { argv: ['k3s', 'etcd-snapshot', 'ls'] }],
      check: `ls shows a new on-demand-… row with Location ${s.s3Url}/…: the snapshots now leave the servers. Then: npm run plan, and the rollout it proposes.`,
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
