/**
 * K3s's critical control arguments: the values every server of a cluster must share. A server
 * that joins compares them with the server it joins, once, when it first joins (no etcd WAL on
 * disk yet), and stops with "critical configuration value mismatch between servers" on any
 * difference. A restart of a member compares nothing, so a value changed in place is never
 * caught. Vendored from k3s-io/k3s release-1.34 at aec5b32a ("Update to v1.34.6-k3s1"):
 * pkg/daemons/config/types.go `CriticalControlArgs` (the cli tags) and pkg/cluster/bootstrap.go
 * `compareConfig`; test/fixtures/k3s/critical-control-args.json holds the source facts, and a
 * test keeps this list equal to it.
 */
export const CRITICAL_CONTROL_ARGS = [
  'cluster-dns',
  'cluster-cidr',
  'cluster-domain',
  'disable-cloud-controller',
  'disable-helm-controller',
  'disable-network-policy',
  'disable-service-lb',
  'secrets-encryption',
  'secrets-encryption-provider',
  'embedded-registry',
  'flannel-backend',
  'flannel-ipv6-masq',
  'flannel-external-ip',
  'egress-selector-mode',
  'service-cidr',
  'supervisor-metrics',
] as const;

export type CriticalControlArg = (typeof CRITICAL_CONTROL_ARGS)[number];

/**
 * A critical argument's value in a K3s config.yaml, `undefined` where the key is absent (K3s's
 * default then). `disable-service-lb` is no key of its own: K3s sets it from `disable: [servicelb]`
 * (pkg/cli/server/server.go).
 */
export function criticalValue(k3sConfig: Readonly<Record<string, unknown>>, arg: CriticalControlArg): unknown {
  if (arg === 'disable-service-lb') {
    const disable = k3sConfig.disable;
    return Array.isArray(disable) && disable.includes('servicelb') ? true : undefined;
  }
  return k3sConfig[arg];
}
