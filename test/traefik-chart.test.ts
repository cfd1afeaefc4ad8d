/**
 * Renders the Traefik chart with the real helm 4, two ways:
 * - as K3s v1.34.6 deploys it: the chart K3s bundles (traefik-39.0.501+up39.0.5), K3s's own
 *   HelmChart values first, then our HelmChartConfig values from dist/, then the HelmChart's
 *   `spec.set`, in the order helm-controller and klipper-helm hand them to helm
 *   (test/fixtures/traefik-k3s/ORIGIN.md);
 * - our values alone against every upstream chart version K3s 1.34 may bundle, as a
 *   compatibility check: helm validates values against each chart's values.schema.json, so a
 *   key a version does not accept fails here (the K3s chart has no schema).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { traefikValues } from '../charts/traefik-values';
import { helmPath } from './layer';
import { explain, mustRun, run } from './process';
import { production, tempDir } from './support';

const CHARTS = path.join(__dirname, 'fixtures', 'traefik-charts');
const VERSIONS = ['v37.1.1', 'v38.0.2', 'v39.0.5', 'v39.0.9', 'v40.0.0', 'v40.3.0'];
/** A few of Cloudflare's published ranges, IPv4 and IPv6. */
const CLOUDFLARE = ['173.245.48.0/20', '103.21.244.0/22', '104.16.0.0/13', '2400:cb00::/32', '2606:4700::/32'];
/** The production shape: web :80, websecure :443, UID/GID 65532 (cluster.yaml's traefik section). */
const PROPS = { webPort: 80, websecurePort: 443, runAsUser: 65532, runAsGroup: 65532, trustedIPs: CLOUDFLARE };
const VALUES = traefikValues(PROPS);

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec?: Record<string, unknown>;
}

let tmp: string;
let files = 0;
// Registered for removal at exit, interrupt included (test/cleanup.ts).
beforeAll(() => {
  tmp = tempDir('traefik-chart');
});

interface HelmResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/**
 * `helm template` release `traefik` in kube-system from a chart archive with extra args;
 * throws only if helm was killed (its timeout).
 */
