import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, loadConfig, MAX_ALIAS_COUNT, MAX_CONFIG_BYTES, parseConfig } from '../config/load';
import type { RawConfig } from '../config/schema';
import { TOOL_ENV } from '../config/tool-env';
import { run } from '../main';
import { synthObjects, tempDir, TEST_TOKEN, variant, variantText } from './support';

/**
 * Bad configurations and exactly what the operator is told, in the style of cloud-init's
 * schema tests (TestWriteFilesSchema): the dotted field and the message, per problem. This is
 * the one table of refused configurations: a new check of the configuration adds its rows
 * here. The checks run as the CLI runs them (config/ holds every check).
 */

/** The problems of a refused YAML text, as the operator reads them (each with its `line N, `). */
function refusal(text: string, source = 'cluster.yaml'): readonly string[] {
  try {
    parseConfig(text, source);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message.startsWith(`${source}: invalid configuration\n`)).toBe(true);
    return e.problems;
  }
  throw new Error('the configuration was accepted');
}

/** The problems of a refused YAML text, without their `line N, ` prefix (which every problem has). */
function problemsOf(text: string): string[] {
  const problems = refusal(text);
  for (const p of problems) expect(p).toMatch(/^line \d+, /);
  return problems.map((p) => p.replace(/^line \d+, /, ''));
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
  `port ${port} belongs to ${owner}, which listens on it on every node (config/node-ports.ts): Traefik could not bind it, and the firewall opens the web ports to the world. Pick another port (80 and 443 are the usual ones)`;
/** The refusal of a bidi control or a zero-width character, as config/text.ts words it. */
const invisible = (codePoint: string, at: number, bidi: boolean) =>
  `contains ${codePoint} (${bidi ? 'a bidi control, which reorders the text around it' : 'a zero-width character, which hides a difference between two values'}) at character ${at}; remove it: a person reads this value in the manifests, in kubectl's output or in a printed command, and would not see what is stored`;
const namespaceMessage = (ns: string, owner: string) =>
  `${ns} belongs to ${owner}; the stack labels its namespace Pod Security "restricted", which would refuse those pods. Choose a namespace of the workloads' own, such as honeydue`;
const notNode = (ip: string, why: string) => `${ip} is ${why}, not an address a node can be reached at`;
const insideCluster = (ip: string, name: string, cidr: string) =>
  `${ip} lies inside cluster.${name} ${cidr}; a node address must be outside the pod and Service networks`;
const URL_ALPHABET = 'the URL may only contain letters, digits and _:/.,=+~- (it is placed in a systemd unit)';
const worldWide = (cidr: string) =>
  `${cidr} opens SSH and the Kubernetes API to (nearly) the whole internet; list your office or VPN networks instead, or, if you mean it, set firewall.allowOperatorAccessFromAnywhere: true`;

const NO_TAG =
  'image has no tag; pin a version tag (name:1.2.3) or a digest (name@sha256:…) so every node runs the same build';
const LABEL = 'expected a lower-case DNS label (a-z, 0-9, "-", at most 63 characters)';
const subnets = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}.${i}.0/24`);
/** 90 operator CIDRs × 2 ports + 100 Cloudflare ranges × 2 ports + nodes × 4 cluster ports. */
const bigFirewall = (nodes: number) => (r: any) => {
  r.firewall = { operatorCidrs: subnets(90, '10.1'), web: 'cloudflareOnly' };
  r.cloudflare = { ipv4: subnets(100, '10.2'), ipv6: [] };
  r.cluster.nodes = Array.from({ length: nodes }, (_, i) => ({ name: `node-${i}`, publicIPv4: `192.0.2.${i + 1}` }));
};
const snapshots = (change: Record<string, unknown>) => (r: any) =>
  (r.etcdSnapshots = { ...r.etcdSnapshots, ...change });
const fields = (n: number) =>
  `expected a 5-field cron expression (minute hour day-of-month month day-of-week) such as "0 */6 * * *", got ${n} ` +
  `field(s)`;
const IP_HOST =
  'an IP address is not a host name: Kubernetes refuses an Ingress rule whose host is an IP address; ' +
  'use the DNS name the requests carry, such as api.myhoneydue.com';
const INT32 =
  'expected at most 2147483647: the Kubernetes field is a 32-bit integer (int32), so the API server refuses a larger ' +
  'number';
const UID =
  'expected a UID of at most 2147483647: Kubernetes refuses larger UIDs and GIDs ' +
  '(the field is 64-bit, but its check allows 0 to 2147483647)';
const dns = (ip: string, what: string) =>
  `cluster.clusterDns: ${ip} is ${what}; CoreDNS needs an address of its own: use 10.43.0.10, K3s's default`;
const podRoom = (cidr: string, room: number, nodes: number, prefix: number) =>
  `cluster.podCidr: ${cidr} has room for ${room} node pod range(s) of /24 but cluster.nodes lists ${nodes}: ` +
  'kube-controller-manager gives every node a /24 (K3s sets no node-cidr-mask-size), and a node without one gets ' +
  `no pod network; use a /${prefix} or larger, such as 10.42.0.0/16 (K3s's default)`;
const ownNetwork = (i: number, cidr: string, name: string, cluster: string) =>
  `firewall.operatorCidrs.${i}: ${cidr} overlaps cluster.${name} ${cluster}: those are the cluster's own addresses, ` +
  'which the firewall admits already, and no operator connects from them; list only the networks operators connect ' +
  'from';
const unreachable = (i: number, cidr: string, range: string, what: string) =>
  `firewall.operatorCidrs.${i}: ${cidr} overlaps ${range} (${what}), from which no operator connects; list your ` +
  `office or VPN networks`;
const ZERO_CPU =
  'a CPU quantity of 0 asks for nothing: the scheduler and the capacity check would count the pod as free; ' +
  'give what it needs, such as "100m"';
const ZERO_MEMORY =
  'a memory quantity of 0 is never enough: no pod runs and no volume holds data in 0 bytes; ' +
  'give the size it needs, such as "256Mi"';
const never = (months: string, days: string) =>
  `etcdSnapshots.schedule: cron: no month in "${months}" has a day in "${days}", so the schedule never fires and no ` +
  'snapshot would ever be taken; choose days that exist in those months (February has at most 29)';
const k3sMinor = (version: string) =>
  `k3s.version: ${version} is not a v1.34.x release: this project's K3s facts (server flags, bundled Traefik chart, ` +
  'token forms, upgrade image) are checked for v1.34 only; use a v1.34 release such as v1.34.6+k3s1, ' +
  'or re-check those facts before moving to another minor';

type Row = [string, (raw: any) => void, string[]];

