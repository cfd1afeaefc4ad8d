import type { Config } from '../../config/schema';
import { UserInputError } from '../../lib/errors';
import { TERMINAL_UNSAFE } from '../../lib/terminal-safe';
import { etcdSnapshots } from '../../model/etcd-backup';
import type { LiveRule } from '../plan/live';
import { type Plan, planExitCode } from '../plan/plan';
import { firewallCommands } from '../hcloud-firewall';
import { planCommand, type RunbookContext } from './context';
import { nodeLabel } from './node';
import { rebuildRunbook } from './rebuild';
import type { Runbook, Step } from './runbook';

/** A live rule as the rules file holds it: the API's own fields, an `out` rule's destinations included, nothing empty. */
const asFileRule = (r: LiveRule): LiveRule => ({
  direction: r.direction,
  protocol: r.protocol,
  ...(r.port ? { port: r.port } : {}),
  ...(r.direction === 'out' ? { destination_ips: r.destination_ips ?? [] } : { source_ips: r.source_ips ?? [] }),
  ...(r.description ? { description: r.description } : {}),
});

/**
 * `hcloud firewall replace-rules` with the rules on its standard input. A description read from
 * Hetzner may hold a character a terminal would act on (a bidi override, a line separator):
 * written as a JSON escape, it reaches the API as it was and prints as plain ASCII.
 */
const replaceRules = (name: string, rules: readonly unknown[]) => ({
  argv: ['hcloud', 'firewall', 'replace-rules', name, '--rules-file', '/dev/stdin'],
  stdin: `${JSON.stringify(rules, null, 2).replace(
    new RegExp(TERMINAL_UNSAFE.source, 'gu'),
    // The line feeds are the JSON's own layout, between its lines.
    (c) => (c === '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  )}\n`,
});

/**
 * The ordered steps that bring the running cluster to its plan, as Cluster API rolls out a
 * control plane. First the live changes, widening before narrowing so that no peer and no
 * operator is locked out: the firewall's rules as the union of old and new, the firewall on
 * every server, auto-delete off on every Primary IP, then the new rules alone. Then, after an
 * off-node snapshot younger than the rollout, each server that needs a rebuild, one at a time,
 * with the rebuild runbook's own steps: each begins by checking that every server is Ready and
 * etcd has all its members, so no rebuild starts before the previous one is back. Last, the
 * plan again, which must have nothing left to do.
 */
