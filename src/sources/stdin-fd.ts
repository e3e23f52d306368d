/**
 * Standard input read straight from file descriptor 0, for the reading thread
 * (analyze/reader-worker.ts): a worker thread's `process.stdin` is fed by its parent, not by the
 * process's stdin. Only for a pipe, a socket or a regular file (reader-thread-choice.ts decides).
 *
 * A pipe or a socket is read as the main thread reads its stdin, through a libuv pipe handle
 * (`net.Socket` on fd 0): epoll tells when there is data, whether or not the program that started
 * us left the descriptor non-blocking (Node's spawnSync does). A regular file (`< auth.log`) is read
 * from where the descriptor stands, in the chunks files are read in (byte-sources.ts).
 */
import { createReadStream, fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { CHUNK } from './byte-sources.ts';

/** fd 0 as a stream of Buffers (the descriptor stays open). */
export function stdinFromFd(): Readable {
  if (fstatSync(0).isFile()) return createReadStream('', { fd: 0, autoClose: false, highWaterMark: CHUNK });
  return new Socket({ fd: 0, readable: true, writable: false });
}