const cases: Row[] = [
  // The character policy, in every kind of field.
  [
    'a node alias with NEL and a bootcmd (issue 13 exploit)',
    (r) => (r.cluster.nodes[0].alias = 'hetzner1\u0085bootcmd: [[touch, /tmp/pwned]]'),
    [`cluster.nodes.0.alias: ${policy('U+0085', NEL, 9)}`],
  ],
  [
    'an env value with LINE SEPARATOR',
    (r) => (r.apps.api.env.DB_SSLMODE = 'require\u2028x: y'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+2028', 'LINE SEPARATOR, a line break to YAML 1.1', 8)}`],
  ],
  [
    'an env value with PARAGRAPH SEPARATOR',
    (r) => (r.apps.worker.env.DB_SSLMODE = '\u2029'),
    [`apps.worker.env.DB_SSLMODE: ${policy('U+2029', 'PARAGRAPH SEPARATOR, a line break to YAML 1.1', 1)}`],
  ],
  [
    'an env value with NEL',
    (r) => (r.apps.api.env.DB_SSLMODE = 'a\u0085b'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+0085', NEL, 2)}`],
  ],
  [
    'an env value with a tab',
    (r) => (r.apps.api.env.DB_SSLMODE = 'a\tb'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+0009', 'TAB', 2)}`],
  ],
  [
    'an env value with a line feed',
    (r) => (r.apps.api.env.DB_SSLMODE = 'a\nb'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+000A', 'LINE FEED', 2)}`],
  ],
  [
    'an env value with a byte-order mark',
    (r) => (r.apps.api.env.DB_SSLMODE = '\ufeffrequire'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+FEFF', 'BYTE ORDER MARK', 1)}`],
  ],
  [
    'an env value with a C1 control',
    (r) => (r.apps.api.env.DB_SSLMODE = 'a\u009bb'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+009B', 'a control character', 2)}`],
  ],
  [
    'an env value with DEL',
    (r) => (r.apps.api.env.DB_SSLMODE = 'a\u007f'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+007F', 'a control character', 2)}`],
  ],
  [
    'an env value with an unpaired surrogate',
    (r) => (r.apps.api.env.DB_SSLMODE = 'a\ud800'),
    [`apps.api.env.DB_SSLMODE: ${policy('U+D800', 'a control character', 2)}`],
  ],
  [
    'an env name with NEL is shown escaped',
    (r) => (r.apps.api.env = { 'A\u0085B': 'x' }),
    [`apps.api.env["A\\u{0085}B"]: invalid name: ${policy('U+0085', NEL, 2)}`],
  ],
  [
    'an env value of exactly <<',
    (r) => (r.apps.api.env.DB_SSLMODE = '<<'),
    [
      'apps.api.env.DB_SSLMODE: a value of exactly "<<" or "=" is read by YAML 1.1 readers (PyYAML) as a merge or value indicator; choose another value',
    ],
  ],
  [
    'an env value of exactly =',
    (r) => (r.apps.worker.env.DB_SSLMODE = '='),
    [
      'apps.worker.env.DB_SSLMODE: a value of exactly "<<" or "=" is read by YAML 1.1 readers (PyYAML) as a merge or value indicator; choose another value',
    ],
  ],
  [
    'an env name in lower case',
    (r) => (r.apps.api.env = { db: 'x' }),
    ['apps.api.env.db: invalid name: expected an environment variable name in UPPER_SNAKE_CASE'],
  ],
  [
    'a host with NEL',
    (r) => (r.apps.api.host = 'api.myhoneydue.com\u0085'),
    [`apps.api.host: ${policy('U+0085', NEL, 19)}`],
  ],
  [
    'an image with LINE SEPARATOR',
    (r) => (r.apps.redis.image = 'redis:7\u2028'),
    [`apps.redis.image: ${policy('U+2028', 'LINE SEPARATOR, a line break to YAML 1.1', 8)}`],
  ],
  [
    'a secret name with a carriage return',
    (r) => (r.apps.admin.secretEnv = ['honeydue-admin-env\r']),
    [`apps.admin.secretEnv.0: ${policy('U+000D', 'CARRIAGE RETURN', 19)}`],
  ],
  [
    'a CPU quantity with NEL',
    (r) => (r.apps.api.resources.cpu = '250m\u0085'),
    [`apps.api.resources.cpu: ${policy('U+0085', NEL, 5)}`],
  ],
  ['a namespace with NEL', (r) => (r.namespace = 'honeydue\u0085'), [`namespace: ${policy('U+0085', NEL, 9)}`]],
  [
    'a K3s version with NEL',
    (r) => (r.k3s.version = 'v1.34.6+k3s1\u0085'),
    [`k3s.version: ${policy('U+0085', NEL, 13)}`],
  ],
  [
    'a Hetzner server type with NEL',
    (r) => (r.cluster.hetzner = { serverType: 'cx33\u0085' }),
    [`cluster.hetzner.serverType: ${policy('U+0085', NEL, 5)}`],
  ],
  [
    'a Hetzner image with a space',
    (r) => (r.cluster.hetzner = { image: 'ubuntu 24.04' }),
    ['cluster.hetzner.image: expected a Hetzner image name such as ubuntu-24.04'],
  ],
  [
    'a Hetzner location with a slash',
    (r) => (r.cluster.hetzner = { location: 'nbg1/x' }),
    ['cluster.hetzner.location: expected a Hetzner location such as nbg1'],
  ],
  [
    'an interface name with NEL',
    (r) => {
      withPrivateNetwork(r);
      r.cluster.privateNetwork.interface = 'enp7s0\u0085';
    },
    [`cluster.privateNetwork.interface: ${policy('U+0085', NEL, 7)}`],
  ],
  [
    'a release URL with NEL',
    (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s\u0085x'),
    [`k3s.releaseBaseUrl: ${policy('U+0085', NEL, 27)}`],
  ],
  // Grammars.
  [
    'a node alias with a comment sign',
    (r) => (r.cluster.nodes[1].alias = 'hetzner2 # x'),
    [
      'cluster.nodes.1.alias: expected a short name such as hetzner1: letters, digits, ".", "_" and "-", at most 63 characters, starting and ending with a letter or digit',
    ],
  ],
  [
    'a node alias with a YAML indicator',
    (r) => (r.cluster.nodes[1].alias = 'hetzner2: {a: b}'),
    [
      'cluster.nodes.1.alias: expected a short name such as hetzner1: letters, digits, ".", "_" and "-", at most 63 characters, starting and ending with a letter or digit',
    ],
  ],
  [
    'a probe path with a space',
    (r) => (r.apps.api.probes.path = '/api/health check'),
    [
      'apps.api.probes.path: expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)',
    ],
  ],
  [
    'a probe path with a broken escape',
    (r) => (r.apps.api.probes.path = '/api/%zz'),
    [
      'apps.api.probes.path: expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)',
    ],
  ],
  [
    'a probe path with a fragment',
    (r) => (r.apps.api.probes.path = '/api#x'),
    [
      'apps.api.probes.path: expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)',
    ],
  ],
  [
    'a release URL with credentials',
    (r) => (r.k3s.releaseBaseUrl = 'https://user:secret@mirror.example/k3s'),
    [
      'k3s.releaseBaseUrl: the URL has credentials (user:password@); the URL is written into a world-readable unit: use a mirror that needs none',
      `k3s.releaseBaseUrl: ${URL_ALPHABET}`,
    ],
  ],
  [
    'a release URL with a query',
    (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s?token=x'),
    [
      'k3s.releaseBaseUrl: the URL has a query (?…); <version>/k3s is appended to the URL, so give the base path only',
      `k3s.releaseBaseUrl: ${URL_ALPHABET}`,
    ],
  ],
  [
    'a release URL with a fragment',
    (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s#x'),
    [
      'k3s.releaseBaseUrl: the URL has a fragment (#…); <version>/k3s is appended to the URL, so give the base path only',
      `k3s.releaseBaseUrl: ${URL_ALPHABET}`,
    ],
  ],
  [
    'a release URL with a semicolon',
    (r) => (r.k3s.releaseBaseUrl = 'https://mirror.example/k3s;reboot'),
    [`k3s.releaseBaseUrl: ${URL_ALPHABET}`],
  ],
  // Ports.
  [
    'the web port on the Kubernetes API',
    (r) => (r.traefik.webPort = 6443),
    [`traefik.webPort: ${webPortMessage(6443, 'the Kubernetes API and the K3s supervisor')}`],
  ],
  ['the web port on SSH', (r) => (r.traefik.webPort = 22), [`traefik.webPort: ${webPortMessage(22, 'SSH')}`]],
  [
    'the websecure port on the kubelet',
    (r) => (r.traefik.websecurePort = 10250),
    [`traefik.websecurePort: ${webPortMessage(10250, 'the kubelet (K3s)')}`],
  ],
  [
    'the web port on etcd client',
    (r) => (r.traefik.webPort = 2379),
    [`traefik.webPort: ${webPortMessage(2379, 'etcd, client (K3s)')}`],
  ],
  [
    'the websecure port on etcd peer',
    (r) => (r.traefik.websecurePort = 2380),
    [`traefik.websecurePort: ${webPortMessage(2380, 'etcd, peers (K3s)')}`],
  ],
  ...(
    [
      [8080, "Traefik's own traefik entry point (ping)"],
      [6444, 'kube-apiserver behind the K3s supervisor'],
      [10248, "the kubelet's healthz"],
      [10256, "kube-proxy's healthz"],
      [10257, 'kube-controller-manager (K3s)'],
      [10258, "K3s's cloud-controller-manager"],
      [10259, 'kube-scheduler (K3s)'],
      [2381, 'etcd metrics (K3s)'],
      [53, "systemd-resolved's DNS stub listener (127.0.0.53)"],
    ] as const
  ).map(([port, owner]): Row => [
    `the web port on ${port}, where ${owner} listens`,
    (r) => (r.traefik.webPort = port),
    [`traefik.webPort: ${webPortMessage(port, owner)}`],
  ]),
  ...(['kube-system', 'kube-public', 'kube-node-lease', 'default', 'system-upgrade'] as const).map((ns): Row => [
    `the namespace ${ns}`,
    (r) => (r.namespace = ns),
    [
      `namespace: ${namespaceMessage(
        ns,
        {
          'kube-system': 'Kubernetes and K3s (CoreDNS, Traefik, the Helm jobs, metrics-server)',
          'kube-public': 'Kubernetes (the cluster-info ConfigMap, readable by anyone)',
          'kube-node-lease': "Kubernetes (the nodes' heartbeat Leases)",
          default: 'Kubernetes (the kubernetes Service; everything without a namespace lands there)',
          'system-upgrade': "system-upgrade-controller, whose Jobs need Pod Security 'privileged'",
        }[ns],
      )}`,
    ],
  ]),
  [
    'a right-to-left override in an env value',
    (r) => (r.apps.api.env.DB_SSLMODE = 'req\u202Eeriuq'),
    [`apps.api.env.DB_SSLMODE: ${invisible('U+202E', 4, true)}`],
  ],
  [
    'a bidi isolate in a host',
    (r) => (r.apps.admin.host = 'admin\u2066.myhoneydue.com'),
    [`apps.admin.host: ${invisible('U+2066', 6, true)}`],
  ],
  [
    'a zero-width space in a host',
    (r) => (r.apps.api.host = 'api.my\u200Bhoneydue.com'),
    [`apps.api.host: ${invisible('U+200B', 7, false)}`],
  ],
  [
    'a zero-width joiner in an env value',
    (r) => (r.apps.worker.env.QUEUE = 'a\u200Db'),
    [`apps.worker.env.QUEUE: ${invisible('U+200D', 2, false)}`],
  ],
  [
    'a left-to-right mark in an image',
    (r) => (r.apps.redis.image = '\u200Eredis:7.4'),
    [`apps.redis.image: ${invisible('U+200E', 1, true)}`],
  ],
  [
    'an env value over 32 KiB',
    (r) => (r.apps.api.env.BIG = 'x'.repeat(32 * 1024 + 1)),
    [
      'apps.api.env.BIG: expected at most 32768 characters: kubectl apply stores the whole Deployment in an annotation that Kubernetes caps at 256 KiB; put a value this large in a ConfigMap or a Secret (secretEnv) instead',
    ],
  ],
  [
    "an app's variables together over 128 KiB, named by the largest",
    (r) => {
      r.apps.admin.env = {};
      for (let i = 0; i < 4; i++) r.apps.admin.env[`PART_${i}`] = 'y'.repeat(30 * 1024);
      r.apps.admin.env.LARGEST = '<'.repeat(8 * 1024);
    },
    [
      `apps.admin.env.LARGEST: apps.admin.env takes ${4 * (6 + 30 * 1024 + 22) + (7 + 6 * 8 * 1024 + 22)} bytes as kubectl writes it, more than 131072: kubectl apply stores the whole Deployment in an annotation that Kubernetes caps at 256 KiB. Move the largest values (this one first) into a ConfigMap or a Secret (secretEnv)`,
    ],
  ],
  [
    'a plain field over 1024 characters',
    (r) => (r.apps.api.image = `ghcr.io/${'a'.repeat(1024)}:1.0`),
    ['apps.api.image: expected at most 1024 characters; no field of this file needs more'],
  ],
  [
    'both web ports the same',
    (r) => (r.traefik.webPort = 443),
    ['traefik.websecurePort: port 443 is also traefik.webPort; the two entrypoints need two ports'],
  ],
  // Networks.
  [
    'pod and service CIDRs equal',
    (r) => (r.cluster.podCidr = '10.43.0.0/16'),
    [
      'cluster.serviceCidr: 10.43.0.0/16 overlaps cluster.podCidr 10.43.0.0/16; pods and Services need separate networks',
    ],
  ],
  [
    'a pod CIDR that contains the service CIDR',
    (r) => (r.cluster.podCidr = '10.42.0.0/15'),
    [
      'cluster.serviceCidr: 10.43.0.0/16 overlaps cluster.podCidr 10.42.0.0/15; pods and Services need separate networks',
    ],
  ],
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
    [
      'cluster.serviceCidr: 10.43.0.0/16 overlaps cluster.privateNetwork.cidr 10.0.0.0/8; choose a serviceCidr outside the private network',
    ],
  ],
  [
    'a node address inside the pod CIDR',
    (r) => (r.cluster.nodes[2].publicIPv4 = '10.42.0.7'),
    [`cluster.nodes.2.publicIPv4: ${insideCluster('10.42.0.7', 'podCidr', '10.42.0.0/16')}`],
  ],
  [
    'a node address inside the service CIDR',
    (r) => (r.cluster.nodes[0].publicIPv4 = '10.43.9.9'),
    [`cluster.nodes.0.publicIPv4: ${insideCluster('10.43.9.9', 'serviceCidr', '10.43.0.0/16')}`],
  ],
  [
    'a node on the metadata address',
    (r) => (r.cluster.nodes[0].publicIPv4 = '169.254.169.254'),
    [
      `cluster.nodes.0.publicIPv4: ${notNode('169.254.169.254', 'link-local (169.254.0.0/16, where the metadata service lives)')}`,
    ],
  ],
  [
    'a loopback node address',
    (r) => (r.cluster.nodes[0].publicIPv4 = '127.0.0.1'),
    [`cluster.nodes.0.publicIPv4: ${notNode('127.0.0.1', 'a loopback address (127.0.0.0/8)')}`],
  ],
  [
    'a multicast node address',
    (r) => (r.cluster.nodes[0].publicIPv4 = '224.0.0.251'),
    [`cluster.nodes.0.publicIPv4: ${notNode('224.0.0.251', 'a multicast address (224.0.0.0/4)')}`],
  ],
  [
    'the unspecified node address',
    (r) => (r.cluster.nodes[0].publicIPv4 = '0.0.0.0'),
    [`cluster.nodes.0.publicIPv4: ${notNode('0.0.0.0', 'the unspecified address (0.0.0.0/8)')}`],
  ],
  [
    'the broadcast node address',
    (r) => (r.cluster.nodes[0].publicIPv4 = '255.255.255.255'),
    [`cluster.nodes.0.publicIPv4: ${notNode('255.255.255.255', 'the broadcast address')}`],
  ],
  [
    'a reserved node address',
    (r) => (r.cluster.nodes[0].publicIPv4 = '240.0.0.1'),
    [`cluster.nodes.0.publicIPv4: ${notNode('240.0.0.1', 'in a reserved range')}`],
  ],
  [
    'a link-local private address',
    (r) => {
      withPrivateNetwork(r, '169.254.0.0/24');
    },
    [0, 1, 2].map(
      (i) =>
        `cluster.nodes.${i}.privateIPv4: ${notNode(`169.254.0.${i + 2}`, 'link-local (169.254.0.0/16, where the metadata service lives)')}`,
    ),
  ],
  [
    'the DNS address outside the service CIDR',
    (r) => (r.cluster.clusterDns = '10.42.0.10'),
    ['cluster.clusterDns: 10.42.0.10 is outside cluster.serviceCidr 10.43.0.0/16'],
  ],
  // The world as operator network.
  [
    'operator access from 0.0.0.0/0',
    (r) => (r.firewall.operatorCidrs = ['198.51.100.0/24', '0.0.0.0/0']),
    [`firewall.operatorCidrs.1: ${worldWide('0.0.0.0/0')}`],
  ],
  [
    'operator access from half the internet',
    (r) => (r.firewall.operatorCidrs = ['128.0.0.0/1']),
    [`firewall.operatorCidrs.0: ${worldWide('128.0.0.0/1')}`],
  ],
  [
    'operator access from a /7',
    (r) => (r.firewall.operatorCidrs = ['10.0.0.0/7']),
    [`firewall.operatorCidrs.0: ${worldWide('10.0.0.0/7')}`],
  ],
  // Images, names, ports and types.
  [
    'an unknown field',
    (r) => (r.apps.api.replicaCount = 3),
    ['apps.api: unknown field "replicaCount"; check the spelling against .schema/cluster.schema.json or remove it'],
  ],
  [
    'an image without a tag',
    (r) => (r.apps.api.image = 'ghcr.io/myhoneydue/honeydue-api'),
    [`apps.api.image: ${NO_TAG}`],
  ],
  [
    'an image on :latest',
    (r) => (r.apps.admin.image = 'ghcr.io/myhoneydue/honeydue-admin:latest'),
    [
      'apps.admin.image: image uses the mutable tag "latest"; pin a version tag or a digest so a restart cannot ' +
        'change the build',
    ],
  ],
  [
    'a registry port is not a tag',
    (r) => (r.apps.api.image = 'registry.local:5000/api'),
    [`apps.api.image: ${NO_TAG}`],
  ],
  [
    'worker replicas of 2',
    (r) => (r.apps.worker.replicas = 2),
    [
      'apps.worker.replicas: worker replicas must be exactly 1: the Asynq scheduler inside the worker is a ' +
        'singleton, and a second replica would enqueue every scheduled job twice',
    ],
  ],
  [
    'an invalid hostname',
    (r) => (r.apps.api.host = 'api_.myhoneydue.com'),
    ['apps.api.host: expected a lower-case DNS name (RFC 1123) such as api.myhoneydue.com'],
  ],
  ['a port out of range', (r) => (r.apps.api.port = 80000), ['apps.api.port: expected a port between 1 and 65535']],
  ['a port that is not a number', (r) => (r.apps.redis.port = '6379/tcp'), ['apps.redis.port: expected a port number']],
  ['a missing required field', (r) => delete r.apps.api.image, ['apps.api.image: missing; expected string']],
  [
    'a CIDR with host bits set',
    (r) => (r.cluster.podCidr = '10.42.0.1/16'),
    ['cluster.podCidr: 10.42.0.1/16 has host bits set; expected the network address, 10.42.0.0/16'],
  ],
  [
    'an IPv6 CIDR with host bits set',
    (r) => (r.cloudflare.ipv6 = ['2400:cb00::1/32']),
    ['cloudflare.ipv6.0: 2400:cb00::1/32 has host bits set; expected the network address, 2400:cb00::/32'],
  ],
  [
    'a memory limit below the request',
    (r) => (r.apps.api.resources.memoryLimit = '128Mi'),
    ['apps.api.resources.memoryLimit: memoryLimit is below the memory request; the limit must be at least the request'],
  ],
  [
    'requests that would not survive a node drain',
    (r) => (r.apps.api.replicas = 40),
    [
      'apps: pod requests need 10500 CPU (millicores) but 2 node(s) left after a drain offer 6000; ' +
        'lower replicas or requests, or raise cluster.nodeCapacity',
    ],
  ],
  // Hetzner names and limits.
  [
    'two nodes on one Primary IP',
    (r) => (r.cluster.nodes[2].primaryIp = 'ubuntu-8gb-nbg1-2-ipv4'),
    ['cluster.nodes.2.primaryIp: ubuntu-8gb-nbg1-2-ipv4 is already used by cluster.nodes[0]; every node needs its own'],
  ],
  [
    'a firewall name that is not one shell word',
    (r) => (r.cluster.hetzner = { firewall: 'honeydue; rm -rf /' }),
    [`cluster.hetzner.firewall: ${LABEL}`],
  ],
  [
    'a network name with a space',
    (r) => (r.cluster.hetzner = { network: 'My Net' }),
    [`cluster.hetzner.network: ${LABEL}`],
  ],
  [
    'more operator CIDRs than a Cloud Firewall rule lists',
    (r) => (r.firewall = { operatorCidrs: subnets(101, '10.1') }),
    [
      'firewall.operatorCidrs: the Cloud Firewall rules "k3s api from operators" and "ssh from operators" would list ' +
        '101 source CIDRs each; Hetzner allows 100 per rule. Shorten firewall.operatorCidrs',
    ],
  ],
  [
    'more effective Cloud Firewall rules than Hetzner allows',
    bigFirewall(35),
    [
      'cloudflare.ipv4: the Cloud Firewall honeydue would hold 520 effective rules ' +
        '(one per source CIDR of each rule: cluster.nodes 140, firewall.operatorCidrs 180, cloudflare.ipv4 200); Hetzner allows 500. ' +
        'Shorten cloudflare.ipv4 and cloudflare.ipv6 (merge ranges), or set firewall.web to anywhere',
    ],
  ],
  // etcd snapshots.
  ['a 6-field cron', snapshots({ schedule: '0 0 */6 * * *' }), [`etcdSnapshots.schedule: ${fields(6)}`]],
  ['an @every descriptor', snapshots({ schedule: '@every 6h' }), [`etcdSnapshots.schedule: ${fields(2)}`]],
  [
    'an hour out of range',
    snapshots({ schedule: '0 24 * * *' }),
    ['etcdSnapshots.schedule: cron: hour 24 is outside 0-23'],
  ],
  [
    'a weekday name',
    snapshots({ schedule: '0 3 * * MON' }),
    ['etcdSnapshots.schedule: cron: day of week "MON" is not *, a number, a range a-b or one of them with /step'],
  ],
  [
    'a backwards range',
    snapshots({ schedule: '0 9-5 * * *' }),
    ['etcdSnapshots.schedule: cron: hour range 9-5 runs backwards'],
  ],
  ['retention 0', snapshots({ retention: 0 }), ['etcdSnapshots.retention: keep at least one snapshot']],
  [
    'an endpoint with a scheme',
    snapshots({ endpoint: 'https://s3.eu-central-003.backblazeb2.com' }),
    [
      'etcdSnapshots.endpoint: expected the S3 host name without a scheme or path, ' +
        'such as s3.eu-central-003.backblazeb2.com (K3s adds https://)',
    ],
  ],
  [
    'a region that is not the B2 endpoint’s',
    snapshots({ region: 'us-west-004' }),
    [
      'etcdSnapshots.region: region does not match the Backblaze B2 endpoint s3.<region>.backblazeb2.com; use the ' +
        'region in the endpoint',
    ],
  ],
  [
    'a folder with a leading slash',
    snapshots({ folder: '/k3s-etcd' }),
    ['etcdSnapshots.folder: expected a folder path such as honeydue/etcd, without leading or trailing "/"'],
  ],
  [
    'an upper-case bucket',
    snapshots({ bucket: 'Honeydue-Etcd' }),
    ['etcdSnapshots.bucket: expected a bucket name of 6-50 lower-case letters, digits and "-" (B2 and S3 rules)'],
  ],
  // What Kubernetes refuses in a manifest (test/fixtures/kubernetes).
  ['an Ingress host that is an IP address', (r) => (r.apps.api.host = '192.0.2.10'), [`apps.api.host: ${IP_HOST}`]],
  [
    'an Ingress host Kubernetes parses as an IP address (leading zeros)',
    (r) => (r.apps.admin.host = '010.0.0.1'),
    [`apps.admin.host: ${IP_HOST}`],
  ],
  [
    'a startup failure threshold above int32',
    (r) => (r.apps.api.probes.startupFailureThreshold = 3000000000),
    [`apps.api.probes.startupFailureThreshold: ${INT32}`],
  ],
  [
    'a probe period above int32',
    (r) => (r.apps.admin.probes.periodSeconds = 2 ** 31),
    [`apps.admin.probes.periodSeconds: ${INT32}`],
  ],
  [
    'replicas above int32 (and so above any capacity)',
    (r) => (r.apps.admin.replicas = 2 ** 31),
    // One message: neither zod's own bound nor the capacity check computing with the number.
    [`apps.admin.replicas: ${INT32}`],
  ],
  [
    'a UID above what Kubernetes accepts',
    (r) => (r.apps.admin.runAsUser = 3000000000),
    [`apps.admin.runAsUser: ${UID}`],
  ],
  [
    'a Traefik UID above what Kubernetes accepts',
    (r) => (r.traefik.runAsUser = 2 ** 31),
    [`traefik.runAsUser: ${UID}`],
  ],
  [
    'a Redis UID above what Kubernetes accepts',
    (r) => (r.apps.redis.runAsUser = 2 ** 32),
    [`apps.redis.runAsUser: ${UID}`],
  ],
  // Cluster addresses K3s and Kubernetes cannot use (test/fixtures/kubernetes, test/fixtures/k3s).
  [
    'the DNS address on the service network’s own address',
    (r) => (r.cluster.clusterDns = '10.43.0.0'),
    [
      dns(
        '10.43.0.0',
        'the network address of cluster.serviceCidr 10.43.0.0/16, which Kubernetes never gives a Service',
      ),
    ],
  ],
  [
    'the DNS address on the kubernetes Service',
    (r) => (r.cluster.clusterDns = '10.43.0.1'),
    [
      dns(
        '10.43.0.1',
        'the address of the kubernetes Service (the API server takes the first address of cluster.serviceCidr ' +
          '10.43.0.0/16)',
      ),
    ],
  ],
  [
    'the DNS address on the service network’s broadcast address',
    (r) => (r.cluster.clusterDns = '10.43.255.255'),
    [
      dns(
        '10.43.255.255',
        'the broadcast address of cluster.serviceCidr 10.43.0.0/16, which Kubernetes never gives a Service',
      ),
    ],
  ],
  [
    'a service CIDR larger than kube-apiserver takes',
    (r) => Object.assign(r.cluster, { serviceCidr: '10.64.0.0/11', clusterDns: '10.64.0.10' }),
    [
      'cluster.serviceCidr: 10.64.0.0/11 is too large: kube-apiserver refuses a service CIDR of more than ' +
        "20 host bits; use a /12 or smaller, such as 10.43.0.0/16 (K3s's default)",
    ],
  ],
  [
    'a service CIDR smaller than kube-apiserver takes',
    (r) => Object.assign(r.cluster, { serviceCidr: '10.43.0.0/30', clusterDns: '10.43.0.2' }),
    [
      'cluster.serviceCidr: 10.43.0.0/30 is too small: kube-apiserver needs at least 8 addresses; ' +
        "use a /29 or larger, such as 10.43.0.0/16 (K3s's default)",
    ],
  ],
  [
    'a pod CIDR smaller than one node’s /24',
    (r) => (r.cluster.podCidr = '10.42.0.0/25'),
    [podRoom('10.42.0.0/25', 0, 3, 22)],
  ],
  [
    'a pod CIDR with a /24 for two of three nodes',
    (r) => (r.cluster.podCidr = '10.42.0.0/23'),
    [podRoom('10.42.0.0/23', 2, 3, 22)],
  ],
  [
    'five nodes in a /23 pod CIDR',
    (r) => {
      r.cluster.podCidr = '10.42.0.0/23';
      r.cluster.nodes = [1, 2, 3, 4, 5].map((i) => ({ name: `node-${i}`, publicIPv4: `192.0.2.${i}` }));
    },
    [podRoom('10.42.0.0/23', 2, 5, 21)],
  ],
  // Hetzner's private network (test/fixtures/hcloud/networks.json).
  ...(
    [
      ['10.0.0.0', 'the network address of cluster.privateNetwork.cidr 10.0.0.0/24'],
      ['10.0.0.1', 'the gateway of the Hetzner network 10.0.0.0/24 (its first address)'],
      ['10.0.0.255', 'the broadcast address of cluster.privateNetwork.cidr 10.0.0.0/24'],
    ] as const
  ).map(([ip, what]): Row => [
    `a private address on ${ip}, ${what.split(' of ')[0]}`,
    (r) => {
      withPrivateNetwork(r);
      r.cluster.nodes[1].privateIPv4 = ip;
    },
    [
      `cluster.nodes.1.privateIPv4: ${ip} is ${what}, which Hetzner gives no server; use another address of the ` +
        `network, from 10.0.0.2 on`,
    ],
  ]),
  [
    'a private address on the public interface’s gateway',
    (r) => {
      withPrivateNetwork(r, '172.31.0.0/16');
      r.cluster.nodes[0].privateIPv4 = '172.31.1.1';
    },
    [
      "cluster.nodes.0.privateIPv4: 172.31.1.1 is the gateway of every Hetzner server's public interface, " +
        'which Hetzner gives no server; use another address of the network, from 172.31.0.2 on',
    ],
  ],
  [
    'a private network that holds the nodes’ public addresses',
    (r) => withPrivateNetwork(r, '178.104.0.0/15'),
    [
      'cluster.privateNetwork.cidr: 178.104.0.0/15 contains the public address of 178.104.247.152 ' +
        '(cluster.nodes[0]), 178.105.32.198 (cluster.nodes[1]), 178.104.249.189 (cluster.nodes[2]); ' +
        "the private network must lie outside the nodes' public addresses, or traffic to them would be routed " +
        'into it: choose a private range such as 10.0.0.0/16',
    ],
  ],
  // The Ingress.
  [
    'two apps on one host (and so one host and path)',
    (r) => (r.apps.admin.host = 'api.myhoneydue.com'),
    [
      "apps.admin.host: api.myhoneydue.com is also apps.api.host; the Ingress routes a host's path / to one Service, " +
        'so the two rules would clash: give each app its own host',
    ],
  ],
  // Operator networks that make no sense.
  [
    'an operator network inside the pod CIDR',
    (r) => (r.firewall.operatorCidrs = ['10.42.7.0/24']),
    [ownNetwork(0, '10.42.7.0/24', 'podCidr', '10.42.0.0/16')],
  ],
  [
    'an operator network equal to the service CIDR',
    (r) => (r.firewall.operatorCidrs = ['10.43.0.0/16']),
    [ownNetwork(0, '10.43.0.0/16', 'serviceCidr', '10.43.0.0/16')],
  ],
  [
    'a /8 operator network over both cluster networks',
    (r) => (r.firewall.operatorCidrs = ['198.51.100.0/24', '10.0.0.0/8']),
    [
      ownNetwork(1, '10.0.0.0/8', 'podCidr', '10.42.0.0/16'),
      ownNetwork(1, '10.0.0.0/8', 'serviceCidr', '10.43.0.0/16'),
    ],
  ],
  [
    'a link-local operator network',
    (r) => (r.firewall.operatorCidrs = ['169.254.0.0/16']),
    [unreachable(0, '169.254.0.0/16', '169.254.0.0/16', 'link-local, where the metadata service lives')],
  ],
  [
    'an operator network around the metadata address',
    (r) => (r.firewall.operatorCidrs = ['169.254.169.0/24']),
    [unreachable(0, '169.254.169.0/24', '169.254.0.0/16', 'link-local, where the metadata service lives')],
  ],
  [
    'a loopback operator network',
    (r) => (r.firewall.operatorCidrs = ['127.0.0.0/8']),
    [unreachable(0, '127.0.0.0/8', '127.0.0.0/8', 'loopback')],
  ],
  [
    'a multicast operator network',
    (r) => (r.firewall.operatorCidrs = ['239.0.0.0/8']),
    [unreachable(0, '239.0.0.0/8', '224.0.0.0/4', 'multicast')],
  ],
  [
    'a reserved operator network',
    (r) => (r.firewall.operatorCidrs = ['240.0.0.0/8']),
    [unreachable(0, '240.0.0.0/8', '240.0.0.0/4', 'reserved')],
  ],
  [
    'a duplicated operator network',
    (r) => (r.firewall.operatorCidrs = ['198.51.100.0/24', '203.0.113.0/24', '198.51.100.0/24']),
    ['firewall.operatorCidrs.2: 198.51.100.0/24 is already firewall.operatorCidrs[0]; remove the duplicate'],
  ],
  [
    'an operator network inside another (listed first)',
    (r) => (r.firewall.operatorCidrs = ['198.51.100.128/25', '198.51.100.0/24']),
    [
      'firewall.operatorCidrs.0: 198.51.100.128/25 lies inside firewall.operatorCidrs[1] 198.51.100.0/24, which ' +
        'admits it already; remove it',
    ],
  ],
  // Values that are zero or never happen.
  [
    'a memory request of 0Mi',
    (r) => (r.apps.api.resources.memory = '0Mi'),
    [`apps.api.resources.memory: ${ZERO_MEMORY}`],
  ],
  ['a CPU request of "0"', (r) => (r.apps.worker.resources.cpu = '0'), [`apps.worker.resources.cpu: ${ZERO_CPU}`]],
  ['a CPU request of 0m', (r) => (r.apps.admin.resources.cpu = '0m'), [`apps.admin.resources.cpu: ${ZERO_CPU}`]],
  ['a CPU request of 0.000', (r) => (r.apps.redis.resources.cpu = '0.000'), [`apps.redis.resources.cpu: ${ZERO_CPU}`]],
  [
    'a memory request and limit of 0',
    (r) => (r.apps.redis.resources = { cpu: '100m', memory: '0Ki', memoryLimit: '0Gi' }),
    [`apps.redis.resources.memory: ${ZERO_MEMORY}`, `apps.redis.resources.memoryLimit: ${ZERO_MEMORY}`],
  ],
  ['a Redis volume of 0Gi', (r) => (r.apps.redis.storage = '0Gi'), [`apps.redis.storage: ${ZERO_MEMORY}`]],
  ['a snapshot schedule on 30 February', snapshots({ schedule: '0 0 30 2 *' }), [never('2', '30')]],
  [
    'a snapshot schedule on the 31st of the short months',
    snapshots({ schedule: '15 3 31 4,6,9,11 *' }),
    [never('4,6,9,11', '31')],
  ],
  [
    'a snapshot schedule on 30-31 February, every weekday written */1',
    snapshots({ schedule: '0 0 30-31 2 */1' }),
    [never('2', '30-31')],
  ],
  [
    'a snapshot schedule from the 30th with a step, in February',
    snapshots({ schedule: '0 0 30/2 2 *' }),
    [never('2', '30/2')],
  ],
  // The K3s release.
  ['K3s v1.20', (r) => (r.k3s.version = 'v1.20.0+k3s1'), [k3sMinor('v1.20.0+k3s1')]],
  ['K3s v1.35', (r) => (r.k3s.version = 'v1.35.0+k3s1'), [k3sMinor('v1.35.0+k3s1')]],
  ['K3s v1.3.4 (a prefix of v1.34 is not v1.34)', (r) => (r.k3s.version = 'v1.3.4+k3s1'), [k3sMinor('v1.3.4+k3s1')]],
  // Environment the stack sets itself.
  ...(Object.keys(TOOL_ENV) as (keyof typeof TOOL_ENV)[]).flatMap((app) =>
    Object.keys(TOOL_ENV[app]).map((name): Row => [
      `${name} in apps.${app}.env, which the chart sets itself`,
      (r) => (r.apps[app].env = { ...r.apps[app].env, [name]: 'redis.example:6379' }),
      [
        `apps.${app}.env.${name}: ${name} is set by the stack itself, and its value would silently replace this one: ` +
          `it holds the address of the Redis Service, redis:<apps.redis.port>; to change it, change apps.redis.port. ` +
          `Remove it from env`,
      ],
    ]),
  ),
];

describe('a bad configuration names the field and the problem', () => {
  test.each(cases)('%s', (_name, change, expected) => {
    expect(problemsOf(variantText(change))).toEqual(expected);
  });
});

describe('the CLI refuses each of them: exit 1, every problem on stderr, dist/ exactly as it was', () => {
  test.each(cases)('%s', async (_name, change) => {
    const dir = tempDir('config');
    const file = path.join(dir, 'cluster.yaml');
    fs.writeFileSync(file, variantText(change));
    const out = path.join(dir, 'dist');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await run(['--config', file], { CDK8S_OUTDIR: out, K3S_TOKEN: TEST_TOKEN })).toBe(1);
      const problems = refusal(fs.readFileSync(file, 'utf8'), file);
      expect(stderr.mock.calls).toEqual([
        [`error: ${file}: invalid configuration\n${problems.map((p) => `  - ${p}`).join('\n')}`],
      ]);
    } finally {
      stderr.mockRestore();
    }
    expect(fs.readdirSync(out)).toEqual(['previous.k8s.yaml']);
    expect(fs.readdirSync(dir).sort()).toEqual(['cluster.yaml', 'dist']);
  });
});

describe('what the checks still accept', () => {
  const accepted: [string, (raw: RawConfig & any) => void][] = [
    [
      'TEST-NET node addresses (the system and VM tests use them)',
      (r) =>
        r.cluster.nodes.forEach(
          (n: any, i: number) => (n.publicIPv4 = ['192.0.2.11', '198.51.100.12', '203.0.113.13'][i]),
        ),
    ],
    ['private node addresses outside the cluster networks', (r) => (r.cluster.nodes[0].publicIPv4 = '10.44.0.1')],
    ['a private network beside the cluster networks', (r) => withPrivateNetwork(r)],
    [
      '0.0.0.0/0 when firewall.allowOperatorAccessFromAnywhere says so',
      (r) => (r.firewall = { ...r.firewall, operatorCidrs: ['0.0.0.0/0'], allowOperatorAccessFromAnywhere: true }),
    ],
    ['a /8 operator network off the cluster networks', (r) => (r.firewall.operatorCidrs = ['44.0.0.0/8'])],
    [
      'web ports off every port a node listens on',
      (r) => (r.traefik = { ...r.traefik, webPort: 8081, websecurePort: 8443 }),
    ],
    ['a namespace that merely starts like a system one', (r) => (r.namespace = 'kube-systems')],
    ['an env value of 32 KiB', (r) => (r.apps.api.env.BIG = 'x'.repeat(32 * 1024))],
    ['an env value with an emoji and accented letters', (r) => (r.apps.api.env.GREETING = 'Grüß dich 👋')],
    ['an alias with dots, dashes and underscores', (r) => (r.cluster.nodes[0].alias = 'Hetzner_1.nbg-a')],
    [
      'an env value full of YAML indicators',
      (r) => (r.apps.api.env.DB_SSLMODE = '- ? : , [ ] { } # & * ! | > \' " % @ ` --- ... yes ~ <<'),
    ],
    ['a probe path with a query and escapes', (r) => (r.apps.api.probes.path = '/api/health/?full=1&x=%2F')],
    [
      'an http release URL with a pin and a port',
      (r) => (r.k3s = { ...r.k3s, releaseBaseUrl: 'http://192.0.2.1:8080/k3s', sha256: 'a'.repeat(64) }),
    ],
    ['Hetzner’s limits, just: 100 operator CIDRs', (r) => (r.firewall = { operatorCidrs: subnets(100, '10.1') })],
    ['Hetzner’s limits, just: 496 effective Cloud Firewall rules', (r) => bigFirewall(29)(r)], // 116 + 180 + 200
    ['a full set of valid cron fields', snapshots({ schedule: '15,45 1-23/2 1-31 1,6-12 0-6' })],
    ['a snapshot on 29 February (leap years have it)', snapshots({ schedule: '0 0 29 2 *' })],
    [
      'a snapshot on the 30th or on Mondays, in February (day of month OR day of week)',
      snapshots({ schedule: '0 0 30 2 1' }),
    ],
    ['a snapshot on the 31st of February or March', snapshots({ schedule: '0 0 31 2-3 *' })],
    ['a snapshot on the 30th of every other day of week (*/2 is no star: OR)', snapshots({ schedule: '0 0 30 2 */2' })],
    [
      'the first and the last addresses of a Hetzner network but one',
      (r) => {
        withPrivateNetwork(r);
        r.cluster.nodes[0].privateIPv4 = '10.0.0.2';
        r.cluster.nodes[2].privateIPv4 = '10.0.0.254';
      },
    ],
    ['a cluster DNS address other than K3s’s', (r) => (r.cluster.clusterDns = '10.43.0.2')],
    [
      'the largest and the smallest service CIDR kube-apiserver takes',
      (r) => Object.assign(r.cluster, { serviceCidr: '10.48.0.0/12', clusterDns: '10.48.0.10' }),
    ],
    ['a /29 service CIDR', (r) => Object.assign(r.cluster, { serviceCidr: '10.43.0.0/29', clusterDns: '10.43.0.2' })],
    ['a /22 pod CIDR for three nodes', (r) => (r.cluster.podCidr = '10.42.0.0/22')],
    [
      'a /24 pod CIDR for one node',
      (r) => {
        r.cluster.podCidr = '10.42.0.0/24';
        r.cluster.nodes = r.cluster.nodes.slice(0, 1);
        r.cluster.established = false; // one server alone cannot be an established cluster
      },
    ],
    [
      'the largest int32 and UID',
      (r) => {
        r.apps.api.probes.startupFailureThreshold = 2 ** 31 - 1;
        r.apps.admin.runAsUser = 2 ** 31 - 1;
      },
    ],
    ['any K3s v1.34 patch release', (r) => (r.k3s.version = 'v1.34.0+k3s2')],
    [
      'REDIS_ADDR in apps.admin.env, which no chart sets',
      (r) => (r.apps.admin.env = { REDIS_ADDR: 'redis.example:6379' }),
    ],
    ['the smallest requests', (r) => (r.apps.api.resources = { cpu: '1m', memory: '1Ki', memoryLimit: '1Ki' })],
    ['operator networks side by side', (r) => (r.firewall.operatorCidrs = ['198.51.100.0/25', '198.51.100.128/25'])],
    [
      'a world-wide operator network beside others, when allowed',
      (r) =>
        (r.firewall = {
          ...r.firewall,
          operatorCidrs: ['198.51.100.0/24', '0.0.0.0/0'],
          allowOperatorAccessFromAnywhere: true,
        }),
    ],
  ];
  test.each(accepted)('%s', (_name, change) => {
    expect(() => parseConfig(variantText(change), 'cluster.yaml')).not.toThrow();
  });
});

test('the variables the charts set themselves are those TOOL_ENV lists, so env may hold none of them', () => {
  const config = variant(() => {});
  const set = (name: string) => {
    const d = synthObjects(config).find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;
    const env: { name: string }[] = d.spec.template.spec.containers[0].env ?? [];
    return env.map((e) => e.name).filter((n) => !Object.hasOwn(config.apps[name as keyof typeof TOOL_ENV].env, n));
  };
  for (const app of Object.keys(TOOL_ENV) as (keyof typeof TOOL_ENV)[])
    expect({ app, set: set(app) }).toEqual({ app, set: Object.keys(TOOL_ENV[app]) });
});

/** "Billion laughs": eight levels of ten aliases each, 10^8 strings once expanded. */
function aliasBomb(): string {
  const levels = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
  ];
  return `${levels.join('\n')}\n`;
}

test(`a YAML alias bomb is a configuration error, not a crash (at most ${MAX_ALIAS_COUNT} alias expansions)`, () => {
  expect(refusal(aliasBomb())).toEqual([
    `its YAML aliases (*name) expand too far (more than ${MAX_ALIAS_COUNT} expansions; nested aliases grow exponentially): write the values out instead of aliasing them`,
  ]);
});

test('invalid YAML names its line and column', () => {
  expect(() => parseConfig('apps:\n  api: [unclosed\n', 'broken.yaml')).toThrow(
    /^broken\.yaml: invalid configuration\n {2}- line \d+, column \d+: not valid YAML/,
  );
});

test('a missing file says how to pass one', () => {
  expect(() => loadConfig('/nonexistent/cluster.yaml')).toThrow(
    /cannot read the file \(ENOENT\); pass an existing file with --config or HONEYDUE_CONFIG/,
  );
});

test('a few aliases, as a hand-written file may use, are fine', () => {
  const production = fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8');
  const text = production
    .replace(
      'resources: { cpu: 250m, memory: 256Mi, memoryLimit: 512Mi }',
      'resources: &res { cpu: 250m, memory: 256Mi, memoryLimit: 512Mi }',
    )
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
    expect(stderr.mock.calls).toEqual([
      [
        `error: ${file}: invalid configuration\n  - its YAML aliases (*name) expand too far (more than ${MAX_ALIAS_COUNT} expansions; nested aliases grow exponentially): write the values out instead of aliasing them`,
      ],
    ]);
  } finally {
    stderr.mockRestore();
  }
  expect(fs.readdirSync(dir)).toEqual(['cluster.yaml']);
});

describe('what the file itself is: tags, booleans, encodings, size', () => {
  const production = fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8');
  const lineOf = (needle: string) => production.slice(0, production.indexOf(needle)).split('\n').length;
  const TAG_WHY =
    "is not taken here: the configuration holds plain values only, and a tag is a sign the file was written for another reader (PyYAML's python tags run code). Remove the tag";

  test('a YAML tag is refused with its line, the python ones and the standard ones alike', () => {
    const text = production
      .replace('host: api.myhoneydue.com', 'host: !!python/object/apply:os.system ["id"]')
      .replace('replicas: 3', 'replicas: !!int 3');
    expect(refusal(text)).toEqual([
      `line ${lineOf('replicas: 3')}: the YAML tag !!int ${TAG_WHY}`,
      `line ${lineOf('host: api.myhoneydue.com')}: the YAML tag !!python/object/apply:os.system ${TAG_WHY}`,
    ]);
  });

  test('a local tag is refused too', () => {
    expect(refusal(production.replace('host: api.myhoneydue.com', 'host: !mine api.myhoneydue.com'))).toEqual([
      `line ${lineOf('host: api.myhoneydue.com')}: the YAML tag !mine ${TAG_WHY}`,
    ]);
  });

  test.each(['yes', 'no', 'on', 'Off', 'y'])('established: %s says the file is YAML 1.2', (word) => {
    expect(refusal(production.replace(/established: true/, `established: ${word}`))).toEqual([
      `line ${lineOf('established: true')}, cluster.established: expected true or false, found "${word}": this file is read as YAML 1.2, where only true and false are booleans (${word} is a boolean only to YAML 1.1 readers); write true or false`,
    ]);
  });

  test('a quoted "true" is a string too, and said so without the YAML 1.1 aside', () => {
    expect(refusal(production.replace(/established: true/, 'established: "true"'))).toEqual([
      `line ${lineOf('established: true')}, cluster.established: expected true or false, found "true": this file is read as YAML 1.2, where only true and false are booleans; write true or false`,
    ]);
  });

  test('a 25-digit replicas is one plain message', () => {
    expect(refusal(production.replace('replicas: 3', 'replicas: 1234567890123456789012345'))).toEqual([
      `line ${lineOf('replicas: 3')}, apps.api.replicas: ${INT32}`,
    ]);
  });

  const dir = () => tempDir('encoding');
  const withAccent = production.replace('# ', '# Grüße: ');
  const accentLine = withAccent.split('\n').findIndex((l) => l.includes('Grüße')) + 1;

  test('a Latin-1 file is refused, naming the line and the byte', () => {
    const file = path.join(dir(), 'cluster.yaml');
    fs.writeFileSync(file, Buffer.from(withAccent, 'latin1'));
    const column = withAccent.split('\n')[accentLine - 1]!.indexOf('ü') + 1;
    expect(() => loadConfig(file)).toThrow(
      new ConfigError(file, [
        `line ${accentLine}, column ${column}: byte 0xFC is not UTF-8 (the file looks Latin-1 or another legacy encoding); save it as UTF-8 (iconv -f LATIN1 -t UTF-8)`,
      ]),
    );
  });

  test.each([
    ['UTF-16LE', (t: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(t, 'utf16le')])],
    ['UTF-16LE', (t: string) => Buffer.from(t, 'utf16le')],
    ['UTF-16BE', (t: string) => Buffer.from(t, 'utf16le').swap16()],
  ])('a %s file is refused, naming line 1', (kind, encode) => {
    const file = path.join(dir(), 'cluster.yaml');
    fs.writeFileSync(file, encode(production));
    expect(() => loadConfig(file)).toThrow(
      new ConfigError(file, [
        `line 1: the file is ${kind}, not UTF-8; save it as UTF-8 (iconv -f ${kind} -t UTF-8, or your editor's "save with encoding")`,
      ]),
    );
  });

  test('the same file as UTF-8 passes, accents and all', () => {
    const file = path.join(dir(), 'cluster.yaml');
    fs.writeFileSync(file, withAccent);
    expect(loadConfig(file).namespace).toBe('honeydue');
  });

  const TOO_LARGE = `the file is larger than ${MAX_CONFIG_BYTES} bytes (256 KiB), far more than a configuration holds (the production one is under 4 KiB): pass the cluster's configuration with --config or HONEYDUE_CONFIG`;

  test(`a file over ${MAX_CONFIG_BYTES} bytes is refused; one of exactly that size is read`, () => {
    const d = dir();
    const pad = (n: number) => `${production}#${'x'.repeat(n - Buffer.byteLength(production) - 2)}\n`;
    fs.writeFileSync(path.join(d, 'exact.yaml'), pad(MAX_CONFIG_BYTES));
    expect(fs.statSync(path.join(d, 'exact.yaml')).size).toBe(MAX_CONFIG_BYTES);
    expect(loadConfig(path.join(d, 'exact.yaml')).namespace).toBe('honeydue');
    fs.writeFileSync(path.join(d, 'over.yaml'), pad(MAX_CONFIG_BYTES + 1));
    expect(() => loadConfig(path.join(d, 'over.yaml'))).toThrow(
      new ConfigError(path.join(d, 'over.yaml'), [TOO_LARGE]),
    );
  });

  test('/dev/zero is refused after one bounded read', () => {
    expect(() => loadConfig('/dev/zero')).toThrow(new ConfigError('/dev/zero', [TOO_LARGE]));
  });
});
