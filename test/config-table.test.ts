import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, MAX_ALIAS_COUNT, parseConfig } from '../config/load';
import type { RawConfig } from '../config/schema';
import { run } from '../main';
import { tempDir, TEST_TOKEN, variantText } from './support';

/**
 * Bad configurations and exactly what the operator is told, in the style of cloud-init's
 * schema tests (TestWriteFilesSchema): the dotted field and the message, per problem.
 */

/** The problems of a refused YAML text, without their `line N, ` prefix. */
function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'cluster.yaml');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message.startsWith('cluster.yaml: invalid configuration\n')).toBe(true);
    return e.problems.map((p) => p.replace(/^line \d+, /, ''));
  }
  throw new Error('the configuration was accepted');
}

/** The character policy's message, as config/text.ts words it. */
const policy = (codePoint: string, name: string, at: number) =>
  `contains ${codePoint} (${name}) at character ${at}; remove it: no field may hold control characters, Unicode line or paragraph separators or a byte-order mark, because the YAML 1.1 readers of the output (cloud-init, kubectl) would read another document`;
const NEL = 'NEL, a line break to YAML 1.1';

const withPrivateNetwork = (r: any, cidr = '10.0.0.0/24') => {
  r.cluster.privateNetwork = { cidr, interface: 'enp7s0' };
  r.cluster.nodes.forEach((n: any, i: number) => (n.privateIPv4 = `${cidr.split('.').slice(0, 3).join('.')}.${i + 2}`));
};

const webPortMessage = (port: number, owner: string) =>
  `port ${port} belongs to ${owner}; the firewall opens the web ports to the world, so pick another port (80 and 443 are the usual ones)`;
const notNode = (ip: string, why: string) => `${ip} is ${why}, not an address a node can be reached at`;
const insideCluster = (ip: string, name: string, cidr: string) =>
  `${ip} lies inside cluster.${name} ${cidr}; a node address must be outside the pod and Service networks`;
const URL_ALPHABET = 'the URL may only contain letters, digits and _:/.,=+~- (it is placed in a systemd unit)';
const worldWide = (cidr: string) =>
  `${cidr} opens SSH and the Kubernetes API to (nearly) the whole internet; list your office or VPN networks instead, or, if you mean it, set firewall.allowOperatorAccessFromAnywhere: true`;

