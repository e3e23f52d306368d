/**
 * Reading a whole small input (a config, a transcript) with a size limit that is checked WHILE
 * reading, so a device (`/dev/zero`), a FIFO or a file that grows is never read past the limit.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

export class TooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`larger than ${formatBytes(limit)}`);
    this.name = 'TooLargeError';
    this.limit = limit;
  }
}

export function formatBytes(n: number): string {
  return n >= 1 << 20 ? `${Math.round(n / (1 << 20))} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} bytes`;
}

/** The bytes of `path` (any kind of file: regular, device, FIFO), or TooLargeError past `limit`. fs errors pass through. */
export function readFileBounded(path: string | number, limit: number): Buffer {
  const fd = typeof path === 'number' ? path : openSync(path, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st.isFile() && st.size > limit) throw new TooLargeError(limit);
    const chunks: Buffer[] = [];
    let total = 0;
    const buf = Buffer.allocUnsafe(1 << 16);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      total += n;
      if (total > limit) throw new TooLargeError(limit);
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (typeof path !== 'number') closeSync(fd);
  }
}

/** A stream (stdin) read to its end as a stream (a pipe that pauses is waited for), or TooLargeError past `limit`. */
export async function readStreamBounded(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stream as AsyncIterable<Buffer | string>) {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    total += b.length;
    if (total > limit) {
      stream.destroy();
      throw new TooLargeError(limit);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks, total);
}
