/** Inbound ports of a K3s server (docs.k3s.io, Requirements), and SSH. */
export const K3S_PORTS = { api: 6443, kubelet: 10250, etcd: [2379, 2380] as const };
export const SSH_PORT = 22;
