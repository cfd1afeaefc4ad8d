import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { PATHS } from './model/paths';
import { renderNodes, type RenderedNode } from './node/render';
import { resolveToken } from './model/token';
import { ufwRules } from './node/ufw';
import { layout } from './model/layout';
import { synthSummary } from './operator/summary';
import { testContext, testDerived } from './test/runbook-commands';
import { renderRecords } from './node/render';
import { fingerprintOf } from './model/node-record';
import type { Config } from './config/schema';
import { run } from './main';
import { runbookLines } from './operator/runbooks';
import { CRITICAL_CONTROL_FLAGS, INSTALL_SH_UNIT_LINES, k3sConfigProblems } from './test/k3s-flags';
import { explain, run as runProgram } from './test/process';
import {
  newCluster,
  production,
  PRODUCTION_CONFIG,
  synthObjects,
  synthToDir,
  tempDir,
  TEST_TOKEN,
  variant,
} from './test/support';

/** Hetzner's user-data limit (BRIEF), restated here on purpose: the tests check the generator's constant against it. */
const HETZNER_USER_DATA_LIMIT = 32 * 1024;

type WriteFileEntry = { path: string; content: string; permissions: string; owner: string };
type CloudConfig = { write_files: WriteFileEntry[]; runcmd: string[][] } & Record<string, unknown>;

const render = (config: Config = production()) => renderNodes(config, { token: TEST_TOKEN });
const cloudConfig = (n: RenderedNode) => parse(n.content) as CloudConfig;
const file = (n: RenderedNode, p: string) => {
  const f = cloudConfig(n).write_files.find((w) => w.path === p);
  if (!f) throw new Error(`${n.name} writes no ${p}`);
  return f;
};
const k3sConfig = (n: RenderedNode) => parse(file(n, '/etc/rancher/k3s/config.yaml').content);
// A new cluster: the first listed server starts it (production is established: every node joins).
const nodes = render(newCluster());
const [first, ...joiners] = nodes as [RenderedNode, ...RenderedNode[]];

describe('one user-data file per server', () => {
  test('the first listed node (ubuntu-8gb-nbg1-2) starts the cluster; the others join it', () => {
    expect(nodes.map((n) => [n.name, n.role])).toEqual([
      ['ubuntu-8gb-nbg1-2', 'first'],
      ['ubuntu-8gb-nbg1-1', 'join'],
      ['ubuntu-8gb-nbg1-3', 'join'],
    ]);
    expect(k3sConfig(first)['cluster-init']).toBe(true);
    expect(k3sConfig(first).server).toBeUndefined();
    for (const n of joiners) {
      expect(k3sConfig(n).server).toBe('https://178.104.247.152:6443');
      expect(k3sConfig(n)['cluster-init']).toBeUndefined();
    }
  });

  test('cluster.yaml describes the cluster that runs today: no node starts a new one, the first joins the second', () => {
    const prod = render(production());
    expect(prod.map((n) => n.role)).toEqual(['join', 'join', 'join']);
    expect(prod.map((n) => k3sConfig(n)['cluster-init'])).toEqual([undefined, undefined, undefined]);
    expect(k3sConfig(prod[0]!).server).toBe('https://178.105.32.198:6443');
  });

  test('#cloud-config is the very first line', () => {
    for (const n of nodes) expect(n.content.startsWith('#cloud-config\n')).toBe(true);
  });

  test('every file fits Hetzner’s 32 KiB user-data limit', () => {
    for (const n of nodes) expect(Buffer.byteLength(n.content)).toBeLessThan(HETZNER_USER_DATA_LIMIT);
  });
});

