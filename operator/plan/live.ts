import { Answer, AnswerShapeError } from '../../lib/answer';
import { UserInputError } from '../../lib/errors';
import { lastLine, runTool } from '../tool';

/** A server as `hcloud server list -o json` shows it (only what the plan reads). */
export interface LiveServer {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ipv4?: string;
  /** The Primary IP it holds (`public_net.ipv4.id`): how its address is found, whatever its name. */
  readonly primaryIpId?: number;
  readonly serverType?: string;
  readonly image?: string;
  readonly location?: string;
}

/** A Cloud Firewall rule as the API holds it. */
export interface LiveRule {
  readonly direction: string;
  readonly protocol: string;
  readonly port?: string | null;
  readonly source_ips?: readonly string[];
  readonly destination_ips?: readonly string[];
  readonly description?: string | null;
}

export interface LiveFirewall {
  readonly name: string;
  readonly rules: readonly LiveRule[];
  /** Ids of the servers it applies to: directly, or through a label selector. */
  readonly serverIds: readonly number[];
}

export interface LivePrimaryIp {
  readonly id: number;
  readonly name: string;
  readonly ip: string;
  /** The server holding it, if any. */
  readonly assigneeId?: number;
  readonly autoDelete: boolean;
}

/** What runs at Hetzner, as the plan compares it. */
export interface LiveState {
  readonly servers: readonly LiveServer[];
  /** The cluster's Cloud Firewall, or undefined when none of that name exists. */
  readonly firewall?: LiveFirewall;
  /** Every other Cloud Firewall: Hetzner applies the rules of each one a server carries. */
  readonly otherFirewalls: readonly LiveFirewall[];
  /** The Primary IPs the servers hold, and those the config names. */
  readonly primaryIps: readonly LivePrimaryIp[];
}

/** A failed read of the live state: hcloud missing, no API token, or the API refusing. */
export class HcloudError extends UserInputError {}

/** How long one hcloud read may take before the plan gives up on it. */
export const HCLOUD_TIMEOUT_MS = 60_000;

/**
 * Runs one read-only `hcloud … -o json` with the caller's environment (HCLOUD_TOKEN,
 * HCLOUD_CONTEXT, HCLOUD_CONFIG and HCLOUD_ENDPOINT as hcloud honours them), without
 * HCLOUD_DEBUG, which would mix request dumps into the JSON. Returns the parsed output, or
 * `undefined` when hcloud says the named resource does not exist.
 */
async function hcloudJson(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  opts: { readonly list?: boolean } = {},
): Promise<unknown> {
  const { HCLOUD_DEBUG: _debug, ...rest } = env;
  const api = env.HCLOUD_ENDPOINT || 'https://api.hetzner.cloud/v1';
  const r = await runTool(
    ['hcloud', ...args, '-o', 'json'],
    rest,
    HCLOUD_TIMEOUT_MS,
    `hcloud ${args.join(' ')} (the Hetzner API at ${api})`,
  );
  const command = `hcloud ${args.join(' ')} -o json`;
  if (r.code === 'ENOENT')
    throw new HcloudError(
      'hcloud is not installed (or not on PATH): the plan reads the live state with it; install hcloud-cli (Debian: apt-get install hcloud-cli)',
    );
  if (r.code === 'ETIMEDOUT')
    throw new HcloudError(
      `${command} did not answer within ${HCLOUD_TIMEOUT_MS / 1000} s (waiting for the Hetzner API at ${env.HCLOUD_ENDPOINT || 'https://api.hetzner.cloud/v1'}); nothing was changed`,
    );
  if (r.status === undefined) throw new HcloudError(`${command} did not finish (${r.code}); nothing was changed`);
  // hcloud writes one line, `hcloud: <error>`; it never holds the token, and it is hidden anyway.
  const said = lastLine(r.stderr, [env.HCLOUD_TOKEN]).replace(/^hcloud: /, '');
  if (r.status !== 0) {
    // Only a describe's "not found" means the resource does not exist; a list has no such answer.
    if (!opts.list && / not found: /.test(said)) return undefined;
    if (env.HCLOUD_CONTEXT && /context .*not found|not found.*context/i.test(said))
      throw new HcloudError(
        `HCLOUD_CONTEXT names an hcloud context that does not exist (hcloud context list shows them): ${said}`,
      );
    if (/no active context or token/.test(said)) {
      throw new HcloudError(
        'no Hetzner API token: set HCLOUD_TOKEN to an API token of the cluster’s project (read-only is enough: the plan only reads), or HCLOUD_CONTEXT to an hcloud context',
      );
    }
    throw new HcloudError(`${command} failed (exit ${r.status}): ${said || 'no message'}; nothing was changed`);
  }
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new HcloudError(`${command} printed no JSON; is this hcloud-cli 1.30 or later?`);
  }
}

/**
 * The live state, read only (all GET: a read-only token suffices), each answer checked at the
 * boundary. First, at once: the servers, every firewall (`list`, for what each applies to,
 * label selectors included), the cluster's firewall (`describe`, because `firewall list -o
 * json` in hcloud 1.30 prints every source as "ip+net"). Then each Primary IP a server holds,
 * by its id, and each the config names, by name: Debian's hcloud 1.30.3 asks for one page of
 * `primary-ip list` only (50 IPs), and a server's address is found through the server, whatever
 * its IP is called.
 */
