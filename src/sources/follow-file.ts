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
import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

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
   *  1-based line number of `lines[0]` in its file. */
  onLines(lines: string[], firstLine: number, file: string): void;
  /** Rotation, truncation, deletion, errors: one human line each. */
  onNotice?(message: string): void;
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

  private open(): Reader | null {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return null;
    }
    const r = new Reader(fd, fstatSync(fd).ino);
    this.cur = r;
    return r;
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
    let st: ReturnType<typeof statSync> | null;
    try {
      st = statSync(this.path);
    } catch {
      st = null;
    }
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
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(10, 0);
    if (nl === -1) {
      r.partial = r.partial ? Buffer.concat([r.partial, chunk]) : Buffer.from(chunk);
      return;
    }
    if (r.partial) {
      lines.push(Buffer.concat([r.partial, chunk.subarray(0, nl)]).toString('utf8'));
      r.partial = null;
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      lines.push(chunk.toString('utf8', start, nl));
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) r.partial = Buffer.from(chunk.subarray(start));
    const first = r.lineNo + 1;
    r.lineNo += lines.length;
    if (lines.length) this.opts.onLines(lines, first, this.path);
  }

  private flushPartial(r: Reader): void {
    if (!r.partial) return;
    const text = r.partial.toString('utf8');
    r.partial = null;
    r.lineNo += 1;
    this.opts.onLines([text], r.lineNo, this.path);
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

