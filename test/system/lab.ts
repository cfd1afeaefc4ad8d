import { isAlive } from '../../lib/alive';
import { type Cleanup, onCleanup } from '../cleanup';
import { mustRun, run, runAsync, start, type Started } from '../process';

/**
 * A throwaway network of hosts, each a network namespace with one veth to a bridge in one
 * more, 'switch', namespace. Nothing is created in the host's own network namespace, the
 * switch has no route out, and only TEST-NET addresses (RFC 5737) are used, so no packet can
 * reach a real network. A bridge in its own namespace also keeps the firewall under test out
 * of the switching path: node-1's iptables only ever see traffic addressed to node-1.
 *
 * Names are `hdsys-<pid>-<tag>-<host>`: parallel runs never collide, and a namespace whose PID
 * is dead is a leftover of a crashed run, which the next run removes.
 */
export const LAB_PREFIX = 'hdsys-';

export interface Port {
  readonly proto: 'tcp' | 'udp';
  readonly port: number;
}

/** `tcp/6443`: the key of a port in reachability maps, so a failing assertion reads as a table. */
export const portKey = (p: Port) => `${p.proto}/${p.port}`;

/** What comes back from a listener: the TCP banner, or the UDP datagram the probe sends and the listener echoes. */
const banner = (p: Port) => `${p.proto}-${p.port}`;

/** Every probe is bounded. Long enough for a loaded CI machine on a local bridge; a drop costs this once per probe, and probes run in parallel. */
const PROBE_TIMEOUT_S = 2;

/**
 * One bounded probe with socat, run after `prefix` (a namespace, a user): 'reached' when the
 * listener's answer comes back, its banner over TCP or the echo of a datagram naming it over UDP.
 */
export async function probe(
  prefix: readonly string[],
  p: Port,
  host: string,
  answer: string,
): Promise<'reached' | 'blocked'> {
  const to = p.proto === 'tcp' ? `TCP:${host}:${p.port},connect-timeout=${PROBE_TIMEOUT_S}` : `UDP:${host}:${p.port}`;
  const r = await runAsync([...prefix, 'socat', '-T', `${PROBE_TIMEOUT_S}`, '-t', `${PROBE_TIMEOUT_S}`, 'STDIO', to], {
    input: p.proto === 'udp' ? `${answer}\n` : '',
    timeoutMs: (PROBE_TIMEOUT_S + 5) * 1000,
  });
  return r.stdout.trim() === answer ? 'reached' : 'blocked';
}

/** A listener lives at most this long: a lab serves one test file. */
const LISTENER_LIFETIME_MS = 30 * 60_000;

export class Lab {
  private readonly namespaces: string[] = [];
  private readonly listeners: Started[] = [];
  private readonly cleanup: Cleanup;

  private constructor(
    private readonly tag: string,
    private readonly addresses: Record<string, readonly string[]>,
  ) {
    // Also at Ctrl-C and exit: a jest worker that exits before afterAll runs still removes the lab.
    this.cleanup = onCleanup(`network lab ${tag}`, () => this.teardown());
  }