describe('shell-free', () => {
  test('uses only write_files and runcmd: no bootcmd, no scripts, no packages to fetch', () => {
    for (const n of nodes) expect(Object.keys(cloudConfig(n)).sort()).toEqual(['runcmd', 'write_files']);
  });

  test('every runcmd entry is an argv list, and none runs a shell or pipes a download', () => {
    for (const n of nodes) {
      for (const argv of cloudConfig(n).runcmd) {
        expect(Array.isArray(argv)).toBe(true);
        expect(['sh', 'bash', 'dash', '/bin/sh', '/bin/bash']).not.toContain(argv[0]);
        expect(argv).not.toContain('-c');
        for (const word of argv) expect(word).not.toMatch(/[|;&$`<>]/);
      }
    }
  });

  test('no written file is executable and no file is a script', () => {
    for (const n of nodes) {
      for (const f of cloudConfig(n).write_files) {
        expect(['0600', '0640', '0644']).toContain(f.permissions);
        expect(f.content.startsWith('#!')).toBe(false);
      }
    }
  });

  test('runcmd applies the sysctl and the IPVS modules, enables ufw, puts the metadata guard in place, and starts K3s only through its verified install', () => {
    expect(cloudConfig(first).runcmd).toEqual([
      ['sysctl', '--system'],
      ['systemctl', 'restart', 'systemd-modules-load.service'],
      ['ufw', '--force', 'enable'],
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', 'metadata-guard.service', 'k3s.service'],
      ['systemctl', 'start', 'metadata-guard.service'],
      ['systemctl', 'start', '--no-block', 'k3s.service'],
      ['systemctl', 'start', 'k3s-install.service'],
    ]);
  });
});

describe('what each node gets', () => {
  test('the unprivileged-ports sysctl, so Traefik binds :80/:443 as UID 65532', () => {
    for (const n of nodes) {
      expect(file(n, '/etc/sysctl.d/99-unprivileged-ports.conf')).toMatchObject({
        content: 'net.ipv4.ip_unprivileged_port_start=0\n',
        permissions: '0644',
      });
    }
  });

  test('the brief’s flannel net-conf, in the file K3s is told to use', () => {
    for (const n of nodes) {
      const conf = k3sConfig(n)['flannel-conf'];
      expect(file(n, conf).content.trim()).toBe(
        '{"Network":"10.42.0.0/16","EnableIPv6":false,"EnableIPv4":true,"IPv6Network":"::/0","Backend":{"Type":"vxlan"}}',
      );
    }
  });

  test('the K3s config, mode 0600, with the shared token file and the node’s addresses', () => {
    const config = production();
    nodes.forEach((n, i) => {
      const node = config.cluster.nodes[i]!;
      expect(file(n, '/etc/rancher/k3s/config.yaml').permissions).toBe('0600');
      expect(k3sConfig(n)).toMatchObject({
        'token-file': '/etc/rancher/k3s/token',
        'node-name': node.name,
        'node-ip': node.publicIPv4,
        'node-external-ip': node.publicIPv4,
        'advertise-address': node.publicIPv4,
        'tls-san': [node.publicIPv4],
      });
      expect(file(n, '/etc/rancher/k3s/token')).toMatchObject({ content: `${TEST_TOKEN}\n`, permissions: '0600' });
    });
  });

  test('IPVS for real: proxy-mode flag, the five modules at boot, servicelb off, Traefik kept', () => {
    for (const n of nodes) {
      expect(k3sConfig(n)['kube-proxy-arg']).toEqual(['proxy-mode=ipvs']);
      expect(k3sConfig(n).disable).toEqual(['servicelb']);
      expect(file(n, '/etc/modules-load.d/ipvs.conf').content.split('\n').filter(Boolean)).toEqual([
        'ip_vs',
        'ip_vs_rr',
        'ip_vs_wrr',
        'ip_vs_sh',
        'nf_conntrack',
      ]);
    }
  });

  test('k3s.service is install.sh’s unit, and requires the verifying install unit and the metadata guard', () => {
    const unit = file(first, '/etc/systemd/system/k3s.service').content;
    for (const line of [
      'ExecStartPre=/usr/sbin/iptables -w -n -L ufw-user-input',
      ...INSTALL_SH_UNIT_LINES,
      'Requires=k3s-install.service metadata-guard.service',
      'WantedBy=multi-user.target',
    ])
      expect(unit.split('\n')).toContain(line);
    expect(unit).toMatch(/^After=.*systemd-modules-load\.service.*k3s-install\.service.* metadata-guard\.service$/m);
  });

  test('by default the binary is checked against the release’s sha256sum-amd64.txt over HTTPS before it is installed', () => {
    const unit = file(first, '/etc/systemd/system/k3s-install.service').content;
    const exec = unit
      .split('\n')
      .filter((l) => l.startsWith('ExecStart='))
      .map((l) => l.slice('ExecStart='.length).split(' '));
    expect(exec.map((argv) => argv[0])).toEqual([
      '/usr/bin/curl',
      '/usr/bin/curl',
      '/usr/bin/sha256sum',
      '/usr/bin/install',
    ]);
    expect(exec[0]).toEqual(
      expect.arrayContaining([
        '--proto',
        '=https',
        '--fail',
        'https://github.com/k3s-io/k3s/releases/download/v1.34.6+k3s1/k3s',
      ]),
    );
    expect(exec[1]!.at(-1)).toBe('https://github.com/k3s-io/k3s/releases/download/v1.34.6+k3s1/sha256sum-amd64.txt');
    expect(exec[2]).toEqual(['/usr/bin/sha256sum', '--check', '--strict', '--ignore-missing', 'sha256sum-amd64.txt']);
    expect(exec[3]).toEqual([
      '/usr/bin/install',
      '-o',
      'root',
      '-g',
      'root',
      '-m',
      '0755',
      'k3s',
      '/usr/local/bin/k3s',
    ]);
    expect(unit).toMatch(/^UMask=0077$/m);
  });

  test('with a pinned sha256 the binary is checked against the pin, and no checksum list is fetched', () => {
    const pin = 'a'.repeat(64);
    const [n] = render(variant((r) => (r.k3s = { ...r.k3s, sha256: pin })));
    const unit = file(n!, '/etc/systemd/system/k3s-install.service').content;
    expect(unit).not.toMatch(/sha256sum-amd64\.txt/);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/sha256sum --check --strict \/etc\/rancher\/k3s\/k3s\.sha256$/m);
    expect(file(n!, '/etc/rancher/k3s/k3s.sha256').content).toBe(`${pin}  k3s\n`);
  });
});

describe('what the security of a node rests on, asserted one by one', () => {
  /** The ExecStart argv lists of k3s-install.service, in the order the oneshot runs them. */
  const installSteps = (n: RenderedNode) =>
    file(n, '/etc/systemd/system/k3s-install.service')
      .content.split('\n')
      .filter((l) => l.startsWith('ExecStart='))
      .map((l) => l.slice('ExecStart='.length).split(' '));
  const pinned = () => render(variant((r) => (r.k3s = { ...r.k3s, sha256: 'a'.repeat(64) })))[0]!;
  const httpMirror = () =>
    render(variant((r) => (r.k3s = { ...r.k3s, sha256: 'a'.repeat(64), releaseBaseUrl: 'http://192.0.2.10/k3s' })))[0]!;

  test('the kubeconfig K3s writes is readable by root only (write-kubeconfig-mode 0600): it holds cluster-admin credentials', () => {
    for (const n of nodes) expect(k3sConfig(n)['write-kubeconfig-mode']).toBe('0600');
  });

  test.each<[string, () => RenderedNode]>([
    ['the release’s checksum list (default)', () => first],
    ['a pinned sha256', pinned],
  ])(
    'with %s, k3s-install.service runs sha256sum --check --strict after the download and before install, and install is the last step',
    (_name, node) => {
      const steps = installSteps(node());
      const check = steps.findIndex((argv) => argv[0] === '/usr/bin/sha256sum');
      const download = steps.findIndex((argv) => argv[0] === '/usr/bin/curl' && argv.at(-1)!.endsWith('/k3s'));
      const install = steps.findIndex((argv) => argv[0] === '/usr/bin/install');
      expect(steps[check]!.slice(0, 3)).toEqual(['/usr/bin/sha256sum', '--check', '--strict']);
      expect(download).toBeGreaterThanOrEqual(0);
      expect(download).toBeLessThan(check);
      expect(check).toBeLessThan(install);
      expect(install).toBe(steps.length - 1);
      expect(steps.filter((argv) => argv[0] === '/usr/bin/install')).toHaveLength(1);
    },
  );

  test('every download from an https:// release URL may not be redirected to anything but https (--proto =https --proto-redir =https)', () => {
    for (const n of [first, pinned()]) {
      const downloads = installSteps(n).filter((argv) => argv[0] === '/usr/bin/curl');
      expect(downloads.length).toBeGreaterThan(0);
      for (const argv of downloads) {
        expect(argv[argv.indexOf('--proto') + 1]).toBe('=https');
        expect(argv[argv.indexOf('--proto-redir') + 1]).toBe('=https');
      }
    }
  });

  test('an http:// mirror (allowed only with a pin) is fetched without the https-only flags, which would refuse it', () => {
    for (const argv of installSteps(httpMirror()).filter((a) => a[0] === '/usr/bin/curl')) {
      expect(argv).not.toContain('--proto');
      expect(argv).not.toContain('--proto-redir');
    }
  });

  test('ufw leaves the built-in chains alone (MANAGE_BUILTINS=no): flushing them would drop the rules kube-proxy and flannel keep there', () => {
    for (const n of nodes) {
      const lines = file(n, '/etc/default/ufw').content.split('\n');
      expect(lines.filter((l) => l.startsWith('MANAGE_BUILTINS='))).toEqual(['MANAGE_BUILTINS=no']);
    }
  });
});

describe('the metadata guard', () => {
  const METADATA = '169.254.169.254';
  const unitOf = (n: RenderedNode) => file(n, PATHS.metadataGuardUnit);
  /** The argv of every `key=` line, without systemd's "-" (ignore failure) prefix, and whether it had one. */
  const exec = (unit: string, key: string) =>
    unit
      .split('\n')
      .filter((l) => l.startsWith(`${key}=`))
      .map((l) => l.slice(key.length + 1))
      .map((c) => ({ ignoreFailure: c.startsWith('-'), argv: c.replace(/^-/, '').split(' ') }));
  const tag = ['-m', 'comment', '--comment', 'honeydue-metadata-guard', '-j', 'DROP'];

  test('every node gets metadata-guard.service, mode 0644, owned by root', () => {
    for (const n of nodes) expect(unitOf(n)).toMatchObject({ permissions: '0644', owner: 'root:root' });
  });

  test('it drops the metadata address in raw PREROUTING (pods), mangle FORWARD (after NAT) and raw OUTPUT for every UID but root', () => {
    expect(exec(unitOf(first).content, 'ExecStart')).toEqual([
      {
        ignoreFailure: false,
        argv: ['/usr/sbin/iptables', '-w', '-t', 'raw', '-I', 'PREROUTING', '-d', `${METADATA}/32`, ...tag],
      },
      {
        ignoreFailure: false,
        argv: ['/usr/sbin/iptables', '-w', '-t', 'mangle', '-I', 'FORWARD', '-d', `${METADATA}/32`, ...tag],
      },
      {
        ignoreFailure: false,
        argv: [
          '/usr/sbin/iptables',
          '-w',
          '-t',
          'raw',
          '-I',
          'OUTPUT',
          '-d',
          `${METADATA}/32`,
          '-m',
          'owner',
          '!',
          '--uid-owner',
          '0',
          ...tag,
        ],
      },
    ]);
  });

  test('a restart cannot stack copies: before inserting, and on stop, it deletes each rule it inserts, a missing one ignored', () => {
    const unit = unitOf(first).content;
    const inserts = exec(unit, 'ExecStart').map((l) => l.argv);
    const asDelete = inserts.map((argv) => argv.map((w) => (w === '-I' ? '-D' : w)));
    for (const key of ['ExecStartPre', 'ExecStop']) {
      expect(exec(unit, key)).toEqual(asDelete.map((argv) => ({ ignoreFailure: true, argv })));
    }
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^RemainAfterExit=yes$/m);
  });

  test('it runs after ufw, before the network and K3s, on every boot, and no line of it runs a shell', () => {
    const unit = unitOf(first).content;
    expect(unit).toMatch(/^After=local-fs\.target ufw\.service$/m);
    expect(unit).toMatch(/^Before=network-pre\.target k3s\.service$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    const commands = ['ExecStartPre', 'ExecStart', 'ExecStop'].flatMap((k) => exec(unit, k));
    expect(new Set(commands.map((c) => c.argv[0]))).toEqual(new Set(['/usr/sbin/iptables']));
    for (const c of commands) for (const word of c.argv) expect(word).not.toMatch(/[|;&$`<>%"'\\]/);
  });

  test('the address is cluster.hetzner.metadataAddress, the same one the honeydue namespace’s NetworkPolicy denies', () => {
    const other = '192.0.2.254';
    const config = variant((r) => (r.cluster.hetzner = { ...r.cluster.hetzner, metadataAddress: other }));
    const unit = unitOf(render(config)[0]!).content;
    const destinations = ['ExecStartPre', 'ExecStart', 'ExecStop']
      .flatMap((k) => exec(unit, k))
      .map((c) => c.argv[c.argv.indexOf('-d') + 1]);
    expect(new Set(destinations)).toEqual(new Set([`${other}/32`]));
    expect(unit).not.toContain(METADATA);
    const policy = synthObjects(config).find(
      (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'deny-cloud-metadata',
    );
    expect(policy?.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [`${other}/32`] } }] }]);
  });
});

