/**
 * Over generated live states (servers missing, off, extra, unlabelled; Primary IPs renamed,
 * swapped, with auto-delete; other firewalls; operator access or none), every rollout the tool
 * prints keeps etcd's quorum, never deletes a server whose address would go with it, keeps the
 * operator's access, and every refusal is an error the CLI exits 1 on.
 */
import fc from 'fast-check';
import type { RawConfig } from '../config/schema';
import { UserInputError } from '../lib/errors';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { tokenHash } from '../model/k3s-args';
import { layout } from '../model/layout';
import { NODE_FILE_LABEL } from '../model/node-record';
import { renderRecords } from '../node/render';
import type { LiveState } from '../operator/plan/live';
import { makePlan, planExitCode } from '../operator/plan/plan';
import { rolloutRunbook } from '../operator/runbooks/rollout';
import { commandLines } from '../operator/runbooks/runbook';
import { matchingCluster } from './live-state';
import { testContext } from './runbook-commands';
import { FC_SEED, TEST_TOKEN, tempDir, variant } from './support';

/** Weighted so that a fair share of states is sound enough to be rolled out. */
const often = fc.integer({ min: 0, max: 9 }).map((x) => x > 0);
const rarely = often.map((x) => !x);
const server = fc.record({
  present: often,
  off: rarely,
  label: fc.constantFrom('current', 'none', 'old'),
  ipName: fc.constantFrom('config', 'hetzner'),
  autoDelete: fc.boolean(),
  otherFirewall: rarely,
  behind: often,
});
const state = fc.record({
  servers: fc.array(server, { minLength: 3, maxLength: 3 }),
  swapFirstTwo: rarely,
  stray: rarely,
  bastion: fc.boolean(),
  operator: often,
});

test('every printed rollout keeps etcd’s quorum, every address and the operator’s access; every refusal exits 1', () => {
  const out = layout(tempDir('rollout-prop'));
  // How many generated states gave a printed rollout, and with a rebuild: the checks below must have met some.
  const seen = { printed: 0, rebuilds: 0, refused: 0 };
  fc.assert(
    fc.property(state, (st) => {
      const config = variant((raw: RawConfig) => {
        raw.cluster.established = true;
        raw.cluster.nodes = raw.cluster.nodes.map((n, i) => ({ ...n, publicIPv4: `192.0.2.${11 + i}` }));
        raw.firewall = { ...raw.firewall, operatorCidrs: st.operator ? ['198.51.100.0/24'] : [] };
      });
      const records = renderRecords(config);
      const nodes = config.cluster.nodes;
      const ipName = (i: number) => {
        if (st.swapFirstTwo && i < 2) return nodes[1 - i]!.primaryIp;
        return st.servers[i]!.ipName === 'config' ? nodes[i]!.primaryIp : `primary_ip-${300 + i}`;
      };
      const present = nodes.map((n, i) => ({ n, i, s: st.servers[i]! })).filter((x) => x.s.present);
      const label = (i: number): Record<string, string> =>
        ({
          current: { [NODE_FILE_LABEL]: records[i]!.fingerprint },
          none: {},
          old: { [NODE_FILE_LABEL]: 'e'.repeat(40) },
        })[st.servers[i]!.label];
      const live: LiveState = {
        servers: [
          ...present.map(({ n, i, s }) => ({
            id: i + 1,
            name: n.name,
            status: s.off ? 'off' : 'running',
            labels: label(i),
            ipv4: n.publicIPv4,
            primaryIpId: 100 + i,
            serverType: 'cx33',
            image: 'ubuntu-24.04',
            location: 'nbg1',
          })),
          ...(st.stray
            ? [{ id: 9, name: 'old-9', status: 'running', labels: { [NODE_FILE_LABEL]: 'f'.repeat(40) } }]
            : []),
          ...(st.bastion ? [{ id: 8, name: 'bastion', status: 'running', labels: {} }] : []),
        ],
        firewall: {
          name: config.cluster.hetzner.firewall,
          rules: hcloudFirewallRules(config),
          serverIds: present.filter((x) => x.s.behind).map((x) => x.i + 1),
        },
        otherFirewalls: present.some((x) => x.s.otherFirewall)
          ? [{ name: 'wide-open', rules: [], serverIds: present.filter((x) => x.s.otherFirewall).map((x) => x.i + 1) }]
          : [],
        primaryIps: nodes.map((n, i) => ({
          id: 100 + i,
          name: ipName(i),
          ip: n.publicIPv4,
          assigneeId: st.servers[i]!.present ? i + 1 : undefined,
          autoDelete: st.servers[i]!.autoDelete,
        })),
      };
      const cluster = matchingCluster(config, records, TEST_TOKEN);
      if (cluster.access) {
        const names = new Set(present.map((x) => x.n.name));
        (cluster.cluster as unknown as { nodes: unknown[] }).nodes = cluster.cluster.nodes.filter((n) =>
          names.has(n.name),
        );
      }
      const plan = makePlan({
        config,
        records,
        rules: hcloudFirewallRules(config),
        live,
        out,
        tokenAtHand: true,
        tokenHash: tokenHash(TEST_TOKEN),
        cluster,
      });
      let lines: string[];
      try {
        lines = rolloutRunbook(config, plan, testContext(config)).steps.flatMap((s) =>
          s.commands.map((c) => commandLines(c)[0]!),
        );
      } catch (e) {
        // A refusal is bad input: one error line, exit 1.
        expect(e).toBeInstanceOf(UserInputError);
        seen.refused++;
        return;
      }
      seen.printed++;
      if (plan.rebuilds.length > 0) seen.rebuilds++;
      // Printed only when nothing is refused, out of step, or locking the operator out.
      expect(planExitCode(plan)).not.toBe(1);
      expect(plan.outOfStep).toEqual([]);
      expect(st.operator).toBe(true);
      // At most one member down at any time: down from its shutdown until it is a voter again.
      const down = new Set<string>();
      const adopted = new Set<string>();
      for (const l of lines) {
        let m: RegExpMatchArray | null;
        if ((m = l.match(/^hcloud server shutdown (\S+)/))) down.add(m[1]!);
        if ((m = l.match(/^kubectl wait --for=condition=EtcdIsVoter=True node\/(\S+)/))) down.delete(m[1]!);
        expect(down.size).toBeLessThanOrEqual(1);
        if ((m = l.match(/^hcloud primary-ip update (\S+) .*--auto-delete=false/))) adopted.add(m[1]!);
        if ((m = l.match(/^hcloud server delete (\S+)/))) {
          const i = nodes.findIndex((n) => n.name === m![1]);
          // No Primary IP with auto-delete on is deleted with its server, and each is under the config's name by then.
          if (st.servers[i]!.autoDelete || ipName(i) !== nodes[i]!.primaryIp) expect(adopted).toContain(ipName(i));
        }
      }
      expect(down.size).toBe(0);
    }),
    { numRuns: 150, seed: FC_SEED },
  );
  expect(seen.printed).toBeGreaterThan(3);
  expect(seen.rebuilds).toBeGreaterThan(0);
  expect(seen.refused).toBeGreaterThan(10);
});
