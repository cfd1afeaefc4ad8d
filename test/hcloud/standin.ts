import * as http from 'http';
import type { AddressInfo } from 'net';

/**
 * A stand-in for the Hetzner Cloud API (https://api.hetzner.cloud/v1) on 127.0.0.1, for the
 * real `hcloud` CLI (Debian's hcloud-cli 1.30.3, hcloud-go 1.35.2) to talk to through
 * `HCLOUD_ENDPOINT`. It answers the look-ups and the calls the printed commands make, keeps
 * the state they change, and records every request as it arrived. It models the API after
 * Hetzner's 2026-07-01 change (changelog `2026-07-01-removing-datacenters`): Servers and
 * Primary IPs take and return `location`, and a `datacenter` in a request is refused.
 *
 * Request and response shapes follow hcloud-go 1.35.2 `hcloud/schema/*.go` and the API
 * reference; the requests the CLI sends were observed with the real binary (see
 * test/fixtures/hcloud/ORIGIN.md). Node built-ins only; it opens no outgoing connection.
 */

/** One request exactly as it arrived. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The raw body text ('' when none). */
  readonly body: string;
}

/** What exists before the commands run: what the operator owns already. */
export interface StandinSeed {
  /** Primary IPs the operator created (or named) before rendering: unassigned, auto-delete off. */
  readonly primaryIps: readonly { readonly name: string; readonly ip: string; readonly location: string }[];
  /** Private networks by name. */
  readonly networks: readonly { readonly name: string; readonly ipRange: string }[];
  /** Servers that run already, each on the Primary IP Hetzner made with it (auto-delete on, a generated name). */
  readonly runningServers?: readonly { readonly name: string; readonly ip: string; readonly location: string }[];
}

type Json = Record<string, any>;

const NOW = '2026-11-23T12:00:00+00:00';
const LOCATIONS = [
  {
    id: 2,
    name: 'nbg1',
    description: 'Nuremberg DC Park 1',
    country: 'DE',
    city: 'Nuremberg',
    latitude: 49.452102,
    longitude: 11.076665,
    network_zone: 'eu-central',
  },
  {
    id: 1,
    name: 'fsn1',
    description: 'Falkenstein DC Park 1',
    country: 'DE',
    city: 'Falkenstein',
    latitude: 50.47612,
    longitude: 12.370071,
    network_zone: 'eu-central',
  },
];
const SERVER_TYPES = [
  {
    id: 114,
    name: 'cx33',
    description: 'CX33',
    cores: 4,
    memory: 8,
    disk: 80,
    deprecated: false,
    prices: [],
    storage_type: 'local',
    cpu_type: 'shared',
    architecture: 'x86',
  },
];
const IMAGES = [
  {
    id: 161547269,
    type: 'system',
    status: 'available',
    name: 'ubuntu-24.04',
    description: 'Ubuntu 24.04',
    image_size: null,
    disk_size: 5,
    created: NOW,
    created_from: null,
    bound_to: null,
    os_flavor: 'ubuntu',
    os_version: '24.04',
    rapid_deploy: true,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: {},
    architecture: 'x86',
  },
];
/**
 * Hetzner's user-data limit (API reference, `POST /servers`: "limited to 32KiB";
 * test/fixtures/hcloud/ORIGIN.md). Restated on purpose rather than imported from
 * config/hetzner-limits.ts: the stand-in models the API, so a wrong limit in the generator's
 * own check fails here instead of being copied into the model it is tested against.
 */
const USER_DATA_LIMIT = 32 * 1024;

/**
 * Hetzner's label rules (API reference, "Labels"; test/fixtures/hcloud/ORIGIN.md): a key is an
 * optional DNS-subdomain prefix of at most 253 characters and `/`, then a name of at most 63
 * characters; a value at most 63 characters, possibly empty; names and values begin and end
 * alphanumeric, with `-_.` between. The `hetzner.cloud/` prefix is reserved.
 */
