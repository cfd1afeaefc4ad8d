import type { K3sConfig } from '../config/k3s';

/** Kernel modules kube-proxy's IPVS mode needs; it exits with an error when they are missing. */
export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'] as const;

/** Everything one kube-proxy mode asks of a node. */
export interface KubeProxyPlan {
  /** Kernel modules loaded at boot (modules-load.d), before K3s starts. */
  readonly modules: readonly string[];
  /** argv commands run after the node's files are written and before K3s starts. */
  readonly runcmd: readonly (readonly string[])[];
  /** Keys of K3s's config.yaml. */
  readonly k3sConfig: Readonly<Record<string, unknown>>;
}

/**
 * Each `k3s.kubeProxyMode`, resolved in this one table that the node's files, runcmd and the
 * K3s config all read.
 */
export const KUBE_PROXY_MODES: Readonly<Record<K3sConfig['kubeProxyMode'], KubeProxyPlan>> = {
  ipvs: {
    // modules-load.d is read by systemd-modules-load at boot, before K3s (k3s.service is
    // ordered after it). On the first boot cloud-init writes the file after that ran, so
    // runcmd restarts systemd-modules-load before starting K3s.
    modules: IPVS_MODULES,
    runcmd: [['systemctl', 'restart', 'systemd-modules-load.service']],
    // K3s hard-codes kube-proxy's iptables mode unless told otherwise.
    k3sConfig: { 'kube-proxy-arg': ['proxy-mode=ipvs'] },
  },
  iptables: { modules: [], runcmd: [], k3sConfig: {} },
};

export const kubeProxy = (k3s: Pick<K3sConfig, 'kubeProxyMode'>): KubeProxyPlan => KUBE_PROXY_MODES[k3s.kubeProxyMode];