describe('firewall rules', () => {
  const config = production();
  const rules = (i: number, c: Config = config) => ufwRules(c, c.cluster.nodes[i]!);
  const peersOf = (i: number, c: Config = config) =>
    c.cluster.nodes.filter((_, j) => j !== i).map((n) => n.privateIPv4 ?? n.publicIPv4);
  const sources = (rs: ReturnType<typeof rules>['v4'], proto: string, port: unknown) =>
    rs.filter((r) => r.proto === proto && JSON.stringify(r.port) === JSON.stringify(port)).map((r) => r.from);

  test.each([0, 1, 2])('node %i opens UDP 8472 to the other nodes only, never to anywhere', (i) => {
    expect(sources(rules(i).v4, 'udp', 8472)).toEqual(peersOf(i));
    expect(rules(i).v6.some((r) => r.port === 8472)).toBe(false);
  });

  test.each([0, 1, 2])(
    'node %i opens 10250 and 2379-2380 to the other nodes only, and 6443 to them and the operators',
    (i) => {
      expect(sources(rules(i).v4, 'tcp', 10250)).toEqual(peersOf(i));
      expect(sources(rules(i).v4, 'tcp', [2379, 2380])).toEqual(peersOf(i));
      const withOps = variant((r) => (r.firewall = { ...r.firewall, operatorCidrs: ['198.51.100.0/24'] }));
      expect(sources(rules(i, withOps).v4, 'tcp', 6443)).toEqual([...peersOf(i), '198.51.100.0/24']);
      expect(sources(rules(i, withOps).v4, 'tcp', 22)).toEqual(['198.51.100.0/24']);
    },
  );

  test('the pod and service CIDRs are allowed, as K3s needs behind UFW, but only on the pod bridge and the overlay', () => {
    expect(
      rules(0)
        .v4.filter((r) => r.proto === 'any')
        .map((r) => `${r.from} on ${r.iface}`),
    ).toEqual([
      '10.42.0.0/16 on cni0',
      '10.42.0.0/16 on flannel.1',
      '10.43.0.0/16 on cni0',
      '10.43.0.0/16 on flannel.1',
    ]);
    const wg = variant((r) => (r.cluster.flannelBackend = 'wireguard-native'));
    expect(
      rules(0, wg)
        .v4.filter((r) => r.proto === 'any')
        .map((r) => r.iface),
    ).toEqual(['cni0', 'flannel-wg', 'cni0', 'flannel-wg']);
  });

  test('80 and 443 are open to anywhere by default, over IPv4 and IPv6', () => {
    for (const port of [80, 443]) {
      expect(sources(rules(0).v4, 'tcp', port)).toEqual([undefined]);
      expect(sources(rules(0).v6, 'tcp', port)).toEqual([undefined]);
    }
  });

  test('cloudflareOnly limits 80 and 443 to Cloudflare’s ranges', () => {
    const c = variant((r) => (r.firewall = { ...r.firewall, web: 'cloudflareOnly' }));
    expect(sources(rules(0, c).v4, 'tcp', 443)).toEqual(c.cloudflare.ipv4);
    expect(sources(rules(0, c).v6, 'tcp', 443)).toEqual(c.cloudflare.ipv6);
    for (const n of renderNodes(c, { token: TEST_TOKEN }))
      expect(Buffer.byteLength(n.content)).toBeLessThan(HETZNER_USER_DATA_LIMIT);
  });

  test('the user.rules file carries a ### tuple ### line before each rule, as ufw writes it', () => {
    const text = file(first, '/etc/ufw/user.rules').content;
    expect(text).toContain(
      '### tuple ### allow udp 8472 0.0.0.0/0 any 178.105.32.198 in comment=666c616e6e656c2076786c616e2066726f6d207562756e74752d3867622d6e6267312d31\n-A ufw-user-input -p udp --dport 8472 -s 178.105.32.198 -j ACCEPT\n',
    );
    expect(text).toContain('-A ufw-user-input -p tcp -m multiport --dports 2379:2380 -s 178.105.32.198 -j ACCEPT');
    expect(file(first, '/etc/ufw/ufw.conf').content).toMatch(/^ENABLED=yes$/m);
    expect(file(first, '/etc/default/ufw').content).toMatch(/^DEFAULT_INPUT_POLICY="DROP"$/m);
  });
});