const LABEL_PART = /^[a-zA-Z0-9]([a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$/;
function validLabels(labels: unknown): boolean {
  if (labels === undefined) return true;
  if (labels === null || typeof labels !== 'object') return false;
  return Object.entries(labels as Record<string, unknown>).every(([k, v]) => {
    const slash = k.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? [undefined, k] : [k.slice(0, slash), k.slice(slash + 1)];
    const prefixOk =
      prefix === undefined ||
      (prefix.length <= 253 &&
        prefix !== 'hetzner.cloud' &&
        /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(prefix));
    return prefixOk && LABEL_PART.test(name) && typeof v === 'string' && (v === '' || LABEL_PART.test(v));
  });
}

/** The API's label selector (API reference, "Label Selector"): comma-separated `k`, `!k`, `k=v`, `k==v`, `k!=v`, all of which must hold. */
function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector.split(',').every((term) => {
    const t = term.trim();
    let m: RegExpMatchArray | null;
    if ((m = t.match(/^([^!=]+)!=(.*)$/))) return labels[m[1]!] !== m[2];
    if ((m = t.match(/^([^!=]+)==?(.*)$/))) return labels[m[1]!] === m[2];
    if (t.startsWith('!')) return !(t.slice(1) in labels);
    return t in labels;
  });
}

/**
 * A list answer, one page of it, as the API pages every list (API reference, "Pagination"):
 * `per_page` defaults to 25 and is at most 50, `page` counts from 1, and `meta.pagination`
 * says where the other pages are. A client that asks for one page sees only that page.
 */
function page(key: string, items: Json[], q: URLSearchParams): Json {
  const perPage = Math.min(50, Math.max(1, Number(q.get('per_page') ?? 25) || 25));
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const at = Math.min(lastPage, Math.max(1, Number(q.get('page') ?? 1) || 1));
  const pagination = {
    page: at,
    per_page: perPage,
    previous_page: at > 1 ? at - 1 : null,
    next_page: at < lastPage ? at + 1 : null,
    last_page: lastPage,
    total_entries: items.length,
  };
  return { [key]: items.slice((at - 1) * perPage, at * perPage), meta: { pagination } };
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class HcloudStandin {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  private readonly server = http.createServer((req, res) => this.receive(req, res));
  private nextId = 5000;
  private readonly primaryIps: Json[];
  private readonly networks: Json[];
  private readonly firewalls: Json[] = [];
  private readonly servers: Json[] = [];
  private readonly actions: Json[] = [];
  /** Per server name, its private addresses at the moment it first started: what its first boot (cloud-init, K3s) could see. Not part of the API. */
  private readonly firstBoot = new Map<string, string[]>();

  constructor(seed: StandinSeed) {
    this.primaryIps = seed.primaryIps.map((p) => this.primaryIp(p.name, p.ip, this.location(p.location), false));
    this.networks = seed.networks.map((n) => ({
      id: this.id(),
      name: n.name,
      ip_range: n.ipRange,
      subnets: [{ type: 'cloud', ip_range: n.ipRange, network_zone: 'eu-central', gateway: null }],
      routes: [],
      servers: [],
      load_balancers: [],
      protection: { delete: false },
      labels: {},
      created: NOW,
      expose_routes_to_vswitch: false,
    }));
    for (const r of seed.runningServers ?? []) {
      const { server } = this.createServer({
        name: r.name,
        server_type: 'cx33',
        image: 'ubuntu-24.04',
        location: r.location,
      });
      this.primaryIps.find((p) => p.id === server.public_net.ipv4.id)!.ip = r.ip;
      server.public_net.ipv4.ip = r.ip;
    }
  }

  /** Listens on 127.0.0.1 at a free port; resolves to the endpoint for `HCLOUD_ENDPOINT`. */
  start(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`),
      );
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** The state the commands left, for assertions. */
  state() {
    return {
      primaryIps: this.primaryIps,
      networks: this.networks,
      firewalls: this.firewalls,
      servers: this.servers,
      firstBoot: this.firstBoot,
    };
  }

  private id(): number {
    return this.nextId++;
  }

  private location(name: string): Json {
    const l = LOCATIONS.find((x) => x.name === name || String(x.id) === name);
    if (!l) throw new ApiError(400, 'invalid_input', `invalid input in field 'location': ${name}`);
    return l;
  }

  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      let status: number;
      let answer: Json;
      try {
        if (!/^Bearer \S+$/.test(req.headers.authorization ?? ''))
          throw new ApiError(401, 'unauthorized', 'unable to authenticate');
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        [status, answer] = this.route(
          req.method ?? '',
          url.pathname.replace(/\/+$/, ''),
          url.searchParams,
          body ? JSON.parse(body) : undefined,
        );
      } catch (e) {
        const err = e instanceof ApiError ? e : new ApiError(500, 'server_error', String(e));
        status = err.status;
        answer = { error: { code: err.code, message: err.message, details: null } };
      }
      const text = JSON.stringify(answer);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    });
  }

  private route(method: string, path: string, q: URLSearchParams, body: Json | undefined): [number, Json] {
    const lists: Record<string, [string, Json[]]> = {
      locations: ['location', LOCATIONS],
      server_types: ['server_type', SERVER_TYPES],
      images: ['image', IMAGES],
      primary_ips: ['primary_ip', this.primaryIps],
      networks: ['network', this.networks],
      firewalls: ['firewall', this.firewalls],
      servers: ['server', this.servers],
    };
    let m: RegExpMatchArray | null;
    if (method === 'GET' && (m = path.match(/^\/v1\/(\w+)$/)) && lists[m[1]!]) {
      const names = q.getAll('name');
      const selector = q.get('label_selector');
      const found = lists[m[1]!]![1].filter(
        (x) =>
          (!names.length || names.includes(x.name)) && (selector === null || matchesSelector(x.labels ?? {}, selector)),
      );
      return [200, page(m[1]!, m[1] === 'firewalls' ? found.map((f) => this.firewallView(f)) : found, q)];
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/(\w+)\/(\d+)$/)) && lists[m[1]!]) {
      const [single, list] = lists[m[1]!]!;
      const one = this.byId(list, Number(m[2]), single);
      return [200, { [single]: single === 'firewall' ? this.firewallView(one) : one }];
    }
    if (method === 'GET' && path === '/v1/actions') {
      const ids = q.getAll('id').map(Number);
      const found = this.actions.filter((a) => ids.includes(a.id)).map((a) => this.progress(a));
      return [200, page('actions', found, q)];
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/actions\/(\d+)$/)))
      return [200, { action: this.progress(this.byId(this.actions, Number(m[1]), 'action')) }];
    if (method === 'POST' && path === '/v1/firewalls') return [201, this.createFirewall(body ?? {})];
    if (method === 'POST' && (m = path.match(/^\/v1\/firewalls\/(\d+)\/actions\/set_rules$/)))
      return [201, this.setRules(this.byId(this.firewalls, Number(m[1]), 'firewall'), body ?? {})];
    if (method === 'PUT' && (m = path.match(/^\/v1\/primary_ips\/(\d+)$/)))
      return [
        200,
        { primary_ip: this.updatePrimaryIp(this.byId(this.primaryIps, Number(m[1]), 'primary_ip'), body ?? {}) },
      ];
    if (method === 'POST' && (m = path.match(/^\/v1\/firewalls\/(\d+)\/actions\/apply_to_resources$/)))
      return [201, this.applyFirewall(this.byId(this.firewalls, Number(m[1]), 'firewall'), body ?? {})];
    if (method === 'POST' && path === '/v1/servers') return [201, this.createServer(body ?? {})];
    if (method === 'DELETE' && (m = path.match(/^\/v1\/servers\/(\d+)$/)))
      return [200, this.deleteServer(this.byId(this.servers, Number(m[1]), 'server'))];
    if (method === 'POST' && (m = path.match(/^\/v1\/servers\/(\d+)\/actions\/attach_to_network$/)))
      return [201, this.attach(this.byId(this.servers, Number(m[1]), 'server'), body ?? {})];
    if (method === 'POST' && (m = path.match(/^\/v1\/servers\/(\d+)\/actions\/poweron$/)))
      return [201, this.powerOn(this.byId(this.servers, Number(m[1]), 'server'))];
    throw new ApiError(404, 'not_found', `the stand-in has no route for ${method} ${path}`);
  }

  private byId(list: Json[], id: number, what: string): Json {
    const x = list.find((o) => o.id === id);
    if (!x) throw new ApiError(404, 'not_found', `${what} with ID '${id}' not found`);
    return x;
  }

  /** A new action: `running` in the answer that starts it, `success` once polled. */
  private action(command: string, resources: Json[]): Json {
    const a = {
      id: this.id(),
      command,
      status: 'running',
      progress: 0,
      started: NOW,
      finished: null,
      resources,
      error: null,
      polls: 0,
    };
    this.actions.push(a);
    return this.view(a);
  }

  private progress(a: Json): Json {
    a.polls += 1;
    Object.assign(a, { status: 'success', progress: 100, finished: NOW });
    return this.view(a);
  }

  private view(a: Json): Json {
    const { polls: _, ...rest } = a;
    return rest;
  }

  private createFirewall(b: Json): Json {
    if (typeof b.name !== 'string' || !b.name)
      throw new ApiError(400, 'invalid_input', "invalid input in field 'name'");
    if (this.firewalls.some((f) => f.name === b.name))
      throw new ApiError(409, 'uniqueness_error', 'name is already used');
    const fw = {
      id: this.id(),
      name: b.name,
      labels: b.labels ?? {},
      created: NOW,
      rules: this.validRules(b.rules ?? []),
      applied_to: [] as Json[],
    };
    this.firewalls.push(fw);
    return { firewall: fw, actions: [] };
  }

  /** The API's documented rule checks: 50 rules, 100 CIDRs per list, `in` rules need sources, ports only for tcp/udp. */
  private validRules(rules: Json[]): Json[] {
    const bad = (i: number, field: string) =>
      new ApiError(400, 'invalid_input', `invalid input in field 'rules[${i}].${field}'`);
    if (!Array.isArray(rules) || rules.length > 50)
      throw new ApiError(400, 'invalid_input', "invalid input in field 'rules'");
    rules.forEach((r, i) => {
      if (r.direction !== 'in' && r.direction !== 'out') throw bad(i, 'direction');
      if (!['tcp', 'udp', 'icmp', 'esp', 'gre'].includes(r.protocol)) throw bad(i, 'protocol');
      if (['tcp', 'udp'].includes(r.protocol) ? !/^\d{1,5}(-\d{1,5})?$/.test(r.port ?? '') : r.port !== undefined)
        throw bad(i, 'port');
      const ips = r.direction === 'in' ? r.source_ips : r.destination_ips;
      if (
        !Array.isArray(ips) ||
        ips.length === 0 ||
        ips.length > 100 ||
        !ips.every((c: unknown) => typeof c === 'string' && /\/\d+$/.test(c))
      ) {
        throw bad(i, r.direction === 'in' ? 'source_ips' : 'destination_ips');
      }
    });
    return rules.map((r) => ({
      description: r.description ?? null,
      direction: r.direction,
      protocol: r.protocol,
      port: r.port ?? null,
      source_ips: r.source_ips ?? [],
      destination_ips: r.destination_ips ?? [],
    }));
  }

  private setRules(fw: Json, b: Json): Json {
    fw.rules = this.validRules(b.rules);
    const applied = fw.applied_to.map((t: Json) =>
      this.action('apply_firewall', [
        { id: fw.id, type: 'firewall' },
        { id: t.server.id, type: 'server' },
      ]),
    );
    return { actions: [this.action('set_firewall_rules', [{ id: fw.id, type: 'firewall' }]), ...applied] };
  }

  private updatePrimaryIp(ip: Json, b: Json): Json {
    if (b.name !== undefined) {
      if (this.primaryIps.some((p) => p !== ip && p.name === b.name))
        throw new ApiError(409, 'uniqueness_error', 'name is already used');
      ip.name = b.name;
    }
    if (typeof b.auto_delete === 'boolean') ip.auto_delete = b.auto_delete;
    return ip;
  }

  private applyFirewall(fw: Json, b: Json): Json {
    const actions = (b.apply_to ?? []).map((t: Json) => {
      if (t.type !== 'server') throw new ApiError(400, 'invalid_input', "invalid input in field 'apply_to'");
      const server = this.byId(this.servers, t.server?.id, 'server');
      if (fw.applied_to.some((a: Json) => a.server.id === server.id))
        throw new ApiError(422, 'firewall_already_applied', 'the firewall is already applied to the server');
      fw.applied_to.push({ type: 'server', server: { id: server.id } });
      server.public_net.firewalls.push({ id: fw.id, status: 'applied' });
      return this.action('apply_firewall', [
        { id: fw.id, type: 'firewall' },
        { id: server.id, type: 'server' },
      ]);
    });
    return { actions };
  }

  /**
   * A Cloud Firewall that exists before the commands run, with these rules (as `replace-rules`
   * would set them), applied also through a label selector when one is given.
   */
  addFirewall(name: string, rules: Json[], selector?: string): void {
    const { firewall } = this.createFirewall({ name, rules });
    if (selector !== undefined) firewall.selector = selector;
  }

  /** A firewall as the API shows it: a label selector's entry lists the servers it reaches (`applied_to_resources`). */
  private firewallView(fw: Json): Json {
    const { selector, ...rest } = fw;
    if (selector === undefined) return rest;
    const reached = this.servers.filter((x) => matchesSelector(x.labels ?? {}, selector));
    return {
      ...rest,
      applied_to: [
        ...fw.applied_to,
        {
          type: 'label_selector',
          label_selector: { selector },
          applied_to_resources: reached.map((x) => ({ type: 'server', server: { id: x.id } })),
        },
      ],
    };
  }

  /**
   * A server that runs already: on a Primary IP of that name and address (auto-delete as
   * given: a Primary IP Hetzner made with a server has it on), with these labels, behind the
   * named firewall or none.
   */
  addServer(s: {
    name: string;
    ip: string;
    labels?: Record<string, string>;
    firewall?: string;
    primaryIp?: string;
    autoDelete?: boolean;
    /** `off`: stopped (hcloud server shutdown). */
    status?: 'running' | 'off';
    /** More Cloud Firewalls it carries, by name. */
    alsoBehind?: readonly string[];
  }): void {
    const ip = this.primaryIp(s.primaryIp ?? `${s.name}-ipv4`, s.ip, LOCATIONS[0]!, s.autoDelete ?? false);
    this.primaryIps.push(ip);
    const fw = [...(s.firewall === undefined ? [] : [s.firewall]), ...(s.alsoBehind ?? [])].map((name) => ({
      firewall: this.firewalls.find((f) => f.name === name)!.id,
    }));
    const { server } = this.createServer({
      name: s.name,
      server_type: 'cx33',
      image: 'ubuntu-24.04',
      location: 'nbg1',
      labels: s.labels ?? {},
      public_net: { ipv4: ip.id },
      firewalls: fw,
    });
    ip.auto_delete = s.autoDelete ?? false;
    if (s.status) server.status = s.status;
  }

  /** A Primary IP the operator made and no server holds yet (auto-delete off). */
  addPrimaryIp(name: string, ip: string): void {
    this.primaryIps.push(this.primaryIp(name, ip, LOCATIONS[0]!, false));
  }

  /** Primary IPs nobody uses, created before the cluster's own (lower ids: they fill the first pages of a list). */
  addSparePrimaryIps(count: number): void {
    const spare = Array.from({ length: count }, (_v, i) =>
      this.primaryIp(`spare-${i}`, `198.51.100.${(i % 250) + 1}`, LOCATIONS[0]!, false),
    );
    this.primaryIps.unshift(...spare);
    for (const [i, p] of spare.entries()) p.id = 1 + i;
  }

  /** An unassigned IPv4 Primary IP, as the API shows one (`assignee_type` is always "server"). */
  private primaryIp(name: string, ip: string, location: Json, autoDelete: boolean): Json {
    return {
      id: this.id(),
      name,
      ip,
      type: 'ipv4',
      labels: {},
      protection: { delete: false },
      dns_ptr: [],
      assignee_id: null,
      assignee_type: 'server',
      auto_delete: autoDelete,
      blocked: false,
      created: NOW,
      location,
    };
  }

  private createServer(b: Json): Json {
    if ('datacenter' in b)
      throw new ApiError(400, 'invalid_input', "'datacenter' was removed from the API on 2026-07-01; send 'location'");
    for (const f of ['name', 'server_type', 'image'] as const)
      if (b[f] === undefined) throw new ApiError(400, 'invalid_input', `invalid input in field '${f}'`);
    if (this.servers.some((s) => s.name === b.name))
      throw new ApiError(409, 'uniqueness_error', 'server name is already used');
    if (!validLabels(b.labels)) throw new ApiError(400, 'invalid_input', "invalid input in field 'labels'");
    const type = SERVER_TYPES.find((t) => t.name === b.server_type || t.id === b.server_type);
    const image = IMAGES.find((i) => i.id === b.image || i.name === b.image);
    if (!type) throw new ApiError(400, 'invalid_input', "invalid input in field 'server_type'");
    if (!image) throw new ApiError(400, 'invalid_input', "invalid input in field 'image'");
    if (typeof b.user_data === 'string' && Buffer.byteLength(b.user_data) > USER_DATA_LIMIT)
      throw new ApiError(400, 'invalid_input', "invalid input in field 'user_data'");
    const pn = b.public_net ?? { enable_ipv4: true, enable_ipv6: true };
    let location = b.location !== undefined ? this.location(String(b.location)) : undefined;
    let ipv4: Json | undefined;
    if (pn.ipv4 !== undefined) {
      ipv4 = this.primaryIps.find((p) => p.id === pn.ipv4 && p.type === 'ipv4');
      if (!ipv4) throw new ApiError(400, 'invalid_input', "invalid input in field 'public_net.ipv4'");
      if (ipv4.assignee_id !== null)
        throw new ApiError(422, 'primary_ip_assigned', 'the Primary IP is assigned to another server');
      // A Primary IP lives in one location: the server must be created there.
      if (location && location.id !== ipv4.location.id)
        throw new ApiError(422, 'invalid_input', 'the Primary IP is in another location');
      location = ipv4.location;
    }
    const id = this.id();
    if (!ipv4 && pn.enable_ipv4 !== false) {
      // Without --primary-ipv4 Hetzner makes a new address, deleted with the server.
      ipv4 = {
        id: this.id(),
        name: `primary_ip-${id}`,
        ip: '203.0.113.250',
        type: 'ipv4',
        labels: {},
        protection: { delete: false },
        dns_ptr: [],
        assignee_type: 'server',
        auto_delete: true,
        blocked: false,
        created: NOW,
        location: location ?? LOCATIONS[0],
      };
      this.primaryIps.push(ipv4);
    }
    if (ipv4) Object.assign(ipv4, { assignee_id: id, assignee_type: 'server' });
    const firewalls = (b.firewalls ?? []).map((f: Json) => this.byId(this.firewalls, f.firewall, 'firewall'));
    const server = {
      // Created stopped with start_after_create: false (API reference, `POST /servers`; it defaults to true).
      id,
      name: b.name,
      status: b.start_after_create === false ? 'off' : 'running',
      created: NOW,
      public_net: {
        ipv4: ipv4 ? { id: ipv4.id, ip: ipv4.ip, blocked: false, dns_ptr: '' } : null,
        ipv6:
          pn.enable_ipv6 !== false ? { id: this.id(), ip: '2001:db8:abcd::/64', blocked: false, dns_ptr: [] } : null,
        floating_ips: [],
        firewalls: firewalls.map((f: Json) => ({ id: f.id, status: 'applied' })),
      },
      private_net: [] as Json[],
      server_type: type,
      location: location ?? LOCATIONS[0],
      image,
      iso: null,
      rescue_enabled: false,
      locked: false,
      backup_window: null,
      outgoing_traffic: 0,
      ingoing_traffic: 0,
      included_traffic: 21990232555520,
      protection: { delete: false, rebuild: false },
      labels: b.labels ?? {},
      volumes: [],
      load_balancers: [],
      primary_disk_size: 80,
      placement_group: null,
    };
    this.servers.push(server);
    if (server.status === 'running') this.boot(server);
    for (const f of firewalls) f.applied_to.push({ type: 'server', server: { id } });
    const next = [
      ...(b.start_after_create !== false ? [this.action('start_server', [{ id, type: 'server' }])] : []),
      ...firewalls.map((f: Json) =>
        this.action('apply_firewall', [
          { id: f.id, type: 'firewall' },
          { id, type: 'server' },
        ]),
      ),
    ];
    // No root_password: operators log in with their SSH key or the console, never with a printed password.
    return {
      server,
      action: this.action('create_server', [{ id, type: 'server' }]),
      next_actions: next,
      root_password: null,
    };
  }

  /** Deletes a server: its Primary IPs with auto-delete go with it, the others stay, unassigned. */
  private deleteServer(server: Json): Json {
    this.servers.splice(this.servers.indexOf(server), 1);
    this.firstBoot.delete(server.name);
    for (const ip of this.primaryIps.filter((p) => p.assignee_id === server.id)) {
      if (ip.auto_delete) this.primaryIps.splice(this.primaryIps.indexOf(ip), 1);
      else Object.assign(ip, { assignee_id: null, assignee_type: 'server' });
    }
    for (const fw of this.firewalls) fw.applied_to = fw.applied_to.filter((a: Json) => a.server.id !== server.id);
    return { action: this.action('delete_server', [{ id: server.id, type: 'server' }]) };
  }

  /** Starts a stopped server; the API answers an action either way (a running server stays running). */
  private powerOn(server: Json): Json {
    if (server.status !== 'running') this.boot(server);
    server.status = 'running';
    return { action: this.action('start_server', [{ id: server.id, type: 'server' }]) };
  }

  private boot(server: Json): void {
    if (!this.firstBoot.has(server.name))
      this.firstBoot.set(
        server.name,
        server.private_net.map((p: Json) => p.ip),
      );
  }

  private attach(server: Json, b: Json): Json {
    const network = this.byId(this.networks, b.network, 'network');
    if (server.private_net.some((p: Json) => p.network === network.id))
      throw new ApiError(422, 'server_already_attached', 'the server is already attached to the network');
    server.private_net.push({
      network: network.id,
      ip: b.ip,
      alias_ips: b.alias_ips ?? [],
      mac_address: '86:00:00:00:00:01',
    });
    network.servers.push(server.id);
    return {
      action: this.action('attach_to_network', [
        { id: server.id, type: 'server' },
        { id: network.id, type: 'network' },
      ]),
    };
  }
}
