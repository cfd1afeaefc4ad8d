import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { onCleanup } from '../cleanup';
import { removeTree, runDirectory } from '../dirs';
import { mustRunAsync as run } from '../process';

/**
 * The node image: Debian 13 (trixie: cloud-init 25.1, systemd 257, iptables 1.8.11 on nftables,
 * close to Ubuntu 24.04's cloud-init 25.x and systemd 255) with what an Ubuntu server cloud
 * image has where it matters to the rendered user-data (cloud-init, systemd, ufw, iptables,
 * curl, kmod, …). Built with mmdebstrap from the mirror apt on this machine already uses,
 * written into a raw ext4 file with `mkfs.ext4 -d` (no loop mounts), and cached outside the
 * repository under a hash of its recipe: only a changed recipe (or mirror) rebuilds it.
 */

/** Debian release of the image; the host's own sources are mapped onto it. */
const SUITE = 'trixie';

const PACKAGES = [
  // Ubuntu's server cloud image boots these; the rendered user-data relies on every one.
  'cloud-init',
  'cloud-guest-utils',
  'sudo',
  'systemd',
  'systemd-sysv',
  'udev',
  'dbus',
  'ufw',
  'iptables',
  'iproute2',
  'kmod',
  'curl',
  'ca-certificates',
  'openssh-server',
  'locales',
  'linux-image-amd64',
  'procps',
  // cloud-init needs python3 anyway; the stand-in k3s and the report program use it too.
  'python3',
  'python3-yaml',
];

/**
 * Runs inside mmdebstrap's customize hook with the root directory as $1. Each step
 * removes a first-boot warning that a real cloud image does not have, or makes the image
 * boot as a fresh instance.
 */
const CUSTOMIZE = String.raw`set -eu
root="$1"
# cloud-init warns when LANG names a locale that is not generated; Ubuntu's image has it.
echo 'en_US.UTF-8 UTF-8' > "$root/etc/locale.gen"
chroot "$root" locale-gen
echo 'LANG=en_US.UTF-8' > "$root/etc/default/locale"
# No floppy drive: probing for one fills the boot log with I/O errors.
echo 'blacklist floppy' > "$root/etc/modprobe.d/blacklist-floppy.conf"
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 1' > "$root/etc/fstab"
echo debian > "$root/etc/hostname"
# A fresh instance on every boot, as on a cloud image: cloud-init makes the SSH host keys,
# systemd the machine-id.
rm -f "$root"/etc/ssh/ssh_host_*
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
# Only the NoCloud seed: probing network datasources would send traffic and waste minutes.
# networkd renders the seed's network-config (no ifupdown, no netplan here).
cat > "$root/etc/cloud/cloud.cfg.d/90-honeydue-vm.cfg" <<'EOF'
datasource_list: [NoCloud, None]
system_info:
  network:
    renderers: [networkd]
EOF
chroot "$root" systemctl enable systemd-networkd.service
# The test reads results through this unit: after cloud-final it runs the report program from
# the read-only disk labelled hdprobe, so the program can change without rebuilding the image.
# DefaultDependencies=no: multi-user.target would otherwise be ordered after this unit and
# cloud-final.service (After=multi-user.target on Debian) after that, a cycle.
cat > "$root/etc/systemd/system/honeydue-vm-report.service" <<'EOF'
[Unit]
Description=honeydue VM test: report first-boot results on ttyS1
DefaultDependencies=no
After=cloud-final.service
ConditionPathExists=/dev/ttyS1

[Service]
Type=simple
ExecStart=/usr/local/sbin/honeydue-vm-report
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
cat > "$root/usr/local/sbin/honeydue-vm-report" <<'EOF'
#!/bin/sh
set -eu
mkdir -p /run/hdprobe
mount -t iso9660 -o ro /dev/disk/by-label/hdprobe /run/hdprobe
exec /usr/bin/python3 /run/hdprobe/report.py
EOF
chmod 0755 "$root/usr/local/sbin/honeydue-vm-report"
chroot "$root" systemctl enable honeydue-vm-report.service
`;

/** Bumped by hand when the way the image file is laid out changes (not its contents). */
const LAYOUT = 1;

export interface ImageRecipe {
  layout: number;
  suite: string;
  sources: string[];
  packages: string[];
  customize: string;
  sizeMiB: number;
}

export interface VmImage {
  /** Raw ext4 file system of the root disk; VMs use qcow2 overlays on it, never the file itself. */
  rootfs: string;
  kernel: string;
  initrd: string;
  /** True when this run built the image, false when it came from the cache. */
  built: boolean;
  buildSeconds: number;
}

/**
 * `deb` lines for the image, from apt's own configuration on this machine (deb822
 * `*.sources` and one-line `*.list`), with each suite's codename replaced by the image's.
 * Reading them keeps the test on whatever mirror, proxy or snapshot this host is allowed to use.
 */
