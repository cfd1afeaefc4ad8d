import Ajv from 'ajv';
import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { PATHS } from '../model/paths';
import { renderNodes, type RenderedNode } from '../node/render';
import { PLAN_CRD, SUC_MANIFEST, SUC_RELEASE } from '../charts/upgrade/controller';
import { K3S_UPGRADE_BINARY, PREPARE_GATE } from '../charts/upgrade/plan';
import { kubectlPath } from './layer';
import { mustRun, runAsync } from './process';
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
    if (k === 'properties')
      out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, closed(s as Schema)]));
    else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) out[k] = closed(v as Schema);
    else if (k === 'anyOf' || k === 'allOf' || k === 'oneOf') out[k] = (v as Schema[]).map(closed);
    else out[k] = v;
  }
  if (schema['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf ??= [{ type: 'integer' }, { type: 'string' }];
  }
  if (schema.properties && !schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties === undefined)
    out.additionalProperties = false;
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

const suc = JSON.parse(
  fs.readFileSync(path.join(__dirname, 'fixtures', 'system-upgrade-controller', 'suc-v0.20.1.json'), 'utf8'),
);

/** Go's time.ParseDuration for the units a Plan uses, in seconds. */
function goSeconds(d: string): number {
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)];
  expect(parts.map((p) => p[0]).join('')).toBe(d);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'], 0);
}

describe('the server Plan', () => {
  test('upgrades one server at a time, cordoned, with rancher/k3s-upgrade, to k3s.version, waiting and gated', () => {
    expect(plan).toMatchObject({
      apiVersion: 'upgrade.cattle.io/v1',
      metadata: { name: 'k3s-server', namespace: 'system-upgrade' },
    });
    expect(plan.spec).toEqual({
      concurrency: 1,
      cordon: true,
      nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] },
      postCompleteDelay: '2m',
      prepare: {
        image: 'rancher/k3s-upgrade',
        command: ['/bin/sh', '-c', PREPARE_GATE, 'k3s-server-gate'],
        args: [K3S_UPGRADE_BINARY, String(production().cluster.nodes.length), 'node-role.kubernetes.io/control-plane'],
      },
      serviceAccountName: 'system-upgrade',
      upgrade: { image: 'rancher/k3s-upgrade' },
      version: production().k3s.version,
    });
  });

  test('waits after each server: postCompleteDelay, a field of the vendored CRD, outlasts the Node grace period and one etcd check', () => {
    const specSchema = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    expect(specSchema.postCompleteDelay).toMatchObject({ type: 'string' });
    expect(specSchema.prepare.properties).toHaveProperty('command');
    // The controller frees the concurrency slot only after the delay (handle_batch.go); the
    // Node shows a server that has not come back only after the grace period (< 1 min), and
    // EtcdIsVoter only after the leader's next check (15 s).
    expect(suc.nextNode.fact).toContain('postCompleteDelay');
    expect(suc.etcdIsVoter.fact).toContain('Every 15 s');
    expect(goSeconds(plan.spec.postCompleteDelay)).toBeGreaterThanOrEqual(60 + 15);
  });

  test('the gate’s image is pinned by k3s.version: untagged like upgrade, so the controller tags both with the Plan’s version', () => {
    // container.go WithLatestTag: a name-only reference gets status.latestVersion (+ made -).
    expect(suc.imageTag.fact).toContain('IsNameOnly');
    const resolved = (image: string) =>
      /[:@]/.test(image.split('/').pop()!) ? image : `${image}:${plan.spec.version.replaceAll('+', '-')}`;
    expect(resolved(plan.spec.prepare.image)).toBe(`rancher/k3s-upgrade:${production().k3s.version.replace('+', '-')}`);
    expect(resolved(plan.spec.prepare.image)).toBe(resolved(plan.spec.upgrade.image));
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
    const unit = (n: RenderedNode) =>
      (parse(n.content).write_files as { path: string; content: string }[]).find(
        (f) => f.path === PATHS.k3sInstallUnit,
      )!.content;
    for (const n of renderNodes(next, { token: TEST_TOKEN })) {
      expect(unit(n)).toContain('/v1.34.7+k3s1/k3s');
      expect(unit(n)).not.toContain('v1.34.6');
    }
  });
});

