/**
 * Follows a growing log file live, for the guard: inotify through `fs.watch` on the file's
 * directory (one watch sees writes, creates, renames and deletes; no polling), so a line is read
 * within about a millisecond of being written.
 *
 * Handles: rename-and-create rotation (the renamed file stays open and is drained first, since
 * the writer keeps appending to it until it reopens, e.g. rsyslog after its HUP; it is closed
 * once idle for `retireAfterMs`), copytruncate (the size drops below our offset: restart at 0),
 * deletion (wait for the file to appear again), a file that does not exist yet (read from its
 * start once it appears), partial lines (held until their newline). Starts at the end by
 * default, at the beginning with `start: 'beginning'` (`--replay`), or at a saved position when
 * the inode still matches (resume after a restart without losing lines).
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { MAX_LINE } from './line-limit.ts';

export interface FilePosition {
  readonly inode: number;
  /** Byte offset after the last complete line read. */
  readonly offset: number;
  /** Number of complete lines read before `offset`. */
  readonly line: number;
}

export interface FileFollowerOptions {
  /** Where to start in the file present at start. A position applies only if its inode matches. */
  start: 'end' | 'beginning' | FilePosition;
  /** Complete lines, in order, with a trailing CR kept (the framers strip it; sshd -E records end in CR LF, and
   *  format detection needs the CR to keep a forged continuation line inside its record). `firstLine` is the
   *  1-based line number of `lines[0]` in its file. `before` is the position of `lines[0]` (where a reader that
   *  has not processed these lines must resume). */
  onLines(lines: string[], firstLine: number, file: string, before: FilePosition): void;
  /** Rotation, truncation, deletion, errors: one human line each. */
  onNotice?(message: string): void;
  /** A line longer than `maxLineBytes` was dropped (not held in memory): its 1-based number and length. */
  onLongLine?(line: number, bytes: number, file: string): void;
  /** Longest line kept (default 4 MiB, as in analyze). */
  maxLineBytes?: number;
  /** Follow the path when it is a symbolic link (default false: only a regular file at the path itself is read). */
  followSymlinks?: boolean;
  /** Close a rotated-away file after it has not grown for this long (default 30 s). */
  retireAfterMs?: number;
}


const CHUNK = 1 << 20;
const MAX_CHUNKS_PER_TURN = 4;

/** One open generation of the file. */
class Reader {
  readonly fd: number;
  readonly inode: number;
  offset = 0;
  lineNo = 0;
  partial: Buffer | null = null;
  /** Bytes dropped so far of an over-long line (0: not inside one). */
  skipping = 0;
  lastGrowth = 0;
  constructor(fd: number, inode: number) {
    this.fd = fd;
    this.inode = inode;
  }
}

export class FileFollower {
  readonly path: string;
  private readonly opts: FileFollowerOptions;
  private cur: Reader | null = null;
  private retired: Reader[] = [];
  private watcher: FSWatcher | null = null;
  private readonly buf = Buffer.allocUnsafe(CHUNK);
  private closed = false;
  private retireTimer: NodeJS.Timeout | null = null;
  private pendingDrain: NodeJS.Immediate | null = null;
  private refusedNotice = '';

  constructor(path: string, opts: FileFollowerOptions) {
    this.path = path;
    this.opts = opts;
  }

  /** Opens the file (if present) at the start position and begins watching. */
  start(): void {
    const name = basename(this.path);
    this.watcher = watch(dirname(this.path), { persistent: true }, (_event, filename) => {
      // Any event in the directory may be the rotated file growing; ours is checked fully.
      if (filename === null || filename === name) this.check();
      else if (this.retired.length) this.drainRetired();
    });
    this.watcher.on('error', (e) => this.opts.onNotice?.(`${this.path}: watch failed: ${e.message}`));
    const start = this.opts.start;
    const r = this.open();
    if (r) {
      if (start === 'end') this.skipToEnd(r);
      else if (typeof start === 'object' && start.inode === r.inode && start.offset <= fstatSync(r.fd).size) {
        r.offset = start.offset;
        r.lineNo = start.line;
      } else if (typeof start === 'object') {
        this.opts.onNotice?.(`${this.path}: saved position is for another file (rotated while stopped): reading it from the start`);
      }
      this.drain(r);
    } else {
      this.opts.onNotice?.(`${this.path}: does not exist yet; waiting for it`);
    }
  }