describe('options change every place they affect', () => {
  test('wireguard-native: the backend, the net-conf, and UDP 51820 instead of 8472 between nodes', () => {
    const c = variant((r) => (r.cluster.flannelBackend = 'wireguard-native'));
    const [n] = renderNodes(c, { token: TEST_TOKEN });
    expect(k3sConfig(n!)['flannel-backend']).toBe('wireguard-native');
    expect(JSON.parse(file(n!, '/etc/rancher/k3s/flannel-net-conf.json').content).Backend.Type).toBe('wireguard');
    const r = ufwRules(c, c.cluster.nodes[0]!).v4;
    expect(r.filter((x) => x.port === 51820).map((x) => x.from)).toEqual(['178.105.32.198', '178.104.249.189']);
    expect(r.some((x) => x.port === 8472)).toBe(false);
  });

  test('a private network: node-ip, flannel-iface, the join address and the node-to-node rules use the private addresses', () => {
    const c = variant((r) => {
      r.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
      r.cluster.nodes.forEach((node, i) => (node.privateIPv4 = `10.0.0.${i + 2}`));
    });
    const [a, b] = renderNodes(c, { token: TEST_TOKEN });
    expect(k3sConfig(a!)).toMatchObject({
      'node-ip': '10.0.0.2',
      'node-external-ip': '178.104.247.152',
      'flannel-iface': 'enp7s0',
      'tls-san': ['178.104.247.152', '10.0.0.2'],
    });
    expect(k3sConfig(b!).server).toBe('https://10.0.0.2:6443');
    const r = ufwRules(c, c.cluster.nodes[0]!).v4.filter((x) => x.port === 8472);
    expect(r).toEqual([
      { proto: 'udp', port: 8472, from: '10.0.0.3', iface: 'enp7s0', comment: 'flannel vxlan from ubuntu-8gb-nbg1-1' },
      { proto: 'udp', port: 8472, from: '10.0.0.4', iface: 'enp7s0', comment: 'flannel vxlan from ubuntu-8gb-nbg1-3' },
    ]);
  });

  test('an established cluster: no node starts a cluster, and a rebuilt first node joins the second', () => {
    const c = variant((r) => (r.cluster.established = true));
    const rendered = renderNodes(c, { token: TEST_TOKEN });
    expect(rendered.map((n) => n.role)).toEqual(['join', 'join', 'join']);
    expect(rendered.map((n) => k3sConfig(n).server)).toEqual([
      'https://178.105.32.198:6443',
      'https://178.104.247.152:6443',
      'https://178.104.247.152:6443',
    ]);
    for (const n of rendered) expect(k3sConfig(n)['cluster-init']).toBeUndefined();
  });

  test('kubeProxyMode iptables drops the IPVS flag and modules', () => {
    const c = variant((r) => (r.k3s = { ...r.k3s, kubeProxyMode: 'iptables' }));
    const [n] = renderNodes(c, { token: TEST_TOKEN });
    expect(k3sConfig(n!)['kube-proxy-arg']).toBeUndefined();
    expect(cloudConfig(n!).write_files.map((f) => f.path)).not.toContain('/etc/modules-load.d/ipvs.conf');
  });
});

