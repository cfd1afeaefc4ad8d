import type { ClusterConfig, NodeConfig } from '../../config/cluster';
import { CREDENTIAL_ENV, type EtcdSnapshots } from '../../model/etcd-backup';
import { PATHS } from '../../model/paths';
import type { RunbookContext } from './context';
import { DATA_DIR, DB_INFO, nodeLabel, systemctl } from './node';
import type { Command, Runbook, Step } from './runbook';

/** The node-file label of a first server built for a restore (a value no fingerprint takes). */
export const RESTORED_FIRST_LABEL = 'restored-first-server';

/** Where the keys file goes on the restoring server for the duration of the restore. */
export const NODE_KEYS_FILE = '/root/etcd-s3.env';
/** The server side of K3s's data: db (etcd), cred (the encryption config, passwords), tls (the CAs and certificates), token. */
export const SERVER_DIR = `${DATA_DIR}/server`;
const DB = `${SERVER_DIR}/db`;
const CONFIG_BACKUP = `${PATHS.k3sConfig}.pre-restore`;

const STAMP = '$(date -u +%Y%m%dT%H%M%SZ)';
const DB_BACKUP = { shell: `${DB}.before-restore-${STAMP}` };
const SERVER_BACKUP = { shell: `${SERVER_DIR}.before-restore-${STAMP}` };

/**
 * `mv server` to a dated directory beside it, on a server that rejoins the restored cluster:
 * it then starts as a fresh disk would, and joins as a new member. Not only server/db: its
 * server/cred and server/tls hold bootstrap data (encryption config, CAs) that may be newer
 * than the snapshot (a key rotated or a CA renewed since), and K3s stops on bootstrap data
 * on disk newer than the datastore's ("… newer than datastore", pkg/cluster/bootstrap.go
 * ReconcileBootstrapData). K3s's docs name server/db only. The old data stays until the
 * restore is proven.
 */
function moveServerAside(): Command {
  return { argv: ['mv', SERVER_DIR, SERVER_BACKUP] };
}

/**
 * A dated copy of `server/db`, on the server that restores: there `server/db/etcd` must stay,
 * because the restore renames it to `etcd-old-<unix time>` itself and fails when it is missing
 * (pkg/etcd/etcd.go `Restore`: `os.Rename(dbDir, oldDataDir)`).
 */
function copyDbAside(): Command {
  return { argv: ['cp', '-a', DB, DB_BACKUP] };
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
      // The token file K3s itself falls back to, which every server has (ReadTokenFromFile,
      // pkg/util/token.go); /etc/rancher/k3s/token exists only on servers built from a node file.
      ['K3S_TOKEN', { shell: `"$(cat ${PATHS.k3sServerToken})"` }],
    ],
    argv: [
      'k3s',
      'server',
      '--cluster-reset',
      // The object name only: K3s downloads <folder>/<name> (pkg/etcd/s3/s3.go).
      { shell: '--cluster-reset-restore-path="$SNAPSHOT"' },
      '--etcd-s3',
      ...s.restoreFlags,
    ],
  };
}

/**
 * Restoring the whole cluster to a snapshot, onto the first listed node. Servers that were
 * lost are built again, but only the first before the restore (it needs an etcd database for
 * the restore to replace); any other one after it, on a fresh disk. A server built earlier
 * would join the first server's new, empty cluster, and after the restore it could not rejoin
 * with that cluster's data on its disk.
 */
