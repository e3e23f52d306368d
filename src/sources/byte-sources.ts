import { open, stat, type FileHandle } from 'node:fs/promises';
import { isatty } from 'node:tty';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';

/**
 * The I/O edge of `analyze`: each input as an async sequence of byte chunks plus what the
 * framer needs to know about it (name, size, mtime). Files are read with `FileHandle.read`
 * into 1 MiB buffers (fewer, larger chunks = fewer line-carry copies and event-loop turns);
 * compressed input by content (magic bytes), not by name, for files and stdin alike: gzip and
 * zstd with node:zlib, xz through `xz -dc` (xz-utils), bzip2 refused with the command to use.
 */

export const CHUNK = 1 << 20;

export interface ByteSource {
  /** Name for evidence and errors: the path, `-` for stdin, `journal`. */
  readonly name: string;
  /** Size in bytes (compressed size for .gz), 0 when unknown (stdin, journal). */
  readonly size: number;
  /** mtime in ms epoch, or null (stdin, journal): the year-inference reference. */
  readonly mtime: number | null;
  /** Byte chunks; the callback is told how many raw (compressed) bytes were consumed. */
  chunks(onRaw: (n: number) => void): AsyncIterable<Buffer>;
  /** Releases the file / child process (idempotent). */
  close(): Promise<void>;
}

/** An input that cannot be opened: the message is for the user, e.g. `no such file`. */
export class InputError extends Error {
  readonly line: number | null;
  constructor(message: string, line: number | null = null) {
    super(message);
    this.name = 'InputError';
    this.line = line;
  }
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES':
    case 'EPERM': return 'permission denied (run as root, or as a member of the adm group)';
    case 'EISDIR': return 'is a directory';
    case 'ELOOP': return 'too many symbolic links';
    case 'EMFILE':
    case 'ENFILE': return 'too many open files';
    case 'EIO': return 'I/O error';
    default: return e?.message ?? String(err);
  }
}

/**
 * Opens a regular file (plain or gzip, by content), or a FIFO / `<(…)` (read as a stream, in
 * order: no positioned reads, which a pipe refuses with ESPIPE). A FIFO without a writer makes
 * open wait: `onWaiting` is told after a second, so the wait is never silent. Devices (other
 * than a terminal) are refused: /dev/zero is not a log. Throws InputError.
 */
export async function openFile(path: string, opts: { onWaiting?: (message: string) => void } = {}): Promise<ByteSource> {
  let fh: FileHandle;
  let kind: Awaited<ReturnType<typeof lstatKind>> = 'other';
  try {
    kind = await lstatKind(path);
  } catch {
    // open reports it
  }
  if (kind === 'device') throw new InputError('cannot read: is a device, not a log file');
  const waiting = kind === 'fifo' ? setTimeout(() => opts.onWaiting?.('waiting for a writer on this FIFO (nothing has opened it for writing yet; Ctrl-C to stop)'), 1000) : null;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new InputError(`cannot read: ${describeFsError(err)}`);
  } finally {
    if (waiting) clearTimeout(waiting);
  }
  let size = 0, mtime = 0;
  let stream = false;
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    stream = !st.isFile();
    size = stream ? 0 : st.size;
    mtime = st.mtimeMs;
  } catch (err) {
    await fh.close().catch(() => {});
    throw new InputError(`cannot read: ${describeFsError(err)}`);
  }
  if (stream) {
    let closed = false;
    return {
      name: path,
      size: 0,
      mtime: null,
      close: async () => {
        if (closed) return;
        closed = true;
        await fh.close().catch(() => {});
      },
      chunks: (onRaw) => streamChunks(fh.createReadStream({ highWaterMark: CHUNK, autoClose: false }), onRaw),
    };
  }
  const head = Buffer.alloc(6);
  let headLen = 0;
  try {
    headLen = (await fh.read(head, 0, 6, 0)).bytesRead;
  } catch (err) {
    await fh.close().catch(() => {});
    throw new InputError(`cannot read: ${describeFsError(err)}`);
  }
  const compression = compressionOf(head.subarray(0, headLen));
  if (compression === 'bzip2') {
    await fh.close().catch(() => {});
    throw new InputError(BZIP2);
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await fh.close().catch(() => {});
  };
  return {
    name: path,
    size,
    mtime,
    close,
    chunks:
      compression === null
        ? (onRaw) => fileChunks(fh, onRaw)
        : (onRaw) => {
            const raw = fh.createReadStream({ start: 0, highWaterMark: CHUNK, autoClose: false });
            return decompress(raw as AsyncIterable<Buffer>, compression, onRaw, () => raw.destroy());
          },
  };
}

