/**
 * Every TCP port something on a K3s v1.34.6 server node already listens on, on any address:
 * Traefik runs with hostNetwork, so its web ports are host sockets, and a web port on one of
 * these fails to bind (a 127.0.0.1 listener blocks a wildcard bind of the same port too) or
 * opens that service to the world. Read from the source of each, at the commit named; K3s from
 * k3s-io/k3s at `aec5b32a75cd370f6c0d71a8dbc4c96bc0b9960b` ("[release-1.34] Update to
 * v1.34.6-k3s1 and Go 1.24.13 (#13834)"), read from the fork dereknola/k3s, which carries that
 * commit. Kubernetes' defaults are the constants of kubernetes/kubernetes
 * `pkg/cluster/ports/ports.go` at v1.34.6 (K3s's go.mod pins k8s.io/kubernetes v1.34.6) for the
 * components whose port K3s does not set.
 */

const K3S = 'k3s-io/k3s@aec5b32a75cd370f6c0d71a8dbc4c96bc0b9960b';
const KUBERNETES = 'kubernetes/kubernetes@v1.34.6 pkg/cluster/ports/ports.go';

/** One listening port: what listens, and where in its source that is set. */
export interface NodePort {
  readonly port: number;
  readonly what: string;
  readonly source: string;
}

/** SSH, which the firewall opens to the operators. */
export const SSH_PORT = 22;

/** Traefik's internal `traefik` entry point (ping, the dashboard), moved to 127.0.0.1 by charts/traefik-values.ts. */
export const TRAEFIK_INTERNAL_PORT = 8080;

export const NODE_TCP_PORTS: readonly NodePort[] = [
  { port: SSH_PORT, what: 'SSH', source: 'openssh-server on Ubuntu 24.04 (sshd_config Port 22)' },
  {
    port: 53,
    what: "systemd-resolved's DNS stub listener (127.0.0.53)",
    source: 'systemd resolved.conf DNSStubListener=yes, the default on Ubuntu 24.04',
  },
  { port: 2379, what: 'etcd, client (K3s)', source: `${K3S} pkg/etcd/etcd.go clientURL` },
  { port: 2380, what: 'etcd, peers (K3s)', source: `${K3S} pkg/etcd/etcd.go peerURL` },
  { port: 2381, what: 'etcd metrics (K3s)', source: `${K3S} pkg/etcd/etcd.go listenMetricsURLs` },
  {
    port: 6443,
    what: 'the Kubernetes API and the K3s supervisor',
    source: `${K3S} pkg/cli/cmds/server.go https-listen-port`,
  },
  {
    port: 6444,
    what: 'kube-apiserver behind the K3s supervisor',
    source: `${K3S} pkg/daemons/control/server.go defaults (HTTPSPort + 1)`,
  },
  {
    port: TRAEFIK_INTERNAL_PORT,
    what: "Traefik's own traefik entry point (ping)",
    source:
      'traefik/traefik-helm-chart 39.0.5 values.yaml ports.traefik.port, as K3s bundles it (test/fixtures/traefik-k3s)',
  },
  {
    port: 10010,
    what: "containerd's CRI stream server (K3s)",
    source: `${K3S} pkg/daemons/config/types.go StreamServerPort`,
  },
  { port: 10248, what: "the kubelet's healthz", source: `${KUBERNETES} KubeletHealthzPort` },
  { port: 10249, what: "kube-proxy's metrics", source: `${KUBERNETES} ProxyStatusPort` },
  { port: 10250, what: 'the kubelet (K3s)', source: `${KUBERNETES} KubeletPort` },
  { port: 10256, what: "kube-proxy's healthz", source: `${KUBERNETES} ProxyHealthzPort` },
  {
    port: 10257,
    what: 'kube-controller-manager (K3s)',
    source: `${K3S} pkg/daemons/control/server.go controllerManager secure-port`,
  },
  {
    port: 10258,
    what: "K3s's cloud-controller-manager",
    source: `${KUBERNETES} CloudControllerManagerPort (${K3S} pkg/daemons/control/server.go sets secure-port only to disable it)`,
  },
  {
    port: 10259,
    what: 'kube-scheduler (K3s)',
    source: `${K3S} pkg/daemons/control/server.go scheduler secure-port`,
  },
];

/** The port of each, with what listens there, for error messages. */
export const NODE_TCP_PORT_OWNERS: ReadonlyMap<number, string> = new Map(NODE_TCP_PORTS.map((p) => [p.port, p.what]));
