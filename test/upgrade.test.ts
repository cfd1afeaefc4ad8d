import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { renderNodes, type RenderedNode } from '../node/render';
import { PATHS } from '../model/paths';
import { PLAN_CRD, SUC_MANIFEST, SUC_RELEASE } from '../charts/upgrade/controller';
import { kubectlPath } from './layer';
import { mustRun } from './process';
import { type KubeObject, production, synthObjects, synthToDir, tempDir, TEST_TOKEN, variant } from './support';

const ROOT = path.join(__dirname, '..');
const objects = synthObjects();
const plan = objects.find((o) => o.kind === 'Plan')!;
const crd = parse(fs.readFileSync(path.join(ROOT, PLAN_CRD), 'utf8'));

type Schema = Record<string, any>;

/**
 * The CRD's structural schema as JSON Schema for ajv, closed: an object that lists
 * `properties` and does not say `x-kubernetes-preserve-unknown-fields` gets
 * `additionalProperties: false`, which is what the API server's pruning means (an unknown
 * field would be silently dropped). `x-kubernetes-int-or-string` becomes its two types.
 */
function closed(schema: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k.startsWith('x-kubernetes-')) continue;
    if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, closed(s as Schema)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = closed(v as Schema);
    else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') out[k] = (v as Schema[]).map(closed);
    else out[k] = v;
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf ??= [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function planValidator() {
  const [version] = crd.spec.versions;
  const schema = closed(version.schema.openAPIV3Schema);
  // metadata is the API server's ObjectMeta, not the CRD's to describe.
  schema.properties.metadata = { type: 'object' };
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  return ajv.compile(schema);
}

describe('the server Plan', () => {
  test('upgrades one server at a time, cordoned, with rancher/k3s-upgrade, to k3s.version', () => {
    expect(plan).toMatchObject({ apiVersion: 'upgrade.cattle.io/v1', metadata: { name: 'k3s-server', namespace: 'system-upgrade' } });
    expect(plan.spec).toEqual({
      concurrency: 1,
      cordon: true,
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] },
      serviceAccountName: 'system-upgrade',
      upgrade: { image: 'rancher/k3s-upgrade' },
      version: production().k3s.version,
    });
  });

  test('validates against the vendored CRD’s OpenAPI schema, with no field the schema does not list', () => {
    const validate = planValidator();
    expect(validate(plan) ? [] : validate.errors).toEqual([]);
  });

  test('the validator bites: a misspelt field, a wrong type and a missing upgrade are refused', () => {
    const validate = planValidator();
    const bad = (spec: Record<string, unknown>) => !validate({ ...plan, spec });
    expect(bad({ ...plan.spec, concurency: 1 })).toBe(true);
    expect(bad({ ...plan.spec, cordon: 'yes' })).toBe(true);
    expect(bad({ ...plan.spec, upgrade: { image: 'rancher/k3s-upgrade', imagePullPolicy: 'Always' } })).toBe(true);
    const { upgrade: _upgrade, ...noUpgrade } = plan.spec;
    expect(bad(noUpgrade)).toBe(true);
  });

  test('its types are generated from the vendored CRD: npm run import reproduces imports/ byte for byte', () => {
    const out = tempDir('cdk8s-import');
    const script = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.import as string;
    const argv = script.replace('--output imports', `--output ${out}`).split(' ');
    mustRun(['npx', ...argv], { cwd: ROOT, timeoutMs: 60_000 });
    for (const f of ['upgrade.cattle.io.ts', 'helm.cattle.io.ts']) {
      expect(fs.readFileSync(path.join(out, f), 'utf8')).toBe(fs.readFileSync(path.join(ROOT, 'imports', f), 'utf8'));
    }
  }, 60_000);

  test('k3s.version is the one place: it changes the Plan and the binary the node files install', () => {
    const next = variant((raw) => (raw.k3s = { ...raw.k3s, version: 'v1.34.7+k3s1' }));
    expect(synthObjects(next).find((o) => o.kind === 'Plan')!.spec.version).toBe('v1.34.7+k3s1');
    const unit = (n: RenderedNode) => (parse(n.content).write_files as { path: string; content: string }[]).find((f) => f.path === PATHS.k3sInstallUnit)!.content;
    for (const n of renderNodes(next, { token: TEST_TOKEN })) {
      expect(unit(n)).toContain('/v1.34.7+k3s1/k3s');
      expect(unit(n)).not.toContain('v1.34.6');
    }
  });
});