function helmTemplateArgs(archive: string, extra: string[]): HelmResult {
  const args = ['template', 'traefik', archive, '--namespace', 'kube-system', '--kube-version', '1.34.6', ...extra];
  // Keep helm's cache/config/data out of $HOME.
  const env = { ...process.env, HELM_CACHE_HOME: tmp, HELM_CONFIG_HOME: tmp, HELM_DATA_HOME: tmp };
  const r = run([helmPath(), ...args], { env });
  // A refusal is an exit code; a hung helm killed by the timeout is not one.
  if (r.status === null) throw new Error(explain(r));
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** A values file of the given text in the test's temp dir. */
function valuesFile(text: string): string {
  const file = path.join(tmp, `values-${files++}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

/** `helm template` one vendored upstream chart with a values file of the given text; never throws. */
function helmTemplateText(version: string, valuesYaml: string) {
  return helmTemplateArgs(path.join(CHARTS, `traefik-${version}.tar.gz`), ['-f', valuesFile(valuesYaml)]);
}

/** helm parses values as YAML 1.1; version '1.1' quotes strings such as "yes" that 1.1 reads as booleans. */
const yaml11 = (values: Record<string, unknown>) => stringify(values, { version: '1.1' });

function helmTemplate(version: string, values: Record<string, unknown>) {
  return helmTemplateText(version, yaml11(values));
}

/** The documents of a successful helm run. */
function manifestsOf(what: string, r: HelmResult): Manifest[] {
  if (!r.ok) throw new Error(`helm template ${what} failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout);
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) throw new Error(`helm output of ${what} is not valid YAML: ${errors.join('; ')}`);
  return docs.map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

function render(version: string, values: Record<string, unknown>): Manifest[] {
  return manifestsOf(version, helmTemplate(version, values));
}

/** Values of every `--name=value` arg. */
function argValues(args: string[], name: string): string[] {
  return args.filter((a) => a.startsWith(`${name}=`)).map((a) => a.slice(name.length + 1));
}

/** The only DaemonSet of a render and its `traefik` container. */
function traefikPod(manifests: Manifest[]) {
  const ds = manifests.find((m) => m.kind === 'DaemonSet') as unknown as IDaemonSet | undefined;
  const container = ds?.spec?.template.spec?.containers.find((c) => c.name === 'traefik');
  if (!ds || !container) throw new Error('no traefik container in a DaemonSet');
  return { ds, traefik: container, args: container.args ?? [] };
}

/**
 * The value Traefik takes for a static option on its command line: the last `--name=value`,
 * `true` for a bare `--name`. Traefik (paerser) reads option names case-insensitively, and the
 * chart writes some in lower case (`--metrics.prometheus.entrypoint`).
 */
function option(args: string[], name: string): string | undefined {
  const key = name.toLowerCase();
  let value: string | undefined;
  for (const a of args) {
    const [n, v] = a.split(/=(.*)/s, 2) as [string, string | undefined];
    if (n.toLowerCase() === `--${key}`) value = v ?? 'true';
  }
  return value;
}

const isOn = (args: string[], name: string) => ![undefined, 'false'].includes(option(args, name));

/**
 * The entry points, name to address, Traefik v3.6 listens on for a command line: every
 * `--entryPoints.<name>.address`, plus the one Traefik adds by itself. Its static configuration's
 * SetEffectiveConfiguration creates `traefik` on `:8080` (every interface) when that entry point
 * is missing and the insecure API, the insecure REST provider, ping or Prometheus metrics uses it;
 * `traefik` is the default entry point of ping and of Prometheus metrics. And with no entry point
 * at all it creates `http` on `:80`. Source: test/fixtures/traefik-k3s/ORIGIN.md.
 */
function listeners(args: string[]): Map<string, string> {
  const entryPoints = new Map<string, string>();
  for (const a of args) {
    const m = /^--entryPoints\.([^.=]+)\.address=(.*)$/i.exec(a);
    if (m) entryPoints.set(m[1]!, m[2]!);
  }
  if (entryPoints.size === 0) entryPoints.set('http', ':80');
  const usesInternal = (feature: string) =>
    isOn(args, feature) &&
    !isOn(args, `${feature}.manualRouting`) &&
    (option(args, `${feature}.entryPoint`) ?? 'traefik') === 'traefik';
  const needsInternal =
    isOn(args, 'api.insecure') ||
    isOn(args, 'providers.rest.insecure') ||
    usesInternal('ping') ||
    usesInternal('metrics.prometheus');
  if (needsInternal && !entryPoints.has('traefik')) entryPoints.set('traefik', ':8080');
  return entryPoints;
}

/** Whether an entry point address (`host:port/proto`) is bound to loopback only. */
const onLoopback = (address: string) => /^(127\.\d+\.\d+\.\d+|\[::1\]):\d+(\/(tcp|udp))?$/.test(address);

/** Entry points other than web and websecure that listen beyond loopback: none is allowed. */
const exposedInternals = (args: string[]) =>
  [...listeners(args)].filter(([name, address]) => !['web', 'websecure'].includes(name) && !onLoopback(address));

/**
 * The probes reach Traefik's /ping: same port as the entry point ping is served on, and on
 * loopback exactly when that entry point is (with hostNetwork the kubelet shares the node's
 * network namespace, so 127.0.0.1 is Traefik's loopback; without `host` it would dial the pod IP,
 * the node's address, where a loopback listener is not).
 */
function probeProblems(traefik: IContainer): string[] {
  const args = traefik.args ?? [];
  const pingEntryPoint = option(args, 'ping.entryPoint') ?? 'traefik';
  const address = listeners(args).get(pingEntryPoint);
  if (!isOn(args, 'ping') || address === undefined) return ['ping is off or its entry point does not exist'];
  const [, host, port] = /^(.*):(\d+)(\/\w+)?$/.exec(address) ?? [];
  return (['readinessProbe', 'livenessProbe'] as const).flatMap((name) => {
    const get = traefik[name]?.httpGet;
    const problems: string[] = [];
    if (get?.path !== '/ping') problems.push(`${name} path ${get?.path}`);
    if (String(get?.port) !== port) problems.push(`${name} port ${get?.port}, ping on ${address}`);
    if (onLoopback(address) && get?.host !== host) problems.push(`${name} host ${get?.host}, ping on ${address}`);
    return problems;
  });
}

test('the fixture directory holds exactly the chart versions under test', () => {
  const archives = fs
    .readdirSync(CHARTS)
    .filter((f) => f.endsWith('.tar.gz'))
    .sort();
  expect(archives).toEqual(VERSIONS.map((v) => `traefik-${v}.tar.gz`));
});

describe.each(VERSIONS)('with our values, Traefik chart %s', (version) => {
  let manifests: Manifest[];
  let ds: IDaemonSet;
  let traefik: IContainer;
  let args: string[];

  beforeAll(() => {
    manifests = render(version, VALUES);
    ({ ds, traefik, args } = traefikPod(manifests));
  });

  test('renders one DaemonSet with hostNetwork and no Deployment', () => {
    expect(manifests.filter((m) => m.kind === 'DaemonSet')).toHaveLength(1);
    expect(manifests.filter((m) => m.kind === 'Deployment')).toHaveLength(0);
    expect(ds.spec?.template.spec?.hostNetwork).toBe(true);
  });

  test('resolves cluster DNS names despite hostNetwork', () => {
    expect(ds.spec?.template.spec?.dnsPolicy).toBe('ClusterFirstWithHostNet');
  });

  test.each([
    ['web', 80],
    ['websecure', 443],
  ])('entrypoint %s listens on :%d, the container port of the same name', (name, port) => {
    expect(argValues(args, `--entryPoints.${name}.address`)).toEqual([`:${port}/tcp`]);
    expect(traefik.ports?.find((p) => p.name === name)?.containerPort).toBe(port);
  });

  test('runs as UID and GID 65532, non-root, with only NET_BIND_SERVICE', () => {
    const pod = ds.spec?.template.spec?.securityContext;
    const ctr = traefik.securityContext;
    // The effective value: a container setting overrides the pod's.
    expect(ctr?.runAsUser ?? pod?.runAsUser).toBe(65532);
    expect(ctr?.runAsGroup ?? pod?.runAsGroup).toBe(65532);
    expect(ctr?.runAsNonRoot ?? pod?.runAsNonRoot).toBe(true);
    expect(ctr?.capabilities).toEqual({ drop: ['ALL'], add: ['NET_BIND_SERVICE'] });
    expect(ctr?.allowPrivilegeEscalation).toBe(false);
    expect(ctr?.readOnlyRootFilesystem).toBe(true);
  });

  test('rolls out by stopping the old pod before starting the new one (maxSurge 0, maxUnavailable 1)', () => {
    expect(ds.spec?.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
  });

  test('creates no Service, so no LoadBalancer competes for the host ports', () => {
    expect(manifests.filter((m) => m.kind === 'Service')).toEqual([]);
  });

  test('does not point Ingress status at the Service it does not create', () => {
    expect(args.filter((a) => a.includes('publishedservice'))).toEqual([]);
  });

  test.each(['web', 'websecure'])('entrypoint %s trusts X-Forwarded-* from exactly the given CIDRs', (name) => {
    const [trusted, ...more] = argValues(args, `--entryPoints.${name}.forwardedHeaders.trustedIPs`);
    expect(more).toEqual([]);
    expect(trusted?.split(',')).toEqual(CLOUDFLARE);
    expect(args.filter((a) => a.startsWith(`--entryPoints.${name}.forwardedHeaders.insecure`))).toEqual([]);
  });

  test('does not redirect the web entrypoint (Cloudflare sends plain HTTP to :80)', () => {
    expect(args.filter((a) => a.startsWith('--entryPoints.web.http.redirections'))).toEqual([]);
  });

  test('listens beyond loopback only on web and websecure; the traefik entry point is on 127.0.0.1', () => {
    expect(exposedInternals(args)).toEqual([]);
    expect(listeners(args).get('traefik')).toBe('127.0.0.1:8080/tcp');
    expect(
      traefik.ports?.filter((p) => !['web', 'websecure'].includes(p.name ?? '') && p.hostIP !== '127.0.0.1'),
    ).toEqual([]);
  });

  test('the liveness and readiness probes reach /ping on 127.0.0.1', () => {
    expect(probeProblems(traefik)).toEqual([]);
    expect(traefik.readinessProbe?.httpGet).toMatchObject({ host: '127.0.0.1', port: 8080, path: '/ping' });
  });

  test('exports no metrics and opens no metrics entry point', () => {
    expect(args.filter((a) => /^--(metrics|entryPoints\.metrics)\./i.test(a))).toEqual([]);
  });
});

describe.each(VERSIONS)('helm checks values against the schema of chart %s', (version) => {
  test('a wrongly typed value (hostNetwork: "yes") is rejected', () => {
    const r = helmTemplate(version, { ...VALUES, hostNetwork: 'yes' });
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/\/hostNetwork.*want boolean/);
  });

  test('a misspelled key inside updateStrategy is rejected', () => {
    const r = helmTemplate(version, { ...VALUES, updateStrategy: { type: 'RollingUpdate', rollingUpdates: {} } });
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/additional properties 'rollingUpdates' not allowed/);
  });
});