export type Compression = 'gzip' | 'zstd' | 'xz';
const BZIP2 = 'bzip2-compressed: decompress it first (bzcat FILE | sshwarden analyze -)';

/** The compression of data starting with `head` (≥ 6 bytes when the data has them), by magic bytes. */
export function compressionOf(head: Buffer): Compression | 'bzip2' | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head[0] === 0xfd && head.toString('latin1', 1, 6) === '7zXZ\0') return 'xz';
  if (head.length >= 4 && head.toString('latin1', 0, 3) === 'BZh' && head[3] >= 0x31 && head[3] <= 0x39) return 'bzip2';
  return null;
}

/**
 * Decompresses `raw` (counting its bytes through onRaw): gzip and zstd in-process (node:zlib),
 * xz through `xz -dc` (argument array, no shell). Errors become InputError, after everything
 * that could be decompressed before them was yielded.
 */
async function* decompress(raw: AsyncIterable<Buffer>, kind: Compression, onRaw: (n: number) => void, release: () => void): AsyncGenerator<Buffer> {
  const counted = Readable.from(
    (async function* () {
      for await (const b of raw) {
        onRaw(b.length);
        yield b;
      }
    })(),
    { objectMode: false },
  );
  let produced = 0;
  let out: Readable;
  let xz: ReturnType<typeof spawn> | null = null;
  let xzErr = '';
  let xzExit: Promise<{ code: number | null; error: NodeJS.ErrnoException | null }> | null = null;
  if (kind === 'xz') {
    xz = spawn('xz', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const child = xz;
    xzExit = new Promise((resolve) => {
      child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
      child.once('close', (code) => resolve({ code, error: null }));
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (xzErr.length < 1024) xzErr += b.toString();
    });
    child.stdin!.on('error', () => {}); // xz exiting early: reported through its exit status
    counted.pipe(child.stdin!);
    out = child.stdout!;
  } else {
    const z = kind === 'gzip' ? createGunzip({ chunkSize: 256 * 1024 }) : createZstdDecompress({ chunkSize: 256 * 1024 });
    counted.on('error', (err) => z.destroy(err));
    counted.pipe(z);
    out = z;
  }
  try {
    try {
      for await (const chunk of out as AsyncIterable<Buffer>) {
        produced += chunk.length;
        yield chunk;
      }
    } catch (err) {
      if (err instanceof InputError) throw err;
      // zlib delivers everything it could inflate before the error, so the lines before the cut were read.
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'Z_BUF_ERROR' || code === 'ZSTD_error_srcSize_wrong' ? `truncated ${kind} data` : `corrupt ${kind} data (${(err as Error).message})`;
      throw new InputError(`${why}: stopped after ${produced} uncompressed bytes; the lines before that were read`);
    }
    if (xzExit !== null) {
      const r = await xzExit;
      if (r.error !== null)
        throw new InputError(r.error.code === 'ENOENT' ? 'xz-compressed, and the xz program is missing (apt-get install xz-utils)' : `cannot run xz: ${r.error.message}`);
      if (r.code !== 0)
        throw new InputError(`corrupt or truncated xz data (${xzErr.trim().split('\n')[0] || `xz exited with status ${r.code}`}): stopped after ${produced} uncompressed bytes; the lines before that were read`);
    }
  } finally {
    counted.unpipe();
    counted.destroy();
    if (out !== undefined) out.destroy();
    if (xz !== null && xz.exitCode === null && xz.signalCode === null) xz.kill('SIGTERM');
    release();
  }
}

/**
 * Double-buffered: the next read is already running while the consumer frames the current
 * chunk (no idle wait per chunk). A yielded buffer is valid only until the next step of the
 * iteration (it is reused): the reader decodes or copies what it keeps.
 */
async function* fileChunks(fh: FileHandle, onRaw: (n: number) => void): AsyncGenerator<Buffer> {
  const bufs = [Buffer.allocUnsafe(CHUNK), Buffer.allocUnsafe(CHUNK)];
  let i = 0;
  let pos = 0;
  let pending: Promise<{ bytesRead: number }> | null = fh.read(bufs[0], 0, CHUNK, 0);
  try {
    for (;;) {
      let n: number;
      try {
        n = (await pending).bytesRead;
      } catch (err) {
        pending = null;
        throw new InputError(`read error: ${describeFsError(err)}`);
      }
      pending = null;
      if (n === 0) return;
      pos += n;
      const cur = bufs[i];
      i ^= 1;
      pending = fh.read(bufs[i], 0, CHUNK, pos);
      onRaw(n);
      yield n === CHUNK ? cur : cur.subarray(0, n);
    }
  } finally {
    if (pending !== null) await pending.catch(() => {});
  }
}

/** What is at `path` (following links: `<(…)` is a link to a pipe): a FIFO, a device (not a terminal), or other. */
async function lstatKind(path: string): Promise<'fifo' | 'device' | 'other'> {
  const st = await stat(path);
  if (st.isFIFO()) return 'fifo';
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    // A terminal (`analyze /dev/stdin` at a prompt) is read as a stream; other devices are not logs.
    const fh = await open(path, 'r').catch(() => null);
    if (fh === null) return 'other';
    try {
      return isatty(fh.fd) ? 'other' : 'device';
    } finally {
      await fh.close();
    }
  }
  return 'other';
}

