import { TRAEFIK_INTERNAL_PORT } from '../config/node-ports';

/**
 * Helm values for the Traefik chart that K3s bundles, to be placed in the
 * `spec.valuesContent` of the `kube-system/traefik` HelmChartConfig.
 *
 * Every key below is accepted and honoured by Traefik charts v37.1.1 to v40.3.0
 * (see traefik-chart.test.ts). Keys that moved between those versions are
 * avoided on purpose: `service.type` (v40: `service.spec.type`),
 * `ports.*.redirections` (v39+: `ports.*.http.redirections`), `ports.*.tls`
 * (v39+: `ports.*.http.tls`).
 *
 * K3s v1.34.6 deploys chart traefik-39.0.501+up39.0.5 with values of its own (the HelmChart
 * `valuesContent` in K3s's manifests/traefik.yaml); helm-controller passes those to helm first
 * and these after them, so maps merge key by key and any list here replaces K3s's whole
 * (test/fixtures/traefik-k3s, rendered that way by traefik-chart.test.ts).
 */

/**
 * Where Traefik's internal entry point listens: the node's loopback, never a node address.
 * With hostNetwork an entry point's address is a host socket, so the chart's default
 * (`:8080`, every interface) would serve /ping on every node's public address.
 */
const INTERNAL_ENTRYPOINT = { port: TRAEFIK_INTERNAL_PORT, hostIP: '127.0.0.1' } as const;

/** Options for {@link traefikValues}; the stack passes them from cluster.yaml's `traefik` section. */
export interface TraefikValuesProps {
  /**
   * Port the `web` (plain HTTP) entrypoint listens on, directly on each node
   * (hostNetwork). Cloudflare sends its HTTP origin traffic here.
   */
  readonly webPort: number;

  /** Port the `websecure` (TLS) entrypoint listens on, directly on each node. */
  readonly websecurePort: number;

  /** UID the Traefik process runs as. Must not be 0. */
  readonly runAsUser: number;

  /** GID the Traefik process runs as. */
  readonly runAsGroup: number;

  /**
   * CIDRs whose X-Forwarded-* headers Traefik trusts on the `web` and
   * `websecure` entrypoints (Cloudflare's published IPv4 and IPv6 ranges).
   * Headers from any other source are overwritten.
   */
  readonly trustedIPs: string[];
}

/** Returns the Traefik Helm values as plain data (serialise it to YAML yourself). */
export function traefikValues(props: TraefikValuesProps): Record<string, unknown> {
  const { webPort, websecurePort, runAsUser, runAsGroup } = props;
  if (runAsUser === 0) throw new Error('traefikValues: runAsUser must not be 0 (runAsNonRoot is set)');
  if (props.trustedIPs.length === 0) throw new Error('traefikValues: trustedIPs must not be empty');

  const entrypoint = (port: number) => ({
    // With hostNetwork the container port is the node port; `port` also drives
    // `--entryPoints.<name>.address`. exposedPort is kept equal so anything the
    // chart derives from it (e.g. redirection targets) points at the real port.
    port,
    exposedPort: port,
    // Copy the list: Helm values must not alias the caller's array.
    forwardedHeaders: { trustedIPs: [...props.trustedIPs], insecure: false },
  });

  return {
    deployment: {
      // One pod per node: every node answers on :80/:443 for Cloudflare.
      kind: 'DaemonSet',
      // A hostNetwork pod otherwise gets the node's resolv.conf and cannot
      // resolve cluster names (ExternalName services, in-cluster endpoints).
      dnsPolicy: 'ClusterFirstWithHostNet',
      // K3s's own values announce a Prometheus scrape target on port 8082, where nothing
      // listens (metrics are off below); with hostNetwork that would be port 8082 of the node.
      // Maps merge, so only this key is overridden: scrapers that honour the annotation skip
      // the pod.
      podAnnotations: { 'prometheus.io/scrape': 'false' },
    },
    // Nothing in this stack scrapes Traefik. `prometheus: null` is the chart's documented
    // switch; it also drops the chart's own scrape annotations.
    metrics: { prometheus: null },
    // Bind the node's own :80/:443; no kube-proxy/servicelb hop in front.
    hostNetwork: true,
    updateStrategy: {
      type: 'RollingUpdate',
      // Two pods cannot hold the same host port on one node, so the old pod
      // must go before the new one starts (maxSurge 0). maxUnavailable must be
      // >= 1 for that; the charts also fail to render with hostNetwork and 0.
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    },
    // No Service at all rather than a ClusterIP one: nothing routes through a
    // Service (traffic hits the host ports), a LoadBalancer would sit <pending>
    // forever with servicelb disabled, and the key that picks the type moved
    // (`service.type` -> `service.spec.type` in v40), so "not LoadBalancer"
    // could not be said the same way to every chart. `service.enabled` is
    // honoured by all of them. It also turns off publishedService, which would
    // otherwise point Ingress status at a Service that does not exist.
    service: { enabled: false },
    ports: {
      // The `traefik` entry point serves /ping for the liveness and readiness probes. It is bound
      // to loopback, not removed: Traefik (v3.6 static config, SetEffectiveConfiguration) creates
      // an entry point `traefik` on `:8080` of every interface by itself whenever ping is on and
      // uses it, which is ping's default. The chart points the probes' `httpGet.host` at this
      // hostIP, and the kubelet, which shares the node's network namespace with a hostNetwork
      // pod, reaches Traefik on 127.0.0.1 (the Kubernetes docs' own example for `host`).
      traefik: { ...INTERNAL_ENTRYPOINT },
      // No metrics (see `metrics` above), so no entry point for them: the chart's would listen
      // on :9100 of every node, node-exporter's port.
      metrics: null,
      web: entrypoint(webPort),
      // TLS settings stay at the chart default (tls enabled); no redirect is
      // configured on `web` because Cloudflare sends plain HTTP to it.
      websecure: entrypoint(websecurePort),
    },
    // Restated in full (not left to chart defaults) so a default change in a
    // future chart cannot silently weaken it.
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      // Ports < 1024 need NET_BIND_SERVICE. For a non-root process without
      // ambient capabilities this may not be effective on its own, which is
      // why the nodes also set net.ipv4.ip_unprivileged_port_start=0.
      capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    },
    podSecurityContext: {
      runAsUser,
      runAsGroup,
      runAsNonRoot: true,
      // Default from chart v38 on; set so v37 gets it too.
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}
