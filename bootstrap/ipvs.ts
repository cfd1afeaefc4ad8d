import { PATHS } from './paths';
import { rootFile, type WriteFile } from './write-file';

/** Kernel modules kube-proxy's IPVS mode needs; it exits with an error when they are missing. */
export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack'] as const;

/**
 * modules-load.d is read by systemd-modules-load at boot, before K3s (k3s.service is
 * ordered after it). On the first boot cloud-init writes this file after that ran, so
 * runcmd restarts systemd-modules-load before starting K3s.
 */
export function ipvsModules(): WriteFile {
  return rootFile(PATHS.modulesLoad, `${IPVS_MODULES.join('\n')}\n`, '0644');
}