// The trap helmTemplate avoids; the HelmChartConfig's valuesContent must avoid it too.
test('helm reads the plain `yes` of yaml.stringify (YAML 1.2) as boolean true', () => {
  const text = stringify({ ...VALUES, hostNetwork: 'yes' });
  expect(text).toContain('\nhostNetwork: yes\n');
  const r = helmTemplateText('v40.3.0', text);
  expect(r.ok).toBe(true);
  expect(r.stdout).toContain('hostNetwork: true');
});

// Root-level additionalProperties: false arrived in v39; older charts accept any top-level key.
test.each([
  ['v37.1.1', 'accepts'],
  ['v38.0.2', 'accepts'],
  ['v39.0.5', 'rejects'],
  ['v39.0.9', 'rejects'],
  ['v40.0.0', 'rejects'],
  ['v40.3.0', 'rejects'],
])('chart %s %s an unknown top-level key', (version, verdict) => {
  const r = helmTemplate(version, { ...VALUES, notATraefikKey: true });
  expect(r.ok).toBe(verdict === 'accepts');
  if (verdict === 'rejects') expect(r.stderr).toMatch(/additional properties 'notATraefikKey' not allowed/);
});

// Why the values disable the Service instead of making it ClusterIP: v40 moved
// the type to service.spec.type and silently ignores service.type.
test.each([
  ['v37.1.1', 'ClusterIP'],
  ['v38.0.2', 'ClusterIP'],
  ['v39.0.5', 'ClusterIP'],
  ['v39.0.9', 'ClusterIP'],
  ['v40.0.0', 'LoadBalancer'],
  ['v40.3.0', 'LoadBalancer'],
])('chart %s turns service.type ClusterIP into a Service of type %s', (version, type) => {
  const services = render(version, { ...VALUES, service: { enabled: true, type: 'ClusterIP' } }).filter(
    (m) => m.kind === 'Service',
  );
  expect(services.map((s) => s.spec?.type)).toEqual([type]);
});

