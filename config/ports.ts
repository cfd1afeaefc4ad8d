/**
 * TCP ports the nodes themselves listen on, K3s's (docs.k3s.io, Requirements, "Inbound rules
 * for K3s server nodes") and SSH's. They live here, at the bottom layer, because the config
 * checks that the web ports stay off them; the firewall (bootstrap/ufw.ts) opens them only to
 * peers and operators. The overlay's port (bootstrap/ports.ts OVERLAYS) is UDP, so a TCP web
 * port cannot clash with it.
 */
export const K3S_PORTS = { api: 6443, kubelet: 10250, etcd: [2379, 2380] as const };
export const SSH_PORT = 22;

/** Every TCP port above with what it is, for error messages. */
export const RESERVED_TCP_PORTS: ReadonlyMap<number, string> = new Map([
  [SSH_PORT, 'SSH'],
  [K3S_PORTS.api, 'the Kubernetes API (K3s)'],
  [K3S_PORTS.kubelet, 'the kubelet (K3s)'],
  ...K3S_PORTS.etcd.map((p) => [p, 'etcd (K3s)'] as [number, string]),
]);
