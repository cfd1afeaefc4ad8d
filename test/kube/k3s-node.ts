import { createHash } from 'crypto';
import { K3S_NODE, nodeArgsFor, nodeConfigHash, tokenHash } from '../../model/k3s-args';

/**
 * Kubernetes objects as a K3s v1.34.6 server writes them, for the Kubernetes API stand-in:
 * a server's Node with the node-config annotations (pkg/nodeconfig/nodeconfig.go), the etcd
 * annotations and the EtcdIsVoter condition (pkg/etcd/etcd.go, metadata_controller.go), an
 * ETCDSnapshotFile (pkg/etcd/snapshot/types.go), and system-upgrade-controller's Jobs.
 * vendor/k3s/node-config.json holds the facts; test/k3s-args.test.ts holds nodeArgsFor to
 * K3s's own examples.
 */

type Json = Record<string, any>;

/** setEtcdStatusCondition's conditions, by reason. */
const VOTER: Readonly<Record<string, [string, string]>> = {
  MemberNotLearner: ['True', 'Node is a voting member of the etcd cluster'],
  MemberIsLearner: ['False', 'Node has not been promoted to voting member of the etcd cluster'],
  Unhealthy: ['False', 'Node is unhealthy'],
  NotAMember: ['False', 'Node is not a member of the etcd cluster'],
};

export interface K3sServer {
  readonly name: string;
  /** Its node-ip, as the Node's InternalIP and the etcd member's address. */
  readonly ip: string;
  /** config.yaml, then its drop-ins in name order. */
  readonly configFiles?: readonly Readonly<Record<string, unknown>>[];
  /** The unit's command line after `k3s` (default: `server`). */
  readonly commandLine?: readonly string[];
  /** The unit's environment (only K3S_* reaches node-env). */
  readonly env?: Readonly<Record<string, string>>;
  readonly ready?: 'True' | 'False' | 'Unknown';
  readonly voter?: keyof typeof VOTER;
  readonly version?: string;
}

/** A server's Node, as the API serves it once K3s and its etcd controller have written it. */
export function k3sNode(s: K3sServer): Json {
  const nodeArgs = JSON.stringify(nodeArgsFor(s.commandLine ?? ['server'], s.configFiles ?? []));
  const env = Object.fromEntries(
    Object.entries(s.env ?? {})
      .filter(([k]) => k.startsWith(K3S_NODE.nodeEnvPrefix))
      .map(([k, v]) => [k, K3S_NODE.secretEnv.includes(k) ? K3S_NODE.omittedValue : v])
      // Go's json.Marshal writes a map's keys sorted.
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const nodeEnv = JSON.stringify(env);
  const [voterStatus, voterMessage] = VOTER[s.voter ?? 'MemberNotLearner']!;
  const A = K3S_NODE.annotations;
  const memberSuffix = createHash('sha256').update(s.name).digest('hex').slice(0, 8);
  return {
    metadata: {
      name: s.name,
      labels: {
        'kubernetes.io/hostname': s.name,
        'node-role.kubernetes.io/control-plane': 'true',
        'node-role.kubernetes.io/etcd': 'true',
        'node-role.kubernetes.io/master': 'true',
      },
      annotations: {
        [A.nodeArgs]: nodeArgs,
        [A.nodeEnv]: nodeEnv,
        [A.nodeConfigHash]: nodeConfigHash(nodeArgs, nodeEnv),
        [A.etcdNodeName]: `${s.name}-${memberSuffix}`,
        [A.etcdNodeAddress]: s.ip,
      },
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: s.ip },
        { type: 'Hostname', address: s.name },
      ],
      conditions: [
        {
          type: 'Ready',
          status: s.ready ?? 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
        },
        { type: 'EtcdIsVoter', status: voterStatus, reason: s.voter ?? 'MemberNotLearner', message: voterMessage },
      ],
      nodeInfo: { kubeletVersion: s.version ?? 'v1.34.6+k3s1' },
    },
  };
}

/** An ETCDSnapshotFile: in the bucket (`s3`) or on the node's disk, with the token hash K3s records. */
export function snapshotFile(o: { node: string; s3: boolean; created: Date; token?: string }): Json {
  const stamp = Math.floor(o.created.getTime() / 1000);
  const snapshotName = `etcd-snapshot-${o.node}-${stamp}`;
  const location = o.s3
    ? `s3://honeydue-etcd/k3s-etcd/${snapshotName}`
    : `file:///var/lib/rancher/k3s/server/db/snapshots/${snapshotName}`;
  const digest = createHash('sha256')
    .update(o.node + location)
    .digest('hex')
    .slice(0, 6);
  return {
    metadata: {
      name: `${o.s3 ? 's3' : 'local'}-${snapshotName}-${digest}`,
      labels: {
        [K3S_NODE.labels.snapshotStorageNode]: o.s3 ? K3S_NODE.labels.snapshotStorageNodeS3 : o.node,
      },
      annotations: o.token ? { [K3S_NODE.annotations.snapshotTokenHash]: tokenHash(o.token) } : {},
    },
    spec: {
      snapshotName,
      nodeName: o.node,
      location,
      ...(o.s3
        ? { s3: { bucket: 'honeydue-etcd', prefix: 'k3s-etcd', endpoint: 's3.eu-central-003.backblazeb2.com' } }
        : {}),
    },
    status: { creationTime: o.created.toISOString(), readyToUse: true, size: '5242880' },
  };
}

/** A system-upgrade-controller Job in system-upgrade: running (one active pod) or complete. */
export function upgradeJob(o: { name: string; node: string; active: boolean }): Json {
  return {
    metadata: {
      name: o.name,
      namespace: 'system-upgrade',
      labels: { 'upgrade.cattle.io/node': o.node, 'upgrade.cattle.io/plan': 'k3s-server' },
    },
    status: o.active
      ? { active: 1, startTime: '2026-12-04T10:00:00Z' }
      : { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
  };
}