export function rolloutRunbook(config: Config, plan: Plan, ctx: RunbookContext): Runbook {
  if (plan.refused.length > 0) {
    throw new UserInputError(
      `--runbook rollout: the plan refuses ${plan.refused.map((r) => r.what).join('; ')}. Run npm run plan for why and what to do instead; nothing can be rolled out until the config asks for what the running cluster can take`,
    );
  }
  if (!plan.cluster.access)
    throw new UserInputError(
      `--runbook rollout: the cluster could not be read (${plan.cluster.why}); a rollout decides from what each server runs and from etcd's voters, so it needs cluster access: give it a kubeconfig (KUBECONFIG or --kubeconfig FILE)`,
    );
  if (plan.outOfStep.length > 0)
    throw new UserInputError(
      `--runbook rollout: the cluster is out of step: ${plan.outOfStep.join('; ')}. Nothing is rolled out until every server is running, Ready and an etcd voter, no upgrade is running, and the config and Hetzner agree (npm run plan)`,
    );
  if (config.firewall.operatorCidrs.length === 0)
    throw new UserInputError(
      '--runbook rollout: firewall.operatorCidrs is empty, so the Cloud Firewall admits no operator: once the servers are behind it, the drain (kubectl, TCP 6443) and ssh (TCP 22) from your machine are blocked. Refused rather than opening a temporary rule: add your address (for example 203.0.113.7/32) to firewall.operatorCidrs in the config, then plan again',
    );
  const fw = plan.firewall;
  const steps: Step[] = [];
  if (fw.missing) {
    steps.push({
      on: 'your machine',
      title: `Create the Cloud Firewall ${fw.name} with its rules`,
      commands: firewallCommands(fw.name, '/dev/stdin').map((argv) =>
        argv.includes('replace-rules') ? replaceRules(fw.name, fw.rendered) : { argv },
      ),
      check: `hcloud firewall describe ${fw.name} lists the ${fw.rendered.length} rules this config renders.`,
    });
  } else if (fw.added.length > 0) {
    const union: LiveRule[] = [...fw.current.map(asFileRule), ...fw.added];
    const kept = `the ${fw.added.length} new rule(s) beside every rule it has now`;
    steps.push({
      on: 'your machine',
      title: `Widen the Cloud Firewall ${fw.name}: ${kept}`,
      commands: [replaceRules(fw.name, union)],
      check: `hcloud firewall describe ${fw.name} lists the old rules and the new ones.`,
      why: 'replace-rules swaps the whole set at once; the union first means nothing the servers or you rely on is closed before its replacement is open.',
    });
  }
  for (const name of fw.notBehind) {
    steps.push({
      on: 'your machine',
      title: `Put ${name} behind the Cloud Firewall ${fw.name}`,
      commands: [{ argv: ['hcloud', 'firewall', 'apply-to-resource', fw.name, '--type', 'server', '--server', name] }],
      check: `ssh to ${name} and kubectl against it still answer from your machine.`,
      why: 'a server outside the firewall is filtered only by its own UFW; the rules now admit all it needs.',
    });
  }
  for (const ip of plan.primaryIps) {
    const name = ip.rename ?? ip.current;
    steps.push({
      on: 'your machine',
      title: `Adopt ${ip.node}'s Primary IP ${ip.current}: ${[...(ip.autoDeleteOff ? ['auto-delete off'] : []), ...(ip.rename ? [`named ${ip.rename}`] : [])].join(', ')}`,
      commands: [
        {
          argv: [
            'hcloud',
            'primary-ip',
            'update',
            ip.current,
            ...(ip.rename ? ['--name', ip.rename] : []),
            '--auto-delete=false',
          ],
        },
        { argv: ['hcloud', 'primary-ip', 'describe', name] },
      ],
      check: `describe shows Name: ${name} and Auto delete: no.`,
      why: 'a rebuild deletes the server; with auto-delete on, its address would go with it for good, and the other servers’ rules and join URLs name that address. The name is the one the config builds the server on.',
    });
  }
  if (!fw.missing && fw.removed.length > 0) {
    steps.push({
      on: 'your machine',
      title: `Narrow the Cloud Firewall ${fw.name} to the rules this config renders`,
      // This run's own rules, not a file an older synth may have left in the output directory.
      commands: [replaceRules(fw.name, plan.firewall.rendered)],
      check: `kubectl get nodes from your machine still answers, and every node is Ready: no peer and no operator was cut off.`,
      why: 'last of the live changes: what the new rules no longer admit closes only now that everything they do admit is open.',
    });
  }
  const rebuilds = plan.rebuilds;
  if (rebuilds.length > 0) {
    const s = etcdSnapshots(config);
    if (!s)
      throw new UserInputError(
        '--runbook rollout: the plan rebuilds servers, and a rollout starts from an off-node snapshot; set etcdSnapshots in the config (docs/backups-and-restore.md#etcd-snapshots) first',
      );
    const peer =
      config.cluster.nodes.find((n) => !rebuilds.some((r) => r.node === n)) ?? rebuilds[rebuilds.length - 1]!.node;
    steps.push({
      on: nodeLabel(peer),
      title: 'Take an etcd snapshot off the servers, now',
      commands: [{ argv: ['k3s', 'etcd-snapshot', 'save'] }, { argv: ['k3s', 'etcd-snapshot', 'ls'] }],
      check: `ls lists an on-demand-… row whose Location is ${s.s3Url}/…, created minutes ago: younger than this rollout. Only a file:// row: the servers keep snapshots on their own disks (built by hand): run npm run -s synth -- --runbook adopt-snapshots first.`,
      why: 'a rebuild wipes a disk; if a second server fails during the rollout, only a snapshot off the servers brings the cluster back.',
    });
    rebuilds.forEach((r, i) => {
      const book = rebuildRunbook(config, r.node, ctx);
      for (const step of book.steps)
        steps.push({ ...step, title: `[${i + 1}/${rebuilds.length} ${r.node.name}] ${step.title}` });
    });
  }
  steps.push({
    on: 'your machine',
    title: 'Plan again: nothing may be left to do',
    commands: [planCommand(ctx)],
    check: 'it prints "No changes" and exits 0. A change left: run npm run -s synth -- --runbook rollout again.',
  });
  const members = config.cluster.nodes.length;
  return {
    title: `Roll out the plan to the cluster in ${ctx.configFile}`,
    intro: [
      `${planExitCode(plan) === 0 ? 'The plan has nothing to do.' : `Live changes first, widening before narrowing; then ${rebuilds.length} rebuild(s), one server at a time.`}`,
      `etcd has ${members} members and needs ${Math.floor(members / 2) + 1}: never start a rebuild until every server is Ready and a voting etcd member (EtcdIsVoter=True) and no upgrade Job runs.`,
      'Run the steps in order; each check must hold before the next step.',
    ],
    steps,
  };
}
