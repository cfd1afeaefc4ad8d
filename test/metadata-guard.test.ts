/**
 * System test of metadata-guard.service: the unit's own argv lines (parsed from the rendered
 * unit, not retyped) run with the real iptables of this machine inside network namespaces
 * this file creates. A "metadata" namespace holds the stand-in 169.254.169.254; a "node"
 * namespace runs the guard; a "pod" namespace sits behind the node on a veth named cni0, with
 * the node forwarding and masquerading its traffic as flannel does. Nothing is sent from the
 * host's own namespace, and the namespaces are deleted afterwards, even on failure.
 *
 * Needs root, iptables, iproute2, socat and setpriv; reported SKIPPED without them (a failure
 * under CI=true).
 */
import { parse } from 'yaml';
import { metadataGuardRules } from '../node/metadata-guard';
import { PATHS } from '../model/paths';
import { renderNodes } from '../node/render';
import { type Cleanup, onCleanup } from './cleanup';
import { missingTools, systemTest } from './host';
import { explain, mustRun, run } from './process';
import { production, TEST_TOKEN } from './support';
import { Lab, LAB_PREFIX, probe } from './system/lab';

/** The stand-in metadata address: only ever inside this file's own namespaces. */
const METADATA = production().cluster.hetzner.metadataAddress;
const NODE = '192.0.2.10';
/** Another server on the same link, reachable by everyone: the control that shows only the metadata address is blocked. */
const OTHER = '198.51.100.20';
/** A port on OTHER that the node's NAT turns towards the metadata service, as a Service with that endpoint would. */
const DNAT_PORT = 8080;
const POD = { node: '10.42.0.1', pod: '10.42.0.2', cidr: '10.42.0.0/24' };
/** Traefik's UID (hostNetwork): a non-root process on the node. */
const NONROOT = 65532;

/** The rendered metadata-guard.service of the first production node, from its user-data. */
function renderedUnit(): string {
  const [node] = renderNodes(production(), { token: TEST_TOKEN });
  const files = (parse(node!.content) as { write_files: { path: string; content: string }[] }).write_files;
  const unit = files.find((f) => f.path === PATHS.metadataGuardUnit);
  if (!unit) throw new Error(`the rendered user-data has no ${PATHS.metadataGuardUnit}`);
  return unit.content;
}

/**
 * The argv of each `key=` line of a unit, as systemd runs it: a leading "-" (failure ignored)
 * is dropped and reported; words split on whitespace (the generator refuses quotes, $ and %).
 */
function execLines(
  unit: string,
  key: 'ExecStartPre' | 'ExecStart' | 'ExecStop',
): { argv: string[]; ignoreFailure: boolean }[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => {
      const command = l.slice(key.length + 1);
      const ignoreFailure = command.startsWith('-');
      return { argv: (ignoreFailure ? command.slice(1) : command).split(/\s+/).filter(Boolean), ignoreFailure };
    });
}

