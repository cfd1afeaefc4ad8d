import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { TestNet } from './netns';
import { sleep, start } from '../process';

/** The longest a server may live: well past the whole suite's 25 minutes at most on 2 cores. */
const SERVER_LIFETIME_MS = 90 * 60_000;

/** The stand-in k3s binary (a Python script; the image has python3). */
export const STANDIN = path.join(__dirname, 'fixtures', 'k3s-standin.py');

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/**
 * Lays out a release directory as the K3s GitHub releases do: `<version>/k3s` and
 * `<version>/sha256sum-amd64.txt` listing the binary's hash under the name `k3s`.
 * `sums` overrides the listed hash (a mirror whose sums file and binary were both replaced
 * lists the tampered binary's own hash).
 */
export function stageRelease(root: string, version: string, binary: Buffer, sums = sha256(binary)): void {
  const dir = path.join(root, version);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'k3s'), binary, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'sha256sum-amd64.txt'), `${sums}  k3s\n`);
}

/**
 * The release mirror: python3's http.server on the namespace side of the bridge, the only
 * server the VMs can reach. Its request log shows what each guest downloaded.
 */
export class ReleaseMirror {
  private constructor(
    readonly url: string,
    readonly logFile: string,
    private readonly stopNow: () => void,
  ) {}

  /** `what` names the server in errors: the same http.server also stands in for the metadata service. */
  static async start(
    net: TestNet,
    address: string,
    port: number,
    root: string,
    logFile: string,
    what = 'release mirror',
  ): Promise<ReleaseMirror> {
    const argv = net.exec([
      'setpriv',
      '--pdeathsig',
      'KILL',
      'python3',
      '-u',
      '-m',
      'http.server',
      '--bind',
      address,
      '--directory',
      root,
      String(port),
    ]);
    const child = start(argv, { label: what, output: { file: logFile }, timeoutMs: SERVER_LIFETIME_MS });
    let exited = false;
    child.ended.then(
      () => (exited = true),
      () => (exited = true),
    );
    // http.server prints "Serving HTTP on …" once its socket is bound.
    for (let i = 0; !fs.readFileSync(logFile, 'utf8').includes(`Serving HTTP on ${address} port ${port}`); i++) {
      if (exited || i > 100) throw new Error(`${what} did not start:\n${fs.readFileSync(logFile, 'utf8')}`);
      await sleep(100);
    }
    return new ReleaseMirror(`http://${address}:${port}`, logFile, () => child.kill('SIGKILL'));
  }

  /** Request lines ("GET /v1.34.6+k3s1/k3s HTTP/1.1" 200 …) logged so far. */
  requests(): string[] {
    return fs
      .readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((l) => /"(GET|HEAD) /.test(l));
  }

  stop(): void {
    this.stopNow();
  }
}
