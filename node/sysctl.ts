import { PATHS } from '../model/paths';
import { rootFile, type WriteFile } from './write-file';

/**
 * Traefik runs as UID 65532 on the host network and binds :80/:443. Ubuntu's default
 * ip_unprivileged_port_start is 1024, and a non-root process cannot bind below it even
 * with NET_BIND_SERVICE in its bounding set, so the node lowers it to 0. sysctl.d files
 * apply only at boot: runcmd runs `sysctl --system` so the first boot has it too.
 */
export function unprivilegedPortsSysctl(): WriteFile {
  return rootFile(PATHS.sysctl, 'net.ipv4.ip_unprivileged_port_start=0\n', '0644');
}