export async function readLive(
  wanted: {
    readonly firewall: string;
    readonly primaryIps: readonly string[];
    /** The configured server names; servers carrying `label` are read too (strays). */
    readonly servers: readonly string[];
    readonly label: string;
  },
  env: NodeJS.ProcessEnv,
): Promise<LiveState> {
  const [rawServers, rawFirewalls, rawOurs] = await allInOrder([
    hcloudJson(['server', 'list'], env, { list: true }),
    hcloudJson(['firewall', 'list'], env, { list: true }),
    hcloudJson(['firewall', 'describe', wanted.firewall], env),
  ]);
  // hcloud 1.30's `server list -o json` loses the Primary IP's id and the location (it prints
  // them as 0 and ""); `server describe` prints the API's own JSON. So: list, then describe.
  const listed = checked(rawServers, 'hcloud server list', (a) =>
    a
      .list()
      .map((x) => ({ id: x.get('id').number(), name: x.get('name').string(), labels: x.get('labels').strings() })),
  ).filter((x) => wanted.servers.includes(x.name) || x.labels[wanted.label] !== undefined);
  const described = await allInOrder(listed.map((x) => hcloudJson(['server', 'describe', String(x.id)], env)));
  const servers = described.flatMap((raw): LiveServer[] => {
    if (raw === undefined) return []; // deleted between the two reads
    return [checked(raw, 'hcloud server describe', serverOf)];
  });
  const ours = rawOurs === undefined ? undefined : checked(rawOurs, 'hcloud firewall describe', firewallOf);
  const otherFirewalls = checked(rawFirewalls, 'hcloud firewall list', (a) => a.list().map(firewallOf)).filter(
    (f) => f.name !== wanted.firewall,
  );
  // By id through each server; by name only the configured ones no server holds.
  const byId = new Map<number, LivePrimaryIp>();
  const describe = async (refs: readonly string[]) => {
    for (const raw of await allInOrder(refs.map((ref) => hcloudJson(['primary-ip', 'describe', ref], env)))) {
      if (raw === undefined) continue;
      const p = checked(raw, 'hcloud primary-ip describe', primaryIpOf);
      byId.set(p.id, p);
    }
  };
  await describe(servers.flatMap((x) => (x.primaryIpId ? [String(x.primaryIpId)] : [])));
  const named = new Set([...byId.values()].map((p) => p.name));
  await describe(wanted.primaryIps.filter((n) => !named.has(n)));
  return { servers, firewall: ours, otherFirewalls, primaryIps: [...byId.values()] };
}

/** Runs at once; a failure is reported in the given order, so one cause gives one message. */
async function allInOrder<T>(calls: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * A resource name as Hetzner allows it (a server's is a hostname, RFC 1123; other names the
 * same letters, digits, dot, dash and underscore, at most 63): these names reach command lines
 * the rollout prints, so any other answer is refused here rather than printed.
 */
const HETZNER_NAME = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
function hetznerName(a: Answer): string {
  const name = a.string();
  if (!HETZNER_NAME.test(name)) throw new AnswerShapeError(a.at, 'a Hetzner resource name (letters, digits, . _ -)');
  return name;
}

/** The fields read of hcloud's JSON (hcloud-go schema; test/fixtures/hcloud/ORIGIN.md); the rest is ignored. */
function serverOf(x: Answer): LiveServer {
  const ipv4 = x.get('public_net').missing ? undefined : x.get('public_net').get('ipv4');
  const named = (key: string) => (x.get(key).missing ? undefined : x.get(key).get('name').optString());
  return {
    id: x.get('id').number(),
    name: hetznerName(x.get('name')),
    status: x.get('status').string(),
    labels: x.get('labels').strings(),
    ipv4: ipv4 && !ipv4.missing ? ipv4.get('ip').optString() || undefined : undefined,
    primaryIpId: ipv4 && !ipv4.missing ? ipv4.get('id').optNumber() || undefined : undefined,
    serverType: named('server_type'),
    image: named('image'),
    location: named('location'),
  };
}

function ruleOf(r: Answer): LiveRule {
  const ips = (key: string) =>
    r.get(key).missing
      ? undefined
      : r
          .get(key)
          .list()
          .map((x) => x.string());
  return {
    direction: r.get('direction').string(),
    protocol: r.get('protocol').string(),
    port: r.get('port').optString() ?? null,
    source_ips: ips('source_ips'),
    destination_ips: ips('destination_ips'),
    description: r.get('description').optString() ?? null,
  };
}

/** A firewall and the servers it reaches: directly, or through a label selector's `applied_to_resources`. */
function firewallOf(f: Answer): LiveFirewall {
  const serverId = (t: Answer) =>
    t.get('type').string() === 'server' && !t.get('server').missing ? [t.get('server').get('id').number()] : [];
  return {
    name: hetznerName(f.get('name')),
    rules: f.get('rules').list(true).map(ruleOf),
    serverIds: f
      .get('applied_to')
      .list(true)
      .flatMap((t) =>
        t.get('type').string() === 'server' ? serverId(t) : t.get('applied_to_resources').list(true).flatMap(serverId),
      ),
  };
}

function primaryIpOf(p: Answer): LivePrimaryIp {
  return {
    id: p.get('id').number(),
    name: hetznerName(p.get('name')),
    ip: p.get('ip').string(),
    assigneeId: p.get('assignee_id').optNumber() || undefined,
    autoDelete: p.get('auto_delete').boolean(),
  };
}

/** An answer read with `read`, or an HcloudError saying where it is of another shape. */
function checked<T>(raw: unknown, what: string, read: (a: Answer) => T): T {
  try {
    return read(new Answer(raw));
  } catch (e) {
    if (!(e instanceof AnswerShapeError)) throw e;
    throw new HcloudError(
      `${what} -o json printed JSON of another shape (${e.message}); is this hcloud-cli 1.30 or later? Nothing was changed`,
    );
  }
}
