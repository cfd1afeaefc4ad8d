import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

/**
 * A stand-in for a K3s server's Kubernetes API on 127.0.0.1 (plain HTTP), for the real kubectl
 * 1.34 from the layer zip to talk to through a kubeconfig. No kube-apiserver exists here
 * (BRIEF, "Tools, more facts"). It serves what the plan reads: discovery, in the legacy form
 * (kubectl asks for aggregated discovery first and takes an APIGroupList when that is what it
 * gets), Nodes, etcdsnapshotfiles.k3s.cattle.io, Jobs and upgrade Plans in `system-upgrade`,
 * each list as the API server answers it (`kind: NodeList`, `metadata.resourceVersion`), and an
 * error as a `Status`. It records every request. Its kubeconfig carries a bearer token, planted
 * so that tests can show it is never printed; client-go sends no bearer token over plain HTTP
 * (seen with kubectl 1.34: no Authorization header reaches this server), so none is checked.
 */

type Json = Record<string, any>;

export interface KubeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

/** What the stand-in holds: the objects of each kind, and how it misbehaves when told to. */
export interface KubeSeed {
  readonly nodes: readonly Json[];
  readonly snapshots?: readonly Json[];
  readonly jobs?: readonly Json[];
  readonly plans?: readonly Json[];
  /** Leave the k3s.cattle.io or upgrade.cattle.io group out of discovery, as a cluster without the CRD. */
  readonly withoutGroups?: readonly string[];
  /** `hang`: accept connections and never answer; `forbidden`: 403 for every list. */
  readonly misbehave?: 'hang' | 'forbidden';
}

/** The resources served, by group/version: name, kind, namespaced. */
const RESOURCES: Readonly<Record<string, readonly [string, string, boolean, keyof KubeSeed][]>> = {
  v1: [['nodes', 'Node', false, 'nodes']],
  'batch/v1': [['jobs', 'Job', true, 'jobs']],
  'k3s.cattle.io/v1': [['etcdsnapshotfiles', 'ETCDSnapshotFile', false, 'snapshots']],
  'upgrade.cattle.io/v1': [['plans', 'Plan', true, 'plans']],
};

const VERBS = ['get', 'list', 'watch'];

export class KubeStandin {
  readonly requests: KubeRequest[] = [];
  private readonly server = http.createServer((req, res) => this.receive(req, res));
  private readonly hung: http.ServerResponse[] = [];
  private port = 0;

  constructor(
    private readonly seed: KubeSeed,
    /** The bearer token its kubeconfig carries. */
    readonly token: string,
  ) {}

  /** Listens on a free loopback port; resolves to the server URL for a kubeconfig. */
  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as AddressInfo).port;
        resolve(`http://127.0.0.1:${this.port}`);
      });
    });
  }

  stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** A kubeconfig for kubectl, in `dir`, that reaches this stand-in with its token. */
  kubeconfig(dir: string): string {
    const file = path.join(dir, 'kubeconfig');
    const config = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'honeydue', cluster: { server: `http://127.0.0.1:${this.port}` } }],
      users: [{ name: 'operator', user: { token: this.token } }],
      contexts: [{ name: 'honeydue', context: { cluster: 'honeydue', user: 'operator' } }],
      'current-context': 'honeydue',
    };
    fs.writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    return file;
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    if (this.seed.misbehave === 'hang') {
      this.hung.push(res);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, body: Json) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'GET') return send(405, status(405, 'MethodNotAllowed', `the stand-in only serves GET`));
    const [status_, body] = this.route(url.pathname.replace(/\/+$/, ''));
    send(status_, body);
  }

  private groups(): string[] {
    return Object.keys(RESOURCES).filter(
      (gv) => gv !== 'v1' && !(this.seed.withoutGroups ?? []).includes(gv.split('/')[0]!),
    );
  }

  private route(p: string): [number, Json] {
    if (p === '/api')
      return [
        200,
        {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }],
        },
      ];
    if (p === '/apis')
      return [
        200,
        {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: this.groups().map((gv) => {
            const [group, version] = gv.split('/') as [string, string];
            const v = { groupVersion: gv, version };
            return { name: group, versions: [v], preferredVersion: v };
          }),
        },
      ];
    const served = ['v1', ...this.groups()];
    for (const gv of served) {
      const base = gv === 'v1' ? '/api/v1' : `/apis/${gv}`;
      if (p === base)
        return [
          200,
          {
            kind: 'APIResourceList',
            apiVersion: 'v1',
            groupVersion: gv,
            resources: RESOURCES[gv]!.map(([name, kind, namespaced]) => ({
              name,
              singularName: kind.toLowerCase(),
              namespaced,
              kind,
              verbs: VERBS,
            })),
          },
        ];
      for (const [name, kind, namespaced, key] of RESOURCES[gv]!) {
        const m = namespaced
          ? p.match(new RegExp(`^${base}/namespaces/([^/]+)/${name}$`))
          : p === `${base}/${name}`
            ? []
            : null;
        if (!m) continue;
        if (this.seed.misbehave === 'forbidden')
          return [
            403,
            status(403, 'Forbidden', `${name} is forbidden: User "operator" cannot list resource "${name}"`),
          ];
        const items = ((this.seed[key] as Json[] | undefined) ?? []).filter(
          (o) => !namespaced || o.metadata?.namespace === m[1],
        );
        return [
          200,
          {
            apiVersion: gv,
            kind: `${kind}List`,
            metadata: { resourceVersion: '12345' },
            items: items.map((o) => ({ apiVersion: gv, kind, ...o })),
          },
        ];
      }
    }
    return [404, status(404, 'NotFound', 'the server could not find the requested resource')];
  }
}

function status(code: number, reason: string, message: string): Json {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
