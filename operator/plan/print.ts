import type { Layout } from '../../model/layout';
import { shownArg } from '../../model/k3s-arg-classes';
import { liveChangeCount, type Plan, planExitCode, ruleLine } from './plan';

const TOKEN_STATE: Readonly<Record<string, string>> = {
  matches: 'the token at hand is this cluster’s (its hash matches the snapshots’)',
  unverified: 'the token at hand is unverified: no etcd snapshot records a token hash yet',
  'none at hand': 'no cluster token at hand (K3S_TOKEN or .secrets/k3s-token)',
  differs: 'the token at hand is NOT this cluster’s (see refused)',
};

/**
 * The plan for people, grouped by how each change rolls out, like `terraform plan`: what is
 * applied live, what needs a rebuild, what is refused on a running cluster, what is out of
 * step, then one summary line. Never a token: the plan holds none.
 */
export function planLines(p: Plan, out: Layout): string[] {
  const fw = p.firewall;
  const live = [
    ...(fw.missing
      ? [`+ Cloud Firewall ${fw.name} does not exist: create it with the rules of ${out.firewallRulesFile}`]
      : []),
    ...fw.added.map((r) => `+ Cloud Firewall ${fw.name} rule: ${ruleLine(r)}`),
    ...fw.removed.map((r) => `- Cloud Firewall ${fw.name} rule: ${ruleLine(r)}`),
    ...fw.notBehind.map((n) => `~ ${n} is not behind the Cloud Firewall ${fw.name}`),
    ...p.primaryIps.map(
      (f) =>
        `~ Primary IP ${f.current} of ${f.node}: ${[
          ...(f.autoDeleteOff
            ? ['auto-delete on (deleting its server, a rebuild, would release the address): off']
            : []),
          ...(f.rename ? [`rename to ${f.rename}, the name the config gives it`] : []),
        ].join('; ')}`,
    ),
    ...p.unattached.map((ip) => `~ Primary IP ${ip} is unattached: the server built on it takes it`),
  ];
  const lines: string[] = [];
  const section = (title: string, body: readonly string[]) => {
    if (body.length) lines.push(title, ...body.map((l) => `  ${l}`), '');
  };
  if (!p.cluster.access)
    lines.push(
      `cluster: not read: ${p.cluster.why}. The plan covers Hetzner only; every rebuild is unverified and a rollout is refused.`,
      '',
    );
  else section('cluster (read with kubectl):', [...p.cluster.snapshots, `token: ${TOKEN_STATE[p.cluster.token]}`]);
  section('applied live (no rebuild):', live);
  section(
    'in place (a drop-in under /etc/rancher/k3s/config.yaml.d and one restart at a time; a K3s version through the upgrade Plan in dist/):',
    p.inPlace.flatMap((c) => [
      `${c.node.name}:`,
      ...c.changes.map((x) =>
        x.running === undefined && x.rendered === undefined
          ? `    k3s ${x.name} changes`
          : `    ${x.name === 'k3s version' ? 'upgrade' : `k3s ${x.name}`}: ${shownArg(x.running)} → ${shownArg(x.rendered)}`,
      ),
    ]),
  );
  section(
    'needs a rebuild (one server at a time: npm run -s synth -- --runbook rollout):',
    p.rebuilds.flatMap((r) => [`${r.node.name}: ${r.why}`, ...r.diff.map((d) => `    ${d}`)]),
  );
  section(
    'refused on a running cluster:',
    p.refused.flatMap((r) => [`✗ ${r.what}`, `    why: ${r.why}`, `    instead: ${r.instead}`]),
  );
  section('out of step:', p.outOfStep);
  lines.push(
    p.staleOutput
      ? `manifests: ${out.dir}/ is stale: its node records are not this config's, so its manifests may not be either; run npm run synth (same --config and CDK8S_OUTDIR), then kubectl diff -f ${out.dir}`
      : `manifests: kubectl diff -f ${out.dir}   (what apply would change in the cluster; the node plan above needs no cluster access)`,
  );
  const code = planExitCode(p);
  lines.push(
    code === 0
      ? `No changes: every server runs its current node file${p.cluster.access ? ' and the K3s arguments it renders' : ''}, and the Cloud Firewall and Primary IPs match.`
      : `Plan: ${liveChangeCount(p) + p.unattached.length} live, ${p.inPlace.length} in place, ${p.rebuilds.length} rebuild, ${p.refused.length} refused, ${p.outOfStep.length} out of step.`,
  );
  return lines;
}
