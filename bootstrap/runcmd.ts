import type { Config } from '../config/schema';

/**
 * The only commands a node runs, each an argv list (cloud-init quotes each word; no shell
 * parses them). No module can do these: apply sysctl.d now, load modules-load.d now, turn
 * ufw on with the rules already written, and start K3s.
 *
 * runcmd does not stop at a failing command and reports only the last one's status, so the
 * last command is the one whose failure matters most: waiting for the verified install.
 * A checksum failure then shows in `cloud-init status --long` as well as in
 * `systemctl status k3s-install`.
 */
export function runcmd(config: Config): string[][] {
  return [
    ['sysctl', '--system'],
    ...(config.k3s.kubeProxyMode === 'ipvs' ? [['systemctl', 'restart', 'systemd-modules-load.service']] : []),
    ['ufw', '--force', 'enable'],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', 'k3s.service'],
    // --no-block: a joining server waits for the first one; cloud-init must not.
    ['systemctl', 'start', '--no-block', 'k3s.service'],
    ['systemctl', 'start', 'k3s-install.service'],
  ];
}
