/**
 * System tests of the node cloud-init files, with the real tools a node runs: Debian's
 * cloud-init 22.4 (as old as the Ubuntu 24.04 base image may be) validates and applies them,
 * and real ufw enforces the rules they carry inside network namespaces. Nothing here touches
 * the host: cloud-init and ufw run chrooted into an overlay root inside a private mount
 * namespace, and the network lives in namespaces this file creates and deletes.
 *
 * Each test needs root and Debian packages (cloud-init, ufw, iptables, iproute2, socat). When
 * they are missing it is reported SKIPPED with the reason; under CI=true that fails instead.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { INSTALL_SH_UNIT_LINES } from './k3s-flags';
import { PATHS } from '../model/paths';
import { renderNodes } from '../node/render';
import type { Config } from '../config/schema';
import { missingTools, systemTest } from './host';
import { explain, type Outcome, runAsync } from './process';
import { newCluster, production, tempDir, TEST_TOKEN, variant } from './support';
import { Lab, type Port, portKey } from './system/lab';
import { type Applied, applyWriteFiles, removeAllRoots } from './system/overlay';

/** The brief's Flannel net-conf, byte for byte. */
const BRIEF_NET_CONF =
  '{"Network":"10.42.0.0/16","EnableIPv6":false,"EnableIPv4":true,"IPv6Network":"::/0","Backend":{"Type":"vxlan"}}';

/** The production servers, as the brief lists them; the first one starts the cluster. */
const BRIEF_NODES = [
  { name: 'ubuntu-8gb-nbg1-2', ip: '178.104.247.152', role: 'first' },
  { name: 'ubuntu-8gb-nbg1-1', ip: '178.105.32.198', role: 'join' },
  { name: 'ubuntu-8gb-nbg1-3', ip: '178.104.249.189', role: 'join' },
] as const;

/** A syntactically valid pin. Not the real hash of any K3s binary: that cannot be looked up from here. */
const FAKE_PIN = '0123456789abcdef'.repeat(4);

/** The configs every rendered file is checked in: production plus each option that changes the files. */
const VARIANTS: ReadonlyArray<readonly [string, () => Config]> = [
  ['production', production],
  ['flannel wireguard-native', () => variant((r) => void (r.cluster.flannelBackend = 'wireguard-native'))],
  [
    'private network',
    () =>
      variant((r) => {
        r.cluster.privateNetwork = { cidr: '10.0.0.0/16' };
        r.cluster.established = false;
        r.cluster.nodes.forEach((n, i) => (n.privateIPv4 = `10.0.0.${i + 2}`));
      }),
  ],
  ['pinned k3s sha256', () => variant((r) => void (r.k3s = { ...r.k3s, sha256: FAKE_PIN }))],
  [
    'cloudflare-only web with operator CIDRs',
    () => variant((r) => void (r.firewall = { operatorCidrs: ['198.51.100.0/24'], web: 'cloudflareOnly' })),
  ],
];

/** Passes when the command exited 0; on failure the received value shows the command and everything it printed. */
function expectExit0(r: Outcome): void {
  expect({ status: r.status, run: explain(r) }).toEqual({ status: 0, run: expect.any(String) });
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * Host files the tests must never change: what cloud-init would write, what ufw writes when
 * enabled, and cloud-init's own state. Directories other packages may change (apt, other
 * tests) are left out, so this cannot fail for reasons unrelated to this file.
 */
const HOST_FILES = [
  '/etc/rancher',
  PATHS.k3sConfig,
  PATHS.k3sToken,
  PATHS.flannelConf,
  PATHS.sysctl,
  PATHS.modulesLoad,
  PATHS.k3sUnit,
  PATHS.k3sInstallUnit,
  PATHS.metadataGuardUnit,
  PATHS.k3sBinary,
  '/etc/ufw',
  PATHS.ufwUserRules,
  PATHS.ufwUser6Rules,
  PATHS.ufwConf,
  PATHS.ufwDefaults,
  '/run/ufw.lock',
  '/run/cloud-init',
  '/var/log/cloud-init.log',
  '/honeydue-seed',
];

function hostFingerprint(): Record<string, unknown> {
  return Object.fromEntries(
    HOST_FILES.map((p) => {
      try {
        const st = fs.lstatSync(p);
        const sha256 = st.isFile() ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : undefined;
        return [p, { mode: octal(st.mode), mtimeMs: st.mtimeMs, size: st.size, sha256 }];
      } catch {
        return [p, 'absent'];
      }
    }),
  );
}

