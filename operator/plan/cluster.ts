import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Answer, AnswerShapeError } from '../../lib/answer';
import { K3S_NODE, type NodeArgs, NodeArgsError, parseNodeArgs } from '../../model/k3s-args';
import { lastLine, runTool } from '../tool';

/** A server's Node, as K3s keeps it (only what the plan reads). */
export interface ClusterNode {
  readonly name: string;
  /** The Ready condition's status: "True", "False", "Unknown", or undefined when absent. */
  readonly ready?: string;
  /** EtcdIsVoter: its status and reason (MemberNotLearner, MemberIsLearner, Unhealthy, NotAMember). */
  readonly etcdVoter?: { readonly status: string; readonly reason: string };
  readonly kubeletVersion?: string;
  /** k3s.io/node-args read back, or why it could not be (absent, not K3s's format). */
  readonly nodeArgs: NodeArgs | { readonly unreadable: string };
  /** The raw annotation, to compare before and after a restart. */
  readonly nodeArgsText?: string;
  /** k3s.io/node-env: the K3S_* environment K3s started with (tokens redacted). */
  readonly nodeEnv: Readonly<Record<string, string>>;
  readonly configHash?: string;
  /** etcd.k3s.cattle.io/node-address: the member's peer address. */
  readonly etcdAddress?: string;
  readonly internalIP?: string;
  readonly externalIP?: string;
}

/** One etcdsnapshotfiles.k3s.cattle.io entry. */
export interface ClusterSnapshot {
  readonly name: string;
  /** spec.nodeName: the node that took it. */
  readonly nodeName: string;
  readonly location: string;
  /** In the bucket (label snapshot-storage-node = s3), not on the node's disk. */
  readonly offNode: boolean;
  readonly created?: Date;
  readonly readyToUse: boolean;
  readonly tokenHash?: string;
}

/** What system-upgrade-controller is doing: Jobs that have not finished, Plans applying to nodes. */
export interface UpgradeActivity {
  readonly activeJobs: readonly { readonly name: string; readonly node?: string }[];
  readonly applying: readonly { readonly plan: string; readonly nodes: readonly string[] }[];
}

export interface LiveCluster {
  readonly nodes: readonly ClusterNode[];
  readonly snapshots: readonly ClusterSnapshot[];
  readonly upgrades: UpgradeActivity;
  /** When it was read: snapshot ages are measured from here. */
  readonly readAt: Date;
}

/** The cluster as read, or why it could not be. */
export type ClusterRead =
  { readonly access: true; readonly cluster: LiveCluster } | { readonly access: false; readonly why: string };

/** How long one kubectl read may take. */
export const KUBECTL_TIMEOUT_MS = 30_000;

/** The namespace system-upgrade-controller runs its Jobs in (vendor/system-upgrade-controller). */
const UPGRADE_NAMESPACE = 'system-upgrade';

/**
 * The kubeconfig kubectl would use: `--kubeconfig FILE`, else $KUBECONFIG, else ~/.kube/config;
 * undefined when there is none, so that "no cluster access" is said before kubectl is run.
 */
export function kubeconfigOf(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag) return flag;
  if (env.KUBECONFIG) return env.KUBECONFIG;
  const home = env.HOME || os.homedir();
  const file = path.join(home, '.kube', 'config');
  return fs.existsSync(file) ? file : undefined;
}

/**
 * Reads the cluster with the real kubectl, read only, four GETs at once: the Nodes, the etcd
 * snapshot records, system-upgrade-controller's Jobs and Plans. Never throws for the cluster's
 * sake: an unreachable or refusing API server is "no cluster access", with the reason in one line.
 */