  /** True when everything the file holds now has been read (for `guard --replay --once`). */
  atEnd(): boolean {
    const r = this.cur;
    if (!r) return true;
    try {
      return r.offset >= fstatSync(r.fd).size && this.retired.length === 0;
    } catch {
      return true;
    }
  }

  /** Position after the last complete line of the current file (for resuming after a restart). */
  position(): FilePosition | null {
    const r = this.cur;
    if (!r) return null;
    return { inode: r.inode, offset: r.offset - (r.partial?.length ?? 0), line: r.lineNo };
  }

  /**
   * Opens the path only when it is a regular file: a symbolic link (unless `followSymlinks`)
   * is refused (a log path swapped for a link to /etc/shadow or /dev/zero is not read, as root),
   * and so are devices and FIFOs (O_NONBLOCK: opening a FIFO never waits for a writer).
   */
  private open(): Reader | null {
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_RDONLY | constants.O_NONBLOCK | (this.opts.followSymlinks ? 0 : constants.O_NOFOLLOW));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ELOOP' || code === 'EMLINK') this.refuse('is a symbolic link: not followed (set log.follow_symlinks: true to allow)');
      return null;
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      this.refuse('is not a regular file (a device, FIFO or socket): not followed');
      return null;
    }
    this.refusedNotice = '';
    const r = new Reader(fd, st.ino);
    this.cur = r;
    return r;
  }

  private refuse(why: string): void {
    if (this.refusedNotice === why) return;
    this.refusedNotice = why;
    this.opts.onNotice?.(`${this.path}: ${why}`);
  }

  /** The path's inode (no link followed unless allowed), or null when it is absent or not followable. */
  private statPath(): { ino: number; size: number } | null {
    try {
      const st = lstatSync(this.path);
      if (st.isSymbolicLink()) {
        if (!this.opts.followSymlinks) {
          this.refuse('became a symbolic link: not followed (set log.follow_symlinks: true to allow)');
          return null;
        }
        return statFollow(this.path);
      }
      return st;
    } catch {
      return null;
    }
  }

  /** Starts after the last complete line, counting the lines before it (for evidence line numbers). */
  private skipToEnd(r: Reader): void {
    const size = fstatSync(r.fd).size;
    let pos = 0;
    let n = 0;
    let lastNl = 0;
    while (pos < size) {
      const got = readSync(r.fd, this.buf, 0, Math.min(CHUNK, size - pos), pos);
      if (got <= 0) break;
      for (let i = this.buf.indexOf(10, 0); i !== -1 && i < got; i = this.buf.indexOf(10, i + 1)) {
        n++;
        lastNl = pos + i + 1;
      }
      pos += got;
    }
    r.offset = lastNl;
    r.lineNo = n;
  }

  /** Called on every inotify event for the file name: read, or handle rotation/truncation/deletion. */
  private check(): void {
    if (this.closed) return;
    this.drainRetired();
    const st = this.statPath();
    const r = this.cur;
    if (r === null) {
      if (st) {
        const n = this.open();
        if (n) {
          this.opts.onNotice?.(`${this.path}: appeared; reading from its start`);
          this.drain(n);
        }
      }
      return;
    }
    if (!st || st.ino !== r.inode) {
      this.drain(r);
      r.lastGrowth = Date.now();
      this.retired.push(r);
      this.cur = null;
      this.scheduleRetire();
      this.opts.onNotice?.(`${this.path}: ${st ? 'rotated (new file)' : 'moved or removed'}`);
      if (st) {
        const n = this.open();
        if (n) this.drain(n);
      }
      return;
    }
    if (st.size < r.offset) {
      this.opts.onNotice?.(`${this.path}: truncated (copytruncate); reading from its start`);
      r.offset = 0;
      r.lineNo = 0;
      r.partial = null;
    }
    this.drain(r);
  }

  private drainRetired(): void {
    for (const r of this.retired) if (this.drain(r)) r.lastGrowth = Date.now();
  }

  private scheduleRetire(): void {
    if (this.retireTimer) return;
    const after = this.opts.retireAfterMs ?? 30_000;
    this.retireTimer = setTimeout(() => {
      this.retireTimer = null;
      this.drainRetired();
      const now = Date.now();
      this.retired = this.retired.filter((r) => {
        if (now - r.lastGrowth < after) return true;
        this.flushPartial(r);
        closeSync(r.fd);
        return false;
      });
      if (this.retired.length) this.scheduleRetire();
    }, after);
    this.retireTimer.unref();
  }

  /**
   * Reads to the end, but at most MAX_CHUNKS_PER_TURN chunks per event-loop turn (the rest is
   * read on the next turn), so a burst of hundreds of MB (or --replay) never starves the daemon's
   * timers, control socket and firewall queue. True when something was read.
   */
  private drain(r: Reader): boolean {
    let any = false;
    for (let n = 0; n < MAX_CHUNKS_PER_TURN; n++) {
      const got = readSync(r.fd, this.buf, 0, CHUNK, r.offset);
      if (got <= 0) return any;
      any = true;
      r.offset += got;
      this.emit(r, this.buf.subarray(0, got));
      if (got < CHUNK) return any;
    }
    if (!this.pendingDrain) {
      this.pendingDrain = setImmediate(() => {
        this.pendingDrain = null;
        if (this.closed) return;
        if (this.retired.includes(r)) this.drainRetired();
        else if (this.cur === r) this.check();
      });
    }
    return any;
  }

  private emit(r: Reader, chunk: Buffer): void {
    const max = this.opts.maxLineBytes ?? MAX_LINE;
    let base = r.offset - chunk.length; // file offset of chunk[0]
    if (r.skipping > 0) {
      // Inside an over-long line: drop bytes up to its newline (never held in memory).
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        r.skipping += chunk.length;
        return;
      }
      this.longLine(r, r.skipping + nl);
      chunk = chunk.subarray(nl + 1);
      base += nl + 1;
    }
    const lines: string[] = [];
    let first = r.lineNo + 1;
    let before: FilePosition = { inode: r.inode, offset: base - (r.partial?.length ?? 0), line: r.lineNo };
    let start = 0;
    let nl = chunk.indexOf(10, 0);
    if (nl === -1) {
      const len = (r.partial?.length ?? 0) + chunk.length;
      if (len > max) {
        r.partial = null;
        r.skipping = len;
      } else r.partial = r.partial ? Buffer.concat([r.partial, chunk]) : Buffer.from(chunk);
      return;
    }
    if (r.partial) {
      if (r.partial.length + nl > max) {
        this.longLine(r, r.partial.length + nl);
        first = r.lineNo + 1;
        before = { inode: r.inode, offset: base + nl + 1, line: r.lineNo };
      } else {
        lines.push(Buffer.concat([r.partial, chunk.subarray(0, nl)]).toString('utf8'));
        r.lineNo++;
      }
      r.partial = null;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      lines.push(chunk.toString('utf8', start, nl));
      r.lineNo++;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) r.partial = Buffer.from(chunk.subarray(start));
    if (lines.length) this.opts.onLines(lines, first, this.path, before);
  }

  private longLine(r: Reader, bytes: number): void {
    r.lineNo++;
    r.skipping = 0;
    this.opts.onLongLine?.(r.lineNo, bytes, this.path);
  }

  private flushPartial(r: Reader): void {
    if (!r.partial) return;
    const text = r.partial.toString('utf8');
    const before: FilePosition = { inode: r.inode, offset: r.offset - r.partial.length, line: r.lineNo };
    r.partial = null;
    r.lineNo += 1;
    this.opts.onLines([text], r.lineNo, this.path, before);
  }


  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.retireTimer) clearTimeout(this.retireTimer);
    if (this.pendingDrain) clearImmediate(this.pendingDrain);
    for (const r of [...this.retired, ...(this.cur ? [this.cur] : [])]) closeSync(r.fd);
    this.retired = [];
    this.cur = null;
  }
}


function statFollow(path: string): { ino: number; size: number } | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
