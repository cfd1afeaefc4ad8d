import type { NodeConfig } from '../../config/cluster';
import { argChanges, type ArgChange, shownArg } from '../../model/k3s-arg-classes';
import { K3S_NODE, renderedArgs, withDefaults } from '../../model/k3s-args';
import type { RecordData } from '../../model/node-record';
import type { ClusterNode, ClusterRead, ClusterSnapshot } from './cluster';

/** A change that rebuilding one server at a time cannot roll out. */
export interface Refusal {
  readonly what: string;
  readonly why: string;
  readonly instead: string;
}

/** Settings a running server takes with a drop-in and one restart, no rebuild. */
export interface InPlace {
  readonly node: NodeConfig;
  readonly changes: readonly ArgChange[];
}

/** What the cluster says of one configured server that runs at Hetzner. */
export interface ServerFindings {
  readonly refused: readonly Refusal[];
  /** Differences only a rebuild brings (what an etcd member is). */
  readonly rebuildOnly: readonly ArgChange[];
  readonly inPlace: readonly ArgChange[];
  readonly outOfStep: readonly string[];
}

/** The cluster-wide findings: etcd members the config does not name, upgrades, the token. */
export interface ClusterFindings {
  readonly refused: readonly Refusal[];
  readonly outOfStep: readonly string[];
  /** Per configured node, where its newest snapshot is. */
  readonly snapshots: readonly string[];
  /** Whether the token at hand is this cluster's, by the snapshots' token hash. */
  readonly token: 'matches' | 'differs' | 'unverified' | 'none at hand';
}

const REASONS = K3S_NODE.etcdVoterCondition.reasons as Readonly<Record<string, string>>;

/** How each critical or cluster-wide argument is brought to the rendered value on running servers. */
const WAY_OUT: Readonly<Record<string, string>> = {
  'secrets-encryption':
    'turn it on in place first: k3s secrets-encrypt enable on one server, then restart every server one at a time (docs/secrets.md#secrets-encryption)',
  'disable-service-lb': `add servicelb to disable on every running server first, one at a time: a drop-in ${'/etc/rancher/k3s/config.yaml.d/'}40-disable-servicelb.yaml holding "disable+: [servicelb]", then systemctl restart k3s, each Ready and an etcd voter before the next`,
  disable:
    'bring every running server to the same list first, one at a time (a drop-in under /etc/rancher/k3s/config.yaml.d/ with the disable list, then systemctl restart k3s)',
};

