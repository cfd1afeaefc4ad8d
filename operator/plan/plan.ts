import type { Config, NodeConfig } from '../../config/schema';
import type { HcloudFirewallRule } from '../../model/firewall-rule';
import type { Layout } from '../../model/layout';
import { NODE_FILE_LABEL, type NodeRecord } from '../../model/node-record';
import { classOf, shownArg } from '../../model/k3s-arg-classes';
import { PATHS } from '../../model/paths';
import type { ClusterRead } from './cluster';
import { clusterFindings, type InPlace, type Refusal, serverFindings } from './cluster-plan';
import { findRecord } from './history';
import type { LiveRule, LiveState } from './live';
import { diffLines, diffRecords, readRecord } from './record-diff';

/** A rule as one comparable line: `in tcp 6443 from 198.51.100.0/24 "k3s api from operators"`. */
export const ruleLine = (r: LiveRule | HcloudFirewallRule): string =>
  `${r.direction} ${r.protocol}${r.port ? ` ${r.port}` : ''} from ${[...(r.source_ips ?? [])].sort().join(',')}${r.description ? ` "${r.description}"` : ''}`;

/** A server that needs a rebuild, and why. */
export interface Rebuild {
  readonly node: NodeConfig;
  readonly why: string;
  /** What changes on it: from the record it was built from and from what it runs. */
  readonly diff: readonly string[];
  /** Whether its running K3s arguments were read and allow it (false: no cluster access). */
  readonly verified: boolean;
}

export type { InPlace, Refusal } from './cluster-plan';

/** The plan: every difference between this synth and what runs, by how it rolls out. */
export interface Plan {
  readonly firewall: {
    readonly name: string;
    readonly missing: boolean;
    /** The rules it holds now. */
    readonly current: readonly LiveRule[];
    readonly added: readonly HcloudFirewallRule[];
    readonly removed: readonly LiveRule[];
    readonly notBehind: readonly string[];
  };
  /** Primary IPs of configured nodes with auto-delete on: a delete of their server would release the address. */
  readonly autoDelete: readonly string[];
  /** Primary IPs of configured nodes that no server holds. */
  readonly unattached: readonly string[];
  readonly rebuilds: readonly Rebuild[];
  /** Running servers that take a change with a drop-in and a restart, or an upgrade. */
  readonly inPlace: readonly InPlace[];
  readonly refused: readonly Refusal[];
  readonly outOfStep: readonly string[];
  /** What the plan knows of the cluster itself. */
  readonly cluster:
    | { readonly access: false; readonly why: string }
    | { readonly access: true; readonly snapshots: readonly string[]; readonly token: string };
}

export interface PlanInput {
  readonly config: Config;
  readonly records: readonly NodeRecord[];
  readonly rules: readonly HcloudFirewallRule[];
  readonly live: LiveState;
  /** Where the previous synth's records are, to diff against. */
  readonly out: Layout;
  /** A token is at hand (K3S_TOKEN or the token file): a synth would not make up a new one. */
  readonly tokenAtHand: boolean;
  /** Its snapshot token hash (model/k3s-args.ts tokenHash), to compare with the cluster's. */
  readonly tokenHash?: string;
  /** The cluster as kubectl read it, or why it could not. */
  readonly cluster: ClusterRead;
}

/** A running-argument change as a plan line. */
const changeLine = (c: { name: string; running: unknown; rendered: unknown }) =>
  `k3s ${c.name}: ${shownArg(c.running as never)} → ${shownArg(c.rendered as never)}`;

