import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import fc from 'fast-check';
import type { z } from 'zod';
import { checkHetznerLimits, HCLOUD_FIREWALL_LIMITS } from '../config/hetzner-limits';
import { hcloudFirewallRules } from '../model/cloud-firewall';
import { effectiveRules } from '../model/firewall-rule';
import { renderNodes } from '../node/render';
import { loadConfig } from '../config/load';
import type { Config, NodeConfig, RawConfig } from '../config/schema';
import { kubectlPath } from './layer';
import { run } from './process';
import { type ConfigChange, FC_SEED, production, synthToDir, TEST_TOKEN, variant, variantFile } from './support';

/**
 * The Cloud Firewall and every node's UFW admit the same traffic on the public interface.
 * Both sides are read back from the rendered files (the user-data's user.rules/user6.rules,
 * and dist/hcloud/firewall.rules), not from the data they were rendered from.
 */

/** A (protocol, port, source CIDR) that a firewall lets in; ranges and source lists expanded. */
type Admitted = string;
const admitted = (proto: string, port: number, cidr: string): Admitted => `${proto} ${port} from ${cidr}`;

/** Every port of `80`, `2379:2380` (ufw), `2379-2380` (Hetzner) or `80,443` (ufw multiport). */
function ports(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [lo, hi = lo] = part.split(/[:-]/).map(Number) as [number, number?];
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi! < lo) throw new Error(`not a port or range: ${spec}`);
    return Array.from({ length: hi! - lo + 1 }, (_, i) => lo + i);
  });
}

/** What a node's UFW admits on its public interface, from the `### tuple ###` lines of its rendered user.rules and user6.rules. */
function ufwPublic(userData: string): Set<Admitted> {
  const files = (parse(userData) as { write_files: { path: string; content: string }[] }).write_files;
  const set = new Set<Admitted>();
  for (const [file, any] of [
    ['/etc/ufw/user.rules', '0.0.0.0/0'],
    ['/etc/ufw/user6.rules', '::/0'],
  ] as const) {
    const text = files.find((f) => f.path === file)!.content;
    for (const line of text.split('\n').filter((l) => l.startsWith('### tuple ### '))) {
      // allow PROTO DPORT DST SPORT SRC DIRECTION [comment=…]
      const [action, proto, dport, dst, sport, src, direction] = line
        .slice('### tuple ### '.length)
        .split(' ') as string[];
      expect({ action, dst, sport }).toEqual({ action: 'allow', dst: any, sport: 'any' });
      if (direction !== 'in') continue; // in_<iface>: bound to cni0, the overlay or the private NIC, not the public interface
      if (proto === 'any' || dport === 'any')
        throw new Error(`a public rule without protocol or port cannot be mirrored at Hetzner: ${line}`);
      const cidr = src!.includes('/') ? src! : `${src}/${any === '::/0' ? 128 : 32}`;
      for (const p of ports(dport!)) set.add(admitted(proto!, p, cidr));
    }
  }
  return set;
}

/** What the Cloud Firewall admits to `node`, from the rules file. Its own address is left out: a server's packets to itself never leave it, so they never meet the firewall. */
function cloudFirewall(rulesFile: string, node: NodeConfig): Set<Admitted> {
  const rules = JSON.parse(rulesFile) as { direction: string; protocol: string; port: string; source_ips: string[] }[];
  const set = new Set<Admitted>();
  for (const r of rules) {
    expect(r.direction).toBe('in');
    for (const cidr of r.source_ips)
      if (cidr !== `${node.publicIPv4}/32`) for (const p of ports(r.port)) set.add(admitted(r.protocol, p, cidr));
  }
  return set;
}

/**
 * Renders a variant of cluster.yaml the way `npm run bootstrap` does and returns the config,
 * every node's user-data and the rules file.
 */
function rendered(change: ConfigChange = () => {}) {
  const configFile = variantFile(change);
  const out = synthToDir({ config: configFile, args: ['--bootstrap-only'] });
  const config = loadConfig(configFile);
  const nodes = renderNodes(config, { token: TEST_TOKEN });
  const userData = (n: NodeConfig) =>
    fs.readFileSync(path.join(out, 'cloud-init', nodes.find((r) => r.name === n.name)!.fileName), 'utf8');
  return { config, userData, rules: fs.readFileSync(path.join(out, 'hcloud', 'firewall.rules'), 'utf8') };
}