// ---------------------------------------------------------------------------------------------
// As K3s v1.34.6 deploys it (test/fixtures/traefik-k3s/ORIGIN.md for every fact used here).

const K3S = path.join(__dirname, 'fixtures', 'traefik-k3s');
const DIST_TRAEFIK = path.join(__dirname, '..', 'dist', '0006-traefik.k8s.yaml');

interface HelmChartObject {
  kind: string;
  metadata: { name: string; namespace: string };
  spec: { chart: string; set?: Record<string, string | number>; valuesContent?: string };
}

/**
 * K3s's HelmChart `kube-system/traefik` as K3s writes it into server/manifests: pkg/deploy/stage.go
 * replaces each `%{VAR}%` in the embedded file's bytes. Only %{SYSTEM_DEFAULT_REGISTRY_RAW}%
 * concerns this chart, and it is the `system-default-registry` option, empty on our servers.
 */
function k3sHelmChart(): HelmChartObject {
  const staged = fs
    .readFileSync(path.join(K3S, 'traefik.yaml'), 'utf8')
    .replaceAll('%{SYSTEM_DEFAULT_REGISTRY_RAW}%', '');
  const chart = parseAllDocuments(staged)
    .map((d) => d.toJS() as HelmChartObject)
    .find((o) => o.kind === 'HelmChart' && o.metadata.name === 'traefik');
  if (!chart) throw new Error('no HelmChart traefik in the vendored K3s manifest');
  return chart;
}

