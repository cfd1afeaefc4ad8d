import * as fs from 'fs';

/** A file (or a pipe, a device) holds more than the reader takes. */
export class TooLargeError extends Error {
  constructor(readonly max: number) {
    super(`more than ${max} bytes`);
  }
}

const CHUNK = 64 * 1024;

/**
 * Reads at most `max` bytes of `file` in one pass, and throws `TooLargeError` once there is
 * more: a regular file by its size before a byte is read, anything else (`/dev/zero`, a FIFO,
 * `/dev/stdin`) after `max + 1` bytes. Never a read without an end.
 */
export function readBoundedSync(file: string, max: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    if (st.isFile() && st.size > max) throw new TooLargeError(max);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, max + 1 - total));
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > max) throw new TooLargeError(max);
    }
    return Buffer.concat(chunks, total);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `readBoundedSync` through libuv's thread pool: the event loop stays free while the open or a
 * read waits (a FIFO with no writer yet, a terminal), so a signal handler still runs.
 */
export async function readBounded(file: string, max: number): Promise<Buffer> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const st = await fh.stat();
    if (st.isFile() && st.size > max) throw new TooLargeError(max);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(CHUNK, max + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw new TooLargeError(max);
    }
    return Buffer.concat(chunks, total);
  } finally {
    await fh.close();
  }
}

/** Whether `file` is a regular file, which a synchronous read finishes without waiting on anyone. */
export function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
