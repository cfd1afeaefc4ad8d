import type { KubeProxyPlan } from './kube-proxy';

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
export function runcmd(proxy: Pick<KubeProxyPlan, 'runcmd'>): string[][] {
  return [
    ['sysctl', '--system'],
    ...proxy.runcmd.map((argv) => [...argv]),
    ['ufw', '--force', 'enable'],
    ['systemctl', 'daemon-reload'],
    ['systemctl', 'enable', 'k3s.service'],
    // --no-block: a joining server waits for the first one; cloud-init must not.
    ['systemctl', 'start', '--no-block', 'k3s.service'],
    ['systemctl', 'start', 'k3s-install.service'],
  ];
}