/** Our HelmChartConfig as committed in dist/ (kubectl apply -f dist). */
function ourHelmChartConfig(): HelmChartObject {
  return parse(fs.readFileSync(DIST_TRAEFIK, 'utf8')) as HelmChartObject;
}

/**
 * helm-controller v0.16.17 `args()`: each `spec.set` entry, in key order, as `--set` when its
 * value is a number or true/false/null, else as `--set-string`. (Commas inside a string value
 * are escaped there; K3s's values here have none, so that is not mirrored.)
 */
function setArgs(set: Record<string, string | number> = {}): string[] {
  return Object.keys(set)
    .sort()
    .flatMap((key) => {
      const value = String(set[key]);
      if (value.includes(',')) throw new Error(`spec.set ${key}: comma escaping is not mirrored here`);
      const typed = typeof set[key] === 'number' || ['true', 'false', 'null'].includes(value.toLowerCase());
      return [typed ? '--set' : '--set-string', `${key}=${value}`];
    });
}

/**
 * `helm template` of the K3s chart the way the helm job runs `helm install`: helm-controller
 * writes the HelmChart's valuesContent and the HelmChartConfig's into /config as
 * values-0-000-HelmChart-ValuesContent.yaml and values-1-000-HelmChartConfig-ValuesContent.yaml;
 * klipper-helm passes `--values` for each file of the sorted glob /config/*.yaml, and
 * helm-controller adds the `spec.set` flags. Later files win for a key; lists are replaced whole.
 */
function renderAsK3s(configValues: string, extraValues?: Record<string, unknown>): HelmResult {
  const chart = k3sHelmChart();
  const dir = fs.mkdtempSync(path.join(tmp, 'config-'));
  fs.writeFileSync(path.join(dir, 'values-0-000-HelmChart-ValuesContent.yaml'), chart.spec.valuesContent ?? '');
  fs.writeFileSync(path.join(dir, 'values-1-000-HelmChartConfig-ValuesContent.yaml'), configValues);
  // Not part of K3s's flow: a test's own change, after ours.
  if (extraValues) fs.writeFileSync(path.join(dir, 'values-2-test.yaml'), yaml11(extraValues));
  const values = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => ['--values', path.join(dir, f)]);
  return helmTemplateArgs(path.join(K3S, path.basename(chart.spec.chart)), [...values, ...setArgs(chart.spec.set)]);
}

