import type { KubeProxyPlan } from '../model/kube-proxy';
import { METADATA_GUARD_UNIT } from './metadata-guard';

/**
 * The only commands a node runs, each an argv list (cloud-init quotes each word; no shell
 * parses them). No module can do these: apply sysctl.d now, load modules-load.d now, turn
 * ufw on with the rules already written, put the metadata guard in place (and keep it on every
 * boot), and start K3s, which requires the guard.
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
    // One enable for both: each `systemctl enable` reloads systemd.
    ['systemctl', 'enable', METADATA_GUARD_UNIT, 'k3s.service'],
    ['systemctl', 'start', METADATA_GUARD_UNIT],
    // --no-block: a joining server waits for the first one; cloud-init must not.
    ['systemctl', 'start', '--no-block', 'k3s.service'],
    ['systemctl', 'start', 'k3s-install.service'],
  ];
}
