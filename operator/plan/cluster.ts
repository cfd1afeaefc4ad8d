import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { z as Z } from 'zod';
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
  const { z } = require('zod') as typeof import('zod');
  const s = schemas(z);
  try {
    return {
      access: true,
      cluster: {
        nodes: s.list(s.node, got.nodes, 'kubectl get nodes').map(nodeOf),
        snapshots: s.list(s.snapshot, got.snapshots, 'kubectl get etcdsnapshotfiles').map(snapshotOf),
        upgrades: {
          activeJobs: s
            .list(s.job, got.jobs, 'kubectl get jobs')
            .filter(jobActive)
            .map((j) => ({ name: j.metadata.name, node: j.metadata.labels?.[SUC_NODE_LABEL] })),
          applying: s
            .list(s.plan, got.plans, 'kubectl get plans')
            .filter((p) => (p.status?.applying ?? []).length > 0)
            .map((p) => ({ plan: p.metadata.name, nodes: p.status!.applying! })),
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
  const r = await runTool(argv, env, KUBECTL_TIMEOUT_MS);
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

/** The fields read of each kind, checked at the boundary; anything else in the answer is ignored. */
function schemas(z: typeof Z) {
  const meta = z.object({
    name: z.string().min(1).max(253),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  });
  const node = z.object({
    metadata: meta,
    status: z
      .object({
        conditions: z
          .array(z.object({ type: z.string(), status: z.string(), reason: z.string().optional() }))
          .optional(),
        nodeInfo: z.object({ kubeletVersion: z.string().optional() }).optional(),
        addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional(),
      })
      .optional(),
  });
  const snapshot = z.object({
    metadata: meta,
    spec: z.object({ snapshotName: z.string().optional(), nodeName: z.string().optional(), location: z.string() }),
    status: z.object({ creationTime: z.string().optional(), readyToUse: z.boolean().optional() }).optional(),
  });
  const job = z.object({
    metadata: meta,
    status: z
      .object({
        active: z.number().optional(),
        conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
      })
      .optional(),
  });
  const plan = z.object({
    metadata: meta,
    status: z.object({ applying: z.array(z.string()).optional() }).optional(),
  });
  const list = <T extends Z.ZodType>(item: T, got: unknown, what: string): Z.infer<T>[] => {
    const r = z.object({ items: z.array(item) }).safeParse(got);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new AnswerError(
        `${what} answered a list kubectl would not print (at ${issue.path.join('.')}: ${issue.message})`,
      );
    }
    return r.data.items;
  };
  return { node, snapshot, job, plan, list };
}
type Schemas = ReturnType<typeof schemas>;
type NodeItem = Z.infer<Schemas['node']>;
type SnapshotItem = Z.infer<Schemas['snapshot']>;
type JobItem = Z.infer<Schemas['job']>;

const A = K3S_NODE.annotations;

function nodeOf(n: NodeItem): ClusterNode {
  const ann = n.metadata.annotations ?? {};
  const cond = (type: string) => n.status?.conditions?.find((c) => c.type === type);
  const voter = cond(K3S_NODE.etcdVoterCondition.type);
  const addr = (type: string) => n.status?.addresses?.find((a) => a.type === type)?.address;
  return {
    name: n.metadata.name,
    ready: cond('Ready')?.status,
    etcdVoter: voter && { status: voter.status, reason: voter.reason ?? '' },
    kubeletVersion: n.status?.nodeInfo?.kubeletVersion,
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

function snapshotOf(s: SnapshotItem): ClusterSnapshot {
  const created = s.status?.creationTime ? new Date(s.status.creationTime) : undefined;
  return {
    name: s.spec.snapshotName ?? s.metadata.name,
    nodeName: s.spec.nodeName ?? '',
    location: s.spec.location,
    offNode: s.metadata.labels?.[K3S_NODE.labels.snapshotStorageNode] === K3S_NODE.labels.snapshotStorageNodeS3,
    created: created && !Number.isNaN(created.getTime()) ? created : undefined,
    readyToUse: s.status?.readyToUse === true,
    tokenHash: s.metadata.annotations?.[A.snapshotTokenHash],
  };
}

/** A Job still running: pods active, or no Complete/Failed condition yet. */
function jobActive(j: JobItem): boolean {
  if ((j.status?.active ?? 0) > 0) return true;
  return !(j.status?.conditions ?? []).some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
}
