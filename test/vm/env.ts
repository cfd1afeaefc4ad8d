import * as fs from 'fs';
import { aptSources } from './image';
import { isRoot, which } from '../host';

/** Host tools the suite runs, with the Debian package that provides each. */
export const HOST_TOOLS: Record<string, string> = {
  mmdebstrap: 'mmdebstrap',
  'mkfs.ext4': 'e2fsprogs',
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  xorriso: 'xorriso',
  ip: 'iproute2',
  setpriv: 'util-linux',
  python3: 'python3',
};

/**
 * Why the VM suite cannot run on this machine, or undefined when it can. It needs root
 * (network namespaces, tap devices, mmdebstrap's root mode, file ownership in the image),
 * the tools above, /dev/net/tun, an x86-64 host (the image is amd64) and apt sources to
 * build the image from.
 */
export function missingPrerequisite(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    return `needs an x86-64 Linux host, this is ${process.platform}/${process.arch}`;
  if (!isRoot()) return 'needs root (network namespaces, tap devices, mmdebstrap --mode=root)';
  const missing = Object.keys(HOST_TOOLS).filter((tool) => !which(tool));
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((t) => HOST_TOOLS[t]))].join(' ');
    return `missing ${missing.join(', ')}: apt-get install ${packages}`;
  }
  if (!fs.existsSync('/dev/net/tun')) return "no /dev/net/tun for the VMs' tap devices";
  try {
    aptSources();
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}