describe('metadata-guard.service with real iptables in network namespaces', () => {
  const missing = missingTools(['iptables', 'ip', 'socat', 'setpriv']);
  const it = systemTest(missing);
  const unit = renderedUnit();
  let lab: Lab;
  let podNs: string;
  let removePod: Cleanup | undefined;

  /** Runs the unit's `key=` lines in the node namespace, as systemd would: a failure stops the unit unless the line says "-". */
  function runUnit(key: 'ExecStartPre' | 'ExecStart' | 'ExecStop'): void {
    for (const { argv, ignoreFailure } of execLines(unit, key)) {
      const r = run(lab.exec('node', argv));
      if (r.status !== 0 && !ignoreFailure) throw new Error(`${key} failed: ${explain(r)}`);
    }
  }
  const start = () => (runUnit('ExecStartPre'), runUnit('ExecStart'));

  /** Whether a TCP connection from `argvPrefix` to host:port gets the listener's banner back. */
  const reaches = (argvPrefix: string[], host: string, port: number, banner: string) =>
    probe(argvPrefix, { proto: 'tcp', port }, host, banner);

  /** Who reaches the metadata service (and, as a control, the other server), at once. */
  async function reachability() {
    const root = lab.exec('node', []);
    const nonroot = lab.exec('node', ['setpriv', `--reuid=${NONROOT}`, `--regid=${NONROOT}`, '--clear-groups']);
    const pod = ['ip', 'netns', 'exec', podNs];
    const [rootMeta, nonrootMeta, podMeta, podNat, nonrootOther, podOther] = await Promise.all([
      reaches(root, METADATA, 80, 'tcp-80'),
      reaches(nonroot, METADATA, 80, 'tcp-80'),
      reaches(pod, METADATA, 80, 'tcp-80'),
      // The metadata listener answers "tcp-80" through the DNAT on OTHER:8080.
      reaches(pod, OTHER, DNAT_PORT, 'tcp-80'),
      reaches(nonroot, OTHER, 80, 'tcp-80'),
      reaches(pod, OTHER, 80, 'tcp-80'),
    ]);
    return {
      metadata: { root: rootMeta, [`uid ${NONROOT}`]: nonrootMeta, pod: podMeta, 'pod via DNAT': podNat },
      other: { [`uid ${NONROOT}`]: nonrootOther, pod: podOther },
    };
  }

  /** The node's rules carrying the guard's comment, as `iptables -S` prints them. */
  function guardRules(table: string): string[] {
    return mustRun(lab.exec('node', [PATHS.iptables, '-w', '-t', table, '-S']))
      .stdout.split('\n')
      .filter((l) => l.includes('honeydue-metadata-guard'));
  }

  beforeAll(async () => {
    if (missing) return;
    lab = Lab.create('mdg', { node: [NODE], metadata: [METADATA], other: [OTHER] });
    // The pod's namespace is not on the switch: its only link is a veth into the node.
    podNs = `${LAB_PREFIX}${process.pid}-mdg-pod`;
    run(['ip', 'netns', 'delete', podNs]);
    mustRun(['ip', 'netns', 'add', podNs]);
    removePod = onCleanup(`network namespace ${podNs}`, () => run(['ip', 'netns', 'delete', podNs]));
    const nodeNs = lab.ns('node');
    mustRun(['ip', '-n', nodeNs, 'link', 'add', 'cni0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', podNs]);
    mustRun(['ip', '-n', nodeNs, 'address', 'add', `${POD.node}/24`, 'dev', 'cni0']);
    mustRun(['ip', '-n', nodeNs, 'link', 'set', 'cni0', 'up']);
    mustRun(['ip', '-n', podNs, 'link', 'set', 'lo', 'up']);
    mustRun(['ip', '-n', podNs, 'address', 'add', `${POD.pod}/24`, 'dev', 'eth0']);
    mustRun(['ip', '-n', podNs, 'link', 'set', 'eth0', 'up']);
    mustRun(['ip', '-n', podNs, 'route', 'add', 'default', 'via', POD.node]);
    // What K3s and flannel do on a node: forward, and masquerade pod traffic leaving the node.
    mustRun(lab.exec('node', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']));
    mustRun(
      lab.exec('node', [
        PATHS.iptables,
        '-w',
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-s',
        POD.cidr,
        '!',
        '-o',
        'cni0',
        '-j',
        'MASQUERADE',
      ]),
    );
    // A Service-like DNAT (kube-proxy's iptables mode) whose endpoint is the metadata service.
    mustRun(
      lab.exec('node', [
        PATHS.iptables,
        '-w',
        '-t',
        'nat',
        '-A',
        'PREROUTING',
        '-d',
        OTHER,
        '-p',
        'tcp',
        '--dport',
        `${DNAT_PORT}`,
        '-j',
        'DNAT',
        '--to-destination',
        `${METADATA}:80`,
      ]),
    );
    // As flannel does: its FLANNEL-FWD ACCEPTs the pod CIDR first in filter FORWARD.
    mustRun(lab.exec('node', [PATHS.iptables, '-w', '-I', 'FORWARD', '-s', POD.cidr, '-j', 'ACCEPT']));
    await lab.listen('metadata', [{ proto: 'tcp', port: 80 }]);
    // OTHER answers with the same banner, so one probe shape serves both.
    await lab.listen('other', [{ proto: 'tcp', port: 80 }]);
  }, 60_000);

  afterAll(() => {
    lab?.destroy();
    removePod?.now();
  });

  it('the unit holds one insert, one pre-start delete and one stop delete per rule, each an iptables argv on the configured address', () => {
    const rules = metadataGuardRules(METADATA);
    for (const key of ['ExecStartPre', 'ExecStart', 'ExecStop'] as const) {
      const lines = execLines(unit, key);
      expect(lines).toHaveLength(rules.length);
      expect(lines.map((l) => l.argv[0])).toEqual(rules.map(() => PATHS.iptables));
      expect(lines.every((l) => l.argv.includes(`${METADATA}/32`))).toBe(true);
      expect(lines.map((l) => l.ignoreFailure)).toEqual(rules.map(() => key !== 'ExecStart'));
    }
  });

  it('without the guard, root, a non-root UID and a pod (directly and through DNAT) all reach the metadata service', async () => {
    expect(await reachability()).toEqual({
      metadata: { root: 'reached', [`uid ${NONROOT}`]: 'reached', pod: 'reached', 'pod via DNAT': 'reached' },
      other: { [`uid ${NONROOT}`]: 'reached', pod: 'reached' },
    });
  }, 60_000);

  it('with the guard, root still reaches it, while UID 65532 and a forwarded pod packet (directly or through DNAT) do not; other servers stay reachable', async () => {
    start();
    expect(await reachability()).toEqual({
      metadata: { root: 'reached', [`uid ${NONROOT}`]: 'blocked', pod: 'blocked', 'pod via DNAT': 'blocked' },
      other: { [`uid ${NONROOT}`]: 'reached', pod: 'reached' },
    });
  }, 60_000);

  it('the owner match survives the nftables backend: iptables -S prints the raw OUTPUT rule with ! --uid-owner 0', () => {
    expect(mustRun([PATHS.iptables, '-V']).stdout).toMatch(/nf_tables/);
    expect(guardRules('raw')).toEqual([
      `-A PREROUTING -d ${METADATA}/32 -m comment --comment honeydue-metadata-guard -j DROP`,
      `-A OUTPUT -d ${METADATA}/32 -m owner ! --uid-owner 0 -m comment --comment honeydue-metadata-guard -j DROP`,
    ]);
    expect(guardRules('mangle')).toEqual([
      `-A FORWARD -d ${METADATA}/32 -m comment --comment honeydue-metadata-guard -j DROP`,
    ]);
  });

  it('a restart leaves exactly one copy of each rule, first in its chain', () => {
    start();
    start();
    expect(guardRules('raw')).toHaveLength(2);
    expect(guardRules('mangle')).toHaveLength(1);
    for (const [table, chain] of [
      ['raw', 'PREROUTING'],
      ['raw', 'OUTPUT'],
      ['mangle', 'FORWARD'],
    ]) {
      const first = mustRun(lab.exec('node', [PATHS.iptables, '-w', '-t', table!, '-S', chain!])).stdout.split('\n')[1];
      expect(first).toContain('honeydue-metadata-guard');
    }
  });

  it('stopping the unit removes every rule it inserted, and the metadata service is reachable again', async () => {
    runUnit('ExecStop');
    expect([...guardRules('raw'), ...guardRules('mangle')]).toEqual([]);
    expect((await reachability()).metadata).toEqual({
      root: 'reached',
      [`uid ${NONROOT}`]: 'reached',
      pod: 'reached',
      'pod via DNAT': 'reached',
    });
  }, 60_000);
});
