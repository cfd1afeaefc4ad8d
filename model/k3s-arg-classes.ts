import { type ArgValue, type K3sArgs, sameArg } from './k3s-args';
import { CRITICAL_CONTROL_ARGS } from './k3s-critical';

/**
 * How a difference between what a server runs and what its node file renders can be rolled
 * out, from K3s v1.34.6's source:
 * - `critical`: a critical control argument (pkg/daemons/config/types.go CriticalControlArgs).
 *   A server that joins with another value is refused ("critical configuration value mismatch
 *   between servers", pkg/cluster/bootstrap.go compareConfig), so a rebuild cannot bring it.
 * - `cluster-wide`: the `disable` list. A server that disables a packaged component deletes its
 *   manifest from the datastore while the others write it back (pkg/deploy), so the servers fight
 *   until they agree: it changes on every server, in place, or not at all.
 * - `member`: what an etcd member is: its peer URLs (node-ip, advertise-address), whether it is a
 *   member (disable-etcd), where its data lives (data-dir), the overlay it routes over
 *   (flannel-iface, flannel-conf). Changed under a running member it breaks it; a rebuilt server
 *   is a new member, so a rebuild is how these change.
 * - `token`: only `k3s token rotate` changes it; never compared here (the token hash is).
 * - `in-place`: read again on a restart (etcd-s3 and snapshot keys, kubelet and kube-proxy
 *   arguments and the rest): a drop-in and one restart at a time, no rebuild.
 */
export type ArgClass = 'critical' | 'cluster-wide' | 'member' | 'in-place';

const MEMBER = new Set(['node-ip', 'advertise-address', 'disable-etcd', 'data-dir', 'flannel-iface', 'flannel-conf']);

/**
 * Flags that differ between servers by design, or whose value the node-args hide: the join
 * target and role (server, cluster-init), the node's name (the Node is found by it), and the
 * token (redacted; the snapshots' token hash checks it).
 */
const NOT_COMPARED = new Set(['server', 'cluster-init', 'node-name', 'token', 'token-file', 'agent-token', 'config']);

/** One difference, with both values (undefined: unset, K3s's default is nothing). */
export interface ArgChange {
  readonly name: string;
  readonly running: ArgValue | undefined;
  readonly rendered: ArgValue | undefined;
  readonly class: ArgClass;
}

const CRITICAL = new Set<string>(CRITICAL_CONTROL_ARGS);

/** `disable-service-lb` is no flag: K3s sets it from `disable: [servicelb]` (pkg/cli/server/server.go). */
const disablesServiceLb = (args: K3sArgs): boolean =>
  ((args.get('disable') as string[] | undefined) ?? []).includes('servicelb');

export function classOf(name: string): ArgClass {
  if (CRITICAL.has(name)) return 'critical';
  if (name === 'disable') return 'cluster-wide';
  if (MEMBER.has(name)) return 'member';
  return 'in-place';
}

/** Every flag whose running value differs from the rendered one (both with K3s's defaults filled in). */
export function argChanges(running: K3sArgs, rendered: K3sArgs): ArgChange[] {
  const names = [...new Set([...running.keys(), ...rendered.keys()])].filter((n) => !NOT_COMPARED.has(n)).sort();
  const changes: ArgChange[] = names
    .filter((n) => !sameArg(n, running.get(n), rendered.get(n)))
    .map((name) => ({ name, running: running.get(name), rendered: rendered.get(name), class: classOf(name) }));
  if (disablesServiceLb(running) !== disablesServiceLb(rendered))
    changes.unshift({
      name: 'disable-service-lb',
      running: disablesServiceLb(running),
      rendered: disablesServiceLb(rendered),
      class: 'critical',
    });
  return changes;
}

/** A value as the plan prints it. */
export const shownArg = (v: ArgValue | undefined): string =>
  v === undefined ? '(unset)' : Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
