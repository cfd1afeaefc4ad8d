import type { Config, NodeConfig } from '../../config/schema';
import { CREDENTIAL_ENV, type EtcdSnapshots } from '../../model/etcd-backup';
import { PATHS } from '../../model/paths';
import { DATA_DIR, DB_INFO, nodeLabel, systemctl } from './node';
import type { Command, Runbook, Step } from './runbook';

/** Where the keys file goes on the restoring server for the duration of the restore. */
export const NODE_KEYS_FILE = '/root/etcd-s3.env';
const DB = `${DATA_DIR}/server/db`;
const CONFIG_BACKUP = `${PATHS.k3sConfig}.pre-restore`;

const BACKUP = { shell: `${DB}.before-restore-$(date -u +%Y%m%dT%H%M%SZ)` };

/** `mv server/db` to a dated directory beside it: the server then joins as a new member, and the old data stays until the restore is proven. */
function moveDbAside(): Command {
  return { argv: ['mv', DB, BACKUP] };
}

/**
 * A dated copy of `server/db`, on the server that restores: there `server/db/etcd` must stay,
 * because the restore renames it to `etcd-old-<unix time>` itself and fails when it is missing
 * (pkg/etcd/etcd.go `Restore`: `os.Rename(dbDir, oldDataDir)`).
 */
function copyDbAside(): Command {
  return { argv: ['cp', '-a', DB, BACKUP] };
}

/** An environment value read from a root-only file on the node: the command line shows the expansion, never the value. */
function fromKeysFile(key: string): { shell: string } {
  return { shell: `"$(sed -n 's/^${key}=//p' ${NODE_KEYS_FILE})"` };
}

/**
 * The `k3s server --cluster-reset` command line: the S3 settings as flags (K3s cannot read the
 * Secret during a cluster-reset, as no API server runs: pkg/etcd/etcd.go refuses with "cannot
 * use S3 config secret when restoring snapshot"), the keys and the cluster token as
 * environment variables taken from files on the node.
 */
export function clusterResetCommand(s: EtcdSnapshots): Command {
  return {
    env: [
      ...s.credentialKeys.map((k) => [CREDENTIAL_ENV[k as keyof typeof CREDENTIAL_ENV], fromKeysFile(k)] as const),
      // The snapshot's bootstrap data is encrypted with the token it was taken under.
      ['K3S_TOKEN', { shell: `"$(cat ${PATHS.k3sToken})"` }],
    ],
    argv: [
      'k3s', 'server', '--cluster-reset',
      // The object name only: K3s downloads <folder>/<name> (pkg/etcd/s3/s3.go).
      { shell: '--cluster-reset-restore-path="$SNAPSHOT"' },
      '--etcd-s3',
      ...s.restoreFlags,
    ],
  };
}