/** Taken when the file loads, before any test runs. */
const hostBefore = hostFingerprint();

afterAll(() => removeAllRoots());

describe('cloud-init schema', () => {
  const it = systemTest(missingTools(['cloud-init'], false));
  let dir: string | undefined;
  afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  async function schema(fileName: string, content: string): Promise<Outcome> {
    dir ??= tempDir('system-schema');
    const file = path.join(dir, fileName);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return runAsync(['cloud-init', 'schema', '--config-file', file]);
  }

  for (const [label, config] of VARIANTS) {
    it(`every node file of the ${label} config is valid cloud-config for cloud-init 22.4, with no deprecated keys`, async () => {
      const nodes = renderNodes(config(), { token: TEST_TOKEN });
      const results = await Promise.all(
        nodes.map((n) => schema(`${label.replace(/\W+/g, '-')}-${n.fileName}`, n.content)),
      );
      for (const r of results) {
        expectExit0(r);
        expect(r.stdout).toMatch(/^Valid cloud-config: /m);
        // Newer cloud-init on the nodes turns deprecations into warnings in `cloud-init status`.
        expect(`${r.stdout}${r.stderr}`).not.toMatch(/deprecat/i);
      }
    }, 30_000);
  }

  it('rejects write_files[].source, so the passes above come from a schema that knows 22.4 lacks it', async () => {
    const r = await schema(
      'with-source.yaml',
      '#cloud-config\nwrite_files:\n  - path: /etc/x\n    source: { uri: "https://example.com/x" }\n',
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("'source' was unexpected");
  }, 30_000);
});

describe('real cloud-init applies write_files in a throwaway overlay root', () => {
  const it = systemTest(missingTools(['cloud-init', 'unshare', 'chroot', 'mount']));

  /** Each user-data is applied once and shared by the tests that read what it wrote. */
  const cache = new Map<string, Applied>();
  const applied = (key: string, content: string): Applied => {
    if (!cache.has(key)) cache.set(key, applyWriteFiles(content, key));
    return cache.get(key)!;
  };

  const rendered = renderNodes(newCluster(), { token: TEST_TOKEN });
  const privateNet = renderNodes(VARIANTS.find(([l]) => l === 'private network')![1](), { token: TEST_TOKEN });

  /** What every node must get, with its mode: secrets 0600, ufw's rules 0640 as ufw itself writes them, the rest 0644. */
  const EXPECTED_MODES: Record<string, string> = {
    '/etc/sysctl.d/99-unprivileged-ports.conf': '0644',
    '/etc/modules-load.d/ipvs.conf': '0644',
    '/etc/ufw/user.rules': '0640',
    '/etc/ufw/user6.rules': '0640',
    '/etc/ufw/ufw.conf': '0644',
    '/etc/default/ufw': '0644',
    '/etc/rancher/k3s/config.yaml': '0600',
    [PATHS.k3sToken]: '0600',
    [PATHS.flannelConf]: '0644',
    '/etc/systemd/system/k3s.service': '0644',
    [PATHS.k3sInstallUnit]: '0644',
    [PATHS.metadataGuardUnit]: '0644',
  };

  BRIEF_NODES.forEach((expected, i) => {
    const node = rendered[i]!;
    const k3sConfig = () =>
      parse(applied(node.name, node.content).root.read('/etc/rancher/k3s/config.yaml')) as Record<string, unknown>;

    it(`${expected.name} (${expected.role}): cloud-init exits 0 and writes exactly the node's files, each root-owned with its mode`, () => {
      expect(node.name).toBe(expected.name);
      const { root, cloudInit } = applied(node.name, node.content);
      expectExit0(cloudInit);
      expect(`${cloudInit.stdout}${cloudInit.stderr}`).not.toMatch(/Traceback|failed/i);
      // Only files under /etc and /usr are the node's; /run, /var/log and /var/lib/cloud are cloud-init's own bookkeeping.
      const written = [...root.filesUnder('/etc'), ...root.filesUnder('/usr')];
      expect(written).toEqual(Object.keys(EXPECTED_MODES).sort());
      const modes = Object.fromEntries(written.map((f) => [f, octal(root.stat(f).mode)]));
      expect(modes).toEqual(EXPECTED_MODES);
      for (const f of written)
        expect({ f, uid: root.stat(f).uid, gid: root.stat(f).gid }).toEqual({ f, uid: 0, gid: 0 });
    }, 30_000);

    it(`${expected.name}: the K3s config parses as YAML and ${
      expected.role === 'first' ? 'starts the cluster with cluster-init' : `joins https://${BRIEF_NODES[0].ip}:6443`
    }, with node-ip ${expected.ip} and the token file and flannel-conf that cloud-init wrote`, () => {
      const { root } = applied(node.name, node.content);
      const c = k3sConfig();
      if (expected.role === 'first') {
        expect(c['cluster-init']).toBe(true);
        expect(c).not.toHaveProperty('server');
      } else {
        expect(c['server']).toBe(`https://${BRIEF_NODES[0].ip}:6443`);
        expect(c).not.toHaveProperty('cluster-init');
      }
      expect(c['node-ip']).toBe(expected.ip);
      expect(c['tls-san']).toContain(expected.ip);
      // Each file the config names must be one cloud-init wrote, or K3s starts without it.
      const tokenFile = c['token-file'] as string;
      expect(root.read(tokenFile).trim()).toBe(TEST_TOKEN);
      expect(octal(root.stat(tokenFile).mode)).toBe('0600');
      const flannelConf = c['flannel-conf'] as string;
      expect(root.read(flannelConf).trim()).toBe(BRIEF_NET_CONF);
      // IPVS for real (K3s defaults to iptables), servicelb off, the bundled Traefik kept.
      expect(c['kube-proxy-arg']).toEqual(['proxy-mode=ipvs']);
      expect(c['disable']).toEqual(['servicelb']);
      expect(c['flannel-backend']).toBe('vxlan');
    }, 30_000);

    it(`${expected.name}: the sysctl lets Traefik bind :80 as non-root and modules-load.d loads the IPVS modules`, () => {
      const { root } = applied(node.name, node.content);
      expect(root.read('/etc/sysctl.d/99-unprivileged-ports.conf').split('\n')).toContain(
        'net.ipv4.ip_unprivileged_port_start=0',
      );
      const modules = root
        .read('/etc/modules-load.d/ipvs.conf')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'));
      expect(modules).toEqual(['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack']);
    }, 30_000);
  });

  it('the K3s unit cloud-init wrote is the one install.sh writes, started only after the verified install', () => {
    const node = rendered[0]!;
    const { root } = applied(node.name, node.content);
    const unit = root.read('/etc/systemd/system/k3s.service').split('\n');
    for (const line of INSTALL_SH_UNIT_LINES) expect(unit).toContain(line);
    const installUnit = path.posix.basename(PATHS.k3sInstallUnit);
    const guardUnit = path.posix.basename(PATHS.metadataGuardUnit);
    expect(unit).toContain(`Requires=${installUnit} ${guardUnit}`);
    expect(unit.find((l) => l.startsWith('After='))).toContain(installUnit);
    expect(unit.find((l) => l.startsWith('After='))).toContain(guardUnit);
  }, 30_000);

  privateNet.forEach((node, i) => {
    const privateIp = `10.0.0.${i + 2}`;
    it(`with a private network, ${node.name} uses ${privateIp} as node-ip, binds Flannel to enp7s0${
      i === 0 ? '' : ' and joins the first server on https://10.0.0.2:6443'
    }`, () => {
      const { root, cloudInit } = applied(`private-${node.name}`, node.content);
      expectExit0(cloudInit);
      const c = parse(root.read('/etc/rancher/k3s/config.yaml')) as Record<string, unknown>;
      expect(c['node-ip']).toBe(privateIp);
      expect(c['node-external-ip']).toBe(BRIEF_NODES[i]!.ip);
      expect(c['flannel-iface']).toBe('enp7s0');
      if (i === 0) expect(c['cluster-init']).toBe(true);
      else expect(c['server']).toBe('https://10.0.0.2:6443');
    }, 30_000);
  });
});

