/**
 * First boot, end to end: the rendered K3s-server user-data booted in real QEMU VMs from a
 * Debian 13 cloud image (cloud-init 25.1, systemd 257), as a Hetzner server boots it, checked
 * from inside each guest and from the network. A separate boot proves the K3s install fails
 * closed.
 *
 * `npm run test:vm` (jest -c jest.vm.config.js). Root, QEMU and mmdebstrap needed; without
 * them the suite reports SKIPPED, and fails under CI=true. See test/vm/README.md.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { PATHS } from '../../model/paths';
import type { RenderedNode } from '../../node/render';
import { cleanupAll, onCleanup } from '../cleanup';
import { removeTree, runDirectory } from '../dirs';
import { HOST_SIDE_ADDRESSES, K3S_VERSION, NET, renderTestNodes, testConfig, ufwTuples, writeFilesOf } from './cluster';
import { systemSuite } from '../host';
import { missingPrerequisite } from './env';
import { ensureImage, type VmImage } from './image';
import { ReleaseMirror, sha256, STANDIN, stageRelease } from './mirror';
import { TestNet } from './netns';
import { Vm } from './qemu';
import {
  type FileFacts,
  type GuestReport,
  type MetadataReach,
  type ProbeResult,
  type ProbeTarget,
  reportOf,
  statusLinePattern,
  statusRuleLines,
  type VerifyResult,
} from './report';
import { buildProbeIso, buildSeedIso } from './seed';
import { mustRunAsync as run } from '../process';

/** The brief's Flannel net-conf, verbatim. */
const FLANNEL_NET_CONF = {
  Network: '10.42.0.0/16',
  EnableIPv6: false,
  EnableIPv4: true,
  IPv6Network: '::/0',
  Backend: { Type: 'vxlan' },
};
const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'];
const K3S_TCP_PORTS = [6443, 10250, 2379, 2380];
const VXLAN_PORT = 8472;
const WEB_PORTS = [80, 443];
const SSH_PORT = 22;

/** From QEMU start to the end of the report; three TCG guests share two cores. */
const BOOT_TIMEOUT_MS = 20 * 60_000;
const PROBE_PY = path.join(__dirname, 'guest', 'probe.py');
/** Where systemd reads the units an administrator installs; the user-data writes its units there. */
const UNIT_DIR = '/etc/systemd/system/';
const UNIT_SUFFIX = /\.(service|socket|timer|path|mount|target)$/;

/** Progress goes to stderr at once: jest holds console output until the file ends. */
const started = Date.now();
const log = (line: string) => process.stderr.write(`[vm +${Math.round((Date.now() - started) / 1000)}s] ${line}\n`);

systemSuite('first boot in VMs', missingPrerequisite(), firstBootSuite);

