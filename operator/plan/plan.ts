import type { Config, NodeConfig } from '../../config/schema';
import type { HcloudFirewallRule } from '../../model/firewall-rule';
import type { Layout } from '../../model/layout';
import { NODE_FILE_LABEL, type NodeRecord, type RecordData } from '../../model/node-record';
import { classOf, shownArg } from '../../model/k3s-arg-classes';
import { PATHS } from '../../model/paths';
import type { ClusterRead } from './cluster';
import { clusterFindings, type InPlace, type Refusal, serverFindings } from './cluster-plan';
import { findRecord, readOrUndefined } from './history';
import type { LiveRule, LiveState } from './live';
import { diffLines, diffRecords, readRecord, RecordShapeError } from './record-diff';

/** A rule as one comparable line: `in tcp 6443 from 198.51.100.0/24 "k3s api from operators"` (`out … to …`). */
export const ruleLine = (r: LiveRule | HcloudFirewallRule): string => {
  const out = r.direction === 'out';
  const ips = (out ? (r as LiveRule).destination_ips : r.source_ips) ?? [];
  return `${r.direction} ${r.protocol}${r.port ? ` ${r.port}` : ''} ${out ? 'to' : 'from'} ${[...ips].sort().join(',')}${r.description ? ` "${r.description}"` : ''}`;
};

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
    /** The rules this run renders: what the firewall is narrowed to. */
    readonly rendered: readonly HcloudFirewallRule[];
  };
  /**
   * Primary IPs of running servers to adopt before any rebuild: auto-delete off (a delete of
   * the server would release the address for good), and the name the config gives it.
   */
  readonly primaryIps: readonly PrimaryIpFix[];
  /** Primary IPs of configured nodes that no server holds yet: the server built on it takes it. */
  readonly unattached: readonly string[];
  readonly rebuilds: readonly Rebuild[];
  /** Running servers that take a change with a drop-in and a restart, or an upgrade. */
  readonly inPlace: readonly InPlace[];
  readonly refused: readonly Refusal[];
  readonly outOfStep: readonly string[];
  /**
   * The output directory does not hold this config's node records: a synth has not run since
   * the config changed, so its manifests (what `kubectl diff -f` would compare) are stale too.
   */
  readonly staleOutput: boolean;
  /** What the plan knows of the cluster itself. */
  readonly cluster:
    | { readonly access: false; readonly why: string }
    | { readonly access: true; readonly snapshots: readonly string[]; readonly token: string };
}

/** A Primary IP a running server holds, found through the server (`public_net.ipv4.id`), and what changes on it. */
export interface PrimaryIpFix {
  readonly node: string;
  /** Its name now (a hand-built server's is Hetzner's own, such as primary_ip-300). */
  readonly current: string;
  /** The name the config gives it, when that differs. */
  readonly rename?: string;
  readonly autoDeleteOff: boolean;
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
  // A record text is parsed once, and this synth's own not at all: its data comes with it.
  const parsed = new Map<string, RecordData>(records.map((r) => [r.text, r.data]));
  const read = (text: string): RecordData => {
    if (!parsed.has(text)) parsed.set(text, readRecord(text));
    return parsed.get(text)!;
  };