export function restoreRunbook(config: Config, s: EtcdSnapshots): Runbook {
  const [first, ...others] = config.cluster.nodes as [NodeConfig, ...NodeConfig[]];
  const all = config.cluster.nodes.map(nodeLabel).join(', ');
  const steps: Step[] = [
    {
      on: `${nodeLabel(first)} (while the cluster still runs)`,
      title: 'Choose the snapshot',
      commands: [{ argv: ['k3s', 'etcd-snapshot', 'ls'] }, { argv: [{ shell: "SNAPSHOT='<Name of the chosen s3:// row>'" }] }],
      check: `the chosen row's Location is ${s.s3Url}/<Name>. If no server runs any more, the B2 web console lists the same objects in ${s.location}: the Name is the object name without the folder.`,
      why: 'ls asks the running server, which reads the bucket with the Secret; once K3s is stopped only the bucket itself can be listed.',
    },
    {
      on: nodeLabel(first),
      title: 'Put the keys file on the server for the restore',
      commands: [{ argv: [{ shell: `(umask 077 && cat > ${NODE_KEYS_FILE})` }], note: 'paste the two lines of your keys file, then Ctrl-D' }],
      check: `${NODE_KEYS_FILE} has the ${s.credentialKeys.join(' and ')} lines, mode 0600.`,
      why: 'the restore cannot read the Secret; the keys reach K3s as environment variables from this file, never on a command line.',
    },
    {
      on: `every server: ${all}`,
      title: 'Stop K3s on all servers',
      commands: [systemctl('stop')],
      check: '`systemctl is-active k3s` prints "inactive" on every server before the next step.',
      why: 'a server still running keeps the old members and data and would fight the restored cluster; the restore makes one server the sole member.',
    },
    {
      on: nodeLabel(first),
      title: 'Take server: out of config.yaml for the reset, and copy the old database aside',
      commands: [
        { argv: ['cp', '-a', PATHS.k3sConfig, CONFIG_BACKUP] },
        { argv: ['sed', '-i', '/^server:/d', PATHS.k3sConfig] },
        copyDbAside(),
      ],
      check: `\`grep -c '^server:' ${PATHS.k3sConfig}\` prints 0, and ${DATA_DIR}/server/ has db (with db/etcd) and db.before-restore-<time>.`,
      why:
        'K3s refuses a cluster-reset while server: is set (pkg/cli/server/server.go); a first server rebuilt with cluster.established has one. ' +
        'Copied, not moved: the restore itself moves db/etcd to db/etcd-old-<unix time> and fails if it is missing (pkg/etcd/etcd.go Restore). ' +
        'The copy keeps the whole old database (local snapshots too) until the restored cluster is proven.',
    },
    {
      on: nodeLabel(first),
      title: 'Restore the snapshot from the bucket (this server only)',
      commands: [clusterResetCommand(s)],
      check: 'it ends with "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now" and exits.',
      why: 'a cluster-reset on more than one server would make several one-member clusters; the others rejoin this one afterwards.',
    },
    {
      on: nodeLabel(first),
      title: 'Put config.yaml back, remove the keys file, start K3s',
      commands: [{ argv: ['mv', CONFIG_BACKUP, PATHS.k3sConfig] }, { argv: ['rm', NODE_KEYS_FILE] }, systemctl('start')],
      check: `\`k3s kubectl get node ${first.name}\` is Ready, and \`${DB_INFO}\` lists one member.`,
      why: 'with its database restored, the server starts from it and joins no one, whatever server: says (pkg/cluster/bootstrap.go shouldBootstrapLoad: "bootstrap already complete and initialized").',
    },
    ...others.map(
      (n): Step => ({
        on: nodeLabel(n),
        title: `Rejoin ${nodeLabel(n)}: move its old database aside, then start K3s`,
        commands: [systemctl('is-active'), moveDbAside(), systemctl('start')],
        check: `is-active printed "inactive" before the mv; then on ${nodeLabel(first)}: \`k3s kubectl get node ${n.name}\` is Ready and \`${DB_INFO}\` lists it as a member. Only then the next server.`,
        why: 'its database belongs to the cluster before the restore; with server/db gone it joins the restored cluster as a new member. One at a time, so each new member is promoted before the next.',
      }),
    ),
    {
      on: nodeLabel(first),
      title: 'Check the restored cluster',
      commands: [{ argv: ['k3s', 'kubectl', 'get', 'nodes'] }],
      check: `all of ${all} Ready. Delete the db.before-restore-* directories once the workloads are verified.`,
    },
  ];
  return {
    title: `Restore etcd from a snapshot in ${s.location} onto ${nodeLabel(first)}`,
    intro: [
      'The whole cluster goes down and comes back with the state of the snapshot. Not a rolling operation.',
      `Run each step's commands as root on the server named, in one shell per server (the Hetzner console if SSH is closed).`,
      'Servers lost as well: build them first (same names, addresses and token; the first from a file rendered with cluster.established: false,',
      'so that it has an etcd database for the restore to replace), then follow these steps, and delete the Nodes that no longer exist.',
      'Render that first file with the token’s secret alone, the part after "::server:" of a full K10… token: synth refuses the full form',
      'with cluster.established: false (the new server makes a new CA), and the snapshot’s bootstrap data is encrypted with the secret.',
    ],
    steps,
  };
}