const privateNetwork = (raw: RawConfig) => {
  raw.cluster.privateNetwork = { cidr: '10.0.0.0/16', interface: 'enp7s0' };
  raw.cluster.nodes.forEach((n, i) => (n.privateIPv4 = `10.0.0.${i + 2}`));
};
const cases: [string, (raw: RawConfig) => void][] = [
  ['cluster.yaml', () => {}],
  [
    'operators and Cloudflare-only web ports',
    (raw) => (raw.firewall = { operatorCidrs: ['198.51.100.0/24', '203.0.113.7/32'], web: 'cloudflareOnly' }),
  ],
  ['wireguard-native', (raw) => (raw.cluster.flannelBackend = 'wireguard-native')],
  ['a private network', (raw) => (privateNetwork(raw), (raw.firewall = { operatorCidrs: ['198.51.100.0/24'] }))],
  [
    'five nodes',
    (raw) =>
      raw.cluster.nodes.push({ name: 'node-4', publicIPv4: '192.0.2.4' }, { name: 'node-5', publicIPv4: '192.0.2.5' }),
  ],
];

describe.each(cases)('lockstep, %s', (_name, change) => {
  const { config, userData, rules } = rendered(change);

  test.each(config.cluster.nodes.map((n) => [n.name, n] as const))(
    '%s: the Cloud Firewall admits exactly what UFW admits on the public interface',
    (_n, node) => {
      const ufw = ufwPublic(userData(node));
      const cloud = cloudFirewall(rules, node);
      // Not vacuous: the web ports are open on both sides in every case.
      expect(ufw).toContain(
        admitted(
          'tcp',
          config.traefik.webPort,
          config.firewall.web === 'anywhere' ? '0.0.0.0/0' : config.cloudflare.ipv4[0]!,
        ),
      );
      expect([...cloud].sort()).toEqual([...ufw].sort());
    },
  );
});