describe('bad input is refused with a clear error', () => {
  const nodesOf =
    (...ns: [string, string][]) =>
    (r: any) =>
      (r.cluster.nodes = ns.map(([name, publicIPv4]) => ({ name, publicIPv4 })));
  test.each<[string, (r: any) => void, RegExp]>([
    [
      'duplicate node names',
      nodesOf(['a', '192.0.2.1'], ['a', '192.0.2.2'], ['c', '192.0.2.3']),
      /cluster\.nodes\.1\.name: a is already used by cluster\.nodes\[0\]/,
    ],
    [
      'duplicate node IPs',
      nodesOf(['a', '192.0.2.1'], ['b', '192.0.2.1'], ['c', '192.0.2.3']),
      /cluster\.nodes\.1\.publicIPv4: 192\.0\.2\.1 is already used by cluster\.nodes\[0\]/,
    ],
    ['an invalid address', nodesOf(['a', '192.0.2.300']), /cluster\.nodes\.0\.publicIPv4: expected an IPv4 address/],
    [
      'an even number of servers',
      nodesOf(['a', '192.0.2.1'], ['b', '192.0.2.2']),
      /cluster\.nodes: 2 server nodes: embedded etcd needs an odd number \(1, 3, 5 …\)/,
    ],
    [
      'a malformed pinned checksum',
      (r) => (r.k3s.sha256 = 'abc123'),
      /k3s\.sha256: expected the sha256 of the k3s binary as 64 lower-case hex digits/,
    ],
    [
      'a malformed version',
      (r) => (r.k3s.version = '1.34.6'),
      /k3s\.version: expected a K3s release version such as v1\.34\.6\+k3s1/,
    ],
    [
      'a privateIPv4 without cluster.privateNetwork',
      (r) => (r.cluster.nodes[0].privateIPv4 = '10.0.0.2'),
      /cluster\.nodes\.0\.privateIPv4: privateIPv4 is set but cluster\.privateNetwork is not/,
    ],
    [
      'an Arm server type',
      (r) => (r.cluster.hetzner = { serverType: 'cax21' }),
      /cluster\.hetzner\.serverType: expected an x86 server type .* Arm \(cax…\) servers are not supported/,
    ],
    [
      'an established cluster of one',
      (r) => {
        r.cluster.established = true;
        r.cluster.nodes = [r.cluster.nodes[0]];
      },
      /cluster\.established: an established cluster needs a second node to join/,
    ],
    [
      'an http mirror without a pin',
      (r) => (r.k3s.releaseBaseUrl = 'http://mirror.example/k3s'),
      /k3s\.releaseBaseUrl: an http:\/\/ release URL needs k3s\.sha256 pinned/,
    ],
    [
      'a private IP outside the private network',
      (r) => {
        r.cluster.privateNetwork = { cidr: '10.0.0.0/24' };
        r.cluster.nodes.forEach((n: any, i: number) => (n.privateIPv4 = `10.0.${i}.2`));
      },
      /cluster\.nodes\.1\.privateIPv4: 10\.0\.1\.2 is outside cluster\.privateNetwork\.cidr 10\.0\.0\.0\/24/,
    ],
  ])('%s', (_name, change, expected) => {
    expect(() => variant(change)).toThrow(expected);
  });

  test('user-data over 32 KiB is refused, naming the node, before any file is written', () => {
    const big = variant((r) => {
      r.firewall = { ...r.firewall, operatorCidrs: Array.from({ length: 100 }, (_, i) => `198.51.100.${i}/32`) };
    });
    expect(() => renderNodes(big, { token: TEST_TOKEN })).toThrow(
      /ubuntu-8gb-nbg1-2: user-data is \d+ bytes, over Hetzner's 32768-byte limit/,
    );
  });
});