describe('system-upgrade-controller', () => {
  const dist = synthToDir();
  const files = fs.readdirSync(dist).filter((f) => f.endsWith('.k8s.yaml')).sort();
  const docs = (f: string) => parseAllDocuments(fs.readFileSync(path.join(dist, f), 'utf8')).map((d) => d.toJS() as KubeObject);
  const fileOf = (kind: string) => files.find((f) => docs(f).some((o) => o.kind === kind))!;

  test(`the vendored manifest is the ${SUC_RELEASE} release build: kustomize over the upstream files with the release image`, () => {
    const dir = tempDir('suc-kustomize');
    fs.cpSync(path.join(ROOT, path.dirname(SUC_MANIFEST), 'upstream'), path.join(dir, 'upstream'), { recursive: true });
    // What `kustomize edit set image` in the release script writes.
    fs.writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      `resources: [upstream]\nimages: [{name: rancher/system-upgrade-controller, newName: rancher/system-upgrade-controller, newTag: ${SUC_RELEASE}}]\n`,
    );
    const built = mustRun([kubectlPath(), 'kustomize', dir]).stdout;
    expect(built).toBe(fs.readFileSync(path.join(ROOT, SUC_MANIFEST), 'utf8'));
  });

  test('dist/ carries the release manifest and the CRD unchanged but for the stack labels', () => {
    const vendored = [...parseAllDocuments(fs.readFileSync(path.join(ROOT, PLAN_CRD), 'utf8')), ...parseAllDocuments(fs.readFileSync(path.join(ROOT, SUC_MANIFEST), 'utf8'))].map((d) => d.toJS());
    const synthesized = docs(fileOf('CustomResourceDefinition'));
    const strip = (o: KubeObject) => {
      const labels = { ...o.metadata.labels };
      delete labels['app.kubernetes.io/part-of'];
      delete labels['app.kubernetes.io/managed-by'];
      return { ...o, metadata: { ...o.metadata, labels: Object.keys(labels).length ? labels : undefined } };
    };
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
    expect(synthesized.map(key).sort()).toEqual(vendored.map(key).sort());
    for (const o of synthesized) expect(JSON.parse(JSON.stringify(strip(o)))).toEqual(vendored.find((v) => key(v) === key(o)));
  });

  test('kubectl apply -f dist order: the namespace and the CRD come before any Plan, in an earlier file', () => {
    const controller = fileOf('CustomResourceDefinition');
    expect(fileOf('Plan') > controller).toBe(true);
    expect(docs(controller).slice(0, 2).map((o) => o.kind)).toEqual(['Namespace', 'CustomResourceDefinition']);
    expect(docs(fileOf('Plan')).every((o) => o.kind === 'Plan')).toBe(true);
  });

  test('the upgrade Jobs’ namespace allows privileged pods; the controller itself runs as non-root', () => {
    const ns = objects.find((o) => o.kind === 'Namespace' && o.metadata.name === 'system-upgrade')!;
    expect(ns.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'system-upgrade')!;
    const [c] = deployment.spec.template.spec.containers;
    expect(c.image).toBe(`rancher/system-upgrade-controller:${SUC_RELEASE}`);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, allowPrivilegeEscalation: false });
  });

  test('the README prune command names every kind in dist/, so a removed object of any kind is pruned', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const allowed = new Set([...readme.matchAll(/--prune-allowlist=(\S+)/g)].map((m) => m[1]));
    const kinds = new Set(files.flatMap(docs).map((o) => `${o.apiVersion.includes('/') ? o.apiVersion : `core/${o.apiVersion}`}/${o.kind}`));
    expect([...kinds].filter((k) => !allowed.has(k))).toEqual([]);
  });
});

describe('the upgrade keeps the node’s units (k3s-upgrade replaces only the binary)', () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'k3s-upgrade.json'), 'utf8'));
  const unit = parse(renderNodes(production(), { token: TEST_TOKEN })[0]!.content).write_files.find((f: { path: string }) => f.path === PATHS.k3sUnit).content as string;
  const execStart = /^ExecStart=(.*)$/m.exec(unit)![1]!;

  test('the upgrade script finds our K3s process by its command line, as ps -ef shows it', () => {
    const psLine = `root        1234       1  9 10:00 ?        00:01:02 ${execStart}`;
    expect(new RegExp(fixture.findProcess.match).test(psLine)).toBe(true);
    expect(new RegExp(fixture.findProcess.exclude).test(psLine)).toBe(false);
  });

  test('the binary it overwrites is the one k3s-install.service verified and installed', () => {
    expect(execStart.split(' ')[0]).toBe(PATHS.k3sBinary);
  });

  test('after its SIGTERM systemd starts K3s again, through the unit with the fail-closed checks', () => {
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^Requires=k3s-install\.service metadata-guard\.service$/m);
    expect(unit).toMatch(/^ExecStartPre=\/usr\/sbin\/iptables -w -n -L \S+$/m);
  });

  test('the upgraded binary is kept at the next boot: k3s-install.service runs only while no binary exists', () => {
    const install = parse(renderNodes(production(), { token: TEST_TOKEN })[0]!.content).write_files.find((f: { path: string }) => f.path === PATHS.k3sInstallUnit).content as string;
    expect(install).toContain(`\nConditionPathExists=!${PATHS.k3sBinary}\n`);
  });
});