describe('as K3s v1.34.6 deploys it: chart traefik-39.0.501+up39.0.5, K3s’s values, then ours from dist/', () => {
  const { traefik: config } = production();
  let manifests: Manifest[];
  let ds: IDaemonSet;
  let traefik: IContainer;
  let args: string[];

  beforeAll(() => {
    manifests = manifestsOf('K3s traefik-39.0.501+up39.0.5', renderAsK3s(ourHelmChartConfig().spec.valuesContent!));
    ({ ds, traefik, args } = traefikPod(manifests));
  });

  test('the vendored chart is the one K3s’s HelmChart names, and our HelmChartConfig matches that HelmChart by namespace and name', () => {
    const chart = k3sHelmChart();
    expect(chart.spec.chart).toBe('https://%{KUBERNETES_API}%/static/charts/traefik-39.0.501+up39.0.5.tgz');
    const shown = helmShowChart(path.join(K3S, path.basename(chart.spec.chart)));
    expect(shown).toMatchObject({ name: 'traefik', version: '39.0.501+up39.0.5', appVersion: 'v3.6.10' });
    expect(ourHelmChartConfig()).toMatchObject({ kind: 'HelmChartConfig', metadata: chart.metadata });
  });

  test('K3s’s spec.set reaches helm as --set-string global.systemDefaultRegistry= (empty)', () => {
    expect(setArgs(k3sHelmChart().spec.set)).toEqual(['--set-string', 'global.systemDefaultRegistry=']);
  });

  test('renders one hostNetwork DaemonSet, no Deployment and no Service of any kind', () => {
    expect(manifests.filter((m) => ['DaemonSet', 'Deployment', 'Service'].includes(m.kind)).map((m) => m.kind)).toEqual(
      ['DaemonSet'],
    );
    expect(ds.spec?.template.spec?.hostNetwork).toBe(true);
    expect(ds.spec?.template.spec?.dnsPolicy).toBe('ClusterFirstWithHostNet');
  });

  test('web and websecure listen on the configured host ports, as the configured non-root UID and GID', () => {
    expect(listeners(args).get('web')).toBe(`:${config.webPort}/tcp`);
    expect(listeners(args).get('websecure')).toBe(`:${config.websecurePort}/tcp`);
    const pod = ds.spec?.template.spec?.securityContext;
    expect(traefik.securityContext?.runAsUser ?? pod?.runAsUser).toBe(config.runAsUser);
    expect(traefik.securityContext?.runAsGroup ?? pod?.runAsGroup).toBe(config.runAsUser);
    expect(pod?.runAsNonRoot).toBe(true);
    expect(config.runAsUser).toBe(65532);
  });

  test('nothing else listens on the host: every other entry point and container port is on 127.0.0.1', () => {
    expect(exposedInternals(args)).toEqual([]);
    expect([...listeners(args).keys()].sort()).toEqual(['traefik', 'web', 'websecure']);
    // With hostNetwork every container port is a host port (in the Pod, the API server sets hostPort to it).
    expect(
      traefik.ports?.filter((p) => !['web', 'websecure'].includes(p.name ?? '') && p.hostIP !== '127.0.0.1'),
    ).toEqual([]);
    expect(args.filter((a) => /^--(api\.insecure|providers\.rest)/i.test(a))).toEqual([]);
  });

  test('the liveness and readiness probes still reach /ping, on the loopback entry point', () => {
    expect(probeProblems(traefik)).toEqual([]);
  });

  test('metrics are off: no metrics entry point, and the pod is marked not to be scraped', () => {
    expect(args.filter((a) => /^--(metrics|entryPoints\.metrics)\./i.test(a))).toEqual([]);
    // K3s's values announce port 8082; the merge keeps that key and takes our scrape flag.
    expect(ds.spec?.template.metadata?.annotations).toEqual({
      'prometheus.io/port': '8082',
      'prometheus.io/scrape': 'false',
    });
  });

  test('keeps what K3s’s values set and ours do not: its image, priority class and tolerations', () => {
    expect(traefik.image).toBe('rancher/mirrored-library-traefik:3.6.10');
    expect(ds.spec?.template.spec?.priorityClassName).toBe('system-cluster-critical');
    expect(ds.spec?.template.spec?.tolerations).toEqual([
      { key: 'CriticalAddonsOnly', operator: 'Exists' },
      { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    ]);
  });

  test('K3s’s publishedService setting does not point Ingress status at the Service that is not created', () => {
    expect(args.filter((a) => a.toLowerCase().includes('publishedservice'))).toEqual([]);
  });

  test('entry points trust X-Forwarded-* only from Cloudflare', () => {
    const { cloudflare } = production();
    for (const name of ['web', 'websecure']) {
      expect(argValues(args, `--entryPoints.${name}.forwardedHeaders.trustedIPs`)).toEqual([
        [...cloudflare.ipv4, ...cloudflare.ipv6].join(','),
      ]);
    }
  });

  test('removing the traefik entry point instead of binding it would reopen :8080 on every interface (Traefik adds it for ping)', () => {
    const r = renderAsK3s(ourHelmChartConfig().spec.valuesContent!, {
      ports: { traefik: null },
      deployment: { healthchecksPort: config.webPort },
    });
    const { args: without } = traefikPod(manifestsOf('K3s chart without the traefik entry point', r));
    expect(without.filter((a) => a.startsWith('--entryPoints.traefik.'))).toEqual([]);
    expect(exposedInternals(without)).toEqual([['traefik', ':8080']]);
  });

  test('the K3s chart has no values schema, so a misspelt key passes silently there; upstream 39.0.5 rejects it', () => {
    const typo = { ...VALUES, hostNetwrok: true };
    expect(renderAsK3s(yaml11(typo)).ok).toBe(true);
    const upstream = helmTemplate('v39.0.5', typo);
    expect(upstream.ok).toBe(false);
    expect(upstream.stderr).toMatch(/additional properties 'hostNetwrok' not allowed/);
  });

  test('K3s’s values merged with ours pass the schema of upstream 39.0.5, the chart the K3s one repacks', () => {
    const k3sValues = parse(k3sHelmChart().spec.valuesContent!, { version: '1.1' });
    const r = helmTemplateArgs(path.join(CHARTS, 'traefik-v39.0.5.tar.gz'), [
      '--values',
      valuesFile(yaml11(k3sValues)),
      '--values',
      valuesFile(ourHelmChartConfig().spec.valuesContent!),
      ...setArgs(k3sHelmChart().spec.set),
    ]);
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
  });
});

/** `helm show chart` of an archive, parsed. */
function helmShowChart(archive: string): Record<string, unknown> {
  const env = { ...process.env, HELM_CACHE_HOME: tmp, HELM_CONFIG_HOME: tmp, HELM_DATA_HOME: tmp };
  return parse(mustRun([helmPath(), 'show', 'chart', archive], { env }).stdout) as Record<string, unknown>;
}

describe('traefikValues', () => {
  test('uses the given ports for both the listen port and the exposed port', () => {
    const ports = traefikValues({ ...PROPS, webPort: 8000, websecurePort: 8443 }).ports;
    expect(ports).toMatchObject({
      web: { port: 8000, exposedPort: 8000 },
      websecure: { port: 8443, exposedPort: 8443 },
    });
  });

  test('does not share the caller’s trustedIPs array', () => {
    const trustedIPs = ['173.245.48.0/20'];
    const values = traefikValues({ ...PROPS, trustedIPs });
    trustedIPs.push('0.0.0.0/0');
    expect(values).toMatchObject({ ports: { web: { forwardedHeaders: { trustedIPs: ['173.245.48.0/20'] } } } });
  });

  test('rejects root and an empty trust list', () => {
    expect(() => traefikValues({ ...PROPS, runAsUser: 0 })).toThrow(
      'traefikValues: runAsUser must not be 0 (runAsNonRoot is set)',
    );
    expect(() => traefikValues({ ...PROPS, trustedIPs: [] })).toThrow('traefikValues: trustedIPs must not be empty');
  });
});
