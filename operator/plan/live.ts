import { UserInputError } from '../../lib/errors';
import { lastLine, runTool } from '../tool';

/** A server as `hcloud server list -o json` shows it (only what the plan reads). */
export interface LiveServer {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ipv4?: string;
}

/** A Cloud Firewall rule as the API holds it. */
export interface LiveRule {
  readonly direction: string;
  readonly protocol: string;
  readonly port?: string | null;
  readonly source_ips?: readonly string[];
  readonly description?: string | null;
}

export interface LiveFirewall {
  readonly rules: readonly LiveRule[];
  /** Ids of the servers it is applied to. */
  readonly serverIds: readonly number[];
}

export interface LivePrimaryIp {
  readonly name: string;
  readonly ip: string;
  readonly assigned: boolean;
  readonly autoDelete: boolean;
}

/** What runs at Hetzner, as the plan compares it. */
export interface LiveState {
  readonly servers: readonly LiveServer[];
  /** The cluster's Cloud Firewall, or undefined when none of that name exists. */
  readonly firewall?: LiveFirewall;
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
async function hcloudJson(args: readonly string[], env: NodeJS.ProcessEnv): Promise<unknown> {
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
    if (/ not found: /.test(said)) return undefined;
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
 * The live state, in three reads (all GET: a read-only token suffices): the servers, the
 * firewall (`describe`, because `firewall list -o json` in hcloud 1.30 prints every source as
 * "ip+net"), the Primary IPs. `server list` carries no firewalls in 1.30, so membership comes
 * from the firewall's `applied_to`.
 */
export async function readLive(firewallName: string, env: NodeJS.ProcessEnv): Promise<LiveState> {
  const settled = await Promise.allSettled([
    hcloudJson(['server', 'list'], env),
    hcloudJson(['firewall', 'describe', firewallName], env),
    hcloudJson(['primary-ip', 'list'], env),
  ]);
  // The three run at once; a failure is reported in their order, so one cause gives one message.
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [rawServers, fw, rawIps] = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
  const servers = ((rawServers as RawServer[] | null) ?? []).map((s): LiveServer => ({
    id: s.id,
    name: s.name,
    status: s.status,
    labels: s.labels ?? {},
    ipv4: s.public_net?.ipv4?.ip || undefined,
  }));
  const firewall: LiveFirewall | undefined = (fw as RawFirewall | undefined) && {
    rules: (fw as RawFirewall).rules ?? [],
    serverIds: ((fw as RawFirewall).applied_to ?? []).flatMap((a) =>
      a.type === 'server' && a.server ? [a.server.id] : [],
    ),
  };
  const primaryIps = ((rawIps as RawPrimaryIp[] | null) ?? []).map((p): LivePrimaryIp => ({
    name: p.name,
    ip: p.ip,
    assigned: !!p.assignee_id,
    autoDelete: !!p.auto_delete,
  }));
  return { servers, firewall, primaryIps };
}

/** The fields read of hcloud's JSON (hcloud-go schema; test/fixtures/hcloud/ORIGIN.md). */
interface RawServer {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly labels?: Record<string, string>;
  readonly public_net?: { readonly ipv4?: { readonly ip?: string } | null };
}
interface RawFirewall {
  readonly rules?: LiveRule[];
  readonly applied_to?: { readonly type: string; readonly server?: { readonly id: number } }[];
}
interface RawPrimaryIp {
  readonly name: string;
  readonly ip: string;
  /** 0 or null when unassigned (list and describe differ). */
  readonly assignee_id?: number | null;
  readonly auto_delete?: boolean;
}