export async function readCluster(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): Promise<ClusterRead> {
  if (!kubeconfig)
    return {
      access: false,
      why: 'no kubeconfig (set KUBECONFIG, or pass --kubeconfig FILE; ~/.kube/config does not exist)',
    };
  const get = (args: readonly string[]) => kubectlJson(args, kubeconfig, env);
  const [nodes, snapshots, jobs, plans] = await Promise.all([
    get(['get', 'nodes']),
    get(['get', 'etcdsnapshotfiles.k3s.cattle.io']),
    get(['get', 'jobs.batch', '-n', UPGRADE_NAMESPACE]),
    get(['get', 'plans.upgrade.cattle.io', '-n', UPGRADE_NAMESPACE]),
  ]);
  const failed = [nodes, snapshots, jobs, plans].find((r) => 'why' in r && !r.optional);
  if (failed && 'why' in failed) return { access: false, why: failed.why };
  const items = (g: Got) => ('why' in g ? { items: [] } : g);
  return clusterOf({ nodes, snapshots: items(snapshots), jobs: items(jobs), plans: items(plans) }, new Date());
}

/**
 * The cluster from kubectl's four answers (`{ items: [...] }` each), checked at the boundary:
 * an answer of another shape is "no cluster access" with where it went wrong, never a crash.
 */
export function clusterOf(
  got: { readonly nodes: unknown; readonly snapshots: unknown; readonly jobs: unknown; readonly plans: unknown },
  readAt: Date,
): ClusterRead {
  const items = (value: unknown, what: string, read: (a: Answer) => unknown) => {
    try {
      return new Answer(value).get('items').list().map(read);
    } catch (e) {
      if (e instanceof AnswerShapeError)
        throw new AnswerError(`${what} answered a list kubectl would not print (${e.message})`);
      throw e;
    }
  };
  try {
    return {
      access: true,
      cluster: {
        nodes: items(got.nodes, 'kubectl get nodes', nodeOf) as ClusterNode[],
        snapshots: items(got.snapshots, 'kubectl get etcdsnapshotfiles', snapshotOf) as ClusterSnapshot[],
        upgrades: {
          activeJobs: (
            items(got.jobs, 'kubectl get jobs', jobOf) as (UpgradeActivity['activeJobs'][number] & {
              active: boolean;
            })[]
          )
            .filter((j) => j.active)
            .map(({ name, node }) => ({ name, node })),
          applying: (items(got.plans, 'kubectl get plans', planOf) as UpgradeActivity['applying'][number][]).filter(
            (p) => p.nodes.length > 0,
          ),
        },
        readAt,
      },
    };
  } catch (e) {
    if (e instanceof AnswerError) return { access: false, why: e.message };
    throw e;
  }
}

/** The label system-upgrade-controller puts on a Job: the node it upgrades (pkg/upgrade/job/job.go). */
const SUC_NODE_LABEL = 'upgrade.cattle.io/node';

class AnswerError extends Error {}

type Got = { readonly items: unknown } | { readonly why: string; readonly optional: boolean };

async function kubectlJson(args: readonly string[], kubeconfig: string, env: NodeJS.ProcessEnv): Promise<Got> {
  const argv = [
    'kubectl',
    '--kubeconfig',
    kubeconfig,
    ...args,
    '-o',
    'json',
    `--request-timeout=${KUBECTL_TIMEOUT_MS / 1000 - 5}s`,
  ];
  const command = `kubectl ${args.join(' ')}`;
  const r = await runTool(argv, env, KUBECTL_TIMEOUT_MS, `${command} (the cluster in ${kubeconfig})`);
  if (r.code === 'ENOENT') return { why: 'kubectl is not installed (or not on PATH)', optional: false };
  if (r.code === 'ETIMEDOUT')
    return { why: `${command} did not answer within ${KUBECTL_TIMEOUT_MS / 1000} s`, optional: false };
  if (r.status !== 0) {
    const said = lastLine(r.stderr, [env.K3S_TOKEN]);
    // A cluster without the CRD (no snapshots, no system-upgrade-controller) has nothing of that kind.
    const missingKind = /the server doesn't have a resource type/.test(said);
    return { why: `${command} failed (exit ${r.status ?? r.code}): ${said || 'no message'}`, optional: missingKind };
  }
  try {
    return JSON.parse(r.stdout) as { items: unknown };
  } catch {
    return { why: `${command} printed no JSON`, optional: false };
  }
}

const A = K3S_NODE.annotations;

/** An object's metadata: its name (a DNS subdomain, at most 253 characters), labels, annotations. */
function metaOf(o: Answer) {
  const m = o.get('metadata');
  const name = m.get('name').string();
  if (name === '' || name.length > 253) throw new AnswerShapeError(m.get('name').at, 'a name of 1 to 253 characters');
  return { name, labels: m.get('labels').strings(), annotations: m.get('annotations').strings() };
}