/** Compares this synth with the live state. Reads nothing but `findRecord`'s files and git. */
export function makePlan({ config, records, rules, live, out, tokenAtHand, tokenHash, cluster }: PlanInput): Plan {
  const { nodes } = config.cluster;
  const fwName = config.cluster.hetzner.firewall;
  const serverOf = new Map(live.servers.map((s) => [s.name, s]));
  const running = nodes.filter((n) => serverOf.has(n.name));
  const liveLines = new Set((live.firewall?.rules ?? []).map(ruleLine));
  const wantLines = new Set(rules.map(ruleLine));
  const refused: Refusal[] = [];
  const rebuilds: Rebuild[] = [];
  const inPlace: InPlace[] = [];
  const clusterOutOfStep: string[] = [];
  const verified = cluster.access;
  const unverified = verified ? '' : ' (unverified: no cluster access)';
  const nodeOf = new Map(cluster.access ? cluster.cluster.nodes.map((n) => [n.name, n]) : []);

  for (const node of running) {
    const server = serverOf.get(node.name)!;
    const record = records.find((r) => r.name === node.name)!;
    if (server.ipv4 !== node.publicIPv4) {
      refused.push({
        what: `${node.name}: address ${server.ipv4 ?? '(none)'} → ${node.publicIPv4}`,
        why: `${node.name} is an etcd member at ${server.ipv4 ?? 'its old address'}: the other servers' etcd peers, UFW rules and join URLs name that address`,
        instead: `keep ${server.ipv4} in cluster.yaml; to move the server, remove it first (the rebuild runbook's drain, shutdown and Node delete), then build it on the Primary IP that holds the new address and rebuild the others`,
      });
      continue;
    }
    const rendered = readRecord(record.text);
    // What it runs, from its Node (with cluster access): refusals, what only a rebuild changes, what a restart does.
    const found = cluster.access
      ? serverFindings(node, rendered, nodeOf.get(node.name), config.k3s.version)
      : undefined;
    if (found) {
      refused.push(...found.refused);
      clusterOutOfStep.push(...found.outOfStep);
    }
    const runningLines = found ? [...found.rebuildOnly, ...found.inPlace].map(changeLine) : [];
    const rebuild = (why: string, diff: readonly string[]) =>
      rebuilds.push({ node, why: `${why}${unverified}`, diff: [...diff, ...runningLines], verified });
    const built = server.labels[NODE_FILE_LABEL];
    if (built === undefined) {
      rebuild(
        found
          ? `built by hand (no ${NODE_FILE_LABEL} label): adopt it by rebuilding; what it runs was read from its Node`
          : `built by hand (no ${NODE_FILE_LABEL} label): adopt it by rebuilding`,
        [],
      );
      continue;
    }
    const before = built === record.fingerprint ? record.text : findRecord(out.recordFile(node), built);
    if (!before) {
      rebuild(`built from node file ${built}, which neither ${out.recordsDir}/ nor git history holds`, []);
      continue;
    }
    const diff = diffRecords(readRecord(before), rendered);
    // Without the cluster, the record it was built from is the best guess of what it runs.
    if (!found)
      for (const c of diff.critical) {
        refused.push({
          what: `${node.name}: K3s critical argument ${c.arg}: ${JSON.stringify(c.from) ?? '(unset)'} → ${JSON.stringify(c.to) ?? '(unset)'}`,
          why: 'every server must share it: a server rebuilt with the new value is refused when it joins ("critical configuration value mismatch between servers", pkg/cluster/bootstrap.go compareConfig), and the others keep the old one',
          instead: `keep the running value in cluster.yaml; changing ${c.arg} means a new cluster, restored from a snapshot (npm run -s synth -- --runbook restore)`,
        });
      }
    // A new node file needs a rebuild unless all it changes is config.yaml keys that a restart takes.
    const filesChange =
      diff.paths.some((p) => p !== PATHS.k3sConfig) ||
      diff.runcmdChanged ||
      diff.ufwAdded.length + diff.ufwRemoved.length > 0 ||
      diff.k3sKeyNames.some((k) => classOf(k) !== 'in-place');
    if (filesChange || (found?.rebuildOnly.length ?? 0) > 0) {
      rebuild(
        built === record.fingerprint
          ? 'it runs K3s arguments that only a rebuild changes'
          : `its node file changed (built from ${built.slice(0, 12)}…, now ${record.fingerprint.slice(0, 12)}…)`,
        diffLines(diff),
      );
      continue;
    }
    if (found && found.inPlace.length > 0) inPlace.push({ node, changes: found.inPlace });
    else if (!found && diff.k3sKeyNames.length > 0)
      inPlace.push({
        node,
        changes: diff.k3sKeyNames.map((k) => ({ name: k, running: undefined, rendered: undefined, class: 'in-place' })),
      });
  }

  if (running.length > 0) {
    const starter = records.find((r) => readRecord(r.text)['k3s-config']['cluster-init'] === true);
    if (starter) {
      refused.push({
        what: `${starter.name}: cluster-init on a running cluster`,
        why: `servers of the cluster run at Hetzner (${running.map((n) => n.name).join(', ')}); a server built from this file would start a second cluster instead of joining`,
        instead: 'set cluster.established: true in the config, so every node file joins the running cluster',
      });
    }
    if (!config.cluster.established && !tokenAtHand) {
      refused.push({
        what: 'a new cluster token',
        why: 'no token is at hand and cluster.established is false, so synth would make up a new one; the running servers refuse it (401 at /v1-k3s/server-bootstrap)',
        instead:
          'copy /var/lib/rancher/k3s/server/token from a running server into .secrets/k3s-token (chmod 600), and set cluster.established: true',
      });
    }
  }

  const findings = cluster.access ? clusterFindings(cluster, nodes, tokenHash) : undefined;
  if (findings) refused.push(...findings.refused);

  const behind = new Set(live.firewall?.serverIds ?? []);
  const ipOf = new Map(live.primaryIps.map((p) => [p.name, p]));
  const outOfStep = [
    ...nodes
      .filter((n) => !serverOf.has(n.name))
      .map((n) => `${n.name} is in the config but not at Hetzner: build it (its build lines are in the synth summary)`),
    ...live.servers
      .filter((s) => s.labels[NODE_FILE_LABEL] !== undefined && !nodes.some((n) => n.name === s.name))
      .map(
        (s) =>
          `${s.name} at Hetzner carries ${NODE_FILE_LABEL} but the config does not name it: add it to cluster.nodes, or remove it from the cluster and delete it`,
      ),
    ...nodes
      .filter((n) => !ipOf.has(n.primaryIp))
      .map(
        (n) =>
          `Primary IP ${n.primaryIp} (for ${n.name}) does not exist: create it, or name the existing one in cluster.nodes[].primaryIp`,
      ),
    ...clusterOutOfStep,
    ...(findings?.outOfStep ?? []),
  ];
  return {
    firewall: {
      name: fwName,
      missing: live.firewall === undefined,
      current: live.firewall?.rules ?? [],
      added: rules.filter((r) => !liveLines.has(ruleLine(r))),
      removed: (live.firewall?.rules ?? []).filter((r) => !wantLines.has(ruleLine(r))),
      notBehind: running.filter((n) => !behind.has(serverOf.get(n.name)!.id)).map((n) => n.name),
    },
    autoDelete: nodes.filter((n) => ipOf.get(n.primaryIp)?.autoDelete).map((n) => n.primaryIp),
    unattached: nodes.filter((n) => ipOf.has(n.primaryIp) && !ipOf.get(n.primaryIp)!.assigned).map((n) => n.primaryIp),
    rebuilds,
    inPlace,
    refused,
    outOfStep,
    cluster: cluster.access
      ? { access: true, snapshots: findings!.snapshots, token: findings!.token }
      : { access: false, why: cluster.why },
  };
}

/** Live changes: what the rollout applies before any rebuild. */
export const liveChangeCount = (p: Plan): number =>
  (p.firewall.missing ? 1 : 0) +
  p.firewall.added.length +
  p.firewall.removed.length +
  p.firewall.notBehind.length +
  p.autoDelete.length;

/** The plan's exit code, as Terraform's -detailed-exitcode: 0 nothing to do, 2 changes, 1 refused. */
export function planExitCode(p: Plan): 0 | 1 | 2 {
  if (p.refused.length > 0) return 1;
  return liveChangeCount(p) + p.rebuilds.length + p.inPlace.length + p.outOfStep.length + p.unattached.length > 0
    ? 2
    : 0;
}
