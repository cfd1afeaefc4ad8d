import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import type { VmImage } from './image';
import type { TestNet } from './netns';
import { ReportLine } from './report';
import { mustRunAsync as run, sleep, start } from '../process';

/** The longest a VM may live: well past the whole suite's 25 minutes at most on 2 cores. */
const VM_LIFETIME_MS = 90 * 60_000;

export interface VmSpec {
  name: string;
  image: VmImage;
  /** Directory for this VM's overlay, logs and report socket. */
  dir: string;
  seedIso: string;
  probeIso: string;
  mac: string;
  tap: string;
  net: TestNet;
  memoryMiB: number;
}

/**
 * One QEMU guest under TCG (the KVM device here cannot boot a stock kernel), booted directly
 * from the image's kernel and initrd, with its own qcow2 overlay over the shared raw image.
 * Its second serial port is a UNIX socket: the guest's report program writes JSON lines to it
 * and reads the test's commands from it.
 */
export class Vm {
  readonly lines: ReportLine[] = [];
  readonly startedAt = Date.now();
  private readonly waiters: { key: string; resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  /** Why no more report lines will come (QEMU exited, or the report program crashed). */
  private ended: string | undefined;
  private socket: net.Socket | undefined;
  private readonly stop: () => void;

  private constructor(
    readonly spec: VmSpec,
    readonly pid: number,
    kill: () => void,
  ) {
    this.stop = kill;
  }

  get consoleLog(): string {
    return path.join(this.spec.dir, 'console.log');
  }

  static async start(spec: VmSpec): Promise<Vm> {
    fs.mkdirSync(spec.dir, { recursive: true });
    const overlay = path.join(spec.dir, 'disk.qcow2');
    await run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', spec.image.rootfs, '-F', 'raw', overlay]);
    await spec.net.addTap(spec.tap);
    const sock = path.join(spec.dir, 'report.sock');
    const qemu = [
      'qemu-system-x86_64',
      '-name',
      spec.name,
      '-machine',
      'q35',
      '-accel',
      'tcg,thread=multi',
      '-cpu',
      'max',
      '-smp',
      '1',
      '-m',
      String(spec.memoryMiB),
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
      '-kernel',
      spec.image.kernel,
      '-initrd',
      spec.image.initrd,
      '-append',
      'root=/dev/vda rw console=ttyS0,115200n8',
      // Root disk first: it is /dev/vda, as the kernel command line and fstab say.
      '-drive',
      `file=${overlay},if=virtio,format=qcow2`,
      '-drive',
      `file=${spec.seedIso},if=virtio,format=raw,readonly=on`,
      '-drive',
      `file=${spec.probeIso},if=virtio,format=raw,readonly=on`,
      '-netdev',
      `tap,id=net0,ifname=${spec.tap},script=no,downscript=no`,
      '-device',
      `virtio-net-pci,netdev=net0,mac=${spec.mac}`,
      // Entropy at once: ssh-keygen and Python must not wait for the CRNG under TCG.
      '-device',
      'virtio-rng-pci',
      '-serial',
      `file:${path.join(spec.dir, 'console.log')}`,
      '-chardev',
      `socket,id=report,path=${sock},server=on,wait=off`,
      '-serial',
      'chardev:report',
    ];
    // QEMU must run in the namespace to open the tap device there. setpriv --pdeathsig makes
    // the kernel kill it if the test process dies without cleaning up (even by SIGKILL).
    // `ip netns exec` and setpriv exec, so the child's PID is QEMU's.
    const argv = spec.net.exec(['setpriv', '--pdeathsig', 'KILL', ...qemu]);
    const qemuLog = path.join(spec.dir, 'qemu.stderr');
    const child = start(argv, { label: `QEMU ${spec.name}`, output: { file: qemuLog }, timeoutMs: VM_LIFETIME_MS });
    const vm = new Vm(spec, child.pid, () => child.kill('SIGKILL'));
    child.ended.then(
      (o) => vm.onEnd(`QEMU exited (${o.signal ?? `code ${o.status}`}): ${tailOf(qemuLog, 5)}`),
      (e: Error) => vm.onEnd(`QEMU did not start: ${e.message}`),
    );
    await vm.connect(sock);
    return vm;
  }

  /** The value of the first report line with key `key`, waiting for it up to `timeoutMs`. */
  waitFor<T = unknown>(key: string, timeoutMs: number): Promise<T> {
    const seen = this.lines.find((l) => l.k === key);
    if (seen) return Promise.resolve(seen.v as T);
    if (this.ended) return Promise.reject(this.failure(`no "${key}" in its report: ${this.ended}`));
    return new Promise<T>((resolve, reject) => {
      const waiter = { key, resolve: resolve as (v: unknown) => void, reject };
      this.waiters.push(waiter);
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(this.failure(`no "${key}" in its report after ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      waiter.resolve = (v) => {
        clearTimeout(timer);
        (resolve as (v: unknown) => void)(v);
      };
      waiter.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
    });
  }

  /** Sends one command to the guest's report program and waits for the answer under `answerKey`. */
  async ask<T>(command: object, answerKey: string, timeoutMs = 120_000): Promise<T> {
    // The same key can answer several commands; wait for the next one, not an earlier answer.
    const before = this.lines.length;
    this.socket!.write(`${JSON.stringify(command)}\n`);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = this.lines.slice(before).find((l) => l.k === answerKey);
      if (answer) return answer.v as T;
      if (this.ended) break;
      await sleep(200);
    }
    throw this.failure(`no "${answerKey}" answer to ${JSON.stringify(command).slice(0, 80)}`);
  }

  /** Powers the VM off at once: its disk is a throwaway overlay, so nothing needs a clean shutdown. */
  async kill(): Promise<void> {
    this.socket?.destroy();
    this.stop();
    for (let i = 0; i < 50 && !this.ended; i++) await sleep(100);
    await this.spec.net.removeTap(this.spec.tap).catch(() => undefined);
  }

  /** An error that carries the end of the guest console, where a failed boot explains itself. */
  failure(message: string): Error {
    return new Error(
      `${this.spec.name}: ${message}\n--- last lines of ${this.spec.name}'s console ---\n${tailOf(this.consoleLog, 40)}`,
    );
  }

  private onEnd(reason: string) {
    this.ended = reason;
    for (const w of this.waiters.splice(0)) w.reject(this.failure(`no "${w.key}" in its report: ${reason}`));
  }

  private async connect(sock: string): Promise<void> {
    const log = fs.createWriteStream(path.join(this.spec.dir, 'report.log'));
    for (let attempt = 0; ; attempt++) {
      try {
        this.socket = await new Promise<net.Socket>((resolve, reject) => {
          const s = net.createConnection(sock, () => resolve(s));
          s.once('error', reject);
        });
        break;
      } catch (e) {
        if (attempt > 100 || this.ended)
          throw this.failure(`cannot connect to its report socket: ${(e as Error).message}; ${this.ended ?? ''}`);
        await sleep(100);
      }
    }
    let buffer = '';
    this.socket.on('error', () => undefined);
    this.socket.on('data', (chunk) => {
      log.write(chunk);
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!text.startsWith('{')) continue; // kernel or getty noise before the report opens the port
        let line: ReportLine;
        try {
          line = JSON.parse(text) as ReportLine;
        } catch {
          continue;
        }
        this.lines.push(line);
        if (line.k === 'crash') this.onEnd(`the report program crashed: ${JSON.stringify(line.v)}`);
        for (const w of this.waiters.filter((w) => w.key === line.k)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line.v);
        }
      }
    });
  }
}

function tailOf(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}