function firstBootSuite() {
  const timings: string[] = [];
  const standin = fs.readFileSync(STANDIN);
  /** The operator's pin: the sha256 of the genuine (stand-in) binary. */
  const pin = sha256(standin);
  const token = randomBytes(24).toString('hex');
  let image: VmImage;
  let net: TestNet;
  let work: string;
  let probeIso: string;
  let nodes: RenderedNode[];
  /** What the stand-in metadata service answers: nothing secret, only proof of who got through. */
  const metadataBody = `honeydue stand-in user-data ${randomBytes(8).toString('hex')}\n`;
  const metadataUrl = (host: string) => `http://${host}:${NET.metadata.port}${NET.metadata.path}`;

  beforeAll(async () => {
    // Render first: a broken generator fails in seconds, before any image or VM.
    nodes = renderTestNodes(pin, token);
    work = runDirectory(os.tmpdir(), 'honeydue-vm-');
    if (process.env.HONEYDUE_VM_KEEP) log(`keeping ${work} (HONEYDUE_VM_KEEP)`);
    else onCleanup(`temporary directory ${work}`, () => removeTree(work));
    image = await ensureImage(log);
    timings.push(image.built ? `image build: ${image.buildSeconds.toFixed(0)} s` : 'image: from cache');
    net = await TestNet.create(HOST_SIDE_ADDRESSES);
    probeIso = await buildProbeIso(work);
    // The stand-in metadata service, and the same server on the gateway's address: the
    // control that shows only the metadata address is kept from non-root and pods.
    const metadataRoot = path.join(work, 'metadata');
    fs.mkdirSync(path.join(metadataRoot, path.posix.dirname(NET.metadata.path)), { recursive: true });
    fs.writeFileSync(path.join(metadataRoot, NET.metadata.path), metadataBody);
    for (const address of [NET.metadata.address, NET.gateway]) {
      await ReleaseMirror.start(
        net,
        address,
        NET.metadata.port,
        metadataRoot,
        path.join(work, `metadata-${address}.log`),
        'stand-in metadata service',
      );
    }
  }, 30 * 60_000);

  afterAll(() => {
    cleanupAll();
    timings.push(`whole suite: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    console.log(`first-boot VM timings:\n  ${timings.join('\n  ')}`);
  });

  async function startMirror(label: string, binary: Buffer): Promise<ReleaseMirror> {
    const root = path.join(work, `mirror-${label}`);
    stageRelease(root, K3S_VERSION, binary);
    return ReleaseMirror.start(net, NET.mirror.address, NET.mirror.port, root, path.join(work, `mirror-${label}.log`));
  }

  async function boot(label: string, hostname: string, ip: string, index: number, userData: string): Promise<Vm> {
    const dir = path.join(work, label);
    const mac = `52:54:00:00:02:${(0x10 + index).toString(16)}`;
    const seedIso = await buildSeedIso(
      dir,
      { hostname, mac, address: `${ip}/${NET.prefix}`, gateway: NET.gateway },
      userData,
      `${label}-${Date.now()}`,
    );
    const vm = await Vm.start({
      name: label,
      image,
      dir,
      seedIso,
      probeIso,
      mac,
      tap: `tap-${label}`.slice(0, 15),
      net,
      memoryMiB: 1536,
    });
    log(`${label}: QEMU pid ${vm.pid} booting ${hostname} at ${ip}`);
    return vm;
  }

  /** Waits for the guest's report; records and prints the boot's time to the end of cloud-init. */
  async function reportFrom(vm: Vm): Promise<GuestReport> {
    const done = await vm.waitFor<GuestReport['cloud-init-done']>('cloud-init-done', BOOT_TIMEOUT_MS);
    const line = `${vm.spec.name}: cloud-init ended ${((Date.now() - vm.startedAt) / 1000).toFixed(0)} s after QEMU started (guest clock: ${done.final_s.toFixed(0)} s after kernel start)`;
    timings.push(line);
    log(line);
    await vm.waitFor('ready', BOOT_TIMEOUT_MS);
    return reportOf(vm.spec.name, vm.lines);
  }

  /** Probes from an address on the namespace side of the bridge (stranger, operator). */
  async function probeFrom(source: string, targets: ProbeTarget[]): Promise<ProbeResult[]> {
    const { stdout } = await run(net.exec(['python3', PROBE_PY, '--source', source, JSON.stringify(targets)]), {
      timeoutMs: 120_000,
    });
    return JSON.parse(stdout) as ProbeResult[];
  }

  const portsOf = (hosts: readonly string[], tcp: number[], udp: number[]): ProbeTarget[] =>
    hosts.flatMap((host) => [
      ...tcp.map((port) => ({ host, proto: 'tcp' as const, port })),
      ...udp.map((port) => ({ host, proto: 'udp' as const, port })),
    ]);
  /** Lines only in the rendered file (-) and only on the guest (+). */
  const lineDiff = (rendered: string, onGuest: string) => {
    const a = rendered.split('\n');
    const b = onGuest.split('\n');
    return [
      ...a.filter((l) => !b.includes(l)).map((l) => `- ${l}`),
      ...b.filter((l) => !a.includes(l)).map((l) => `+ ${l}`),
    ].join('\n');
  };
  const nodeNamed = (name: string) => nodes.find((n) => n.name === name)!;
  const unitPaths = (files: { path: string }[]) =>
    files.map((f) => f.path).filter((p) => p.startsWith(UNIT_DIR) && UNIT_SUFFIX.test(p));
  /** Lines of systemd-analyze verify's output that speak of one of these unit files (by name or path). */
  const aboutUnits = (lines: string[], paths: string[]) =>
    lines.filter((l) => paths.some((p) => l.includes(path.posix.basename(p))));

  describe('three servers booted at once from their rendered user-data', () => {
    const reports = new Map<string, GuestReport>();
    const peerProbes = new Map<string, ProbeResult[]>();
    const files = new Map<string, Record<string, FileFacts | null>>();
    const texts = new Map<string, Record<string, string | null>>();
    const metadata = new Map<string, MetadataReach>();
    const verified = new Map<string, VerifyResult>();
    let stranger: ProbeResult[] = [];
    let operator: ProbeResult[] = [];

    beforeAll(
      async () => {
        const mirror = await startMirror('genuine', standin);
        const vms: Vm[] = [];
        try {
          vms.push(
            ...(await Promise.all(NET.nodes.map((n, i) => boot(n.name, n.name, n.ip, i, nodeNamed(n.name).content)))),
          );
          const collected = await Promise.all(vms.map((vm) => reportFrom(vm)));
          vms.forEach((vm, i) => reports.set(vm.spec.name, collected[i]!));
          // Every guest is up now: probe between real guests, and from outside.
          const all = NET.nodes.map((n) => n.ip);
          const answers = await Promise.all(
            vms.map((vm, i) => {
              const peers = all.filter((ip) => ip !== NET.nodes[i]!.ip);
              return vm.ask<ProbeResult[]>(
                { cmd: 'probe', targets: portsOf(peers, K3S_TCP_PORTS, [VXLAN_PORT]), timeout: 3 },
                'probes',
              );
            }),
          );
          vms.forEach((vm, i) => peerProbes.set(vm.spec.name, answers[i]!));
          const everything = portsOf(all, [SSH_PORT, ...WEB_PORTS, ...K3S_TCP_PORTS], [VXLAN_PORT]);
          [stranger, operator] = await Promise.all([
            probeFrom(NET.stranger, everything),
            probeFrom(NET.operator, everything),
          ]);
          // All guests at once: verify and the metadata fetches wait on TCG and on timeouts.
          const uid = testConfig(pin).traefik.runAsUser;
          await Promise.all(
            vms.map(async (vm) => {
              const units = unitPaths(writeFilesOf(nodeNamed(vm.spec.name).content));
              verified.set(
                vm.spec.name,
                await vm.ask<VerifyResult>({ cmd: 'verify', paths: units }, 'verify', 300_000),
              );
              const ask = {
                cmd: 'metadata',
                url: metadataUrl(NET.metadata.address),
                control_url: metadataUrl(NET.gateway),
                uid,
                pod: NET.pod,
                timeout: 5,
              };
              metadata.set(vm.spec.name, await vm.ask<MetadataReach>(ask, 'metadata'));
            }),
          );
          for (const vm of vms) {
            const rendered = writeFilesOf(nodeNamed(vm.spec.name).content);
            const facts = await vm.ask<Record<string, FileFacts | null>>(
              { cmd: 'stat', paths: rendered.map((f) => f.path) },
              'stat',
            );
            files.set(vm.spec.name, facts);
            // Fetch what differs, so a failure shows the changed lines rather than two hashes.
            const changed = rendered
              .filter((f) => facts[f.path] && facts[f.path]!.sha256 !== sha256(f.content))
              .map((f) => f.path);
            if (changed.length > 0)
              texts.set(
                vm.spec.name,
                await vm.ask<Record<string, string | null>>({ cmd: 'cat', paths: changed }, 'cat'),
              );
          }
        } finally {
          // Even after a failure here: the fail-closed boot needs both cores and the mirror's port.
          await Promise.all(vms.map((vm) => vm.kill()));
          mirror.stop();
        }
      },
      BOOT_TIMEOUT_MS + 10 * 60_000,
    );

    describe.each(NET.nodes.map((n) => n.name))('%s, from inside', (name) => {
      const report = () => reports.get(name)!;
      const rendered = () => writeFilesOf(nodeNamed(name).content);
      const renderedFile = (p: string) => {
        const file = rendered().find((f) => f.path === p);
        if (!file) throw new Error(`the rendered user-data of ${name} has no ${p}`);
        return file;
      };

      test('cloud-init finishes with status done, no errors or warnings, and a valid cloud-init schema --system', () => {
        const r = report();
        expect(r['cloud-init'].status.out).toMatch(/^status: done$/m);
        expect(r['cloud-init-done'].status_rc).toBe(0);
        expect(r['cloud-init'].result.v1?.errors).toEqual([]);
        expect(Object.values(r['cloud-init'].stage_errors).flatMap((e) => e ?? [])).toEqual([]);
        expect(r['cloud-init'].log_problems).toEqual([]);
        // cloud-init 25.1 checks each instance-data type it finds: "Valid schema user-data", and
        // likewise for network-config (22.4, on the host, says "Valid cloud-config").
        expect(r.schema.rc).toBe(0);
        expect(r.schema.out).toMatch(/^\s*Valid schema user-data$/m);
        expect(r.schema.out).not.toMatch(/invalid|error/i);
      });

      test('systemd-analyze verify finds nothing to warn about in any unit the user-data installs', () => {
        const paths = unitPaths(rendered());
        expect(paths.map((p) => path.posix.basename(p)).sort()).toEqual([
          'k3s-install.service',
          'k3s.service',
          'metadata-guard.service',
        ]);
        const v = verified.get(name)!;
        expect(aboutUnits(v.lines, paths)).toEqual([]);
        expect(v.rc).toBe(0);
      });

      test('metadata-guard.service was active before K3s started, each of its rules first in its chain', () => {
        const r = report();
        const guard = r.units['metadata-guard.service'];
        expect(guard).toMatchObject({ ActiveState: 'active', Result: 'success' });
        expect(guard.ActiveEnterTimestampMonotonic).toBeGreaterThan(0);
        expect(guard.ActiveEnterTimestampMonotonic).toBeLessThanOrEqual(
          r.units['k3s.service'].ExecMainStartTimestampMonotonic,
        );
        // Each ExecStart of the rendered unit, as iptables -S prints the rule it inserted.
        const inserted = renderedFile(PATHS.metadataGuardUnit)
          .content.split('\n')
          .filter((l) => l.startsWith('ExecStart='))
          .map((l) => {
            const argv = l.slice('ExecStart='.length).split(' ');
            const table = argv[argv.indexOf('-t') + 1]!;
            const rest = argv.slice(argv.indexOf('-I') + 1);
            return { table: table as 'raw' | 'mangle', chain: rest[0]!, line: ['-A', ...rest].join(' ') };
          });
        expect(inserted.map((i) => `${i.table} ${i.chain}`).sort()).toEqual([
          'mangle FORWARD',
          'raw OUTPUT',
          'raw PREROUTING',
        ]);
        const rules = metadata.get(name)!.rules;
        const firstIn = (table: 'raw' | 'mangle', chain: string) =>
          rules[table].find((l) => l.startsWith(`-A ${chain} `));
        expect(inserted.map((i) => firstIn(i.table, i.chain))).toEqual(inserted.map((i) => i.line));
      });

      test(`the metadata service at ${NET.metadata.address}: root reaches it; UID 65532 and a packet forwarded from a pod's namespace do not, though both reach the same server at the gateway`, () => {
        const m = metadata.get(name)!;
        const body = metadataBody.trim();
        expect(m['setup-failures']).toEqual([]);
        expect(m.root).toEqual({ rc: 0, out: body });
        expect(m['uid-control']).toEqual({ rc: 0, out: body });
        expect(m['pod-control']).toEqual({ rc: 0, out: body });
        // Dropped in raw OUTPUT: the SYN never leaves, and connect() times out (curl exit 28).
        expect(m.uid).toEqual({ rc: 28, out: expect.not.stringContaining(body) });
        // Dropped in raw PREROUTING: no answer at all (curl exit 28, timeout).
        expect(m.pod).toEqual({ rc: 28, out: expect.not.stringContaining(body) });
      });

      test('every write_files entry is on disk with its permissions and exact content', () => {
        const onDisk = files.get(name)!;
        const mismatches = rendered().flatMap((f) => {
          const facts = onDisk[f.path];
          if (!facts) return [`${f.path}: missing`];
          const problems: string[] = [];
          if (facts.mode !== f.permissions) problems.push(`${f.path}: mode ${facts.mode}, rendered ${f.permissions}`);
          if (facts.sha256 !== sha256(f.content))
            problems.push(
              `${f.path}: differs from the rendered file:\n${lineDiff(f.content, texts.get(name)?.[f.path] ?? '')}`,
            );
          return problems;
        });
        expect(mismatches).toEqual([]);
      });

      test('net.ipv4.ip_unprivileged_port_start is 0 after the first boot, and an unprivileged user binds port 80', () => {
        const r = report();
        expect(r.sysctl['net.ipv4.ip_unprivileged_port_start']).toBe('0');
        expect(r['unprivileged-bind']).toEqual({ '80': 'ok' });
        // The stand-in binds 80 and 443 as Traefik's UID 65532, when K3s starts.
        expect(r.standin?.web).toEqual({ '80': 'ok', '443': 'ok' });
      });

      test('the IPVS modules are loaded, and were loaded before K3s started', () => {
        const r = report();
        const all = Object.fromEntries(IPVS_MODULES.map((m) => [m, true]));
        expect(r.modules).toEqual(all);
        expect(r.standin?.modules).toEqual(all);
        const modulesLoaded = r.units['systemd-modules-load.service'].ActiveEnterTimestampMonotonic;
        expect(modulesLoaded).toBeGreaterThan(0);
        expect(modulesLoaded).toBeLessThanOrEqual(r.units['k3s.service'].ExecMainStartTimestampMonotonic);
      });

      test('ufw is active, runs the rendered rules, and ufw status lists every one of them', () => {
        const r = report();
        const v4 = ufwTuples(renderedFile('/etc/ufw/user.rules').content);
        const v6 = ufwTuples(renderedFile('/etc/ufw/user6.rules').content);
        expect(r.ufw.status.out).toMatch(/^Status: active$/m);
        expect(r.ufw.tuples).toEqual({ 'user.rules': v4, 'user6.rules': v6 });
        const lines = statusRuleLines(r.ufw.status.out);
        const unlisted = [...v4.map((t) => ({ t, v6: false })), ...v6.map((t) => ({ t, v6: true }))]
          .filter(({ t, v6: six }) => !lines.some((l) => statusLinePattern(t, six).test(l)))
          .map(({ t }) => t);
        expect(unlisted).toEqual([]);
        expect(lines).toHaveLength(v4.length + v6.length);
      });

      test("/etc/rancher/k3s/config.yaml has mode 0600 and parses to the rendered settings; the flannel net-conf is the brief's JSON", () => {
        const c = report()['k3s-config'];
        expect(c.error).toBeUndefined();
        expect(c.file).toMatchObject({ mode: '0600', uid: 0 });
        expect(c.parsed).toEqual(parse(renderedFile('/etc/rancher/k3s/config.yaml').content));
        expect(c.flannel?.path).toBe(c.parsed?.['flannel-conf']);
        expect(c.flannel?.json).toEqual(FLANNEL_NET_CONF);
      });

      test('K3s started only after k3s-install.service verified its checksum, as `k3s server` with its config in place', () => {
        const r = report();
        const install = r.units['k3s-install.service'];
        const k3s = r.units['k3s.service'];
        expect(install).toMatchObject({ Result: 'success', ExecMainStatus: 0, ActiveState: 'active' });
        expect(r['install-journal']).toMatch(/^k3s: OK$/m);
        expect(r['k3s-binary']).toMatchObject({ mode: '0755', uid: 0, sha256: pin });
        expect(k3s).toMatchObject({ ActiveState: 'active', SubState: 'running', NRestarts: 0 });
        // Order, not duration: verification finished before K3s's process started.
        expect(install.ActiveEnterTimestampMonotonic).toBeGreaterThan(0);
        expect(install.ActiveEnterTimestampMonotonic).toBeLessThanOrEqual(k3s.ExecMainStartTimestampMonotonic);
        const s = r.standin!;
        expect(s).not.toBeNull();
        expect(k3s.ExecMainStartTimestampMonotonic).toBeLessThanOrEqual(s.monotonic_us);
        expect(s.argv).toEqual(['/usr/local/bin/k3s', 'server']);
        expect(s.uid).toBe(0);
        const cfg = r['k3s-config'].parsed!;
        expect(s.facts.error).toBeUndefined();
        expect(s.facts.config).toMatchObject({ mode: '0600' });
        expect(s.facts['token-file']).toEqual({
          path: cfg['token-file'],
          file: expect.objectContaining({ mode: '0600' }),
        });
        expect(s.facts['flannel-conf']).toEqual({ path: cfg['flannel-conf'], file: expect.anything() });
        expect(r.listening).toEqual(
          expect.arrayContaining([...K3S_TCP_PORTS, ...WEB_PORTS].map((p) => `tcp:${p}`).concat(`udp:${VXLAN_PORT}`)),
        );
      });
    });

    /** Probe results whose state differs from the expected one, as readable lines. */
    const unexpected = (results: ProbeResult[], want: (r: ProbeResult) => ProbeResult['state']) =>
      results
        .filter((r) => r.state !== want(r))
        .map((r) => `${r.host} ${r.proto}/${r.port}: ${r.state} (${r.detail}), expected ${want(r)}`);

    test('each node reaches every other node on TCP 6443, 10250, 2379, 2380 and UDP 8472', () => {
      for (const n of NET.nodes) {
        const results = peerProbes.get(n.name)!;
        expect({ from: n.name, unexpected: unexpected(results, () => 'open') }).toEqual({
          from: n.name,
          unexpected: [],
        });
        expect(results).toHaveLength((NET.nodes.length - 1) * (K3S_TCP_PORTS.length + 1));
      }
    });

    // filtered, not merely closed: UFW drops the packets; nothing behind it gets to answer.
    test('the stranger reaches no K3s port and no SSH on any node, and reaches TCP 80 and 443', () => {
      expect(
        unexpected(stranger, (r) => (r.proto === 'tcp' && WEB_PORTS.includes(r.port) ? 'open' : 'filtered')),
      ).toEqual([]);
      expect(stranger).toHaveLength(NET.nodes.length * (K3S_TCP_PORTS.length + WEB_PORTS.length + 2));
    });

    test('an operator address reaches SSH, the API and the web ports, and no node-only port', () => {
      const allowed = [SSH_PORT, 6443, ...WEB_PORTS];
      expect(
        unexpected(operator, (r) => (r.proto === 'tcp' && allowed.includes(r.port) ? 'open' : 'filtered')),
      ).toEqual([]);
      expect(operator).toHaveLength(stranger.length);
    });
  });

  describe('fail-closed: the mirror serves a tampered k3s binary', () => {
    let r: GuestReport;
    let tampered: Buffer;
    let copies: Record<string, FileFacts>;
    let requests: string[] = [];
    let verify: VerifyResult;
    let unitFiles: string[];

    beforeAll(
      async () => {
        // An attacker who controls the mirror replaces the binary and its sha256sum file alike;
        // only the operator's pin in cluster.yaml (the genuine hash) can catch it.
        tampered = Buffer.concat([standin, Buffer.from('\n# tampered: not the build the operator pinned\n')]);
        const mirror = await startMirror('tampered', tampered);
        let vm: Vm | undefined;
        try {
          const first = NET.nodes[0]!;
          vm = await boot('tampered', first.name, first.ip, 9, nodeNamed(first.name).content);
          r = await reportFrom(vm);
          const roots = ['/usr/local', '/usr/bin', '/var/lib', '/var/tmp', '/tmp', '/root', '/opt', '/etc', '/run'];
          copies = await vm.ask<Record<string, FileFacts>>(
            { cmd: 'find', sha256: sha256(tampered), size: tampered.length, roots },
            'found',
          );
          unitFiles = unitPaths(writeFilesOf(nodeNamed(first.name).content));
          verify = await vm.ask<VerifyResult>({ cmd: 'verify', paths: unitFiles }, 'verify', 300_000);
          requests = mirror.requests();
        } finally {
          await vm?.kill();
          mirror.stop();
        }
      },
      BOOT_TIMEOUT_MS + 5 * 60_000,
    );

    test('k3s-install.service downloads the tampered binary, and fails on its checksum', () => {
      expect(requests).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`"GET /${K3S_VERSION.replace('+', '\\+')}/k3s HTTP/1\\.[01]" 200`)),
        ]),
      );
      expect(r.units['k3s-install.service']).toMatchObject({ ActiveState: 'failed', Result: 'exit-code' });
      expect(r['install-journal']).toMatch(/^k3s: FAILED$/m);
    });

    test('the tampered binary never runs, and nothing listens on 6443', () => {
      expect(r.standin).toBeNull();
      expect(r.units['k3s.service'].ExecMainStartTimestampMonotonic).toBe(0);
      expect(r.units['k3s.service'].ActiveState).not.toBe('active');
      expect(r.listening).not.toContain('tcp:6443');
    });

    test('no executable copy of the tampered binary is left, at /usr/local/bin/k3s or anywhere else', () => {
      expect(r['k3s-binary']).toBeNull();
      const executable = Object.entries(copies).filter(([, f]) => (parseInt(f.mode, 8) & 0o111) !== 0);
      expect(executable).toEqual([]);
    });

    test('systemctl status k3s-install names the checksum failure', () => {
      expect(r['unit-status']).toMatch(/k3s-install\.service.*\n\s+Active: failed/);
      expect(r['unit-status']).toMatch(/computed checksum did NOT match/);
    });

    test('systemd-analyze verify names only the binary that was never installed, and the metadata guard is in place', () => {
      // The one thing that differs from a good boot: k3s.service's ExecStart has nothing to run.
      expect(aboutUnits(verify.lines, unitFiles)).toEqual([
        expect.stringMatching(/^k3s\.service: Command \/usr\/local\/bin\/k3s is not executable/),
      ]);
      expect(r.units['metadata-guard.service']).toMatchObject({ ActiveState: 'active', Result: 'success' });
    });

    test('cloud-init status reports the failed boot', () => {
      expect(r['cloud-init'].status.out).toMatch(/^status: error$/m);
    });
  });
}