  const ipById = new Map(live.primaryIps.map((p) => [p.id, p]));
  const ipByName = new Map(live.primaryIps.map((p) => [p.name, p]));
  const primaryIps: PrimaryIpFix[] = [];
  const hetznerOutOfStep: string[] = [];
  const { hetzner } = config.cluster;
  for (const node of running) {
    const server = serverOf.get(node.name)!;
    if (server.status !== 'running')
      hetznerOutOfStep.push(
        `${node.name} is ${server.status} at Hetzner, not running: start it (hcloud server poweron ${node.name}) or finish what stopped it, then plan again`,
      );
    for (const other of live.otherFirewalls.filter((f) => f.serverIds.includes(server.id)))
      hetznerOutOfStep.push(
        `${node.name} carries another Cloud Firewall, ${other.name}: Hetzner applies the rules of every firewall a server carries, so what ${fwName} closes may be open; remove it (hcloud firewall remove-from-resource ${other.name} --type server --server ${node.name}) or fold its rules into ${fwName}`,
      );
    const ip = server.primaryIpId === undefined ? undefined : ipById.get(server.primaryIpId);
    if (!ip)
      hetznerOutOfStep.push(
        `${node.name} holds no Primary IP the API shows: check hcloud server describe ${node.name}`,
      );
    else if (ip.name !== node.primaryIp && ipByName.has(node.primaryIp)) {
      const other = ipByName.get(node.primaryIp)!;
      refused.push({
        what: `${node.name}: it holds the Primary IP ${ip.name} (${ip.ip}), and ${node.primaryIp}, the name the config gives it, is another one (${other.ip})`,
        why: 'a rebuild builds the server on the Primary IP the config names: it would come back on another address, and the other servers’ etcd peers, UFW rules and join URLs name this one',
        instead: `set cluster.nodes[].primaryIp of ${node.name} to ${ip.name} (the IP it holds), or swap the names at Hetzner by hand through a temporary one (hcloud primary-ip update --name)`,
      });
    } else if (ip.name !== node.primaryIp || ip.autoDelete)
      primaryIps.push({
        node: node.name,
        current: ip.name,
        ...(ip.name !== node.primaryIp ? { rename: node.primaryIp } : {}),
        autoDeleteOff: ip.autoDelete,
      });
    const record = records.find((r) => r.name === node.name)!;
    // What Hetzner builds it as: a rebuild is the only way these change.
    const hetznerLines = (
      [
        ['server type', server.serverType, hetzner.serverType],
        ['image', server.image, hetzner.image],
        ['location', server.location, hetzner.location],
      ] as const
    )
      .filter(([, now, want]) => now !== undefined && now !== want)
      .map(([what, now, want]) => `hetzner ${what}: ${now} → ${want}`);
    if (server.ipv4 !== node.publicIPv4) {
      refused.push({
        what: `${node.name}: address ${server.ipv4 ?? '(none)'} → ${node.publicIPv4}`,
        why: `${node.name} is an etcd member at ${server.ipv4 ?? 'its old address'}: the other servers' etcd peers, UFW rules and join URLs name that address`,
        instead: `keep ${server.ipv4} in cluster.yaml; to move the server, remove it first (the rebuild runbook's drain, shutdown and Node delete), then build it on the Primary IP that holds the new address and rebuild the others`,
      });
      continue;
    }
    const rendered = read(record.text);
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
      rebuilds.push({ node, why: `${why}${unverified}`, diff: [...diff, ...hetznerLines, ...runningLines], verified });
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
    let beforeData: RecordData;
    try {
      beforeData = read(before);
    } catch (e) {
      if (!(e instanceof RecordShapeError)) throw e;
      rebuild(`built from node file ${built.slice(0, 12)}…, whose record in git history is ${e.message}`, []);
      continue;
    }
    // A new k3s.version alone is an upgrade, through the Plan in dist/, never a rebuild: the plan
    // compares the version each server runs (from its Node, below) instead of the files.
    if (
      before !== record.text &&
      sameBesideVersion(before, record.text, config.k3s.version) &&
      !found?.rebuildOnly.length
    ) {
      if (found && found.inPlace.length > 0) inPlace.push({ node, changes: found.inPlace });
      else if (!found && before !== record.text)
        inPlace.push({
          node,
          changes: [
            {
              name: 'k3s version',
              running: K3S_RELEASE.exec(before)?.[0],
              rendered: config.k3s.version,
              class: 'in-place',
            },
          ],
        });
      continue;
    }
    const diff = diffRecords(beforeData, rendered);
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
    if (filesChange || (found?.rebuildOnly.length ?? 0) > 0 || hetznerLines.length > 0) {
      rebuild(
        built === record.fingerprint
          ? hetznerLines.length > 0 && !filesChange && !found?.rebuildOnly.length
            ? 'Hetzner runs it as another server than the config describes'
            : 'it runs K3s arguments that only a rebuild changes'
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
    const starter = records.find((r) => read(r.text)['k3s-config']['cluster-init'] === true);
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
  const unattached: string[] = [];
  for (const n of nodes.filter((x) => !serverOf.has(x.name))) {
    const ip = ipByName.get(n.primaryIp);
    if (!ip) continue;
    if (ip.assigneeId !== undefined || ip.ip !== n.publicIPv4)
      refused.push({
        what: `${n.name}: its Primary IP ${n.primaryIp} ${ip.assigneeId !== undefined ? `is held by another server (id ${ip.assigneeId})` : `holds ${ip.ip}, not ${n.publicIPv4}`}`,
        why: `a server built on it would not get ${n.publicIPv4}, which the other servers' rules and join URLs name`,
        instead: `name the Primary IP that holds ${n.publicIPv4} in cluster.nodes[].primaryIp, or set publicIPv4 to ${ip.ip} if ${n.name} is new`,
      });
    else unattached.push(n.primaryIp);
  }
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
      .filter((n) => !serverOf.has(n.name) && !ipByName.has(n.primaryIp))
      .map(
        (n) =>
          `Primary IP ${n.primaryIp} (for ${n.name}) does not exist: create it, or name the existing one in cluster.nodes[].primaryIp`,
      ),
    ...hetznerOutOfStep,
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
      rendered: rules,
    },
    primaryIps,
    unattached,
    staleOutput: records.some((r) => readOrUndefined(out.recordFile({ name: r.name })) !== r.text),
    rebuilds,
    inPlace,
    refused,
    outOfStep,
    cluster: cluster.access
      ? { access: true, snapshots: findings!.snapshots, token: findings!.token }
      : { access: false, why: cluster.why },
  };
}

/** A K3s release as the records name it (the download URL's path). */
const K3S_RELEASE = /v\d+\.\d+\.\d+\+k3s\d+/;

/** Whether two records differ in the K3s release they install and in nothing else. */
function sameBesideVersion(before: string, after: string, version: string): boolean {
  const was = K3S_RELEASE.exec(before)?.[0];
  return was !== undefined && before.split(was).join(version) === after;
}

/** Live changes: what the rollout applies before any rebuild. */
export const liveChangeCount = (p: Plan): number =>
  (p.firewall.missing ? 1 : 0) +
  p.firewall.added.length +
  p.firewall.removed.length +
  p.firewall.notBehind.length +
  p.primaryIps.length;

/** The plan's exit code, as Terraform's -detailed-exitcode: 0 nothing to do, 2 changes, 1 refused. */
export function planExitCode(p: Plan): 0 | 1 | 2 {
  if (p.refused.length > 0) return 1;
  return liveChangeCount(p) +
    p.rebuilds.length +
    p.inPlace.length +
    p.outOfStep.length +
    p.unattached.length +
    (p.staleOutput ? 1 : 0) >
    0
    ? 2
    : 0;
}
