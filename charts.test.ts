import * as fs from 'fs';
import * as path from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { capacityReport } from './config/capacity';
import { capacityInput } from './config/app-checks';
import { bytes, millicores } from './config/quantity';
import { kubectlPath } from './test/layer';
import { mustRun, run } from './test/process';
import { type KubeObject, production, synthObjects, synthToDir, tempDir, TEST_TOKEN } from './test/support';

const objects = synthObjects();
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
const find = (kind: string, name: string) => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};
/** The stack's own workloads (the upgrade controller's Deployment is the vendored release's). */
const podTemplates = () =>
  [...byKind('Deployment'), ...byKind('StatefulSet')].filter((o) => o.metadata.namespace === 'honeydue');
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('the workloads', () => {
  test('api runs 3 replicas on port 8000, surging one pod before removing any', () => {
    const api = find('Deployment', 'api');
    expect(api.spec.replicas).toBe(3);
    expect(api.spec.template.spec.containers[0].ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
    ]);
    expect(api.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
  });

  test('api may take 240 s to start (failureThreshold 48 × 5 s), for migrations under lock', () => {
    const { startupProbe, readinessProbe, livenessProbe } = find('Deployment', 'api').spec.template.spec.containers[0];
    expect(startupProbe.failureThreshold * startupProbe.periodSeconds).toBe(240);
    expect(startupProbe.failureThreshold).toBe(48);
    expect(readinessProbe.httpGet.port).toBe('http');
    expect(livenessProbe.httpGet.port).toBe('http');
  });

  test('api replicas are spread across nodes', () => {
    const [spread] = find('Deployment', 'api').spec.template.spec.topologySpreadConstraints;
    expect(spread).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      maxSkew: 1,
      labelSelector: { matchLabels: find('Deployment', 'api').spec.selector.matchLabels },
    });
  });

  test('the api spread is a hard rule per node (DoNotSchedule on kubernetes.io/hostname), so no node ever holds two of the three replicas while another has none', () => {
    // ScheduleAnyway would only prefer the spread: a node loss or a busy node could leave two
    // replicas on one node, and a drain of that node would take the PDB's 2 of 3 with it.
    // nodeTaintsPolicy Honor keeps a down (tainted) node out of the skew, so replacements still schedule.
    const constraints = find('Deployment', 'api').spec.template.spec.topologySpreadConstraints;
    expect(constraints).toHaveLength(1);
    expect(constraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(constraints[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(constraints[0].nodeTaintsPolicy).toBe('Honor');
  });

  test('every multi-replica Deployment spreads the pods of its current ReplicaSet across nodes (matchLabelKeys: [pod-template-hash])', () => {
    const multi = byKind('Deployment').filter((d) => d.spec.replicas > 1);
    expect(multi.map((d) => d.metadata.name).sort()).toEqual(['admin', 'api']);
    for (const d of multi) {
      const constraints = d.spec.template.spec.topologySpreadConstraints;
      expect(constraints).toHaveLength(1);
      for (const c of constraints) {
        expect(c.matchLabelKeys).toEqual(['pod-template-hash']);
        // The API server refuses matchLabelKeys without a labelSelector, or with a key the selector also names.
        expect(c.labelSelector.matchLabels).toEqual(d.spec.selector.matchLabels);
        expect(Object.keys(c.labelSelector.matchLabels)).not.toContain('pod-template-hash');
      }
    }
  });

  test('single-replica workloads and the StatefulSet have no spread constraint (pod-template-hash is a Deployment label)', () => {
    const single = podTemplates().filter((w) => w.kind === 'StatefulSet' || w.spec.replicas === 1);
    expect(single.map((w) => `${w.kind}/${w.metadata.name}`).sort()).toEqual([
      'Deployment/worker',
      'StatefulSet/redis',
    ]);
    for (const w of single) expect(w.spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  test('api and worker take their environment from the Secrets the config names, and Redis from its Service', () => {
    for (const name of ['api', 'worker']) {
      const [c] = find('Deployment', name).spec.template.spec.containers;
      expect(c.envFrom).toEqual([{ secretRef: { name: 'honeydue-backend-env' } }]);
      expect(c.env).toContainEqual({ name: 'REDIS_ADDR', value: `${find('Service', 'redis').metadata.name}:6379` });
    }
  });

  test('admin probes path / on port 3000 and may take 24 startup failures', () => {
    const [c] = find('Deployment', 'admin').spec.template.spec.containers;
    expect(c.ports[0].containerPort).toBe(3000);
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) expect(probe.httpGet.path).toBe('/');
    expect(c.startupProbe.failureThreshold).toBe(24);
  });

  test('worker is a singleton replaced with Recreate, with no Service', () => {
    const worker = find('Deployment', 'worker');
    expect(worker.spec.replicas).toBe(1);
    expect(worker.spec.strategy).toEqual({ type: 'Recreate' });
    expect(byKind('Service').map((s) => s.metadata.name)).not.toContain('worker');
  });

  test('redis persists its append-only file on a local-path claim', () => {
    const redis = find('StatefulSet', 'redis');
    const [c] = redis.spec.template.spec.containers;
    expect(c.args).toEqual(expect.arrayContaining(['--appendonly', 'yes', '--dir', '/data']));
    expect(c.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(redis.spec.volumeClaimTemplates[0]).toMatchObject({
      metadata: { name: 'data' },
      spec: {
        storageClassName: 'local-path',
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '5Gi' } },
      },
    });
    expect(find('Service', 'redis').spec.ports).toEqual([
      { name: 'redis', port: 6379, targetPort: 'redis', protocol: 'TCP' },
    ]);
  });

  test.each(['api', 'admin', 'worker', 'redis'])('%s runs a pinned image from the config', (name) => {
    const workload = podTemplates().find((w) => w.metadata.name === name)!;
    const config = production().apps[name as 'api'];
    const { image } = workload.spec.template.spec.containers[0];
    expect(image).toBe(config.image);
    expect(image).toMatch(/:[\w.-]+$|@sha256:/);
    expect(image).not.toMatch(/:latest$/);
  });

  test('every container is non-root, unprivileged, capability-free, RuntimeDefault-confined and sized', () => {
    for (const w of podTemplates()) {
      const pod = w.spec.template.spec;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext.capabilities.add).toBeUndefined();
        expect(Object.keys(c.resources.requests).sort()).toEqual(['cpu', 'memory']);
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
  });
});

describe('selectors', () => {
  test('every Service selects exactly its own workload’s pods', () => {
    for (const svc of byKind('Service')) {
      const selected = podTemplates().filter((w) => matches(svc.spec.selector, w.spec.template.metadata.labels));
      expect(selected.map((w) => w.metadata.name)).toEqual([svc.metadata.name]);
    }
  });

  test('every Service targets a port its pods declare', () => {
    for (const svc of byKind('Service')) {
      const w = podTemplates().find((x) => x.metadata.name === svc.metadata.name)!;
      const declared = w.spec.template.spec.containers.flatMap((c: any) => c.ports.map((p: any) => p.name));
      for (const p of svc.spec.ports) expect(declared).toContain(p.targetPort);
    }
  });

  test('every PodDisruptionBudget selects exactly its own workload’s pods', () => {
    const pdbs = byKind('PodDisruptionBudget');
    expect(pdbs.map((p) => p.metadata.name).sort()).toEqual(['admin', 'api', 'redis', 'worker']);
    for (const pdb of pdbs) {
      const selected = podTemplates().filter((w) =>
        matches(pdb.spec.selector.matchLabels, w.spec.template.metadata.labels),
      );
      expect(selected.map((w) => w.metadata.name)).toEqual([pdb.metadata.name]);
    }
  });

  test('a workload’s selector matches its own pod template', () => {
    for (const w of podTemplates())
      expect(matches(w.spec.selector.matchLabels, w.spec.template.metadata.labels)).toBe(true);
  });
});

describe('disruption budgets', () => {
  const minAvailable = (name: string) => find('PodDisruptionBudget', name).spec.minAvailable;
  test('api keeps 2 of its 3 replicas through a drain', () => expect(minAvailable('api')).toBe(2));
  test('admin keeps all but one replica', () =>
    expect(minAvailable('admin')).toBe(production().apps.admin.replicas - 1));
  test('worker allows its only pod to be evicted (minAvailable 0)', () => expect(minAvailable('worker')).toBe(0));
  test('redis lets a node drain', () => expect(minAvailable('redis')).toBe(0));
});

describe('ingress', () => {
  const ingress = byKind('Ingress');

  test('one plain networking.k8s.io/v1 Ingress of class traefik, without TLS or middleware', () => {
    expect(ingress).toHaveLength(1);
    expect(ingress[0]!.apiVersion).toBe('networking.k8s.io/v1');
    expect(ingress[0]!.spec.ingressClassName).toBe('traefik');
    expect(ingress[0]!.spec.tls).toBeUndefined();
    expect(JSON.stringify(ingress[0]!.metadata)).not.toMatch(/middleware/i);
  });

  test('routes api.myhoneydue.com to api:8000 and the admin host to admin:3000', () => {
    const routes = ingress[0]!.spec.rules.map((r: any) => [
      r.host,
      r.http.paths[0].backend.service.name,
      r.http.paths[0].backend.service.port.number,
    ]);
    expect(routes).toEqual([
      ['api.myhoneydue.com', 'api', 8000],
      [production().apps.admin.host, 'admin', 3000],
    ]);
  });

  test('every backend names an existing Service and one of its ports', () => {
    for (const rule of ingress[0]!.spec.rules) {
      for (const p of rule.http.paths) {
        const svc = find('Service', p.backend.service.name);
        expect(svc.spec.ports.map((x: any) => x.port)).toContain(p.backend.service.port.number);
      }
    }
  });
});

describe('traefik', () => {
  const hcc = find('HelmChartConfig', 'traefik');

  test('is the HelmChartConfig named traefik in kube-system', () => {
    expect(hcc.apiVersion).toBe('helm.cattle.io/v1');
    expect(hcc.metadata.namespace).toBe('kube-system');
  });

  test('valuesContent, read as YAML 1.1 the way helm reads it, configures the bundled Traefik as the brief says', () => {
    const { cloudflare, traefik } = production();
    const values = parse(hcc.spec.valuesContent, { version: '1.1' });
    const trusted = [...cloudflare.ipv4, ...cloudflare.ipv6];
    // One pod per node, binding the node's own ports, with no Service in front.
    expect(values.deployment.kind).toBe('DaemonSet');
    expect(values.hostNetwork).toBe(true);
    expect(values.service).toEqual({ enabled: false });
    // :80 for Cloudflare's plain HTTP, :443 for TLS, each listening on the node port itself.
    expect(values.ports.web).toMatchObject({ port: 80, exposedPort: 80 });
    expect(values.ports.websecure).toMatchObject({ port: 443, exposedPort: 443 });
    expect([traefik.webPort, traefik.websecurePort]).toEqual([80, 443]);
    // X-Forwarded-* trusted from Cloudflare only.
    expect(values.ports.web.forwardedHeaders).toEqual({ trustedIPs: trusted, insecure: false });
    expect(values.ports.websecure.forwardedHeaders).toEqual({ trustedIPs: trusted, insecure: false });
    // Non-root with the UID of the config (65532) as UID and GID, no escalation, only NET_BIND_SERVICE.
    expect(values.podSecurityContext).toMatchObject({
      runAsUser: traefik.runAsUser,
      runAsGroup: traefik.runAsUser,
      runAsNonRoot: true,
    });
    expect(values.podSecurityContext.runAsUser).toBe(65532);
    expect(values.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    });
    // Two pods cannot hold one host port: the old pod goes before its replacement starts.
    expect(values.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    // Nothing else on the public address: the traefik entry point on loopback only, metrics off
    // (null deletes the chart's default in helm's merge).
    expect(values.ports.traefik.hostIP).toBe('127.0.0.1');
    expect(values.ports.metrics).toBeNull();
    expect(values.metrics.prometheus).toBeNull();
  });
});

describe('labels and names', () => {
  test('every object carries app.kubernetes.io/part-of=honeydue, so apply --prune -l finds it', () => {
    for (const o of objects) expect(o.metadata.labels?.['app.kubernetes.io/part-of']).toBe('honeydue');
  });

  test('names are the stable names, without hash suffixes', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        'Namespace/honeydue',
        'NetworkPolicy/deny-cloud-metadata',
        'StatefulSet/redis',
        'Service/redis',
        'PodDisruptionBudget/redis',
        'Deployment/api',
        'Service/api',
        'PodDisruptionBudget/api',
        'Deployment/admin',
        'Service/admin',
        'PodDisruptionBudget/admin',
        'Deployment/worker',
        'PodDisruptionBudget/worker',
        'Ingress/honeydue',
        'HelmChartConfig/traefik',
        'Namespace/system-upgrade',
        'CustomResourceDefinition/plans.upgrade.cattle.io',
        'ServiceAccount/system-upgrade',
        'Role/system-upgrade-controller',
        'ClusterRole/system-upgrade-controller',
        'ClusterRole/system-upgrade-controller-drainer',
        'RoleBinding/system-upgrade',
        'ClusterRoleBinding/system-upgrade',
        'ClusterRoleBinding/system-upgrade-drainer',
        'ConfigMap/default-controller-env',
        'Deployment/system-upgrade-controller',
        'Plan/k3s-server',
      ].sort(),
    );
  });

  test('everything but the Traefik config and the upgrade controller lives in the honeydue namespace', () => {
    const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding'];
    const elsewhere = objects.filter(
      (x) =>
        x.kind === 'HelmChartConfig' || x.metadata.namespace === 'system-upgrade' || clusterScoped.includes(x.kind),
    );
    expect(elsewhere).toHaveLength(14);
    for (const o of objects.filter((x) => !elsewhere.includes(x))) expect(o.metadata.namespace).toBe('honeydue');
    for (const o of objects.filter((x) => clusterScoped.includes(x.kind))) expect(o.metadata.namespace).toBeUndefined();
  });

  test('no pod in the namespace may reach the cloud metadata service, which serves the cluster token', () => {
    const policy = find('NetworkPolicy', 'deny-cloud-metadata');
    expect(policy.metadata.namespace).toBe('honeydue');
    expect(policy.spec).toEqual({
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }],
    });
  });

  test('the namespace enforces the restricted Pod Security Standard the pods are built to', () => {
    expect(find('Namespace', 'honeydue').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
  });
});