describe('the cluster token', () => {
  const tokenFile = () => path.join(tempDir('token'), '.secrets', 'k3s-token');
  const newClusterToken = (file: string) => ({ established: false, file });
  const running = (file: string) => ({ established: true, file });
  /** A full server token as /var/lib/rancher/k3s/server/token holds it (test/fixtures/k3s/TOKEN-FORMS.md). */
  const FULL = `K10${'0123456789abcdef'.repeat(4)}::server:${TEST_TOKEN}`;
  const writeToken = (file: string, text: string, mode = 0o600) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
    fs.chmodSync(file, mode);
  };

  test('K3S_TOKEN wins over the token file', () => {
    const f = tokenFile();
    writeToken(f, `${'b'.repeat(40)}\n`);
    expect(resolveToken({ K3S_TOKEN: TEST_TOKEN }, newClusterToken(f))).toEqual({
      token: TEST_TOKEN,
      source: 'K3S_TOKEN',
      form: 'plain',
    });
  });

  test('for a new cluster without K3S_TOKEN, 48+ random characters are generated, saved once into a 0600 file and reused', () => {
    const f = tokenFile();
    const a = resolveToken({}, newClusterToken(f));
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{48,}$/);
    expect(a.source).toBe(`${f} (new)`);
    expect(fs.existsSync(f)).toBe(false);
    a.save!();
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(resolveToken({}, newClusterToken(f))).toEqual({ token: a.token, source: f, form: 'plain' });
    expect(() => a.save!()).toThrow(/cannot write the new cluster token/);
    expect(resolveToken({}, newClusterToken(tokenFile())).token).not.toBe(a.token);
  });

  test('the full K10<ca-hash>::server:<secret> token of a running cluster is accepted, from K3S_TOKEN or the file', () => {
    expect(resolveToken({ K3S_TOKEN: FULL }, running(tokenFile()))).toEqual({
      token: FULL,
      source: 'K3S_TOKEN',
      form: 'full',
    });
    const f = tokenFile();
    writeToken(f, `${FULL}\n`);
    expect(resolveToken({}, running(f))).toEqual({ token: FULL, source: f, form: 'full' });
  });

  test('the full token goes into the node’s token file as it is', () => {
    const [n] = renderNodes(
      variant((r) => (r.cluster.established = true)),
      { token: FULL },
    );
    expect(file(n!, '/etc/rancher/k3s/token').content).toBe(`${FULL}\n`);
  });

  test('a full token for a new cluster is refused: the first server would make a CA the token’s hash does not match', () => {
    expect(() => resolveToken({ K3S_TOKEN: FULL }, newClusterToken(tokenFile()))).toThrow(
      /^K3S_TOKEN holds a full K10… server token, which belongs to a running cluster, but cluster\.established is false: set cluster\.established: true/,
    );
  });

  test('the restore runbook’s instruction for a rebuilt first server can be followed: the secret after "::server:" renders with cluster.established: false', () => {
    const restoreIntro = runbookLines(production(), { name: 'restore' }, testContext(production())).join('\n');
    expect(restoreIntro).toContain('the part after "::server:"');
    const secret = FULL.slice(FULL.indexOf('::server:') + '::server:'.length);
    const t = resolveToken({ K3S_TOKEN: secret }, newClusterToken(tokenFile()));
    expect(t).toMatchObject({ token: secret, form: 'plain' });
    const [firstNode] = renderNodes(production(), t);
    expect(file(firstNode!, '/etc/rancher/k3s/token').content).toBe(`${secret}\n`);
  });

  test.each<[string, string, RegExp]>([
    [
      'a short secret',
      'short',
      /^K3S_TOKEN is not a K3s server token: expected either the plain secret \(at least 32 characters/,
    ],
    [
      'a CA hash of the wrong length',
      `K10${'0'.repeat(63)}::server:${TEST_TOKEN}`,
      /^K3S_TOKEN is not a K3s server token/,
    ],
    [
      'an upper-case CA hash',
      `K10${'0123456789ABCDEF'.repeat(4)}::server:${TEST_TOKEN}`,
      /^K3S_TOKEN is not a K3s server token/,
    ],
    [
      'an agent token',
      `K10${'0123456789abcdef'.repeat(4)}::node:${TEST_TOKEN}`,
      /^K3S_TOKEN holds an agent token \(K10…::node:…\); servers need the server token from \/var\/lib\/rancher\/k3s\/server\/token$/,
    ],
    [
      'a short secret in the full form',
      `K10${'0123456789abcdef'.repeat(4)}::server:short`,
      /^K3S_TOKEN is not a K3s server token/,
    ],
  ])('%s is refused, and the message never contains the token', (_name, token, expected) => {
    let message = '';
    try {
      resolveToken({ K3S_TOKEN: token }, running(tokenFile()));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(expected);
    expect(message).not.toContain(token);
  });

  test('an established cluster without a token is refused, says what to copy where, and writes no new token', () => {
    const f = tokenFile();
    expect(() => resolveToken({}, running(f))).toThrow(
      `cluster.established is true but there is no cluster token: neither K3S_TOKEN nor ${f} is set, and a new token could never join the running cluster. ` +
        `Copy /var/lib/rancher/k3s/server/token from a running server into ${f} (mode 0600: chmod 600 ${f}), or set K3S_TOKEN to its content`,
    );
    expect(fs.existsSync(f)).toBe(false);
    expect(fs.existsSync(path.dirname(f))).toBe(false);
  });

  test.each([0o640, 0o604, 0o660, 0o620].map((m) => [`0${m.toString(8)}`, m] as const))(
    'a token file of mode %s is refused with the chmod to run',
    (_octal, mode) => {
      const f = tokenFile();
      writeToken(f, `${TEST_TOKEN}\n`, mode);
      expect(() => resolveToken({}, newClusterToken(f))).toThrow(
        `${f} is readable or writable by group or others (mode 0${mode.toString(8)}); it holds the cluster token: run  chmod 600 ${f}`,
      );
    },
  );

  test('the summary says where the token came from and whether joining servers verify the CA, never the token', () => {
    const established = variant((r) => (r.cluster.established = true));
    const summary = (token: string, source: string, config: Config) =>
      synthSummary(config, layout('dist'), testDerived(config), {
        written: renderNodes(config, { token }),
        token: { token, source, form: token.startsWith('K10') ? 'full' : 'plain' },
      });
    const full = summary(FULL, 'K3S_TOKEN', established);
    expect(full).toContain(
      'cluster token: from K3S_TOKEN (full K10 server token: joining servers verify the cluster CA)',
    );
    expect(summary(TEST_TOKEN, '.secrets/k3s-token', established)).toContain(
      'cluster token: from .secrets/k3s-token (plain secret: joining servers cannot verify the cluster CA; the full token in /var/lib/rancher/k3s/server/token lets them)',
    );
    expect(summary(TEST_TOKEN, '.secrets/k3s-token (new)', newCluster())).toContain(
      'cluster token: from .secrets/k3s-token (new)',
    );
    for (const line of full) expect(line).not.toContain(TEST_TOKEN);
  });

  test('the cloud-init files are mode 0600 in a 0700 directory', () => {
    const out = synthToDir();
    const nodeFiles = fs.readdirSync(path.join(out, 'cloud-init')).filter((f) => f.endsWith('.user-data'));
    expect(nodeFiles).toHaveLength(3);
    for (const f of nodeFiles) expect(fs.statSync(path.join(out, 'cloud-init', f)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(out, 'cloud-init')).mode & 0o777).toBe(0o700);
  });

  test('dist/cloud-init/ and .secrets/ are git-ignored', () => {
    const ignore = fs.readFileSync(path.join(__dirname, '.gitignore'), 'utf8').split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['dist/cloud-init/', '.secrets/']));
  });
});

