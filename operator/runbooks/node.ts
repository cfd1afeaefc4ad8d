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

/** The label K3s puts on every server of an embedded-etcd cluster (pkg/util ETCDRoleLabelKey). */
export const ETCD_NODES = 'node-role.kubernetes.io/etcd=true';

/**
 * The gate before and after anything that takes a server down, from what K3s itself reports
 * rather than from /db/info (etcd's plain member list, learners and stopped members included):
 * every server Ready and a voting member (EtcdIsVoter, which the etcd leader refreshes every
 * 15 s from each member's health), and no system-upgrade-controller Job running, which could
 * take another server down meanwhile. The pause first lets a restart show: right after one,
 * the Node still carries its old status.
 */
export function clusterGate(members: number): { commands: Command[]; check: string } {
  const wait = (condition: string): Command => ({
    argv: ['kubectl', 'wait', `--for=condition=${condition}`, 'node', '-l', ETCD_NODES, '--timeout=10m'],
  });
  return {
    commands: [
      { argv: ['sleep', '30'], note: 'a Node keeps its old status for a while after a restart' },
      wait('Ready'),
      wait('EtcdIsVoter=True'),
      { argv: ['kubectl', 'get', 'nodes', '-l', ETCD_NODES] },
      { argv: ['kubectl', '-n', 'system-upgrade', 'get', 'jobs'] },
    ],
    check: `both waits print "condition met" for all ${members} servers (EtcdIsVoter=True: a voting member, no learner), get nodes lists ${members}, and no Job in system-upgrade is running (COMPLETIONS n/n or none). Otherwise stop: with a server already down or an upgrade under way, taking another down can lose the quorum.`,
  };
}
