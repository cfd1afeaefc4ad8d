import { isAlive } from '../../lib/alive';
import { onCleanup } from '../cleanup';
import { mustRun, mustRunAsync as run } from '../process';

/** Names of the suite's namespaces; the PID suffix tells a live run's namespace from a stale one. */
const PREFIX = 'hdvm-';

/**
 * The test network: one network namespace holding a bridge, the VMs' tap devices on it, and
 * the host-side addresses (release mirror, stranger, operator) on the bridge itself. It has no
 * route out, so nothing the guests send leaves the namespace, and the host's own network is
 * never touched. Only TEST-NET addresses are used.
 */
export class TestNet {
  readonly bridge = 'br0';

  private constructor(readonly name: string) {}

  /** Creates the namespace and the bridge, with `addresses` (CIDR notation) on the bridge. */
  static async create(addresses: readonly string[]): Promise<TestNet> {
    removeStaleNamespaces();
    const net = new TestNet(`${PREFIX}${process.pid}`);
    await run(['ip', 'netns', 'add', net.name]);
    onCleanup(`network namespace ${net.name}`, () => mustRun(['ip', 'netns', 'delete', net.name]));
    await net.ip('link', 'set', 'lo', 'up');
    await net.ip('link', 'add', net.bridge, 'type', 'bridge');
    for (const address of addresses) await net.ip('address', 'add', address, 'dev', net.bridge);
    await net.ip('link', 'set', net.bridge, 'up');
    return net;
  }

  /** A tap device on the bridge, for one VM's virtio-net. */
  async addTap(tap: string): Promise<void> {
    await this.ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
    await this.ip('link', 'set', tap, 'master', this.bridge, 'up');
  }

  async removeTap(tap: string): Promise<void> {
    await this.ip('link', 'delete', tap);
  }

  /** argv prefix that runs a program inside the namespace. */
  exec(argv: readonly string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  private ip(...args: string[]) {
    return run(['ip', '-n', this.name, ...args]);
  }
}

/**
 * Deletes namespaces of earlier runs that died without cleaning up (SIGKILL, power loss):
 * those whose PID suffix names no live process. A live run's namespace is never touched.
 */
function removeStaleNamespaces(): void {
  let list: string;
  try {
    list = mustRun(['ip', 'netns', 'list']).stdout;
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = new RegExp(`^${PREFIX}(\\d+)\\b`).exec(line.trim());
    if (m && !isAlive(Number(m[1]))) mustRun(['ip', 'netns', 'delete', `${PREFIX}${m[1]}`]);
  }
}