describe('firewall: real ufw in network namespaces', () => {
  const missing = missingTools([
    'cloud-init',
    'unshare',
    'chroot',
    'mount',
    'ufw',
    'iptables',
    'ip6tables',
    'ip',
    'ss',
    'socat',
  ]);
  const it = systemTest(missing);

  /** The lab's K3s servers: TEST-NET-1 addresses, node-1 first. */
  const LAB_NODES = [
    { name: 'node-1', publicIPv4: '192.0.2.11' },
    { name: 'node-2', publicIPv4: '192.0.2.12' },
    { name: 'node-3', publicIPv4: '192.0.2.13' },
  ];
  const OPERATORS = '198.51.100.0/24';
  /** node-1 and three clients: a peer server, a stranger outside every node and operator CIDR, and an operator. */
  const HOSTS = { node1: ['192.0.2.11'], peer: ['192.0.2.12'], stranger: ['203.0.113.66'], operator: ['198.51.100.7'] };
  const labConfig = (backend: 'vxlan' | 'wireguard-native') =>
    variant((r) => {
      r.cluster.nodes = LAB_NODES;
      r.cluster.flannelBackend = backend;
      r.firewall = { operatorCidrs: [OPERATORS], web: 'anywhere' };
    });

  /** Every port a rule is about, both overlays included, so each probe also shows what stays closed. */
  const PORTS: Port[] = [
    { proto: 'tcp', port: 22 },
    { proto: 'tcp', port: 80 },
    { proto: 'tcp', port: 443 },
    { proto: 'tcp', port: 2379 },
    { proto: 'tcp', port: 2380 },
    { proto: 'tcp', port: 6443 },
    { proto: 'tcp', port: 10250 },
    { proto: 'udp', port: 8472 },
    { proto: 'udp', port: 51820 },
  ];
  /** The full reachability table with `reached` exactly for `open`: one assertion shows every port at once. */
  const only = (...open: string[]) =>
    Object.fromEntries(PORTS.map((p) => [portKey(p), open.includes(portKey(p)) ? 'reached' : 'blocked']));

  /** `ufw status` rule lines as [to, action, from] plus the comment ufw shows. */
  function statusRules(status: string) {
    const lines = status.split('\n');
    const header = lines.findIndex((l) => /^--\s+------\s+----/.test(l));
    return lines
      .slice(header + 1)
      .filter((l) => l.trim())
      .map((l) => {
        const [to, action, from, ...comment] = l.trim().split(/\s{2,}/);
        return { rule: [to, action, from].join(' | '), comment: comment.join(' ') };
      });
  }

  /** The rules section of a ufw rules file: what ufw regenerates from the `### tuple ###` lines. */
  function rulesSection(text: string): string {
    const start = text.indexOf('### RULES ###');
    const end = text.indexOf('### END RULES ###');
    // Without the markers two files would compare equal as two empty strings.
    if (start < 0 || end < start) throw new Error(`no ### RULES ### ... ### END RULES ### section in:\n${text}`);
    return text.slice(start, end);
  }

  interface Enabled {
    /** user.rules and user6.rules as cloud-init wrote them, before ufw saw them. */
    readonly written: { v4: string; v6: string };
    readonly enable: Outcome;
    readonly status: Outcome;
    /** The same files after `ufw --force enable`, which rewrites both from the tuples it parsed. */
    readonly rewritten: { v4: string; v6: string };
  }

  /**
   * Real cloud-init writes node-1's files into an overlay root; real ufw, chrooted into that
   * root inside node-1's network namespace, is enabled with them, as runcmd does on a node.
   */
  function enableUfw(userData: string, label: string, netns: string): Enabled {
    const { root, cloudInit } = applyWriteFiles(userData, label);
    if (cloudInit.status !== 0) throw new Error(`cloud-init failed:\n${explain(cloudInit)}`);
    const read = () => ({ v4: root.read('/etc/ufw/user.rules'), v6: root.read('/etc/ufw/user6.rules') });
    const written = read();
    const enable = root.run(['ufw', '--force', 'enable'], { netns });
    const status = root.run(['ufw', 'status', 'verbose'], { netns });
    return { written, enable, status, rewritten: read() };
  }

  const scenarios = [
    { backend: 'vxlan', overlay: 'udp/8472', closedOverlay: 'udp/51820', tag: 'vx', overlayIface: 'flannel.1' },
    {
      backend: 'wireguard-native',
      overlay: 'udp/51820',
      closedOverlay: 'udp/8472',
      tag: 'wg',
      overlayIface: 'flannel-wg',
    },
  ] as const;

  for (const { backend, overlay, closedOverlay, tag, overlayIface } of scenarios) {
    describe(`with flannel ${backend}`, () => {
      let lab: Lab | undefined;
      let beforeUfw: Record<string, string> = {};
      let ufw: Enabled | undefined;
      /** What each client reaches once ufw is on. Probed together: a blocked probe costs its whole timeout. */
      let afterUfw: Record<'peer' | 'stranger' | 'operator', Record<string, string>> | undefined;

      beforeAll(async () => {
        if (missing) return;
        lab = Lab.create(tag, HOSTS);
        await lab.listen('node1', PORTS);
        // Probed before ufw exists, so that every `blocked` below is ufw's doing, not the lab's.
        beforeUfw = await lab.reach('stranger', 'node1', PORTS);
        const node1 = renderNodes(labConfig(backend), { token: TEST_TOKEN })[0]!;
        ufw = enableUfw(node1.content, `ufw-${tag}`, lab.ns('node1'));
        const [peer, stranger, operator] = await Promise.all(
          ['peer', 'stranger', 'operator'].map((from) => lab!.reach(from, 'node1', PORTS)),
        );
        afterUfw = { peer: peer!, stranger: stranger!, operator: operator! };
      }, 90_000);

      // Also runs when beforeAll failed halfway; Lab.destroy handles a half-built lab.
      afterAll(() => lab?.destroy());

      it('before ufw is enabled, a stranger reaches every listener on node-1, so the lab itself blocks nothing', () => {
        expect(beforeUfw).toEqual(only(...PORTS.map(portKey)));
      });

      it('ufw --force enable succeeds with the files cloud-init wrote, and ufw status lists exactly the rules, each with its comment', () => {
        expectExit0(ufw!.enable);
        expect(ufw!.enable.stdout).toContain('Firewall is active and enabled on system startup');
        // ufw warns on stderr about files it distrusts (ownership, permissions) or rules it cannot parse.
        expect(ufw!.enable.stderr).toBe('');
        expectExit0(ufw!.status);
        expect(ufw!.status.stdout).toMatch(/^Status: active$/m);
        expect(ufw!.status.stdout).toMatch(/^Default: deny \(incoming\), allow \(outgoing\)/m);
        const [port, proto] = overlay.split('/').reverse();
        const fromPeers = (to: string) => ['192.0.2.12', '192.0.2.13'].map((from) => `${to} | ALLOW IN | ${from}`);
        const rules = statusRules(ufw!.status.stdout);
        expect(rules.map((r) => r.rule).sort()).toEqual(
          [
            ...fromPeers(`${port}/${proto}`),
            ...fromPeers('10250/tcp'),
            ...fromPeers('2379:2380/tcp'),
            ...fromPeers('6443/tcp'),
            `6443/tcp | ALLOW IN | ${OPERATORS}`,
            `22/tcp | ALLOW IN | ${OPERATORS}`,
            // Pod and Service sources only on the pod bridge and the overlay, never on eth0.
            ...['cni0', overlayIface].flatMap((i) => [
              `Anywhere on ${i} | ALLOW IN | 10.42.0.0/16`,
              `Anywhere on ${i} | ALLOW IN | 10.43.0.0/16`,
            ]),
            '80/tcp | ALLOW IN | Anywhere',
            '443/tcp | ALLOW IN | Anywhere',
            '80/tcp (v6) | ALLOW IN | Anywhere (v6)',
            '443/tcp (v6) | ALLOW IN | Anywhere (v6)',
          ].sort(),
        );
        // The hex `comment=` in each tuple decodes into what ufw shows after the rule.
        for (const r of rules) expect(r).toEqual({ rule: r.rule, comment: expect.stringMatching(/^# \S/) });
      });

      // ufw's enable regenerates both files from the tuples it parsed (update_logging -> _write_rules),
      // so this compares the product's rendering with ufw's own, rule by rule.
      it('ufw rewrites user.rules and user6.rules from their tuples on enable, and both files come back byte for byte', () => {
        // Whole files, not only the rules: the logging section must match what ufw writes
        // for the forward policy /etc/default/ufw sets.
        expect(ufw!.rewritten.v4).toBe(ufw!.written.v4);
        expect(ufw!.rewritten.v6).toBe(ufw!.written.v6);
        expect(rulesSection(ufw!.written.v4)).toContain('### tuple ###');
      });

      it(`node-2 reaches the ${backend} overlay (${overlay}), the kubelet, etcd, the API and the web ports, but not ${closedOverlay} or SSH`, () => {
        expect(afterUfw!.peer).toEqual(
          only(overlay, 'tcp/10250', 'tcp/2379', 'tcp/2380', 'tcp/6443', 'tcp/80', 'tcp/443'),
        );
      });

      it('a stranger (203.0.113.66) reaches only HTTP and HTTPS: no overlay, kubelet, etcd, API or SSH', () => {
        expect(afterUfw!.stranger).toEqual(only('tcp/80', 'tcp/443'));
      });

      it(`an operator in ${OPERATORS} reaches SSH, the API and the web ports, but no port that is for nodes only`, () => {
        expect(afterUfw!.operator).toEqual(only('tcp/22', 'tcp/6443', 'tcp/80', 'tcp/443'));
      });
    });
  }

  // The variants whose rules take other forms: interface-bound rules on the private network,
  // and many source CIDRs (IPv4 and IPv6) for Cloudflare-only web ports.
  for (const [label, tag] of [
    ['private network', 'pn'],
    ['cloudflare-only web with operator CIDRs', 'cf'],
  ] as const) {
    it(`ufw accepts the ${label} config's rules as cloud-init wrote them, rewrites them unchanged and lists one rule per tuple`, () => {
      const config = VARIANTS.find(([l]) => l === label)![1]();
      const node1 = renderNodes(config, { token: TEST_TOKEN })[0]!;
      const lab = Lab.create(`rt${tag}`, { node1: ['192.0.2.11'] });
      try {
        const ufw = enableUfw(node1.content, `ufw-rt-${tag}`, lab.ns('node1'));
        expectExit0(ufw.enable);
        expectExit0(ufw.status);
        expect(rulesSection(ufw.rewritten.v4)).toBe(rulesSection(ufw.written.v4));
        expect(rulesSection(ufw.rewritten.v6)).toBe(rulesSection(ufw.written.v6));
        const tuples = `${ufw.written.v4}${ufw.written.v6}`.match(/^### tuple ###/gm)!.length;
        const rules = statusRules(ufw.status.stdout);
        expect(rules).toHaveLength(tuples);
        for (const r of rules) expect(r).toEqual({ rule: r.rule, comment: expect.stringMatching(/^# \S/) });
        if (label === 'private network') {
          // Node-to-node ports are open only on the private interface, from the private addresses.
          expect(rules.map((r) => r.rule)).toContain('8472/udp on enp7s0 | ALLOW IN | 10.0.0.3');
        }
      } finally {
        lab.destroy();
      }
    }, 30_000);
  }

  it('k3s.service’s firewall gate (its one ExecStartPre without a "-", argv from the unit cloud-init wrote) fails before ufw is enabled and passes after', () => {
    const node1 = renderNodes(labConfig('vxlan'), { token: TEST_TOKEN })[0]!;
    const lab = Lab.create('gate', { node1: ['192.0.2.11'] });
    try {
      const { root, cloudInit } = applyWriteFiles(node1.content, 'ufw-gate');
      expectExit0(cloudInit);
      // systemd ignores the failure of an ExecStartPre=- line; only the others can stop K3s.
      const gates = root
        .read(PATHS.k3sUnit)
        .split('\n')
        .filter((l) => l.startsWith('ExecStartPre=') && !l.startsWith('ExecStartPre=-'))
        .map((l) => l.slice('ExecStartPre='.length).split(' '));
      expect(gates).toHaveLength(1);
      const gate = gates[0]!;
      expect(gate[0]).toBe('/usr/sbin/iptables');
      const netns = lab.ns('node1');
      const before = root.run(gate, { netns });
      // iptables-nft 1.8.9 calls a missing chain "incompatible", 1.8.10 "No chain/target/match": both exit 1.
      expect({ status: before.status, stderr: before.stderr }).toEqual({
        status: 1,
        stderr: expect.stringContaining(gate.at(-1)!),
      });
      expectExit0(root.run(['ufw', '--force', 'enable'], { netns }));
      expectExit0(root.run(gate, { netns }));
    } finally {
      lab.destroy();
    }
  }, 30_000);
});

describe('the host', () => {
  const it = systemTest(missingTools(['cloud-init', 'unshare', 'chroot', 'mount']));

  it("is untouched: /etc/rancher, the host's ufw files and cloud-init state are exactly as before these tests", () => {
    expect(hostFingerprint()).toEqual(hostBefore);
  });
});