describe('the Cloud Firewall rules file', () => {
  test('opens the overlay, kubelet, etcd and API ports to every node’s public address, in the API’s rule format', () => {
    const { config, rules } = rendered();
    const byDescription = Object.fromEntries(
      (JSON.parse(rules) as { description: string; port: string }[]).map((r) => [`${r.description} ${r.port}`, r]),
    );
    const nodes = config.cluster.nodes.map((n) => `${n.publicIPv4}/32`);
    expect(byDescription['flannel vxlan from the nodes 8472']).toEqual({
      direction: 'in',
      protocol: 'udp',
      port: '8472',
      source_ips: nodes,
      description: 'flannel vxlan from the nodes',
    });
    expect(byDescription['etcd from the nodes 2379-2380']).toMatchObject({
      protocol: 'tcp',
      port: '2379-2380',
      source_ips: nodes,
    });
    expect(byDescription['web from anywhere 80']).toMatchObject({
      protocol: 'tcp',
      port: '80',
      source_ips: ['0.0.0.0/0', '::/0'],
    });
  });

  test('with a private network, no cluster port is opened to any node address: that traffic stays on the private network, where UFW filters', () => {
    const { config, rules } = rendered(privateNetwork);
    const sources = (JSON.parse(rules) as { source_ips: string[] }[]).flatMap((r) => r.source_ips);
    for (const n of config.cluster.nodes) {
      expect(sources).not.toContain(`${n.publicIPv4}/32`);
      expect(sources).not.toContain(`${n.privateIPv4}/32`);
    }
    expect(JSON.parse(rules).map((r: { port: string }) => r.port)).toEqual([
      String(config.traefik.webPort),
      String(config.traefik.websecurePort),
    ]);
  });

  test('the interface-bound pod and service rules stay on the node: no pod or service CIDR reaches the Cloud Firewall', () => {
    const { config, rules } = rendered();
    expect(rules).not.toContain(config.cluster.podCidr);
    expect(rules).not.toContain(config.cluster.serviceCidr);
  });

  test('without operator CIDRs there is no SSH or operator API rule (the API refuses an empty source list)', () => {
    const { rules } = rendered();
    expect(
      (JSON.parse(rules) as { port: string; description: string }[]).filter(
        (r) => r.port === '22' || /operators/.test(r.description),
      ),
    ).toEqual([]);
  });

  test('dist/hcloud/firewall.rules is committed and current', () => {
    const out = synthToDir();
    expect(fs.readFileSync(path.join(__dirname, '..', 'dist', 'hcloud', 'firewall.rules'), 'utf8')).toBe(
      fs.readFileSync(path.join(out, 'hcloud', 'firewall.rules'), 'utf8'),
    );
  });

  test('kubectl never reads it: kubectl label --local -R -f dist lists only the manifests', () => {
    const out = synthToDir();
    fs.rmSync(path.join(out, 'cloud-init'), { recursive: true }); // not this file's concern (and its own issue)
    const r = run([kubectlPath(), 'label', '--local', '-R', '-f', out, 'check=ok', '-o', 'name']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const manifests = fs.readdirSync(out).filter((f) => f.endsWith('.k8s.yaml'));
    const objects = manifests.flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')));
    expect(r.stdout.trim().split('\n')).toHaveLength(objects.length);
    expect(fs.existsSync(path.join(out, 'hcloud', 'firewall.rules'))).toBe(true);
  });
});

// Hetzner's limits refused (and just accepted) as config errors with field and message: test/config-table.test.ts.

test('the limits check reads the same rules the file is written from', () => {
  const config: Config = variant((r) => (r.firewall = { operatorCidrs: ['198.51.100.0/24'], web: 'cloudflareOnly' }));
  const { rules } = rendered((r) => (r.firewall = JSON.parse(JSON.stringify(config.firewall))));
  const parsed = JSON.parse(rules) as { source_ips: string[] }[];
  const effective = parsed.reduce((n, r) => n + r.source_ips.length, 0);
  expect(effective).toBe(
    4 * config.cluster.nodes.length + 2 * 1 + 2 * (config.cloudflare.ipv4.length + config.cloudflare.ipv6.length),
  );
  expect(parsed.length).toBeLessThanOrEqual(HCLOUD_FIREWALL_LIMITS.rules);
});

describe('Hetzner names in the config', () => {
  test('each node’s Primary IP is named <name>-ipv4 unless cluster.yaml names it', () => {
    const c = variant((r) => (r.cluster.nodes[1]!.primaryIp = 'hetzner2-ip'));
    expect(c.cluster.nodes.map((n) => n.primaryIp)).toEqual([
      'ubuntu-8gb-nbg1-2-ipv4',
      'hetzner2-ip',
      'ubuntu-8gb-nbg1-3-ipv4',
    ]);
  });

  // Two nodes on one Primary IP, and names that are not one shell word: refused in test/config-table.test.ts.
});

describe('the limits check at config load and the rules file agree', () => {
  /** The check's verdict, straight from the config (config/hetzner-limits.ts). */
  const refused = (c: Config): boolean => {
    let issues = 0;
    checkHetznerLimits(c, { addIssue: () => void issues++ } as unknown as z.RefinementCtx);
    return issues > 0;
  };
  /** Hetzner's verdict on the rules the file is written from (model/cloud-firewall.ts). */
  const overLimits = (c: Config): boolean => {
    const rules = hcloudFirewallRules(c);
    return (
      rules.length > HCLOUD_FIREWALL_LIMITS.rules ||
      rules.some((r) => r.source_ips.length > HCLOUD_FIREWALL_LIMITS.sourcesPerRule) ||
      effectiveRules(rules) > HCLOUD_FIREWALL_LIMITS.effectiveRules
    );
  };
  const base = production();
  const cidrs = (n: number, prefix: number) => Array.from({ length: n }, (_, i) => `10.${prefix}.${i}.0/24`);

  test('for any lengths of the source lists, the config is refused exactly when its Cloud Firewall would exceed a limit', () => {
    fc.assert(
      fc.property(
        fc.record({
          nodes: fc.integer({ min: 1, max: 130 }),
          operators: fc.integer({ min: 0, max: 130 }),
          cloudflare4: fc.integer({ min: 0, max: 130 }),
          cloudflare6: fc.integer({ min: 0, max: 30 }),
          cloudflareOnly: fc.boolean(),
          privateNetwork: fc.boolean(),
          wireguard: fc.boolean(),
        }),
        (g) => {
          const c: Config = {
            ...base,
            cluster: {
              ...base.cluster,
              flannelBackend: g.wireguard ? 'wireguard-native' : 'vxlan',
              privateNetwork: g.privateNetwork ? { cidr: '10.0.0.0/16', interface: 'enp7s0' } : undefined,
              nodes: Array.from({ length: g.nodes }, (_, i) => ({
                ...base.cluster.nodes[0]!,
                name: `n${i}`,
                publicIPv4: `192.0.2.${i + 1}`,
                privateIPv4: g.privateNetwork ? `10.0.1.${i + 1}` : undefined,
              })),
            },
            firewall: {
              ...base.firewall,
              operatorCidrs: cidrs(g.operators, 1),
              web: g.cloudflareOnly ? 'cloudflareOnly' : 'anywhere',
            },
            cloudflare: {
              ipv4: cidrs(g.cloudflare4, 2),
              ipv6: Array.from({ length: g.cloudflare6 }, (_, i) => `2001:db8:${i.toString(16)}::/48`),
            },
          };
          expect(refused(c)).toBe(overLimits(c));
        },
      ),
      { numRuns: 300, seed: FC_SEED },
    );
  });
});
