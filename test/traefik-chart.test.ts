/**
 * Renders our Traefik values with the real helm 4 against every vendored chart
 * version K3s 1.34 may bundle. helm validates values against each chart's
 * values.schema.json, so a key a version does not accept fails here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { parseAllDocuments, stringify } from 'yaml';
import { traefikValues } from '../charts/traefik-values';
import { helmPath } from '../tools/layer';
import { tempDir } from './support';

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

/** `helm template` one vendored chart with a values file of the given text; never throws. */
function helmTemplateText(version: string, valuesYaml: string) {
  const valuesFile = path.join(tmp, `values-${files++}.yaml`);
  fs.writeFileSync(valuesFile, valuesYaml);
  const archive = path.join(CHARTS, `traefik-${version}.tar.gz`);
  const args = ['template', 'traefik', archive, '--namespace', 'kube-system', '--kube-version', '1.34.6', '-f', valuesFile];
  // Keep helm's cache/config/data out of $HOME.
  const env = { ...process.env, HELM_CACHE_HOME: tmp, HELM_CONFIG_HOME: tmp, HELM_DATA_HOME: tmp };
  const r = spawnSync(helmPath(), args, { encoding: 'utf8', env });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** helm parses values as YAML 1.1; version '1.1' quotes strings such as "yes" that 1.1 reads as booleans. */
function helmTemplate(version: string, values: Record<string, unknown>) {
  return helmTemplateText(version, stringify(values, { version: '1.1' }));
}

function render(version: string, values: Record<string, unknown>): Manifest[] {
  const r = helmTemplate(version, values);
  if (!r.ok) throw new Error(`helm template ${version} failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout);
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0) throw new Error(`helm output of ${version} is not valid YAML: ${errors.join('; ')}`);
  return docs
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** Values of every `--name=value` arg. */
function argValues(args: string[], name: string): string[] {
  return args.filter((a) => a.startsWith(`${name}=`)).map((a) => a.slice(name.length + 1));
}

test('the fixture directory holds exactly the chart versions under test', () => {
  const archives = fs.readdirSync(CHARTS).filter((f) => f.endsWith('.tar.gz')).sort();
  expect(archives).toEqual(VERSIONS.map((v) => `traefik-${v}.tar.gz`));
});

describe.each(VERSIONS)('with our values, Traefik chart %s', (version) => {
  let manifests: Manifest[];
  let ds: IDaemonSet;
  let traefik: IContainer;
  let args: string[];

  beforeAll(() => {
    manifests = render(version, VALUES);
    ds = manifests.find((m) => m.kind === 'DaemonSet') as unknown as IDaemonSet;
    const container = ds?.spec?.template.spec?.containers.find((c) => c.name === 'traefik');
    if (!container) throw new Error(`no traefik container in a DaemonSet on chart ${version}`);
    traefik = container;
    args = traefik.args ?? [];
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
    expect(ds.spec?.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
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