describe('system-upgrade-controller', () => {
  const dist = synthToDir();
  const files = fs
    .readdirSync(dist)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort();
  const docs = (f: string) =>
    parseAllDocuments(fs.readFileSync(path.join(dist, f), 'utf8')).map((d) => d.toJS() as KubeObject);
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
    const vendored = [
      ...parseAllDocuments(fs.readFileSync(path.join(ROOT, PLAN_CRD), 'utf8')),
      ...parseAllDocuments(fs.readFileSync(path.join(ROOT, SUC_MANIFEST), 'utf8')),
    ].map((d) => d.toJS());
    const synthesized = docs(fileOf('CustomResourceDefinition'));
    const strip = (o: KubeObject) => {
      const labels = { ...o.metadata.labels };
      delete labels['app.kubernetes.io/part-of'];
      delete labels['app.kubernetes.io/managed-by'];
      return { ...o, metadata: { ...o.metadata, labels: Object.keys(labels).length ? labels : undefined } };
    };
    const key = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;
    expect(synthesized.map(key).sort()).toEqual(vendored.map(key).sort());
    for (const o of synthesized)
      expect(JSON.parse(JSON.stringify(strip(o)))).toEqual(vendored.find((v) => key(v) === key(o)));
  });

  test('kubectl apply -f dist order: the namespace and the CRD come before any Plan, in an earlier file', () => {
    const controller = fileOf('CustomResourceDefinition');
    expect(fileOf('Plan') > controller).toBe(true);
    expect(
      docs(controller)
        .slice(0, 2)
        .map((o) => o.kind),
    ).toEqual(['Namespace', 'CustomResourceDefinition']);
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

  test('the prune command in docs/plan-and-apply.md names every kind in dist/, so a removed object of any kind is pruned', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'docs', 'plan-and-apply.md'), 'utf8');
    const allowed = new Set([...readme.matchAll(/--prune-allowlist=(\S+)/g)].map((m) => m[1]));
    const kinds = new Set(
      files.flatMap(docs).map((o) => `${o.apiVersion.includes('/') ? o.apiVersion : `core/${o.apiVersion}`}/${o.kind}`),
    );
    expect([...kinds].filter((k) => !allowed.has(k))).toEqual([]);
  });
});

describe('the upgrade keeps the node’s units (k3s-upgrade replaces only the binary)', () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'k3s', 'k3s-upgrade.json'), 'utf8'));
  const unit = parse(renderNodes(production(), { token: TEST_TOKEN })[0]!.content).write_files.find(
    (f: { path: string }) => f.path === PATHS.k3sUnit,
  ).content as string;
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
    const install = parse(renderNodes(production(), { token: TEST_TOKEN })[0]!.content).write_files.find(
      (f: { path: string }) => f.path === PATHS.k3sInstallUnit,
    ).content as string;
    expect(install).toContain(`\nConditionPathExists=!${PATHS.k3sBinary}\n`);
  });
});

/**
 * The prepare gate as the Job runs it: the script from the Plan, under /bin/sh, with a stand-in
 * for the image's k3s whose `kubectl` is kubectl 1.34 talking to a stand-in API server on
 * loopback. The server answers each node list with the next state; `sleep` only counts.
 */