  /** Creates the switch and one namespace per host with its addresses (/32, default route on the link). */
  static create(tag: string, hosts: Record<string, readonly string[]>): Lab {
    removeStaleLabs();
    const lab = new Lab(tag, hosts);
    try {
      const sw = lab.addNamespace('sw');
      mustRun(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
      mustRun(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
      for (const [host, addrs] of Object.entries(hosts)) {
        const ns = lab.addNamespace(host);
        // Created inside the switch with its peer end moved straight into the host: the host's namespace never sees either end.
        mustRun([
          'ip',
          '-n',
          sw,
          'link',
          'add',
          `v-${host}`.slice(0, 15),
          'type',
          'veth',
          'peer',
          'name',
          'eth0',
          'netns',
          ns,
        ]);
        mustRun(['ip', '-n', sw, 'link', 'set', `v-${host}`.slice(0, 15), 'master', 'br0', 'up']);
        for (const a of addrs) mustRun(['ip', '-n', ns, 'address', 'add', `${a}/32`, 'dev', 'eth0']);
        mustRun(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
        // One flat L2 segment: every TEST-NET range is on-link, so node-1's replies need no router.
        mustRun(['ip', '-n', ns, 'route', 'add', 'default', 'dev', 'eth0']);
      }
    } catch (e) {
      lab.destroy();
      throw e;
    }
    return lab;
  }

  ns(host: string): string {
    return `${LAB_PREFIX}${process.pid}-${this.tag}-${host}`;
  }

  address(host: string): string {
    return this.addresses[host]![0]!;
  }

  /** argv that runs `argv` inside `host`'s network namespace. */
  exec(host: string, argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.ns(host), ...argv];
  }

  /**
   * socat listeners on `host`. TCP sends its banner and closes. UDP echoes each datagram back
   * to its sender (`PIPE`); -T 1 ends each per-datagram child after it has answered. (An
   * `EXEC:echo` reply does not work for UDP: the child then writes the datagram into an echo
   * that has already exited, dies of EPIPE and sends nothing.) Resolves once all are bound.
   */
  async listen(host: string, ports: readonly Port[]): Promise<void> {
    for (const p of ports) {
      const argv =
        p.proto === 'tcp'
          ? ['socat', `TCP-LISTEN:${p.port},fork,reuseaddr`, `EXEC:/bin/echo ${banner(p)}`]
          : ['socat', '-T', '1', `UDP-RECVFROM:${p.port},fork`, 'PIPE'];
      // Not awaited by anything; destroy() kills it.
      const opts = { label: `socat on ${host}`, output: 'ignore', timeoutMs: LISTENER_LIFETIME_MS } as const;
      const listener = start(this.exec(host, argv), opts);
      this.listeners.push(listener);
    }
    const wanted = ports.map((p) => `${p.proto}:${p.port}`);
    for (let attempt = 0; attempt < 100; attempt++) {
      const ss = run(this.exec(host, ['ss', '-Hlntu'])).stdout;
      const bound = new Set(
        [...ss.matchAll(/^(tcp|udp)\s+\S+\s+\d+\s+\d+\s+\S+:(\d+)\s/gm)].map((m) => `${m[1]}:${m[2]}`),
      );
      if (wanted.every((w) => bound.has(w))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`socat listeners on ${host} did not bind ${wanted.join(' ')} within 5 s`);
  }

  /**
   * Whether `from` reaches each port on `to`: `reached` only when the listener's answer comes
   * back. TCP gets a bounded connect timeout; UDP sends one datagram naming the port and waits
   * a bounded time for its echo (no echo = blocked). All probes run at once.
   */
  async reach(from: string, to: string, ports: readonly Port[]): Promise<Record<string, 'reached' | 'blocked'>> {
    const target = this.address(to);
    const results = await Promise.all(
      ports.map(async (p) => [portKey(p), await probe(this.exec(from, []), p, target, banner(p))] as const),
    );
    return Object.fromEntries(results);
  }

  /** Kills the listeners and deletes every namespace. Safe to call twice and after a half-built lab. */
  destroy(): void {
    this.cleanup.now();
  }

  private teardown(): void {
    for (const listener of this.listeners.splice(0)) listener.kill('SIGKILL');
    for (const ns of this.namespaces.splice(0).reverse()) deleteNamespace(ns);
  }

  private addNamespace(host: string): string {
    const ns = this.ns(host);
    // Only a crashed earlier process with this same PID can have left this name behind.
    deleteNamespace(ns);
    mustRun(['ip', 'netns', 'add', ns]);
    this.namespaces.push(ns);
    mustRun(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }
}

function namespaceExists(ns: string): boolean {
  return run(['ip', 'netns', 'list'])
    .stdout.split('\n')
    .some((l) => l.split(' ')[0] === ns);
}

/**
 * Deletes one of this suite's namespaces, first killing what still runs in it: only this
 * suite's own socat listeners and their forks (possibly of a crashed earlier run) live there.
 */
function deleteNamespace(ns: string): void {
  if (!ns.startsWith(LAB_PREFIX) || !namespaceExists(ns)) return;
  for (const pid of run(['ip', 'netns', 'pids', ns]).stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  run(['ip', 'netns', 'delete', ns]);
}

/** Removes namespaces of earlier runs that died without cleaning up: those whose PID is not alive. */
export function removeStaleLabs(): void {
  for (const line of run(['ip', 'netns', 'list']).stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = new RegExp(`^${LAB_PREFIX}(\\d+)-`).exec(name);
    if (m && Number(m[1]) !== process.pid && !isAlive(Number(m[1]))) deleteNamespace(name);
  }
}
