import * as path from 'path';
import type { Config } from '../config/schema';
import { PATHS } from '../model/paths';
import { plainWord, renderTemplate } from './template';
import { rootFile, type WriteFile } from './write-file';

/** The unit's name, as k3s.service's Requires= and runcmd name it. */
export const METADATA_GUARD_UNIT = path.posix.basename(PATHS.metadataGuardUnit);

/** Tags every rule the guard inserts, so `iptables -S` shows whose it is and `-D` removes exactly it. */
const COMMENT = 'honeydue-metadata-guard';

/** The UID that keeps access: cloud-init on later boots and K3s run as root. */
const ROOT_UID = 0;

/** One DROP rule of the guard. */
export interface MetadataGuardRule {
  readonly table: 'raw' | 'mangle';
  readonly chain: 'PREROUTING' | 'FORWARD' | 'OUTPUT';
  /** iptables match arguments, before the comment and the DROP target. */
  readonly match: readonly string[];
  /** What this rule catches that the others do not. */
  readonly catches: string;
}

/**
 * The guard's rules. They sit in tables K3s leaves alone: flannel, kube-proxy (both modes)
 * and kube-router insert their ACCEPTs at the top of `filter` FORWARD/INPUT/OUTPUT and
 * rewrite `nat`, above ufw's chains, so a drop among ufw's rules could be skipped once K3s
 * runs. Nothing in K3s writes `raw`, and it only adds its own chains to `mangle`; ufw touches
 * neither (MANAGE_BUILTINS=no). Each rule is inserted first in its chain.
 *
 * - raw PREROUTING: every packet that arrives for the address from an interface (pods on
 *   cni0, flannel.1 or any veth; anything else). It runs before conntrack and NAT. No
 *   legitimate packet arrives with that destination: the service's replies come *from* it.
 * - mangle FORWARD: a forwarded packet after NAT, for a Service or hostPort whose endpoint
 *   DNAT turned towards the address (kube-proxy's iptables mode rewrites after raw).
 * - raw OUTPUT with an owner match: packets the node itself sends, unless their socket
 *   belongs to root. The hostNetwork Traefik (UID 65532) and every other non-root process
 *   are dropped (their connections fail). A packet without a socket matches an inverted owner
 *   match too (xt_owner), so what IPVS sends on for a Service whose endpoint is the address
 *   (through LOCAL_OUT) is dropped as well; the tests do not run IPVS, this is from the
 *   kernel's source. Root's own connections are never touched.
 */
export function metadataGuardRules(address: string): MetadataGuardRule[] {
  const dst = ['-d', `${plainWord(address)}/32`];
  return [
    {
      table: 'raw',
      chain: 'PREROUTING',
      match: dst,
      catches: 'what pods, or anything else arriving on an interface, send to it',
    },
    { table: 'mangle', chain: 'FORWARD', match: dst, catches: 'forwarded traffic that NAT turned towards it' },
    {
      table: 'raw',
      chain: 'OUTPUT',
      match: [...dst, '-m', 'owner', '!', '--uid-owner', String(ROOT_UID)],
      catches: 'what host processes other than root send to it',
    },
  ];
}

/** The argv that inserts (`-I`, first in the chain) or deletes (`-D`) one rule. */
export function ruleArgv(rule: MetadataGuardRule, action: '-I' | '-D'): string[] {
  return [
    PATHS.iptables,
    '-w',
    '-t',
    rule.table,
    action,
    rule.chain,
    ...rule.match,
    '-m',
    'comment',
    '--comment',
    COMMENT,
    '-j',
    'DROP',
  ];
}

/** metadata-guard.service: the rules above, as argv lines of a oneshot unit ordered after ufw and before K3s. */
export function metadataGuardFiles(cluster: Pick<Config['cluster'], 'hetzner'>): WriteFile[] {
  const address = cluster.hetzner.metadataAddress;
  const rules = metadataGuardRules(address);
  return [
    rootFile(
      PATHS.metadataGuardUnit,
      renderTemplate('metadata-guard.service', {
        address: plainWord(address),
        rules: rules.map((r) => ({ catches: r.catches, insert: ruleArgv(r, '-I'), remove: ruleArgv(r, '-D') })),
      }),
      '0644',
    ),
  ];
}