/** Standard input as a byte source. */
export function stdinSource(stream: Readable): ByteSource {
  return {
    name: '-',
    size: 0,
    mtime: null,
    close: async () => {},
    chunks: (onRaw) => streamChunks(stream, onRaw),
  };
}

/** Standard input: compressed data (by its first bytes) is decompressed, like a file's. */
async function* streamChunks(stream: Readable, onRaw: (n: number) => void): AsyncGenerator<Buffer> {
  const it = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const toBuf = (c: Buffer | string) => (typeof c === 'string' ? Buffer.from(c) : c);
  // Peek at the first bytes (a pipe may deliver fewer than 6 in its first chunk).
  const head: Buffer[] = [];
  let headLen = 0;
  let ended = false;
  while (headLen < 6) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = toBuf(r.value);
    head.push(b);
    headLen += b.length;
  }
  const first = Buffer.concat(head);
  const kind = compressionOf(first);
  if (kind === 'bzip2') throw new InputError(BZIP2);
  const rest = async function* (): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield toBuf(r.value);
    }
  };
  if (kind !== null) {
    yield* decompress(rest(), kind, onRaw, () => {});
    return;
  }
  for await (const b of rest()) {
    onRaw(b.length);
    yield b;
  }
}

export interface JournalQuery {
  since?: string;
  until?: string;
  /** systemd units (`-u`), e.g. `ssh.service`; default: the sshd identifiers instead. */
  units?: string[];
  /** Journal files to read instead of the system journal (`journalctl --file`), e.g. copied from another host. */
  files?: string[];
}

/** journalctl's arguments for a query (an argument array: never a shell string). */
export function journalctlArgs(q: JournalQuery): string[] {
  const args = ['-o', 'json', '--no-pager', '--quiet'];
  for (const f of q.files ?? []) args.push('--file', f);
  if (q.since !== undefined) args.push('--since', q.since);
  if (q.until !== undefined) args.push('--until', q.until);
  if (q.units !== undefined && q.units.length > 0) for (const u of q.units) args.push('-u', u);
  else
    // Same-field matches are OR'ed; `+` ORs the two groups (stream lines may lack SYSLOG_IDENTIFIER).
    args.push('SYSLOG_IDENTIFIER=sshd', 'SYSLOG_IDENTIFIER=sshd-session', 'SYSLOG_IDENTIFIER=sshd-auth', '+', '_COMM=sshd', '_COMM=sshd-session', '_COMM=sshd-auth');
  return args;
}

/**
 * Runs `journalctl -o json …` and streams its output. A missing journalctl or a non-zero exit
 * becomes an InputError with journalctl's own message.
 */
export function journalSource(q: JournalQuery, journalctl = 'journalctl'): ByteSource {
  const child = spawn(journalctl, journalctlArgs(q), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (s: string) => {
    if (stderr.length < 4096) stderr += s;
  });
  const exited = new Promise<{ code: number | null; error: NodeJS.ErrnoException | null }>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code, error: null }));
  });
  let closed = false;
  return {
    name: 'journal',
    size: 0,
    mtime: null,
    close: async () => {
      if (closed) return;
      closed = true;
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill('SIGTERM');
    },
    chunks: async function* (onRaw) {
      try {
        for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
          onRaw(chunk.length);
          yield chunk;
        }
      } catch {
        // stdout errors surface below through the exit status
      }
      const r = await exited;
      if (r.error !== null) {
        if (r.error.code === 'ENOENT')
          throw new InputError(`journalctl not found: --journal needs systemd's journalctl (or pipe \`journalctl -o json\` into \`sshwarden analyze -\`)`);
        throw new InputError(`cannot run journalctl: ${r.error.message}`);
      }
      if (r.code !== 0) {
        const msg = stderr.trim().split('\n')[0] || `exited with status ${r.code}`;
        throw new InputError(`journalctl: ${msg}`);
      }
    },
  };
}
