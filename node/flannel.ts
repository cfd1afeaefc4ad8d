import type { Config } from '../config/schema';
import { PATHS } from '../model/paths';
import { overlay } from '../model/overlays';
import { rootFile, type WriteFile } from './write-file';

/**
 * Flannel's net-conf. K3s uses a `flannel-conf` file as-is instead of generating one, so it
 * must carry Network and Backend itself. The key order follows K3s's own template.
 */
export function flannelNetConf(cluster: Config['cluster']): Record<string, unknown> {
  return {
    Network: cluster.podCidr,
    EnableIPv6: false,
    EnableIPv4: true,
    IPv6Network: '::/0',
    Backend: overlay(cluster).netConfBackend,
  };
}

export function flannelConfFile(cluster: Config['cluster']): WriteFile {
  return rootFile(PATHS.flannelConf, `${JSON.stringify(flannelNetConf(cluster))}\n`, '0644');
}