describe('secrets', () => {
  test('no Secret objects and no secret values: Secrets are only referenced', () => {
    expect(byKind('Secret')).toHaveLength(0);
    for (const w of podTemplates()) {
      for (const c of w.spec.template.spec.containers) {
        for (const e of c.env ?? []) expect(e.name).not.toMatch(/PASSWORD|SECRET|TOKEN|KEY/);
      }
    }
  });
});

describe('capacity', () => {
  test('the pods’ requests fit on two CX33 nodes besides the system pods, so one node can drain', () => {
    const config = production();
    const report = capacityReport(capacityInput(config));
    const perNode = {
      cpu: millicores('4') - millicores(config.cluster.systemReserved.cpu),
      memory: bytes('8Gi') - bytes(config.cluster.systemReserved.memory),
    };
    expect(report.requested.cpu).toBeLessThanOrEqual(2 * perNode.cpu);
    expect(report.requested.memory).toBeLessThanOrEqual(2 * perNode.memory);
    // The sum really covers every pod: recount it from the synthesized manifests.
    const recount = podTemplates().reduce(
      (sum, w) => {
        const [c] = w.spec.template.spec.containers;
        return {
          cpu: sum.cpu + w.spec.replicas * millicores(c.resources.requests.cpu),
          memory: sum.memory + w.spec.replicas * bytes(c.resources.requests.memory),
        };
      },
      { cpu: 0, memory: 0 },
    );
    expect(recount).toEqual(report.requested);
  });

  // A config whose requests would not survive a node drain is refused: test/config-table.test.ts.
});