/** vX.Y.Z → [X, Y]. */
const minorOf = (v: string | undefined): [number, number] | undefined => {
  const m = /^v(\d+)\.(\d+)\./.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

/**
 * What one server runs against what its node file renders. `record` is the rendered record
 * (token-free); the Node is found by the server's name.
 */
export function serverFindings(
  node: NodeConfig,
  record: RecordData,
  live: ClusterNode | undefined,
  k3sVersion: string,
): ServerFindings {
  const name = node.name;
  if (!live)
    return {
      refused: [],
      rebuildOnly: [],
      inPlace: [],
      outOfStep: [
        `${name} runs at Hetzner but the cluster has no Node of that name: it is not a member the plan can see; check kubectl get nodes (is it another cluster's server, or named differently?)`,
      ],
    };
  const outOfStep: string[] = [];
  if (live.ready !== 'True')
    outOfStep.push(`${name} is not Ready (Ready=${live.ready ?? 'absent'}): bring it back before any change`);
  const voter = live.etcdVoter;
  if (!voter || voter.status !== 'True')
    outOfStep.push(
      voter
        ? `${name} is not an etcd voter (EtcdIsVoter=${voter.status}, ${voter.reason}: ${REASONS[voter.reason] ?? 'reason unknown to K3s v1.34.6'}): wait until it is, or find out why`
        : `${name} has no EtcdIsVoter condition: it is not an etcd member K3s reports on`,
    );
  const [major, minor] = minorOf(k3sVersion) ?? [0, 0];
  const running = minorOf(live.kubeletVersion);
  if (!running || running[0] !== major || Math.abs(running[1] - minor) > 1)
    outOfStep.push(
      `${name} runs ${live.kubeletVersion ?? 'an unknown version'}, outside the skew ${k3sVersion} supports (one minor either way): upgrade it one minor at a time first`,
    );
  if ('unreadable' in live.nodeArgs)
    return {
      refused: [
        {
          what: `${name}: what it runs cannot be read (${live.nodeArgs.unreadable})`,
          why: 'a rebuild joins a server whose critical arguments must equal the running ones, and nothing else tells what they are',
          instead: `restart K3s on ${name} (it writes k3s.io/node-args at every start), then plan again`,
        },
      ],
      rebuildOnly: [],
      inPlace: [],
      outOfStep,
    };
  const runs = withDefaults(live.nodeArgs.args, { internalIP: live.internalIP, externalIP: live.externalIP });
  const changes = argChanges(runs, renderedArgs(record['k3s-config']));
  const refused = changes
    .filter((c) => c.class === 'critical' || c.class === 'cluster-wide')
    .map((c): Refusal => ({
      what: `${name}: K3s ${c.class === 'critical' ? 'critical argument' : 'argument'} ${c.name}: it runs ${shownArg(c.running)}, its node file renders ${shownArg(c.rendered)}`,
      why:
        c.class === 'critical'
          ? 'a server rebuilt with the rendered value is refused when it joins ("critical configuration value mismatch between servers", pkg/cluster/bootstrap.go compareConfig), after the old server is gone'
          : 'a server that disables a packaged component deletes its manifest while the others write it back: the servers fight until they agree',
      instead: `${WAY_OUT[c.name] ?? 'bring the running servers to the rendered value in place first, one at a time, where K3s allows it'}; or set cluster.yaml to what runs`,
    }));
  const version = live.kubeletVersion;
  const upgrade: ArgChange[] =
    version && version !== k3sVersion
      ? [{ name: 'k3s version', running: version, rendered: k3sVersion, class: 'in-place' }]
      : [];
  return {
    refused,
    rebuildOnly: changes.filter((c) => c.class === 'member'),
    inPlace: [...upgrade, ...changes.filter((c) => c.class === 'in-place')],
    outOfStep,
  };
}

/** The newest snapshot of a node matching `keep`. */
const newest = (snaps: readonly ClusterSnapshot[], node: string, keep: (s: ClusterSnapshot) => boolean) =>
  snaps
    .filter((s) => s.nodeName === node && s.readyToUse && s.created && keep(s))
    .sort((a, b) => b.created!.getTime() - a.created!.getTime())[0];

const age = (from: Date, at: Date): string => {
  const minutes = Math.max(0, Math.round((at.getTime() - from.getTime()) / 60_000));
  return minutes < 120 ? `${minutes} minutes ago` : `${Math.round(minutes / 60)} hours ago`;
};

/** The newest off-node snapshot of a node, or undefined. */
export const newestOffNode = (snaps: readonly ClusterSnapshot[], node: string) => newest(snaps, node, (s) => s.offNode);

/** The cluster-wide findings, given the read cluster and the configured nodes. */
export function clusterFindings(
  read: Extract<ClusterRead, { access: true }>,
  nodes: readonly NodeConfig[],
  tokenHash: string | undefined,
): ClusterFindings {
  const { cluster } = read;
  const configured = new Set(nodes.map((n) => n.name));
  const outOfStep: string[] = [
    ...cluster.nodes
      .filter((n) => n.etcdAddress !== undefined && !configured.has(n.name))
      .map(
        (n) =>
          `${n.name} is an etcd member (at ${n.etcdAddress}) the config does not name: add it to cluster.nodes, or remove its member first (kubectl delete node ${n.name} once it is drained and stopped)`,
      ),
    ...cluster.upgrades.activeJobs.map(
      (j) =>
        `an upgrade Job runs: system-upgrade/${j.name}${j.node ? ` on ${j.node}` : ''}: wait until it finishes (kubectl -n system-upgrade get jobs)`,
    ),
    ...cluster.upgrades.applying.map(
      (p) =>
        `the upgrade Plan ${p.plan} is applying to ${p.nodes.join(', ')}: wait until it is done (kubectl -n system-upgrade get plans)`,
    ),
  ];
  const snapshots = nodes.map((n) => {
    const off = newestOffNode(cluster.snapshots, n.name);
    if (off) return `${n.name}: snapshots: off-node, newest ${age(off.created!, cluster.readAt)}`;
    const local = newest(cluster.snapshots, n.name, () => true);
    return `${n.name}: snapshots: local only${local ? ` (newest ${age(local.created!, cluster.readAt)})` : ', none recorded'}`;
  });
  const hashes = new Set(cluster.snapshots.flatMap((s) => (s.tokenHash ? [s.tokenHash] : [])));
  const token =
    tokenHash === undefined
      ? 'none at hand'
      : hashes.size === 0
        ? 'unverified'
        : hashes.has(tokenHash)
          ? 'matches'
          : 'differs';
  const refused: Refusal[] =
    token === 'differs'
      ? [
          {
            what: 'the cluster token at hand (K3S_TOKEN or .secrets/k3s-token) is not this cluster’s',
            why: 'the etcd snapshots record the hash of the cluster’s token (etcd.k3s.cattle.io/snapshot-token-hash) and the token at hand hashes otherwise: a server rebuilt with it is refused with 401 when it joins, after the old one is deleted',
            instead: `copy ${'/var/lib/rancher/k3s/server/token'} from a running server into .secrets/k3s-token (chmod 600), or set K3S_TOKEN to it`,
          },
        ]
      : [];
  return { refused, outOfStep, snapshots, token };
}
