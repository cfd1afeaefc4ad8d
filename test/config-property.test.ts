import { Testing } from 'cdk8s';
import fc from 'fast-check';
import * as fs from 'fs';
import * as ipaddr from 'ipaddr.js';
import * as path from 'path';
import { parse, stringify } from 'yaml';
import { addStack } from '../charts/stack';
import { ConfigError, parseConfig } from '../config/load';
import type { Config } from '../config/schema';
import { type KubeObject, production, productionRaw, tempDir } from './support';

/**
 * For any configuration synth accepts, every object it synthesizes passes the Kubernetes
 * schemas (kubernetes-models, Kubernetes 1.33's OpenAPI: formats such as int32 included) and the
 * rules the API server, K3s and Hetzner apply beyond them, as vendored in test/fixtures (the
 * oracle below is written from those files, not from config/). The configurations vary exactly
 * the fields the configuration's checks guard, so a missing check lets a case through that the
 * oracle refuses.
 */

const fixture = (...p: string[]) => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', ...p), 'utf8'));
const kube = fixture('kubernetes', 'validation.json');
const k3s = fixture('k3s', 'networking.json');
const hcloud = fixture('hcloud', 'networks.json');
const nodePorts = fixture('k3s', 'node-ports.json');

// ---- The oracle: what Kubernetes, K3s and Hetzner refuse, from the fixtures. ----

const v4 = (ip: string) =>
  ipaddr.IPv4.parse(ip)
    .toByteArray()
    .reduce((n, b) => n * 256 + b, 0);
const range = (cidr: string) => {
  const [base, bits] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - bits);
  const first = v4(base.toString()) - (v4(base.toString()) % size);
  return { first, last: first + size - 1, bits };
};
const inside = (cidr: string, ip: string) => v4(ip) >= range(cidr).first && v4(ip) <= range(cidr).last;
const overlap = (a: string, b: string) => range(a).first <= range(b).last && range(b).first <= range(a).last;

/** ParseIPSloppy's IPv4 (test/fixtures/kubernetes: four decimal parts up to 255, leading zeros accepted). */
const sloppyIPv4 = (s: string) => /^\d+(\.\d+){3}$/.test(s) && s.split('.').every((p) => Number(p) <= 255);

/** A Kubernetes quantity's amount, enough to tell zero from more. */
const amount = (q: string) => parseFloat(q);