describe('the Plan’s prepare gate', () => {
  type Cond = 'True' | 'False' | 'Unknown';
  const node = (name: string, ready: Cond, voter: Cond) => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'node-role.kubernetes.io/control-plane': 'true' } },
    status: {
      conditions: [
        { type: 'EtcdIsVoter', status: voter },
        { type: 'Ready', status: ready },
      ],
    },
  });
  const healthy = [node('a', 'True', 'True'), node('b', 'True', 'True'), node('c', 'True', 'True')];
  type State = ReturnType<typeof node>[] | 'api-error';

  /** Runs the gate against `states` (the last one repeats); resolves with its outcome and what it asked. */
  async function gate(states: State[], opts: { killAfterSleeps?: number } = {}) {
    const dir = tempDir('gate');
    const lists: string[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      const json = (code: number, body: unknown) => {
        res.writeHead(code, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/api')
        return json(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
      if (url.pathname === '/apis') return json(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [] });
      if (url.pathname === '/api/v1') {
        return json(200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [{ name: 'nodes', singularName: 'node', namespaced: false, kind: 'Node', verbs: ['get', 'list'] }],
        });
      }
      if (url.pathname === '/api/v1/nodes') {
        lists.push(url.searchParams.get('labelSelector') ?? '');
        const state = states[Math.min(lists.length, states.length) - 1]!;
        if (state === 'api-error')
          return json(500, {
            kind: 'Status',
            apiVersion: 'v1',
            status: 'Failure',
            message: 'etcdserver: request timed out',
            code: 500,
          });
        return json(200, { kind: 'NodeList', apiVersion: 'v1', metadata: {}, items: state });
      }
      json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404 });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      fs.writeFileSync(
        path.join(dir, 'kubeconfig'),
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
      );
      // The image's k3s: `k3s kubectl ARGS` is kubectl.
      const k3s = path.join(dir, 'k3s');
      fs.writeFileSync(k3s, `#!/bin/sh\n[ "$1" = kubectl ] || exit 64\nshift\nexec "${kubectlPath()}" "$@"\n`, {
        mode: 0o755,
      });
      const bin = path.join(dir, 'bin');
      fs.mkdirSync(bin);
      const limit = opts.killAfterSleeps ?? 1000;
      fs.writeFileSync(
        path.join(bin, 'sleep'),
        `#!/bin/sh\necho "$1" >> "${dir}/sleeps"\n[ "$(wc -l < "${dir}/sleeps")" -lt ${limit} ] || kill -TERM $PPID\n`,
        { mode: 0o755 },
      );
      const [sh, c, script, name] = plan.spec.prepare.command as string[];
      const [, servers, selector] = plan.spec.prepare.args as string[];
      const r = await runAsync([sh!, c!, script!, name!, k3s, servers!, selector!], {
        env: {
          PATH: `${bin}:/usr/bin:/bin`,
          HOME: dir,
          KUBECONFIG: path.join(dir, 'kubeconfig'),
          SYSTEM_UPGRADE_NODE_NAME: 'b',
        },
        timeoutMs: 60_000,
      });
      const sleeps = fs.existsSync(path.join(dir, 'sleeps'))
        ? fs.readFileSync(path.join(dir, 'sleeps'), 'utf8').trim().split('\n')
        : [];
      return { ...r, lists, sleeps };
    } finally {
      server.close();
    }
  }

  test('proceeds at once when every server is Ready and a healthy etcd voter', async () => {
    const r = await gate([healthy]);
    expect({ status: r.status, sleeps: r.sleeps.length, lists: r.lists }).toEqual({
      status: 0,
      sleeps: 0,
      lists: ['node-role.kubernetes.io/control-plane'],
    });
    expect(r.stdout).toContain('all 3 servers are Ready and healthy etcd voters: upgrading b');
  });

  test('waits while a server is missing, not a healthy etcd voter, not Ready, or the API does not answer; then proceeds', async () => {
    const r = await gate([
      healthy.slice(0, 2),
      [healthy[0]!, node('b', 'True', 'False'), healthy[2]!],
      [healthy[0]!, healthy[1]!, node('c', 'Unknown', 'True')],
      'api-error',
      healthy,
    ]);
    expect({ status: r.status, sleeps: r.sleeps.length, lists: r.lists.length }).toEqual({
      status: 0,
      sleeps: 4,
      lists: 5,
    });
    expect(r.stdout).toContain('waiting: 2 of 2 servers (at least 3) are Ready and healthy etcd voters');
    expect(r.stdout).toContain('waiting: 2 of 3 servers (at least 3) are Ready and healthy etcd voters');
  }, 60_000);

  test('never proceeds while a server stays down: it only waits', async () => {
    const r = await gate([[healthy[0]!, healthy[1]!, node('c', 'Unknown', 'False')]], { killAfterSleeps: 3 });
    expect({ status: r.status, signal: r.signal, sleeps: r.sleeps.length }).toEqual({
      status: null,
      signal: 'SIGTERM',
      sleeps: 3,
    });
    expect(r.stdout).not.toContain('upgrading');
  }, 60_000);
});