describe('dist/', () => {
  const dist = synthToDir();
  const files = fs
    .readdirSync(dist)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  const docs = (f: string) =>
    parseAllDocuments(fs.readFileSync(path.join(dist, f), 'utf8')).map((d) => d.toJS() as KubeObject);

  test('holds only Kubernetes manifests at its top level, the synth marker, and cloud-init/, hcloud/ and nodes/ beside them', () => {
    expect(fs.readdirSync(dist).sort()).toEqual([...files, '.honeydue-synth', 'cloud-init', 'hcloud', 'nodes'].sort());
    for (const f of files)
      for (const o of docs(f))
        expect(o).toMatchObject({
          apiVersion: expect.any(String),
          kind: expect.any(String),
          metadata: { name: expect.any(String) },
        });
  });

  test('the Namespace comes first in kubectl apply -f order (files by name, then documents)', () => {
    const ordered = files.flatMap(docs);
    expect(ordered[0]).toMatchObject({ kind: 'Namespace', metadata: { name: 'honeydue' } });
  });

  test('kubectl 1.34 reads every file', () => {
    const out = mustRun([kubectlPath(), 'label', '--local', '-f', dist, 'check=ok', '-o', 'name']).stdout;
    expect(out.trim().split('\n')).toHaveLength(objects.length);
  });

  test('kubectl -R -f dist (recursive) reads exactly the manifests’ objects: never the node files, which hold the cluster token', () => {
    const r = run([kubectlPath(), 'label', '--local', '-R', '-f', dist, 'x=y', '-o', 'name']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const expected = objects.map((o) =>
      `${o.kind.toLowerCase()}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.metadata.name}`.replace(
        './',
        '/',
      ),
    );
    expect(r.stdout.trim().split('\n').sort()).toEqual(expected.sort());
    expect(r.stdout).not.toContain(TEST_TOKEN);
    // The node files really are there for kubectl to skip.
    expect(fs.readdirSync(path.join(dist, 'cloud-init')).filter((f) => f.endsWith('.user-data'))).toHaveLength(3);
  });

  test('every built-in object validates against the Kubernetes 1.33 schemas of kubernetes-models', () => {
    const models: Record<string, string> = {
      'v1/Namespace': 'kubernetes-models/v1/Namespace',
      'v1/Service': 'kubernetes-models/v1/Service',
      'apps/v1/Deployment': 'kubernetes-models/apps/v1/Deployment',
      'apps/v1/StatefulSet': 'kubernetes-models/apps/v1/StatefulSet',
      'policy/v1/PodDisruptionBudget': 'kubernetes-models/policy/v1/PodDisruptionBudget',
      'networking.k8s.io/v1/Ingress': 'kubernetes-models/networking.k8s.io/v1/Ingress',
      'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
      'v1/ServiceAccount': 'kubernetes-models/v1/ServiceAccount',
      'v1/ConfigMap': 'kubernetes-models/v1/ConfigMap',
      'rbac.authorization.k8s.io/v1/Role': 'kubernetes-models/rbac.authorization.k8s.io/v1/Role',
      'rbac.authorization.k8s.io/v1/ClusterRole': 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
      'rbac.authorization.k8s.io/v1/RoleBinding': 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
      'rbac.authorization.k8s.io/v1/ClusterRoleBinding':
        'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
      'apiextensions.k8s.io/v1/CustomResourceDefinition':
        'kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition',
    };
    const crdKinds = ['helm.cattle.io/v1', 'upgrade.cattle.io/v1'];
    let validated = 0;
    for (const o of files.flatMap(docs)) {
      // CRD kinds: the HelmChartConfig is checked by the Traefik chart test and its CRD below, the Plan against its CRD in test/upgrade.test.ts.
      if (crdKinds.includes(o.apiVersion)) continue;
      const modulePath = models[`${o.apiVersion}/${o.kind}`];
      expect(modulePath).toBeDefined();
      const Model = require(modulePath!)[o.kind];
      expect(() => new Model(o).validate()).not.toThrow();
      validated++;
    }
    expect(validated).toBe(objects.filter((o) => !crdKinds.includes(o.apiVersion)).length);
  });

  test('those schemas know topologySpreadConstraints[].matchLabelKeys: a wrongly typed value is refused', () => {
    const { Deployment } = require('kubernetes-models/apps/v1/Deployment');
    const api = JSON.parse(JSON.stringify(find('Deployment', 'api')));
    expect(() => new Deployment(api).validate()).not.toThrow();
    api.spec.template.spec.topologySpreadConstraints[0].matchLabelKeys = 'pod-template-hash';
    expect(() => new Deployment(api).validate()).toThrow(/matchLabelKeys/);
  });

  test('the HelmChartConfig uses only the fields of the committed CRD', () => {
    const crd = parse(fs.readFileSync(path.join(__dirname, 'crds', 'helm.cattle.io_helmchartconfigs.yaml'), 'utf8'));
    const allowed = Object.keys(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties);
    for (const key of Object.keys(find('HelmChartConfig', 'traefik').spec)) expect(allowed).toContain(key);
  });

  test('the committed dist/ manifests and node records are what the current code and cluster.yaml synthesize', () => {
    const committed = path.join(__dirname, 'dist');
    const manifests = (dir: string) =>
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .sort();
    expect(manifests(committed)).toEqual(files);
    for (const f of files) {
      expect({ file: f, text: fs.readFileSync(path.join(committed, f), 'utf8') }).toEqual({
        file: f,
        text: fs.readFileSync(path.join(dist, f), 'utf8'),
      });
    }
    const records = (dir: string) => fs.readdirSync(path.join(dir, 'nodes')).sort();
    expect(records(committed)).toEqual(records(dist));
    for (const f of records(dist)) {
      expect({ file: f, text: fs.readFileSync(path.join(committed, 'nodes', f), 'utf8') }).toEqual({
        file: f,
        text: fs.readFileSync(path.join(dist, 'nodes', f), 'utf8'),
      });
    }
  });

  test('manifests match the snapshot', () => {
    for (const f of files) expect(fs.readFileSync(path.join(dist, f), 'utf8')).toMatchSnapshot(f);
  });
});

test('npx cdk8s synth and npm run synth write the same manifests', () => {
  const env = { ...process.env, K3S_TOKEN: 'equivalence-test-token-0123456789abcdef' };
  const viaCli = path.join(tempDir('cdk8s-cli'), 'dist');
  const viaNpm = path.join(tempDir('npm-synth'), 'dist');
  const cdk8sSynth = ['npx', 'cdk8s', 'synth', '--no-check-upgrade', '--output', viaCli];
  mustRun(cdk8sSynth, { cwd: __dirname, env, timeoutMs: 60_000 });
  mustRun(['npm', 'run', '-s', 'synth'], { cwd: __dirname, env: { ...env, CDK8S_OUTDIR: viaNpm }, timeoutMs: 60_000 });
  const read = (dir: string) =>
    Object.fromEntries(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.k8s.yaml'))
        .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]),
    );
  expect(Object.keys(read(viaCli))).toEqual(Object.keys(read(path.join(__dirname, 'dist'))));
  expect(read(viaCli)).toEqual(read(viaNpm));
}, 60_000);