/** What the API server would refuse in the objects, beyond the OpenAPI schemas. */
function apiServerRefusals(objects: readonly KubeObject[], config: Config): string[] {
  const problems: string[] = [];
  const visit = (o: unknown, where: string, key = '') => {
    const field = kube.fields[key];
    if (typeof o === 'number' && field) {
      const bounds = field.checked ? kube.userAndGroupIds[field.checked] : kube.integerFormats[field.format];
      if (o < bounds.minimum || o > bounds.maximum)
        problems.push(`${where}: ${key} ${o} is outside ${bounds.minimum}..${bounds.maximum}`);
    } else if (typeof o === 'string' && key === 'valuesContent') {
      visit(parse(o), `${where} (Helm values)`);
    } else if (Array.isArray(o)) {
      o.forEach((v) => visit(v, where, key));
    } else if (typeof o === 'object' && o !== null) {
      for (const [k, v] of Object.entries(o)) visit(v, where, k);
    }
  };
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata.name}`;
    visit(o, where);
    if (o.kind === 'Ingress') {
      const { pattern, maxLength } = kube.ingressRuleHost.dns1123Subdomain;
      const seen = new Set<string>();
      for (const rule of o.spec.rules) {
        if (sloppyIPv4(rule.host)) problems.push(`${where}: host ${rule.host}: ${kube.ingressRuleHost.ipMessage}`);
        if (!new RegExp(pattern).test(rule.host) || rule.host.length > maxLength)
          problems.push(`${where}: host ${rule.host} is no DNS-1123 subdomain`);
        for (const p of rule.http.paths) {
          if (seen.has(`${rule.host}${p.path}`)) problems.push(`${where}: two rules for ${rule.host}${p.path}`);
          seen.add(`${rule.host}${p.path}`);
        }
      }
    }
    const pod = o.spec?.template?.spec;
    for (const c of pod?.containers ?? []) {
      for (const [what, q] of Object.entries<string>(c.resources?.requests ?? {}))
        if (!(amount(q) > 0)) problems.push(`${where}: requests ${what} ${q}`);
      const names = (c.env ?? []).map((e: { name: string }) => e.name);
      if (new Set(names).size !== names.length) problems.push(`${where}: an env variable set twice`);
      const app = config.apps[o.metadata.name as 'api' | 'admin' | 'worker'];
      for (const [name, value] of Object.entries(app && 'env' in app ? app.env : {})) {
        const written = c.env?.find((e: { name: string }) => e.name === name)?.value;
        if (written !== value)
          problems.push(
            `${where}: env ${name} is ${JSON.stringify(written)}, not the configured ${JSON.stringify(value)}`,
          );
      }
    }
    for (const claim of o.spec?.volumeClaimTemplates ?? []) {
      if (!(amount(claim.spec.resources.requests.storage) > 0))
        problems.push(`${where}: a volume of ${claim.spec.resources.requests.storage}`);
    }
  }
  return problems;
}

/** The values of one robfig/cron field and whether it is a star (test/fixtures/k3s/networking.json). */
function cronField(text: string, [min, max]: [number, number]) {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(',')) {
    const [span, stepText] = item.split('/');
    const step = Number(stepText ?? 1);
    if (span === '*' && step === 1) star = true;
    const [a, b] = span === '*' ? [min, max] : span!.split('-').map(Number);
    for (let v = a!; v <= (b ?? (stepText ? max : a!)); v += step) values.add(v);
  }
  return { values, star };
}

/** Whether robfig/cron finds a day to run on within the five years it looks ahead. */
function firesWithinFiveYears(schedule: string): boolean {
  const f = k3s.etcdSnapshotSchedule.parser.fields;
  const [, , dom, month, dow] = schedule.split(' ');
  const [d, m, w] = [cronField(dom!, f.dayOfMonth), cronField(month!, f.month), cronField(dow!, f.dayOfWeek)];
  for (let day = Date.UTC(2027, 0, 1); day < Date.UTC(2032, 0, 1); day += 86_400_000) {
    const t = new Date(day);
    if (!m.values.has(t.getUTCMonth() + 1)) continue;
    const [domMatch, dowMatch] = [d.values.has(t.getUTCDate()), w.values.has(t.getUTCDay())];
    if (d.star || w.star ? domMatch && dowMatch : domMatch || dowMatch) return true;
  }
  return false;
}

/** What K3s, kube-apiserver, kube-controller-manager or Hetzner would refuse or break on. */
function clusterRefusals(config: Config): string[] {
  const problems: string[] = [];
  const { podCidr, serviceCidr, clusterDns, nodes, privateNetwork } = config.cluster;
  const service = range(serviceCidr);
  if (
    2 ** (32 - service.bits) < kube.serviceNetwork.minimumAddresses ||
    32 - service.bits > kube.serviceNetwork.maximumHostBits
  ) {
    problems.push(`service CIDR ${serviceCidr}`);
  }
  const dns = v4(clusterDns);
  if (
    dns === service.first ||
    dns === service.last ||
    dns === service.first + kube.serviceNetwork.kubernetesServiceIndex
  )
    problems.push(`cluster DNS ${clusterDns}`);
  const perNode = kube.nodeIpam.defaultNodeMaskIPv4;
  const room = range(podCidr).bits > perNode ? 0 : 2 ** (perNode - range(podCidr).bits);
  if (room < nodes.length) problems.push(`pod CIDR ${podCidr} for ${nodes.length} nodes`);
  if (privateNetwork) {
    const net = range(privateNetwork.cidr);
    const reserved = [net.first, net.first + hcloud.gateway.index, net.last, v4(hcloud.publicInterfaceGateway)];
    for (const n of nodes) {
      if (reserved.includes(v4(n.privateIPv4!))) problems.push(`private address ${n.privateIPv4}`);
      if (inside(privateNetwork.cidr, n.publicIPv4)) problems.push(`private network over ${n.publicIPv4}`);
    }
  }
  const operators = config.firewall.operatorCidrs.filter((c) => range(c).bits >= 8);
  operators.forEach((cidr, i) => {
    for (const other of [podCidr, serviceCidr, '169.254.0.0/16', '127.0.0.0/8', '224.0.0.0/4']) {
      if (overlap(cidr, other)) problems.push(`operator network ${cidr} over ${other}`);
    }
    if (operators.some((other, j) => j !== i && overlap(cidr, other)))
      problems.push(`operator networks over each other: ${cidr}`);
  });
  if (config.etcdSnapshots && !firesWithinFiveYears(config.etcdSnapshots.schedule))
    problems.push(`schedule ${config.etcdSnapshots.schedule}`);
  if (!k3s.source.refDescription.includes(`${config.k3s.version.split('.').slice(0, 2).join('.')}.`)) {
    problems.push(`K3s ${config.k3s.version}`);
  }
  return problems;
}

/**
 * Traefik's web ports on a port the node already binds (test/fixtures/k3s/node-ports.json), read
 * from the HelmChartConfig synth writes; and objects outside the namespaces the stack owns.
 */
function nodeRefusals(objects: readonly KubeObject[], config: Config): string[] {
  const problems: string[] = [];
  for (const o of objects.filter((x) => x.kind === 'HelmChartConfig')) {
    const ports = parse(o.spec.valuesContent).ports;
    for (const name of ['web', 'websecure']) {
      const port = ports[name].port;
      if (nodePorts.nodeTcpPorts[String(port)]) problems.push(`${name} on ${port}: ${nodePorts.nodeTcpPorts[port]}`);
    }
    if (ports.web.port === ports.websecure.port) problems.push(`web and websecure both on ${ports.web.port}`);
  }
  if (nodePorts.reservedNamespaces.includes(config.namespace)) problems.push(`namespace ${config.namespace}`);
  const owned = new Set([config.namespace, ...nodePorts.reservedNamespaces]);
  const namespaces = objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name);
  if (new Set(namespaces).size !== namespaces.length) problems.push(`two Namespace objects: ${namespaces.join(', ')}`);
  for (const o of objects) {
    const ns = o.metadata.namespace;
    if (ns !== undefined && !owned.has(ns)) problems.push(`${o.kind}/${o.metadata.name} in ${ns}`);
  }
  const labelled = objects.filter(
    (o) => o.kind === 'Namespace' && o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted',
  );
  for (const o of labelled)
    if (nodePorts.reservedNamespaces.includes(o.metadata.name)) problems.push(`${o.metadata.name} made restricted`);
  return problems;
}

/** Every built-in object against kubernetes-models' schema for its kind; the CRD kinds are left to their own tests. */
function schemaRefusals(objects: readonly KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    if (['helm.cattle.io/v1', 'upgrade.cattle.io/v1'].includes(o.apiVersion)) continue;
    const Model = require(`kubernetes-models/${o.apiVersion}/${o.kind}`)[o.kind];
    try {
      new Model(o).validate();
    } catch (e) {
      problems.push(`${o.kind}/${o.metadata.name}: ${(e as Error).message}`);
    }
  }
  return problems;
}

let outdir: string | undefined;
function synthesize(config: Config): KubeObject[] {
  outdir ??= tempDir('property-cdk8s');
  const app = Testing.app({ outdir });
  addStack(app, config);
  return JSON.parse(JSON.stringify(app.charts.flatMap((c) => c.toJson()))) as KubeObject[];
}

/** Everything the oracle has against a configuration's objects. */
const refusals = (config: Config) => {
  const objects = synthesize(config);
  return [
    ...schemaRefusals(objects),
    ...apiServerRefusals(objects, config),
    ...clusterRefusals(config),
    ...nodeRefusals(objects, config),
  ];
};

// ---- The configurations: the fields the checks guard, each over values on both sides of its rule. ----

interface Knobs {
  apiHost: string;
  adminHost: string;
  nodes: 1 | 3 | 5;
  replicas: number;
  startupFailureThreshold: number;
  periodSeconds: number;
  uid: number;
  traefikUid: number;
  cpu: string;
  memory: string;
  storage: string;
  serviceCidr: string;
  dnsIndex: number;
  podPrefix: number;
  privateNetwork: { cidr: string; offsets: number[] } | null;
  operatorCidrs: string[];
  redisAddrIn: 'api' | 'admin' | 'worker' | null;
  schedule: string;
  version: string;
  webPort: number;
  websecurePort: number;
  namespace: string;
}

const GOOD: Knobs = {
  apiHost: 'api.myhoneydue.com',
  adminHost: 'admin.myhoneydue.com',
  nodes: 3,
  replicas: 3,
  startupFailureThreshold: 48,
  periodSeconds: 5,
  uid: 65532,
  traefikUid: 65532,
  cpu: '250m',
  memory: '256Mi',
  storage: '5Gi',
  serviceCidr: '10.43.0.0/16',
  dnsIndex: 10,
  podPrefix: 16,
  privateNetwork: null,
  operatorCidrs: [],
  redisAddrIn: null,
  schedule: '0 */6 * * *',
  version: 'v1.34.6+k3s1',
  webPort: 80,
  websecurePort: 443,
  namespace: 'honeydue',
};

const INT32 = 2 ** 31 - 1;
/** Each knob over values on both sides of its rule. */
const anyKnobs: fc.Arbitrary<Knobs> = fc.record({
  apiHost: fc.constantFrom(
    'api.myhoneydue.com',
    'admin.myhoneydue.com',
    '192.0.2.10',
    '010.0.0.1',
    '1.2.3',
    'x.example',
  ),
  adminHost: fc.constantFrom('admin.myhoneydue.com', 'api.myhoneydue.com', '203.0.113.7', '255.255.255.255', 'a.b.c.d'),
  nodes: fc.constantFrom(1 as const, 3 as const, 5 as const),
  replicas: fc.constantFrom(1, 3, INT32, INT32 + 1, 3_000_000_000),
  startupFailureThreshold: fc.constantFrom(1, 48, INT32, INT32 + 1, 3_000_000_000),
  periodSeconds: fc.constantFrom(1, 5, INT32, INT32 + 1),
  uid: fc.constantFrom(1, 999, 65532, INT32, INT32 + 1, 2 ** 40),
  traefikUid: fc.constantFrom(65532, INT32, INT32 + 1),
  cpu: fc.constantFrom('0', '0m', '0.000', '1m', '100m', '250m'),
  memory: fc.constantFrom('0Mi', '0Ki', '1Ki', '64Mi', '256Mi'),
  storage: fc.constantFrom('0Gi', '0Mi', '1Gi', '5Gi'),
  serviceCidr: fc.constantFrom(
    '10.43.0.0/16',
    '10.43.0.0/29',
    '10.43.0.0/30',
    '10.48.0.0/12',
    '10.64.0.0/11',
    '10.43.0.0/24',
  ),
  dnsIndex: fc.constantFrom(0, 1, 2, 10, -1, -2),
  podPrefix: fc.integer({ min: 16, max: 28 }),
  privateNetwork: fc.option(
    fc.record({
      cidr: fc.constantFrom('10.0.0.0/24', '172.31.0.0/16', '178.104.0.0/15', '10.0.0.0/16'),
      offsets: fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 254, 255, -1, -2], { minLength: 5, maxLength: 5 }),
    }),
    { nil: null },
  ),
  operatorCidrs: fc.subarray([
    '198.51.100.0/24',
    '198.51.100.0/25',
    '10.42.1.0/24',
    '10.43.0.0/16',
    '169.254.0.0/16',
    '127.0.0.0/8',
    '203.0.113.0/24',
    '198.51.100.0/24',
    '44.0.0.0/8',
  ]),
  redisAddrIn: fc.constantFrom('api' as const, 'admin' as const, 'worker' as const, null),
  schedule: fc
    .tuple(
      fc.constantFrom('*', '1', '15', '29', '30', '31', '30-31', '*/2', '30/2'),
      fc.constantFrom('*', '2', '4,6,9,11', '2-3', '12'),
      fc.constantFrom('*', '*/1', '1', '*/2', '0-6'),
    )
    .map(([dom, month, dow]) => `0 3 ${dom} ${month} ${dow}`),
  version: fc.constantFrom(
    'v1.34.6+k3s1',
    'v1.34.0+k3s1',
    'v1.20.0+k3s1',
    'v1.33.9+k3s1',
    'v1.35.1+k3s1',
    'v1.3.4+k3s1',
  ),
  webPort: fc.constantFrom(80, 8080, 8081, 6444, 10248, 10256, 10259, 2381, 53, 443, 22),
  websecurePort: fc.constantFrom(443, 8443, 10257, 10258, 10010, 6443, 80),
  namespace: fc.constantFrom(
    'honeydue',
    'shop',
    'kube-system',
    'system-upgrade',
    'default',
    'kube-public',
    'kube-node-lease',
    'kube-systems',
  ),
});

/**
 * The good configuration with a few knobs (up to four) turned anywhere: most cases then differ
 * from it in a handful of guarded fields, so many pass the checks and reach the oracle.
 */
const knobs: fc.Arbitrary<Knobs> = fc
  .tuple(anyKnobs, fc.subarray(Object.keys(GOOD) as (keyof Knobs)[], { maxLength: 4 }))
  .map(([turned, which]) => ({ ...GOOD, ...Object.fromEntries(which.map((key) => [key, turned[key]])) }));

/** An address of a CIDR by index from its network address; negative from its broadcast address. */
const at = (cidr: string, index: number) => {
  const { first, last } = range(cidr);
  const n = index >= 0 ? first + index : last + 1 + index;
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
};

/**
 * Applies the knobs to a configuration: the production YAML's data before the checks, or a
 * resolved configuration (the same shape) to bypass them.
 */
function applyKnobs<T>(config: T, k: Knobs): T {
  const raw: any = config;
  raw.apps.api = { ...raw.apps.api, host: k.apiHost, replicas: k.replicas, runAsUser: k.uid };
  raw.apps.api.probes = {
    ...raw.apps.api.probes,
    startupFailureThreshold: k.startupFailureThreshold,
    periodSeconds: k.periodSeconds,
  };
  raw.apps.api.resources = { cpu: k.cpu, memory: k.memory, memoryLimit: '512Mi' };
  raw.apps.admin.host = k.adminHost;
  raw.apps.redis.storage = k.storage;
  raw.traefik.runAsUser = k.traefikUid;
  const extra = [
    { name: 'node-4', publicIPv4: '203.0.113.4' },
    { name: 'node-5', publicIPv4: '203.0.113.5' },
  ];
  raw.cluster.nodes = [...raw.cluster.nodes, ...extra].slice(0, k.nodes);
  raw.cluster.serviceCidr = k.serviceCidr;
  raw.cluster.clusterDns = at(k.serviceCidr, k.dnsIndex);
  raw.cluster.podCidr = `10.42.0.0/${k.podPrefix}`;
  if (k.privateNetwork) {
    const { cidr, offsets } = k.privateNetwork;
    raw.cluster.privateNetwork = { cidr };
    raw.cluster.nodes.forEach(
      (n: any, i: number) =>
        (n.privateIPv4 = cidr === '172.31.0.0/16' && i === 0 ? '172.31.1.1' : at(cidr, offsets[i]!)),
    );
  }
  raw.firewall.operatorCidrs = k.operatorCidrs;
  if (k.redisAddrIn) raw.apps[k.redisAddrIn].env = { ...raw.apps[k.redisAddrIn].env, REDIS_ADDR: 'redis.example:6379' };
  raw.etcdSnapshots.schedule = k.schedule;
  raw.k3s.version = k.version;
  raw.traefik = { ...raw.traefik, webPort: k.webPort, websecurePort: k.websecurePort };
  raw.namespace = k.namespace;
  return config;
}

/** The YAML of the production configuration with the knobs applied. */
const configText = (k: Knobs): string => stringify(applyKnobs(productionRaw(), k));

/** The configuration, or undefined when synth refuses it. */
function accepted(k: Knobs): Config | undefined {
  try {
    return parseConfig(configText(k), 'cluster.yaml');
  } catch (e) {
    if (e instanceof ConfigError) return undefined;
    throw e;
  }
}

/** One example per guarded value: the good configuration with only that knob on the other side of its rule. */
const ONE_BAD_KNOB: Partial<Knobs>[] = [
  { apiHost: '192.0.2.10' },
  { adminHost: '010.0.0.1' },
  { apiHost: 'admin.myhoneydue.com' },
  { startupFailureThreshold: INT32 + 1 },
  { periodSeconds: INT32 + 1 },
  { uid: INT32 + 1 },
  { traefikUid: INT32 + 1 },
  { cpu: '0' },
  { memory: '0Mi' },
  { storage: '0Gi' },
  { serviceCidr: '10.43.0.0/30', dnsIndex: 2 },
  { serviceCidr: '10.64.0.0/11' },
  { dnsIndex: 0 },
  { dnsIndex: 1 },
  { dnsIndex: -1 },
  { podPrefix: 25 },
  { podPrefix: 23 },
  { privateNetwork: { cidr: '10.0.0.0/24', offsets: [0, 2, 3] } },
  { privateNetwork: { cidr: '10.0.0.0/24', offsets: [2, 1, 3] } },
  { privateNetwork: { cidr: '10.0.0.0/24', offsets: [2, 3, -1] } },
  { privateNetwork: { cidr: '172.31.0.0/16', offsets: [2, 3, 4] } },
  { privateNetwork: { cidr: '178.104.0.0/15', offsets: [2, 3, 4] } },
  { operatorCidrs: ['10.42.1.0/24'] },
  { operatorCidrs: ['10.43.0.0/16'] },
  { operatorCidrs: ['169.254.0.0/16'] },
  { operatorCidrs: ['198.51.100.0/24', '198.51.100.0/24'] },
  { operatorCidrs: ['198.51.100.0/24', '198.51.100.0/25'] },
  { redisAddrIn: 'api' },
  { redisAddrIn: 'worker' },
  { schedule: '0 3 30 2 *' },
  { schedule: '0 3 31 4,6,9,11 */1' },
  { version: 'v1.20.0+k3s1' },
  { version: 'v1.35.1+k3s1' },
  { webPort: 8080 },
  { webPort: 6444 },
  { websecurePort: 10258 },
  { websecurePort: 80 },
  { namespace: 'kube-system' },
  { namespace: 'system-upgrade' },
  { namespace: 'default' },
];

const SEED_ENV = process.env.HONEYDUE_FC_SEED;
/** Fixed unless HONEYDUE_FC_SEED says otherwise (a number replays a run, `random` explores), as in hostile.test.ts. */
const SEED = SEED_ENV === 'random' ? Date.now() % 2 ** 31 : Number(SEED_ENV ?? 20261205);

describe('the oracle', () => {
  test('has nothing against the production configuration, and the good knobs give exactly it', () => {
    expect(refusals(production())).toEqual([]);
    expect(accepted(GOOD)).toEqual(production());
  });

  test.each(ONE_BAD_KNOB.map((bad) => [JSON.stringify(bad), bad] as const))(
    'refuses %s when the schema is bypassed',
    (_name, bad) => {
      // The configuration the knobs describe, without the checks: what a missing check would let through.
      const bypassed = applyKnobs(structuredClone(production()), { ...GOOD, ...bad });
      expect(refusals(bypassed)).not.toEqual([]);
      expect(accepted({ ...GOOD, ...bad })).toBeUndefined();
    },
  );
});

test('for any configuration synth accepts, every object passes the Kubernetes schemas and the rules past them', () => {
  let acceptedCount = 0;
  fc.assert(
    fc.property(knobs, (k) => {
      const config = accepted(k);
      if (!config) return;
      acceptedCount++;
      expect({ seed: SEED, refusals: refusals(config) }).toEqual({ seed: SEED, refusals: [] });
    }),
    { seed: SEED, numRuns: 400, examples: [[GOOD], ...ONE_BAD_KNOB.map((bad) => [{ ...GOOD, ...bad }] as [Knobs])] },
  );
  // Not vacuous: enough generated configurations pass the checks to be synthesized and read.
  expect(acceptedCount).toBeGreaterThan(100);
}, 120_000);
