import { K3S_PORTS } from '../../config/ports';
import type { NodeConfig } from '../../config/cluster';
import { PATHS } from '../../model/paths';
import type { Command } from './runbook';

/** K3s's data directory. */
export const DATA_DIR = PATHS.k3sDataDir;

/**
 * The etcd member list, as K3s itself serves it on every server: `/db/info` on the supervisor
 * port answers requests from 127.0.0.1 without credentials (pkg/etcd/etcd.go `handler`,
 * pkg/server/auth `IsLocalOrHasRole`). K3s ships no etcdctl. Member names are
 * `<node name>-<8 hex digits>`.
 */
export const DB_INFO = `curl -s --cacert ${DATA_DIR}/server/tls/server-ca.crt https://127.0.0.1:${K3S_PORTS.api}/db/info`;

/** "ubuntu-8gb-nbg1-2 (hetzner1)". */
export function nodeLabel(n: NodeConfig): string {
  return n.alias ? `${n.name} (${n.alias})` : n.name;
}

export function systemctl(verb: 'stop' | 'start' | 'is-active'): Command {
  return { argv: ['systemctl', verb, 'k3s'] };
}