const cases: [string, (raw: any) => void, string[]][] = [
  // The character policy, in every kind of field.
  [
    'a node alias with NEL and a bootcmd (issue 13 exploit)',
    (r) => (r.cluster.nodes[0].alias = 'hetzner1\u0085bootcmd: [[touch, /tmp/pwned]]'),
    [`cluster.nodes.0.alias: ${policy('U+0085', NEL, 9)}`],
  ],
  ['an env value with LINE SEPARATOR', (r) => (r.apps.api.env.DB_SSLMODE = 'require\u2028x: y'), [`apps.api.env.DB_SSLMODE: ${policy('U+2028', 'LINE SEPARATOR, a line break to YAML 1.1', 8)}`]],
  ['an env value with PARAGRAPH SEPARATOR', (r) => (r.apps.worker.env.DB_SSLMODE = '\u2029'), [`apps.worker.env.DB_SSLMODE: ${policy('U+2029', 'PARAGRAPH SEPARATOR, a line break to YAML 1.1', 1)}`]],
  ['an env value with NEL', (r) => (r.apps.api.env.DB_SSLMODE = 'a\u0085b'), [`apps.api.env.DB_SSLMODE: ${policy('U+0085', NEL, 2)}`]],
  ['an env value with a tab', (r) => (r.apps.api.env.DB_SSLMODE = 'a\tb'), [`apps.api.env.DB_SSLMODE: ${policy('U+0009', 'TAB', 2)}`]],
  ['an env value with a line feed', (r) => (r.apps.api.env.DB_SSLMODE = 'a\nb'), [`apps.api.env.DB_SSLMODE: ${policy('U+000A', 'LINE FEED', 2)}`]],
  ['an env value with a byte-order mark', (r) => (r.apps.api.env.DB_SSLMODE = '\ufeffrequire'), [`apps.api.env.DB_SSLMODE: ${policy('U+FEFF', 'BYTE ORDER MARK', 1)}`]],
  ['an env value with a C1 control', (r) => (r.apps.api.env.DB_SSLMODE = 'a\u009bb'), [`apps.api.env.DB_SSLMODE: ${policy('U+009B', 'a control character', 2)}`]],
  ['an env value with DEL', (r) => (r.apps.api.env.DB_SSLMODE = 'a\u007f'), [`apps.api.env.DB_SSLMODE: ${policy('U+007F', 'a control character', 2)}`]],
  ['an env value with an unpaired surrogate', (r) => (r.apps.api.env.DB_SSLMODE = 'a\ud800'), [`apps.api.env.DB_SSLMODE: ${policy('U+D800', 'a control character', 2)}`]],
  [
    'an env name with NEL is shown escaped',
    (r) => (r.apps.api.env = { 'A\u0085B': 'x' }),
    [`apps.api.env["A\\u0085B"]: invalid name: ${policy('U+0085', NEL, 2)}`],
  ],
  [
    'an env value of exactly <<',
    (r) => (r.apps.api.env.DB_SSLMODE = '<<'),
    ['apps.api.env.DB_SSLMODE: a value of exactly "<<" or "=" is read by YAML 1.1 readers (PyYAML) as a merge or value indicator; choose another value'],
  ],
  [
    'an env value of exactly =',
    (r) => (r.apps.worker.env.DB_SSLMODE = '='),
    ['apps.worker.env.DB_SSLMODE: a value of exactly "<<" or "=" is read by YAML 1.1 readers (PyYAML) as a merge or value indicator; choose another value'],
  ],
  ['an env name in lower case', (r) => (r.apps.api.env = { db: 'x' }), ['apps.api.env.db: invalid name: expected an environment variable name in UPPER_SNAKE_CASE']],
  ['a host with NEL', (r) => (r.apps.api.host = 'api.myhoneydue.com\u0085'), [`apps.api.host: ${policy('U+0085', NEL, 19)}`]],
  ['an image with LINE SEPARATOR', (r) => (r.apps.redis.image = 'redis:7\u2028'), [`apps.redis.image: ${policy('U+2028', 'LINE SEPARATOR, a line break to YAML 1.1', 8)}`]],
  ['a secret name with a carriage return', (r) => (r.apps.admin.secretEnv = ['honeydue-admin-env\r']), [`apps.admin.secretEnv.0: ${policy('U+000D', 'CARRIAGE RETURN', 19)}`]],
  ['a CPU quantity with NEL', (r) => (r.apps.api.resources.cpu = '250m\u0085'), [`apps.api.resources.cpu: ${policy('U+0085', NEL, 5)}`]],
  ['a namespace with NEL', (r) => (r.namespace = 'honeydue\u0085'), [`namespace: ${policy('U+0085', NEL, 9)}`]],
  ['a K3s version with NEL', (r) => (r.k3s.version = 'v1.34.6+k3s1\u0085'), [`k3s.version: ${policy('U+0085', NEL, 13)}`]],
  ['a Hetzner server type with NEL', (r) => (r.cluster.hetzner = { serverType: 'cx33\u0085' }), [`cluster.hetzner.serverType: ${policy('U+0085', NEL, 5)}`]],
  ['a Hetzner image with a space', (r) => (r.cluster.hetzner = { image: 'ubuntu 24.04' }), ['cluster.hetzner.image: expected a Hetzner image name such as ubuntu-24.04']],
  ['a Hetzner location with a slash', (r) => (r.cluster.hetzner = { location: 'nbg1/x' }), ['cluster.hetzner.location: expected a Hetzner location such as nbg1']],
  [
    'an interface name with NEL',
    (r) => {
      withPrivateNetwork(r);
      r.cluster.privateNetwork.interface = 'enp7s0\u0085';
    },
    [`cluster.privateNetwork.interface: ${policy('U+0085', NEL, 7)}`],
  ],
  ['a release URL with NEL', (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s\u0085x'), [`k3s.releaseBaseUrl: ${policy('U+0085', NEL, 27)}`]],
  // Grammars.
  [
    'a node alias with a comment sign',
    (r) => (r.cluster.nodes[1].alias = 'hetzner2 # x'),
    ['cluster.nodes.1.alias: expected a short name such as hetzner1: letters, digits, ".", "_" and "-", at most 63 characters, starting and ending with a letter or digit'],
  ],
  [
    'a node alias with a YAML indicator',
    (r) => (r.cluster.nodes[1].alias = 'hetzner2: {a: b}'),
    ['cluster.nodes.1.alias: expected a short name such as hetzner1: letters, digits, ".", "_" and "-", at most 63 characters, starting and ending with a letter or digit'],
  ],
  ['a probe path with a space', (r) => (r.apps.api.probes.path = '/api/health check'), ['apps.api.probes.path: expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)']],
  ['a probe path with a broken escape', (r) => (r.apps.api.probes.path = '/api/%zz'), ['apps.api.probes.path: expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)']],
  ['a probe path with a fragment', (r) => (r.apps.api.probes.path = '/api#x'), ['apps.api.probes.path: expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)']],
  [
    'a release URL with credentials',
    (r) => (r.k3s.releaseBaseUrl = 'https://user:secret@mirror.example/k3s'),
    ['k3s.releaseBaseUrl: the URL has credentials (user:password@); the URL is written into a world-readable unit: use a mirror that needs none', `k3s.releaseBaseUrl: ${URL_ALPHABET}`],
  ],
  [
    'a release URL with a query',
    (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s?token=x'),
    ['k3s.releaseBaseUrl: the URL has a query (?…); <version>/k3s is appended to the URL, so give the base path only', `k3s.releaseBaseUrl: ${URL_ALPHABET}`],
  ],
  [
    'a release URL with a fragment',
    (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s#x'),
    ['k3s.releaseBaseUrl: the URL has a fragment (#…); <version>/k3s is appended to the URL, so give the base path only', `k3s.releaseBaseUrl: ${URL_ALPHABET}`],
  ],
  ['a release URL with a semicolon', (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s;reboot'), [`k3s.releaseBaseUrl: ${URL_ALPHABET}`]],
  // Ports.
  ['the web port on the Kubernetes API', (r) => (r.traefik.webPort = 6443), [`traefik.webPort: ${webPortMessage(6443, 'the Kubernetes API (K3s)')}`]],
  ['the web port on SSH', (r) => (r.traefik.webPort = 22), [`traefik.webPort: ${webPortMessage(22, 'SSH')}`]],
  ['the websecure port on the kubelet', (r) => (r.traefik.websecurePort = 10250), [`traefik.websecurePort: ${webPortMessage(10250, 'the kubelet (K3s)')}`]],
  ['the web port on etcd client', (r) => (r.traefik.webPort = 2379), [`traefik.webPort: ${webPortMessage(2379, 'etcd (K3s)')}`]],
  ['the websecure port on etcd peer', (r) => (r.traefik.websecurePort = 2380), [`traefik.websecurePort: ${webPortMessage(2380, 'etcd (K3s)')}`]],
  ['both web ports the same', (r) => (r.traefik.webPort = 443), ['traefik.websecurePort: port 443 is also traefik.webPort; the two entrypoints need two ports']],
  // Networks.
  ['pod and service CIDRs equal', (r) => (r.cluster.podCidr = '10.43.0.0/16'), ['cluster.serviceCidr: 10.43.0.0/16 overlaps cluster.podCidr 10.43.0.0/16; pods and Services need separate networks']],
  ['a pod CIDR that contains the service CIDR', (r) => (r.cluster.podCidr = '10.42.0.0/15'), ['cluster.serviceCidr: 10.43.0.0/16 overlaps cluster.podCidr 10.42.0.0/15; pods and Services need separate networks']],
  [
    'a pod CIDR over the private network',
    (r) => {
      withPrivateNetwork(r, '10.42.5.0/24');
    },
    [
      'cluster.podCidr: 10.42.0.0/16 overlaps cluster.privateNetwork.cidr 10.42.5.0/24; choose a podCidr outside the private network',
      insideCluster('10.42.5.2', 'podCidr', '10.42.0.0/16').replace(/^/, 'cluster.nodes.0.privateIPv4: '),
      insideCluster('10.42.5.3', 'podCidr', '10.42.0.0/16').replace(/^/, 'cluster.nodes.1.privateIPv4: '),
      insideCluster('10.42.5.4', 'podCidr', '10.42.0.0/16').replace(/^/, 'cluster.nodes.2.privateIPv4: '),
    ],
  ],
  [
    'a service CIDR inside the private network',
    (r) => {
      withPrivateNetwork(r, '10.0.0.0/8');
      r.cluster.podCidr = '172.16.0.0/16';
      r.cluster.serviceCidr = '10.43.0.0/16';
    },
    ['cluster.serviceCidr: 10.43.0.0/16 overlaps cluster.privateNetwork.cidr 10.0.0.0/8; choose a serviceCidr outside the private network'],
  ],
  ['a node address inside the pod CIDR', (r) => (r.cluster.nodes[2].publicIPv4 = '10.42.0.7'), [`cluster.nodes.2.publicIPv4: ${insideCluster('10.42.0.7', 'podCidr', '10.42.0.0/16')}`]],
  ['a node address inside the service CIDR', (r) => (r.cluster.nodes[0].publicIPv4 = '10.43.9.9'), [`cluster.nodes.0.publicIPv4: ${insideCluster('10.43.9.9', 'serviceCidr', '10.43.0.0/16')}`]],
  ['a node on the metadata address', (r) => (r.cluster.nodes[0].publicIPv4 = '169.254.169.254'), [`cluster.nodes.0.publicIPv4: ${notNode('169.254.169.254', 'link-local (169.254.0.0/16, where the metadata service lives)')}`]],
  ['a loopback node address', (r) => (r.cluster.nodes[0].publicIPv4 = '127.0.0.1'), [`cluster.nodes.0.publicIPv4: ${notNode('127.0.0.1', 'a loopback address (127.0.0.0/8)')}`]],
  ['a multicast node address', (r) => (r.cluster.nodes[0].publicIPv4 = '224.0.0.251'), [`cluster.nodes.0.publicIPv4: ${notNode('224.0.0.251', 'a multicast address (224.0.0.0/4)')}`]],
  ['the unspecified node address', (r) => (r.cluster.nodes[0].publicIPv4 = '0.0.0.0'), [`cluster.nodes.0.publicIPv4: ${notNode('0.0.0.0', 'the unspecified address (0.0.0.0/8)')}`]],
  ['the broadcast node address', (r) => (r.cluster.nodes[0].publicIPv4 = '255.255.255.255'), [`cluster.nodes.0.publicIPv4: ${notNode('255.255.255.255', 'the broadcast address')}`]],
  ['a reserved node address', (r) => (r.cluster.nodes[0].publicIPv4 = '240.0.0.1'), [`cluster.nodes.0.publicIPv4: ${notNode('240.0.0.1', 'in a reserved range')}`]],
  [
    'a link-local private address',
    (r) => {
      withPrivateNetwork(r, '169.254.0.0/24');
    },
    [0, 1, 2].map((i) => `cluster.nodes.${i}.privateIPv4: ${notNode(`169.254.0.${i + 2}`, 'link-local (169.254.0.0/16, where the metadata service lives)')}`),
  ],
  ['the DNS address outside the service CIDR', (r) => (r.cluster.clusterDns = '10.42.0.10'), ['cluster.clusterDns: 10.42.0.10 is outside cluster.serviceCidr 10.43.0.0/16']],
  // The world as operator network.
  ['operator access from 0.0.0.0/0', (r) => (r.firewall.operatorCidrs = ['198.51.100.0/24', '0.0.0.0/0']), [`firewall.operatorCidrs.1: ${worldWide('0.0.0.0/0')}`]],
  ['operator access from half the internet', (r) => (r.firewall.operatorCidrs = ['128.0.0.0/1']), [`firewall.operatorCidrs.0: ${worldWide('128.0.0.0/1')}`]],
  ['operator access from a /7', (r) => (r.firewall.operatorCidrs = ['10.0.0.0/7']), [`firewall.operatorCidrs.0: ${worldWide('10.0.0.0/7')}`]],
];

describe('a bad configuration names the field and the problem', () => {
  test.each(cases)('%s', (_name, change, expected) => {
    expect(problemsOf(variantText(change))).toEqual(expected);
  });
});

describe('what the checks still accept', () => {
  const accepted: [string, (raw: RawConfig & any) => void][] = [
    ['TEST-NET node addresses (the system and VM tests use them)', (r) => r.cluster.nodes.forEach((n: any, i: number) => (n.publicIPv4 = ['192.0.2.11', '198.51.100.12', '203.0.113.13'][i]))],
    ['private node addresses outside the cluster networks', (r) => (r.cluster.nodes[0].publicIPv4 = '10.44.0.1')],
    ['a private network beside the cluster networks', (r) => withPrivateNetwork(r)],
    ['0.0.0.0/0 when firewall.allowOperatorAccessFromAnywhere says so', (r) => (r.firewall = { ...r.firewall, operatorCidrs: ['0.0.0.0/0'], allowOperatorAccessFromAnywhere: true })],
    ['a /8 operator network', (r) => (r.firewall.operatorCidrs = ['10.0.0.0/8'])],
    ['web ports off the K3s and SSH ports', (r) => (r.traefik = { ...r.traefik, webPort: 8080, websecurePort: 8443 })],
    ['an alias with dots, dashes and underscores', (r) => (r.cluster.nodes[0].alias = 'Hetzner_1.nbg-a')],
    ['an env value full of YAML indicators', (r) => (r.apps.api.env.DB_SSLMODE = "- ? : , [ ] { } # & * ! | > ' \" % @ ` --- ... yes ~ <<")],
    ['a probe path with a query and escapes', (r) => (r.apps.api.probes.path = '/api/health/?full=1&x=%2F')],
    ['an http release URL with a pin and a port', (r) => (r.k3s = { ...r.k3s, releaseBaseUrl: 'http://192.0.2.1:8080/k3s', sha256: 'a'.repeat(64) })],
  ];
  test.each(accepted)('%s', (_name, change) => {
    expect(() => parseConfig(variantText(change), 'cluster.yaml')).not.toThrow();
  });
});

/** "Billion laughs": eight levels of ten aliases each, 10^8 strings once expanded. */
function aliasBomb(): string {
  const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`)];
  return `${levels.join('\n')}\n`;
}

test(`a YAML alias bomb is a configuration error, not a crash (at most ${MAX_ALIAS_COUNT} alias expansions)`, () => {
  expect(problemsOf(aliasBomb())).toEqual([
    `its YAML aliases (*name) expand too far (more than ${MAX_ALIAS_COUNT} expansions; nested aliases grow exponentially): write the values out instead of aliasing them`,
  ]);
});

test('a few aliases, as a hand-written file may use, are fine', () => {
  const production = fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8');
  const text = production
    .replace('resources: { cpu: 250m, memory: 256Mi, memoryLimit: 512Mi }', 'resources: &res { cpu: 250m, memory: 256Mi, memoryLimit: 512Mi }')
    .replace('resources: { cpu: 200m, memory: 256Mi, memoryLimit: 512Mi }', 'resources: *res');
  expect(text).toContain('resources: *res');
  const c = parseConfig(text, 'cluster.yaml');
  expect(c.apps.worker.resources).toEqual({ cpu: '250m', memory: '256Mi', memoryLimit: '512Mi' });
});

test('the CLI turns an alias bomb into one error line and exit 1, writing nothing', async () => {
  const dir = tempDir('bomb');
  const file = path.join(dir, 'cluster.yaml');
  fs.writeFileSync(file, aliasBomb());
  const out = path.join(dir, 'dist');
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await run(['--config', file], { CDK8S_OUTDIR: out, K3S_TOKEN: TEST_TOKEN })).toBe(1);
    expect(stderr.mock.calls).toEqual([[`error: ${file}: invalid configuration\n  - its YAML aliases (*name) expand too far (more than ${MAX_ALIAS_COUNT} expansions; nested aliases grow exponentially): write the values out instead of aliasing them`]]);
  } finally {
    stderr.mockRestore();
  }
  expect(fs.readdirSync(dir)).toEqual(['cluster.yaml']);
});