describe('the operator’s summary', () => {
  test('what was written first, then the firewall’s file and commands, then per node its file, role, bytes and share of 32 KiB, and the commands that build it on its Primary IP', () => {
    const lines: string[] = [];
    const out = synthToDir({ args: ['--bootstrap-only'], log: (l) => lines.push(l) });
    const rules = path.join(out, 'hcloud', 'firewall.rules');
    const count = JSON.parse(fs.readFileSync(rules, 'utf8')).length;
    expect(lines[0]).toBe(
      `wrote ${out}/: 0 manifests (kept from the last synth), 3 node records, 3 node files, the Cloud Firewall rules; the expected state, to review and commit`,
    );
    expect(lines[2]).toBe(
      `  ${path.join(out, 'nodes')}/{ubuntu-8gb-nbg1-2,ubuntu-8gb-nbg1-1,ubuntu-8gb-nbg1-3}.record  what each node file writes, without the token: git diff shows what changes on which server`,
    );
    expect(lines[3]).toMatch(new RegExp(`^${rules}  Cloud Firewall honeydue: ${count} rules, \\d+ of 500 effective$`));
    expect(lines.slice(5, 7)).toEqual([
      `  hcloud firewall create --name honeydue`,
      `  hcloud firewall replace-rules honeydue --rules-file ${rules}`,
    ]);
    const f = path.join(out, 'cloud-init', renderNodes(production(), { token: TEST_TOKEN })[0]!.fileName);
    const size = fs.statSync(f).size;
    const fingerprint = fingerprintOf(fs.readFileSync(path.join(out, 'nodes', 'ubuntu-8gb-nbg1-2.record'), 'utf8'));
    expect(lines.slice(7, 11)).toEqual([
      `${f}  join   ${size} bytes  ${((100 * size) / HETZNER_USER_DATA_LIMIT).toFixed(1)}% of 32 KiB`,
      '  # Primary IP ubuntu-8gb-nbg1-2-ipv4 must already hold 178.104.247.152, auto-delete off (docs/build-a-node.md)',
      '  hcloud primary-ip describe ubuntu-8gb-nbg1-2-ipv4',
      `  hcloud server create --name ubuntu-8gb-nbg1-2 --type cx33 --image ubuntu-24.04 --location nbg1 --primary-ipv4 ubuntu-8gb-nbg1-2-ipv4 --firewall honeydue --user-data-from-file ${f} --label honeydue/node-file=${fingerprint}`,
    ]);
    expect(lines[11]).toMatch(/ubuntu-8gb-nbg1-1\.\S+ {2}join /);
    expect(lines.filter((l) => l.includes('attach-to-network'))).toEqual([]);
    expect(lines).toContain(
      'cluster token: from K3S_TOKEN (plain secret: joining servers cannot verify the cluster CA; the full token in /var/lib/rancher/k3s/server/token lets them)',
    );
    expect(fs.readdirSync(out).sort()).toEqual(['.honeydue-synth', 'cloud-init', 'hcloud', 'nodes']);
  });

  test('with a private network each node also joins it at its privateIPv4, on the network named in the config', () => {
    const c = variant((r) => {
      r.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
      r.cluster.hetzner = { network: 'hd-net' };
      r.cluster.nodes.forEach((node, i) => (node.privateIPv4 = `10.0.0.${i + 2}`));
    });
    const nodes = renderNodes(c, { token: TEST_TOKEN });
    const lines = synthSummary(c, layout('dist'), testDerived(c), {
      written: nodes,
      token: { token: TEST_TOKEN, source: 'K3S_TOKEN', form: 'plain' },
    });
    expect(lines.filter((l) => l.includes('attach-to-network'))).toEqual(
      c.cluster.nodes.map((n) => `  hcloud server attach-to-network ${n.name} --network hd-net --ip ${n.privateIPv4}`),
    );
    // after its server is created: the server must exist to be attached
    const i = lines.findIndex((l) => l.includes('attach-to-network'));
    expect(lines[i - 1]).toMatch(/^ {2}hcloud server create --name ubuntu-8gb-nbg1-2 /);
  });

  test('a bad token exits 1 with the reason and writes nothing', async () => {
    const out = path.join(tempDir('dist'), 'dist');
    const err = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await run(['--config', PRODUCTION_CONFIG], { K3S_TOKEN: 'short', CDK8S_OUTDIR: out })).toBe(1);
      expect(err.mock.calls[0]![0]).toMatch(/^error: K3S_TOKEN is not a K3s server token/);
    } finally {
      err.mockRestore();
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});

test('the rendered files match the snapshot (fixed test token)', () => {
  const out = synthToDir({ args: ['--bootstrap-only'] });
  for (const f of fs
    .readdirSync(path.join(out, 'cloud-init'))
    .filter((x) => x.endsWith('.user-data'))
    .sort()) {
    expect(fs.readFileSync(path.join(out, 'cloud-init', f), 'utf8')).toMatchSnapshot(f);
  }
});

describe('the default install check, run for real with the unit’s own sha256sum argv', () => {
  // The VM suite proves the pinned path end to end; its mirror has no TLS, so the default
  // path (the release's sha256sum-amd64.txt) is proven here, with the very argv the unit runs.
  const unit = file(first, '/etc/systemd/system/k3s-install.service').content;
  const check = unit
    .split('\n')
    .find((l) => l.startsWith('ExecStart=/usr/bin/sha256sum'))!
    .slice('ExecStart='.length)
    .split(' ');
  const sha = (data: string) => createHash('sha256').update(data).digest('hex');

  /** Runs the check in a staging directory holding `k3s` and the given checksum list. */
  function verify(binary: string, sums: string): boolean {
    const dir = tempDir('k3s-install');
    fs.writeFileSync(path.join(dir, 'k3s'), binary);
    fs.writeFileSync(path.join(dir, 'sha256sum-amd64.txt'), sums);
    const r = runProgram(check, { cwd: dir });
    // A refusal is an exit code; a check killed by the timeout is not one.
    if (r.status === null) throw new Error(explain(r));
    return r.status === 0;
  }
  const genuine = 'genuine k3s binary';
  const releaseList = `${sha('airgap images')}  k3s-airgap-images-amd64.tar.zst\n${sha(genuine)}  k3s\n`;

  test('accepts the genuine binary among the other assets the release lists', () =>
    expect(verify(genuine, releaseList)).toBe(true));
  test('refuses a tampered binary', () => expect(verify('tampered k3s binary', releaseList)).toBe(false));
  test('refuses a list that does not name k3s at all, rather than skipping the check', () => {
    expect(verify(genuine, `${sha('airgap images')}  k3s-airgap-images-amd64.tar.zst\n`)).toBe(false);
  });
  test('refuses an empty or malformed list', () => {
    expect(verify(genuine, '')).toBe(false);
    expect(verify(genuine, '<html>rate limited</html>\n')).toBe(false);
  });
});

describe('every K3s option is a flag of the pinned release (test/fixtures/k3s)', () => {
  const variants: [string, Config][] = [
    ['production', production()],
    [
      'wireguard-native, private network, iptables proxy, established',
      variant((r) => {
        r.cluster.flannelBackend = 'wireguard-native';
        r.cluster.privateNetwork = { cidr: '10.0.0.0/16' };
        r.cluster.nodes.forEach((n, i) => (n.privateIPv4 = `10.0.0.${i + 2}`));
        r.k3s = { ...r.k3s, kubeProxyMode: 'iptables' };
        r.cluster.established = true;
      }),
    ],
  ];
  test.each(variants)(
    '%s: config.yaml, read as YAML 1.1 the way K3s reads it, has only real server flags with values of the right kind',
    (_name, config) => {
      for (const n of render(config)) {
        const text = file(n, '/etc/rancher/k3s/config.yaml').content;
        expect(k3sConfigProblems(parse(text, { version: '1.1' }))).toEqual([]);
      }
    },
  );

  test('the check itself bites: a misspelt key, a number where K3s wants a string, and a removed flag are reported', () => {
    expect(
      k3sConfigProblems({
        'tls-sans': ['x'],
        'write-kubeconfig-mode': 420,
        'no-deploy': ['traefik'],
        'cluster-init': 'true',
      }),
    ).toEqual([
      'tls-sans: not a k3s server flag',
      'write-kubeconfig-mode: 420 is not a string',
      'no-deploy: not a k3s server flag',
      'cluster-init: "true" is not a bool',
    ]);
  });

  test('every server sets the critical control flags alike, as a joining server requires', () => {
    const configs = render().map((n) => parse(file(n, '/etc/rancher/k3s/config.yaml').content, { version: '1.1' }));
    for (const flag of CRITICAL_CONTROL_FLAGS) {
      expect(new Set(configs.map((c) => JSON.stringify(c[flag]))).size).toBe(1);
    }
  });

  // The flag list names this critical arg `disable-service-lb`; config.yaml spells it as an item of `disable`.
  test('every server disables servicelb alike (the critical control arg disable-service-lb)', () => {
    const configs = render().map((n) => parse(file(n, '/etc/rancher/k3s/config.yaml').content, { version: '1.1' }));
    expect(CRITICAL_CONTROL_FLAGS).toContain('disable-service-lb');
    expect(configs.map((c) => (c['disable'] as string[]).includes('servicelb'))).toEqual(configs.map(() => true));
  });

  test('every server encrypts Secrets at rest from its first boot (secrets-encryption, a critical control flag)', () => {
    expect(CRITICAL_CONTROL_FLAGS).toContain('secrets-encryption');
    for (const config of [production(), variant((r) => (r.cluster.established = true))]) {
      const configs = render(config).map((n) =>
        parse(file(n, '/etc/rancher/k3s/config.yaml').content, { version: '1.1' }),
      );
      expect(configs.map((c) => c['secrets-encryption'])).toEqual(configs.map(() => true));
      // The provider is left at K3s's default (aescbc) on every server alike.
      expect(configs.map((c) => c['secrets-encryption-provider'])).toEqual(configs.map(() => undefined));
    }
  });
});

describe('node records', () => {
  test.each([
    ['production', () => production()],
    ['a new cluster', () => newCluster()],
    [
      'IPVS and a private network',
      () =>
        variant((r) => {
          r.k3s = { ...r.k3s, kubeProxyMode: 'ipvs' };
          r.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
          r.cluster.nodes.forEach((n, i) => (n.privateIPv4 = `10.0.0.${i + 2}`));
        }),
    ],
  ])(
    '%s: the records a synth takes from its node files are the records rendered without any token',
    (_name, config) => {
      const c = config();
      const withToken = renderRecords(c, renderNodes(c, { token: TEST_TOKEN }));
      expect(withToken).toEqual(renderRecords(c));
      for (const r of withToken) expect(r.text).not.toContain(TEST_TOKEN);
    },
  );
});
