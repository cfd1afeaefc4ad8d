import type { Layout } from '../../model/layout';
import { liveChangeCount, type Plan, planExitCode, ruleLine } from './plan';

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
    ...p.autoDelete.map(
      (ip) => `~ Primary IP ${ip} has auto-delete on: deleting its server (a rebuild) would release the address`,
    ),
    ...p.unattached.map((ip) => `~ Primary IP ${ip} is unattached: the server built on it takes it`),
  ];
  const lines: string[] = [];
  const section = (title: string, body: readonly string[]) => {
    if (body.length) lines.push(title, ...body.map((l) => `  ${l}`), '');
  };
  section('applied live (no rebuild):', live);
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
    `manifests: kubectl diff -f ${out.dir}   (what apply would change in the cluster; the node plan above needs no cluster access)`,
  );
  const code = planExitCode(p);
  lines.push(
    code === 0
      ? 'No changes: every server runs its current node file, and the Cloud Firewall and Primary IPs match.'
      : `Plan: ${liveChangeCount(p) + p.unattached.length} live, ${p.rebuilds.length} rebuild, ${p.refused.length} refused, ${p.outOfStep.length} out of step.`,
  );
  return lines;
}
