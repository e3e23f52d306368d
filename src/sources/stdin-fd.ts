/**
 * Standard input read straight from file descriptor 0, for the reading thread
 * (analyze/reader-worker.ts): a worker thread's `process.stdin` is fed by its parent, not by the
 * process's stdin. Only for a pipe, a socket or a regular file (reader-thread-choice.ts decides).
 *
 * A pipe or a socket is read as the main thread reads its stdin, through a libuv pipe handle
 * (`net.Socket` on fd 0): epoll tells when there is data, whether or not the program that started
 * us left the descriptor non-blocking (Node's spawnSync does). A regular file (`< auth.log`) is read
 * with fs.read from where the descriptor stands, 1 MiB at a time.
 */
import { fstatSync, read } from 'node:fs';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';

const FILE_CHUNK = 1 << 20;

function readOnce(fd: number, buf: Buffer): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
}

async function* fileChunks(fd: number): AsyncGenerator<Buffer> {
  for (;;) {
    const buf = Buffer.allocUnsafe(FILE_CHUNK);
    const n = await readOnce(fd, buf);
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

/** fd 0 as a stream of Buffers. */
export function stdinFromFd(): Readable {
  const st = fstatSync(0);
  if (st.isFile()) return Readable.from(fileChunks(0), { objectMode: false });
  return new Socket({ fd: 0, readable: true, writable: false });
}