export function restoreRunbook(cluster: ClusterConfig, s: EtcdSnapshots, ctx: RunbookContext): Runbook {
  const [first, ...others] = cluster.nodes as [NodeConfig, ...NodeConfig[]];
  const all = cluster.nodes.map(nodeLabel).join(', ');
  const gone = (n: NodeConfig) =>
    `A server that still exists at Hetzner under the name ${n.name}: hcloud server delete ${n.name} first (its Primary IP stays, auto-delete off).`;
  // The first server is built from a file rendered with cluster.established: false, which no
  // committed record describes: its label says so, and the plan lists it for a rebuild to its
  // established file once the cluster is whole again.
  const buildLines = (n: NodeConfig, label?: string) => ctx.build(n, label).map((argv): Command => ({ argv }));
  const steps: Step[] = [
    {
      on: `${nodeLabel(first)} (while the cluster still runs)`,
      title: 'Choose the snapshot',
      commands: [
        {
          argv: ['k3s', 'etcd-snapshot', 'ls'],
          note: 'it reads config.yaml: until the Secret exists it fails (HTTP 400); then add --etcd-s3=false for the local snapshots',
        },
        { argv: [{ shell: "SNAPSHOT='<Name of the chosen s3:// row>'" }] },
      ],
      check: `the chosen row's Location is ${s.s3Url}/<Name>. If no server runs any more, the B2 web console lists the same objects in ${s.location}: the Name is the object name without the folder.`,
      why: 'ls asks the running server, which reads the bucket with the Secret; once K3s is stopped only the bucket itself can be listed.',
    },
    {
      on: 'your machine, from the repository root',
      title: `Only if ${nodeLabel(first)} was lost: build it again now, and no other server`,
      commands: buildLines(first, RESTORED_FIRST_LABEL),
      check:
        `skip this step if ${first.name} still has its disk. Otherwise: cloud-init status --long on it says done, ` +
        `and \`k3s kubectl get nodes\` there lists ${first.name} alone: a new, empty cluster, which the restore replaces. ` +
        `Its file must start a cluster: render it from a copy of ${ctx.configFile} with cluster.established: false ` +
        `(same CDK8S_OUTDIR=${ctx.outdir}; only this node's file changes), with the token's secret alone ` +
        `in K3S_TOKEN or .secrets/k3s-token, the part after "::server:" of the full K10… token. ${gone(first)}`,
      why:
        'the restore needs an etcd database on this server to replace. The other lost servers come after the restore, on fresh disks: built now, they would join this new, empty cluster and keep its data on their disks. ' +
        'The secret, not a new token: the snapshot’s bootstrap data is encrypted with it, and synth refuses the full K10… form while cluster.established is false (the new server makes a new CA; the restore brings the old one back).',
    },
    {
      on: nodeLabel(first),
      title: 'Put the keys file on the server for the restore',
      commands: [
        {
          argv: [{ shell: `(umask 077 && cat > ${NODE_KEYS_FILE})` }],
          note: 'paste the two lines of your keys file, then Ctrl-D',
        },
      ],
      check: `${NODE_KEYS_FILE} has the ${s.credentialKeys.join(' and ')} lines, mode 0600.`,
      why: 'the restore cannot read the Secret; the keys reach K3s as environment variables from this file, never on a command line.',
    },
    {
      on: `every server that runs: ${all}`,
      title: 'Stop K3s on all servers',
      commands: [systemctl('stop')],
      check: '`systemctl is-active k3s` prints "inactive" on every server before the next step.',
      why: 'a server still running keeps the old members and data and would fight the restored cluster; the restore makes one server the sole member.',
    },
    {
      on: nodeLabel(first),
      title:
        'Take server: out of config.yaml for the reset, copy the old database aside, and read how the unit starts K3s',
      commands: [
        // A server built by hand may have no config.yaml; an empty one is read as no settings at all.
        { argv: ['touch', PATHS.k3sConfig] },
        { argv: ['cp', '-a', PATHS.k3sConfig, CONFIG_BACKUP] },
        { argv: ['sed', '-i', '/^server:/d', PATHS.k3sConfig] },
        copyDbAside(),
        { argv: ['systemctl', 'cat', 'k3s'] },
        { argv: [{ shell: `cat ${PATHS.k3sUnit}.env 2>/dev/null || true` }] },
      ],
      check:
        `\`grep -c '^server:' ${PATHS.k3sConfig}\` prints 0, and ${SERVER_DIR}/ has db (with db/etcd) and db.before-restore-<time>. ` +
        'Read the ExecStart line and the environment file: every flag after `server` there (a server built by hand with install.sh carries them, --node-ip for one) and every K3S_* variable must go on the reset command of the next step too, except --server and --token; without them the member comes back with another peer URL.',
      why:
        'K3s refuses a cluster-reset while server: is set (pkg/cli/server/server.go); a first server rebuilt with cluster.established has one. ' +
        'Copied, not moved: the restore itself moves db/etcd to db/etcd-old-<unix time> and fails if it is missing (pkg/etcd/etcd.go Restore). ' +
        'The copy keeps the whole old database (local snapshots too) until the restored cluster is proven.',
    },
    {
      on: nodeLabel(first),
      title: 'Restore the snapshot from the bucket (this server only)',
      commands: [clusterResetCommand(s)],
      check:
        'it ends with "Managed etcd cluster membership has been reset, restart without --cluster-reset flag now" and exits.',
      why: 'a cluster-reset on more than one server would make several one-member clusters; the others rejoin this one afterwards.',
    },
    {
      on: nodeLabel(first),
      title: 'Put config.yaml back, remove the keys file, start K3s',
      commands: [
        { argv: ['mv', CONFIG_BACKUP, PATHS.k3sConfig] },
        { argv: ['rm', NODE_KEYS_FILE] },
        systemctl('start'),
      ],
      check: `\`k3s kubectl get node ${first.name}\` is Ready, and \`${DB_INFO}\` lists one member.`,
      why: 'with its database restored, the server starts from it and joins no one, whatever server: says (pkg/cluster/bootstrap.go shouldBootstrapLoad: "bootstrap already complete and initialized").',
    },
    ...others.flatMap((n): Step[] => [
      {
        on: nodeLabel(n),
        title: `If ${nodeLabel(n)} kept its disk: move its server state aside, then start K3s`,
        commands: [systemctl('is-active'), moveServerAside(), systemctl('start')],
        check: `is-active printed "inactive" before the mv; then on ${nodeLabel(first)}: \`k3s kubectl get node ${n.name}\` is Ready and \`${DB_INFO}\` lists it as a member. Only then the next server.`,
        why:
          `all of ${SERVER_DIR} goes, not only db: cred and tls hold bootstrap data (encryption key, CAs) that may be newer than the snapshot, and K3s stops on "… newer than datastore". ` +
          'Without it the server joins the restored cluster as a fresh disk would, as a new member. One at a time, so each new member is promoted before the next.',
      },
      {
        on: 'your machine, from the repository root (kubectl against the restored cluster)',
        title: `Or, if ${nodeLabel(n)} was lost: build it again now, on a fresh disk`,
        commands: [
          { argv: ['kubectl', 'delete', 'node', n.name, '--ignore-not-found', '--timeout=5m'] },
          ...buildLines(n),
        ],
        check: `skip this step if ${n.name} kept its disk (previous step). Otherwise: \`kubectl get node ${n.name}\` is Ready and \`${DB_INFO}\` on ${nodeLabel(first)} lists it as a member. Only then the next server. ${gone(n)}`,
        why: `the snapshot brings back ${n.name}'s Node and its password Secret ${n.name}.node-password.k3s, which would refuse the new server's password: both go with the Node. Its file (from ${ctx.configFile}) joins ${nodeLabel(first)}.`,
      },
    ]),
    {
      on: nodeLabel(first),
      title: 'Check the restored cluster',
      commands: [{ argv: ['k3s', 'kubectl', 'get', 'nodes'] }],
      check: `all of ${all} Ready; delete the Node of a server that no longer exists. Delete the server.before-restore-* and db.before-restore-* directories once the workloads are verified.`,
    },
  ];
  return {
    title: `Restore etcd from a snapshot in ${s.location} onto ${nodeLabel(first)}`,
    intro: [
      'The whole cluster goes down and comes back with the state of the snapshot. Not a rolling operation.',
      `Run each step's commands as root on the server named, in one shell per server (the Hetzner console if SSH is closed).`,
      `Servers lost as well: only ${first.name} is built before the restore (step 2); every other lost server after it, on a fresh disk, in its own step.`,
    ],
    steps,
  };
}