export function aptSources(etcApt = '/etc/apt'): string[] {
  const entries: { uri: string; suites: string[]; components: string[] }[] = [];
  const files = [path.join(etcApt, 'sources.list')];
  const dir = path.join(etcApt, 'sources.list.d');
  if (fs.existsSync(dir))
    files.push(
      ...fs
        .readdirSync(dir)
        .sort()
        .map((f) => path.join(dir, f)),
    );
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const text = fs.readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        let last = '';
        for (const line of stanza.split('\n')) {
          if (line.startsWith('#')) continue;
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (m) fields.set((last = m[1]!.toLowerCase()), m[2]!);
          else if (/^\s/.test(line) && last) fields.set(last, `${fields.get(last)} ${line.trim()}`);
        }
        const words = (k: string) => (fields.get(k) ?? '').split(/\s+/).filter(Boolean);
        if (!words('types').includes('deb') || fields.get('enabled') === 'no') continue;
        for (const uri of words('uris'))
          entries.push({ uri, suites: words('suites'), components: words('components') });
      }
    } else if (file.endsWith('.list')) {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line.trim());
        if (m) entries.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
      }
    }
  }
  const lines = new Set<string>();
  for (const e of entries) {
    for (const suite of e.suites) {
      // bookworm-security -> trixie-security; a suite without a codename (stable/...) as well.
      const mapped = suite.replace(/^[a-z]+/, SUITE);
      const components = e.components.filter((c) => c === 'main');
      if (components.length > 0) lines.add(`deb ${e.uri} ${mapped} ${components.join(' ')}`);
    }
  }
  if (lines.size === 0)
    throw new Error(
      `no Debian "deb ... main" source in ${etcApt}/sources.list(.d): the image is built from the mirror apt uses`,
    );
  return [...lines];
}

export function imageRecipe(): ImageRecipe {
  return {
    layout: LAYOUT,
    suite: SUITE,
    sources: aptSources(),
    packages: PACKAGES,
    customize: CUSTOMIZE,
    sizeMiB: 4096,
  };
}

export function recipeHash(recipe: ImageRecipe): string {
  return createHash('sha256').update(JSON.stringify(recipe)).digest('hex');
}

/** Where images are cached: outside the repository, so `git clean` and fresh clones keep it. */
export function cacheRoot(): string {
  return process.env.HONEYDUE_VM_CACHE || '/var/cache/honeydue-vm';
}

/** Returns the cached image for the current recipe, building it first when there is none. */
export async function ensureImage(log: (line: string) => void): Promise<VmImage> {
  const recipe = imageRecipe();
  const hash = recipeHash(recipe);
  const dir = path.join(cacheRoot(), hash);
  const files = {
    rootfs: path.join(dir, 'rootfs.raw'),
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
  };
  if (fs.existsSync(path.join(dir, 'recipe.json'))) {
    log(`image: cached ${dir}`);
    return { ...files, built: false, buildSeconds: 0 };
  }

  const started = Date.now();
  // Build beside the final directory and rename at the end: an interrupted build never looks cached.
  const work = runDirectory(cacheRoot(), '.build-');
  const removeWork = onCleanup(`image build ${work}`, () => removeTree(work));
  try {
    const root = path.join(work, 'root');
    log(`image: building ${hash.slice(0, 12)} with mmdebstrap from ${recipe.sources.join(' | ')}`);
    await run(
      [
        'mmdebstrap',
        '--mode=root',
        '--variant=important',
        `--include=${recipe.packages.join(',')}`,
        `--customize-hook=${recipe.customize}`,
        recipe.suite,
        root,
        ...recipe.sources,
      ],
      { timeoutMs: 20 * 60_000, label: 'mmdebstrap', group: true },
    );
    const boot = path.join(root, 'boot');
    const pick = (prefix: string) => {
      const found = fs
        .readdirSync(boot)
        .filter((f) => f.startsWith(prefix))
        .sort();
      if (found.length !== 1)
        throw new Error(`expected one ${prefix}* in the image's /boot, found: ${found.join(', ') || 'none'}`);
      return path.join(boot, found[0]!);
    };
    const out = path.join(work, 'image');
    fs.mkdirSync(out);
    fs.copyFileSync(pick('vmlinuz-'), path.join(out, 'vmlinuz'));
    fs.copyFileSync(pick('initrd.img-'), path.join(out, 'initrd.img'));
    const mkfs = [
      'mkfs.ext4',
      '-q',
      '-F',
      '-L',
      'hdroot',
      '-d',
      root,
      path.join(out, 'rootfs.raw'),
      `${recipe.sizeMiB}M`,
    ];
    await run(mkfs, { timeoutMs: 10 * 60_000, label: 'mkfs.ext4', group: true });
    fs.writeFileSync(path.join(out, 'recipe.json'), `${JSON.stringify(recipe, null, 2)}\n`);
    try {
      fs.renameSync(out, dir);
    } catch (e) {
      // Another run finished the same recipe first; its image is as good as ours.
      if (!fs.existsSync(path.join(dir, 'recipe.json'))) throw e;
    }
  } finally {
    removeWork.now();
  }
  const buildSeconds = (Date.now() - started) / 1000;
  log(`image: built ${dir} in ${buildSeconds.toFixed(0)} s`);
  return { ...files, built: true, buildSeconds };
}