function nodeOf(n: Answer): ClusterNode {
  const { name, annotations: ann } = metaOf(n);
  const status = n.get('status');
  const conditions = status.missing ? [] : status.get('conditions').list(true);
  const cond = (type: string) => {
    const c = conditions.find((x) => x.get('type').string() === type);
    return c && { status: c.get('status').string(), reason: c.get('reason').optString() ?? '' };
  };
  const voter = cond(K3S_NODE.etcdVoterCondition.type);
  const addresses = status.missing ? [] : status.get('addresses').list(true);
  const addr = (type: string) =>
    addresses
      .find((a) => a.get('type').string() === type)
      ?.get('address')
      .string();
  const nodeInfo = status.missing ? undefined : status.get('nodeInfo');
  return {
    name,
    ready: cond('Ready')?.status,
    etcdVoter: voter,
    kubeletVersion: nodeInfo && !nodeInfo.missing ? nodeInfo.get('kubeletVersion').optString() : undefined,
    nodeArgs: nodeArgsOf(ann[A.nodeArgs]),
    nodeArgsText: ann[A.nodeArgs],
    nodeEnv: nodeEnvOf(ann[A.nodeEnv]),
    configHash: ann[A.nodeConfigHash],
    etcdAddress: ann[A.etcdNodeAddress],
    internalIP: addr('InternalIP'),
    externalIP: addr('ExternalIP'),
  };
}

function nodeArgsOf(text: string | undefined): ClusterNode['nodeArgs'] {
  if (text === undefined) return { unreadable: `no ${A.nodeArgs} annotation` };
  try {
    const argv = JSON.parse(text) as unknown;
    if (!Array.isArray(argv)) return { unreadable: `${A.nodeArgs} is not a JSON list` };
    return parseNodeArgs(argv);
  } catch (e) {
    if (e instanceof NodeArgsError || e instanceof SyntaxError) return { unreadable: `${A.nodeArgs}: ${e.message}` };
    throw e;
  }
}

function nodeEnvOf(text: string | undefined): Readonly<Record<string, string>> {
  try {
    const env = JSON.parse(text ?? '{}') as unknown;
    if (env && typeof env === 'object' && !Array.isArray(env))
      return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    // An unreadable node-env says nothing; node-args decides.
  }
  return {};
}

function snapshotOf(s: Answer): ClusterSnapshot {
  const { name, labels, annotations } = metaOf(s);
  const spec = s.get('spec');
  const status = s.get('status');
  const when = status.missing ? undefined : status.get('creationTime').optString();
  const created = when ? new Date(when) : undefined;
  return {
    name: spec.get('snapshotName').optString() ?? name,
    nodeName: spec.get('nodeName').optString() ?? '',
    location: spec.get('location').string(),
    offNode: labels[K3S_NODE.labels.snapshotStorageNode] === K3S_NODE.labels.snapshotStorageNodeS3,
    created: created && !Number.isNaN(created.getTime()) ? created : undefined,
    readyToUse: !status.missing && status.get('readyToUse').optBoolean() === true,
    tokenHash: annotations[A.snapshotTokenHash],
  };
}

/** A Job and whether it still runs: pods active, or no Complete/Failed condition yet. */
function jobOf(j: Answer) {
  const { name, labels } = metaOf(j);
  const status = j.get('status');
  const active = status.missing ? 0 : (status.get('active').optNumber() ?? 0);
  const done = (status.missing ? [] : status.get('conditions').list(true)).some(
    (c) => ['Complete', 'Failed'].includes(c.get('type').string()) && c.get('status').string() === 'True',
  );
  return { name, node: labels[SUC_NODE_LABEL], active: active > 0 || !done };
}

/** A Plan and the nodes it is applying to now (status.applying). */
function planOf(p: Answer) {
  const status = p.get('status');
  return {
    plan: metaOf(p).name,
    nodes: status.missing
      ? []
      : status
          .get('applying')
          .list(true)
          .map((x) => x.string()),
  };
}
