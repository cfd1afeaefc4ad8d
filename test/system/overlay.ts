import * as fs from 'fs';
import * as path from 'path';
import { tempDir } from '../dirs';
import { type Outcome, run } from '../process';

/**
 * Mounts an overlay of the host's root filesystem and runs a command chrooted into it. The
 * caller runs this under `unshare --mount --propagation private`, so every mount lives in a
 * mount namespace that dies with the command: nothing is left mounted, nothing propagates to
 * the host, and no unmount is needed even when the command crashes. Everything the command
 * writes lands in the upper directory. The harness may use a shell; the product may not.
 *
 * Only /proc and /dev are bound in: cloud-init and ufw need them; /sys is left out so that a
 * chrooted tool cannot write to the host's sysfs.
 */
const MOUNT_AND_CHROOT = `set -eu
upper=$1 work=$2 root=$3
shift 3
mount -t overlay honeydue-test -o "lowerdir=/,upperdir=$upper,workdir=$work" "$root"
mount --bind /proc "$root/proc"
mount --bind /dev "$root/dev"
exec chroot "$root" "$@"
`;

/** Where the user-data is placed inside the root: a directory the host does not have. */
export const SEED_DIR = '/honeydue-seed';

/** Temp directories of every root created, removed by `removeAllRoots` in afterAll. */
const created = new Set<string>();

/**
 * A throwaway root: the host's `/` underneath, the test's writes on top. The upper directory
 * is kept between commands, so a second command (ufw) sees what the first (cloud-init) wrote,
 * exactly as on a node.
 */
export class OverlayRoot {
  readonly upper: string;
  private readonly work: string;
  private readonly merged: string;

  private constructor(readonly dir: string) {
    this.upper = path.join(dir, 'upper');
    this.work = path.join(dir, 'work');
    this.merged = path.join(dir, 'merged');
    for (const d of [this.upper, this.work, this.merged]) fs.mkdirSync(d);
  }

  static create(label: string): OverlayRoot {
    const root = new OverlayRoot(tempDir(`system-${label}`));
    created.add(root.dir);
    return root;
  }

  /** Places a file in the root before the overlay is mounted (the upper directory may be pre-filled). */
  seed(file: string, content: string): string {
    const inRoot = path.posix.join(SEED_DIR, file);
    fs.mkdirSync(path.join(this.upper, SEED_DIR), { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(this.upper, inRoot), content, { mode: 0o600 });
    return inRoot;
  }

  /** Runs argv chrooted into the root, in a private mount namespace; inside network namespace `netns` if given. */
  run(argv: readonly string[], opts: { netns?: string; timeoutMs?: number } = {}): Outcome {
    const inNetns = opts.netns ? ['ip', 'netns', 'exec', opts.netns] : [];
    return run(
      [
        ...inNetns,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        MOUNT_AND_CHROOT,
        'sh',
        this.upper,
        this.work,
        this.merged,
        ...argv,
      ],
      { timeoutMs: opts.timeoutMs },
    );
  }

  /** Host path of `file` as the commands wrote it (the upper directory holds only what they wrote). */
  written(file: string): string {
    return path.join(this.upper, file);
  }

  has(file: string): boolean {
    return fs.existsSync(this.written(file));
  }

  read(file: string): string {
    return fs.readFileSync(this.written(file), 'utf8');
  }

  stat(file: string): fs.Stats {
    return fs.lstatSync(this.written(file));
  }

  /** Every regular file written under `prefix`, as an absolute path inside the root, sorted. */
  filesUnder(prefix: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      const abs = path.join(this.upper, rel);
      if (!fs.existsSync(abs)) return;
      for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
        const child = path.posix.join(rel, entry.name);
        if (entry.isDirectory()) walk(child);
        else if (entry.isFile()) out.push(child);
      }
    };
    walk(prefix);
    return out.sort();
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
    created.delete(this.dir);
  }
}

/** Removes every root's temp directory. Nothing is mounted on them: the mount namespaces are gone. */
export function removeAllRoots(): void {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
  created.clear();
}

export interface Applied {
  readonly root: OverlayRoot;
  /** cloud-init's own run: exit code and output. */
  readonly cloudInit: Outcome;
}

/**
 * Real cloud-init applies the user-data's write_files into a fresh overlay root: the module
 * exactly as it runs on a node's first boot, minus every other module. `--frequency always`
 * because a chroot has no instance state saying write_files already ran (or did not).
 */
export function applyWriteFiles(userData: string, label: string): Applied {
  const root = OverlayRoot.create(label);
  const file = root.seed('user-data.yaml', userData);
  const cloudInit = root.run(
    ['cloud-init', '--file', file, 'single', '--name', 'write_files', '--frequency', 'always'],
    { timeoutMs: 60_000 },
  );
  return { root, cloudInit };
}
