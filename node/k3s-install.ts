import type { Config } from '../config/schema';
import { METADATA_GUARD_UNIT } from './metadata-guard';
import { PATHS } from '../model/paths';
import { renderTemplate, plainWord } from './template';
import { UFW_GATE_CHAIN } from './ufw-chains';
import { rootFile, type WriteFile } from './write-file';

/** The release asset install.sh checks the amd64 binary against. */
const CHECKSUMS = 'sha256sum-amd64.txt';

/**
 * The argv commands k3s-install.service runs, in order. The binary is checked either
 * against the operator's pin or, as install.sh does, against the release's own checksum
 * list fetched from the same release; --ignore-missing skips the other assets listed there,
 * and sha256sum still fails when no line names `k3s`.
 */
export function installCommands(k3s: Config['k3s']): string[][] {
  const base = `${k3s.releaseBaseUrl}/${k3s.version}`;
  const fetch = (asset: string) => [
    '/usr/bin/curl',
    '--fail',
    '--silent',
    '--show-error',
    '--location',
    // An https:// source may not be redirected to plain http.
    ...(base.startsWith('https://') ? ['--proto', '=https', '--proto-redir', '=https'] : []),
    // About 10 minutes of retries: a first boot may start before the network is fully up.
    '--retry',
    '60',
    '--retry-delay',
    '10',
    '--connect-timeout',
    '20',
    '--retry-all-errors',
    '--output',
    asset,
    `${base}/${asset}`,
  ];
  const verify = k3s.sha256
    ? [['/usr/bin/sha256sum', '--check', '--strict', PATHS.k3sPin]]
    : [fetch(CHECKSUMS), ['/usr/bin/sha256sum', '--check', '--strict', '--ignore-missing', CHECKSUMS]];
  return [
    fetch('k3s'),
    ...verify,
    ['/usr/bin/install', '-o', 'root', '-g', 'root', '-m', '0755', 'k3s', PATHS.k3sBinary],
  ].map((argv) => argv.map(plainWord));
}

/** k3s-install.service, k3s.service and, when pinned, the checksum file the install checks. */
export function k3sInstallFiles(k3s: Config['k3s']): WriteFile[] {
  const files = [
    rootFile(
      PATHS.k3sInstallUnit,
      renderTemplate('k3s-install.service', {
        version: plainWord(k3s.version),
        binary: PATHS.k3sBinary,
        staging: PATHS.k3sStaging,
        stateDirectory: PATHS.k3sStaging.replace('/var/lib/', ''),
        commands: installCommands(k3s),
      }),
      '0644',
    ),
    rootFile(
      PATHS.k3sUnit,
      renderTemplate('k3s.service', {
        binary: PATHS.k3sBinary,
        ufwGateChain: UFW_GATE_CHAIN,
        metadataGuard: METADATA_GUARD_UNIT,
      }),
      '0644',
    ),
  ];
  // sha256sum's check format: "<hash>  <file>", the file relative to the unit's working directory.
  if (k3s.sha256) files.push(rootFile(PATHS.k3sPin, `${k3s.sha256}  k3s\n`, '0644'));
  return files;
}
