import type { z as Z } from 'zod';
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
  const r = await runTool(['hcloud', ...args, '-o', 'json'], rest, HCLOUD_TIMEOUT_MS);
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
  const { z } = require('zod') as typeof import('zod');
  const s = hcloudSchemas(z);
  const [rawServers, rawFirewalls, rawOurs] = await allInOrder([
    hcloudJson(['server', 'list'], env, { list: true }),
    hcloudJson(['firewall', 'list'], env, { list: true }),
    hcloudJson(['firewall', 'describe', wanted.firewall], env),
  ]);
  // hcloud 1.30's `server list -o json` loses the Primary IP's id and the location (it prints
  // them as 0 and ""); `server describe` prints the API's own JSON. So: list, then describe.
  const listed = checked(s.listed, rawServers, 'hcloud server list').filter(
    (x) => wanted.servers.includes(x.name) || x.labels?.[wanted.label] !== undefined,
  );
  const described = await allInOrder(listed.map((x) => hcloudJson(['server', 'describe', String(x.id)], env)));
  const servers = described.flatMap((raw): LiveServer[] => {
    if (raw === undefined) return []; // deleted between the two reads
    const x = checked(s.server, raw, 'hcloud server describe');
    return [
      {
        id: x.id,
        name: x.name,
        status: x.status,
        labels: x.labels ?? {},
        ipv4: x.public_net?.ipv4?.ip || undefined,
        primaryIpId: x.public_net?.ipv4?.id || undefined,
        serverType: x.server_type?.name,
        image: x.image?.name ?? undefined,
        location: x.location?.name ?? undefined,
      },
    ];
  });
  const firewallOf = (f: HcloudFirewall): LiveFirewall => ({
    name: f.name,
    rules: f.rules ?? [],
    serverIds: (f.applied_to ?? []).flatMap((a) =>
      a.type === 'server' && a.server
        ? [a.server.id]
        : (a.applied_to_resources ?? []).flatMap((r) => (r.type === 'server' && r.server ? [r.server.id] : [])),
    ),
  });
  const ours = rawOurs === undefined ? undefined : firewallOf(checked(s.firewall, rawOurs, 'hcloud firewall describe'));
  const otherFirewalls = checked(s.firewalls, rawFirewalls, 'hcloud firewall list')
    .filter((f) => f.name !== wanted.firewall)
    .map(firewallOf);
  const refs = [
    ...new Set([...servers.flatMap((x) => (x.primaryIpId ? [String(x.primaryIpId)] : [])), ...wanted.primaryIps]),
  ];
  const ips = await allInOrder(refs.map((ref) => hcloudJson(['primary-ip', 'describe', ref], env)));
  const byId = new Map<number, LivePrimaryIp>();
  for (const raw of ips) {
    if (raw === undefined) continue;
    const p = checked(s.primaryIp, raw, 'hcloud primary-ip describe');
    byId.set(p.id, {
      id: p.id,
      name: p.name,
      ip: p.ip,
      assigneeId: p.assignee_id || undefined,
      autoDelete: p.auto_delete,
    });
  }
  return { servers, firewall: ours, otherFirewalls, primaryIps: [...byId.values()] };
}

/** Runs at once; a failure is reported in the given order, so one cause gives one message. */
async function allInOrder<T>(calls: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** The fields read of hcloud's JSON (hcloud-go schema; test/fixtures/hcloud/ORIGIN.md); the rest is ignored. */
function hcloudSchemas(z: typeof Z) {
  const name = z.string().min(1).max(253);
  const rule = z.object({
    direction: z.string(),
    protocol: z.string(),
    port: z.string().nullish(),
    source_ips: z.array(z.string()).optional(),
    destination_ips: z.array(z.string()).optional(),
    description: z.string().nullish(),
  });
  const target = z.object({ type: z.string(), server: z.object({ id: z.number() }).nullish() });
  const firewall = z.object({
    name,
    rules: z.array(rule).nullish(),
    applied_to: z.array(target.extend({ applied_to_resources: z.array(target).nullish() })).nullish(),
  });
  const named = z.object({ name: z.string().nullish() }).nullish();
  const labels = z.record(z.string(), z.string()).nullish();
  return {
    listed: z.array(z.object({ id: z.number(), name, labels })),
    server: z.object({
      id: z.number(),
      name,
      status: z.string(),
      labels,
      public_net: z
        .object({ ipv4: z.object({ id: z.number().nullish(), ip: z.string().nullish() }).nullish() })
        .nullish(),
      server_type: z.object({ name: z.string() }).nullish(),
      image: named,
      location: named,
    }),
    firewall,
    firewalls: z.array(firewall),
    primaryIp: z.object({
      id: z.number(),
      name,
      ip: z.string(),
      assignee_id: z.number().nullish(),
      auto_delete: z.boolean(),
    }),
  };
}
type HcloudFirewall = Z.infer<ReturnType<typeof hcloudSchemas>['firewall']>;

/** An answer checked against its schema, or an HcloudError saying where it went wrong. */
function checked<T extends Z.ZodType>(schema: T, raw: unknown, what: string): Z.infer<T> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new HcloudError(
    `${what} -o json printed JSON of another shape (at ${issue.path.join('.') || 'the top'}: ${issue.message}); is this hcloud-cli 1.30 or later? Nothing was changed`,
  );
}
