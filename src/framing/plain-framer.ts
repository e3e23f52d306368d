import type { FramedLine } from './framed-line.ts';
import { newCounts, type Framer, type FramerCounts } from './framer.ts';
import { ownString } from './own-string.ts';

/**
 * Envelope-less formats: `journalctl -o cat` and `sshd -E file` / `sshd -e`. Every record is
 * reported as program `sshd`, pid null, host null, ts null (the text carries none of them).
 *
 * sshd -E (checked with Debian's 9.2p1): each record is `message\r\n`, no time, no ident, no
 * pid, no `error:` prefix, and logged through strnvis(VIS_SAFE|VIS_OCTAL), which leaves a
 * client-supplied `\n` raw. A user name `x\nAccepted password for root from 1.2.3.4 port 1 ssh2`
 * therefore writes a physical line that looks like a record of its own. We frame by the real
 * terminator instead: a physical line that does not end in `\r` is the start of a record that
 * continues on the next line, and the parts are joined with `\n` into ONE record (message keeps
 * the `\n`, line number of its first line). So a forged line never becomes a record.
 * If an input has no CR at all (someone converted the file), after 64 lines / 8 KiB without a
 * CR the framer falls back to one record per line, and says so through `lfFallback`.
 */
const CR = 13;
const MAX_PENDING_LINES = 64;
const MAX_PENDING_CHARS = 8192;

export class PlainFramer implements Framer {
  readonly counts: FramerCounts = newCounts();
  private readonly file: string;
  private readonly crlf: boolean;
  private pending: string | null = null;
  private pendingLine = 0;
  private pendingLines = 0;
  private mode: 'unknown' | 'crlf' | 'lf' = 'unknown';

  /** `crlf`: records end with CR LF (sshd-stderr); false: one record per line (journal-cat). */
  constructor(file: string, crlf: boolean) {
    this.file = file;
    this.crlf = crlf;
  }

  /** True once an sshd-stderr input turned out to have no CR line ends. */
  get lfFallback(): boolean {
    return this.mode === 'lf';
  }

  frame(text: string, lineNo: number): FramedLine | null {
    return this.frameRange(text, 0, text.length, lineNo);
  }

  frameRange(s: string, start: number, end: number, lineNo: number): FramedLine | null {
    this.counts.lines++;
    if (!this.crlf) {
      if (end > start && s.charCodeAt(end - 1) === CR) end--;
      if (end <= start) {
        this.counts.skipped++;
        return null;
      }
      return this.emit(s.slice(start, end), lineNo);
    }
    const hasCr = end > start && s.charCodeAt(end - 1) === CR;
    if (hasCr) {
      this.mode = 'crlf';
      const part = s.slice(start, end - 1);
      if (this.pending !== null) {
        const msg = this.pending + '\n' + part;
        const first = this.pendingLine;
        this.pending = null;
        return this.emit(msg, first);
      }
      if (part.length === 0) {
        this.counts.skipped++;
        return null;
      }
      return this.emit(part, lineNo);
    }
    if (this.mode === 'lf') {
      if (end <= start) {
        this.counts.skipped++;
        return null;
      }
      return this.emit(s.slice(start, end), lineNo);
    }
    // No CR: the record goes on on the next physical line.
    const part = s.slice(start, end);
    if (this.pending === null) {
      this.pending = part;
      this.pendingLine = lineNo;
      this.pendingLines = 1;
    } else {
      this.pending += '\n' + part;
      this.pendingLines++;
    }
    if (this.pendingLines > MAX_PENDING_LINES || this.pending.length > MAX_PENDING_CHARS) {
      // Longer than any sshd record (its buffer is 1024 bytes): not CR LF framed.
      if (this.mode === 'unknown') this.mode = 'lf';
      return this.flush();
    }
    return null;
  }

  flush(): FramedLine | null {
    if (this.pending === null) return null;
    const msg = this.pending;
    this.pending = null;
    if (msg.length === 0) {
      this.counts.skipped++; // an empty last line
      return null;
    }
    return this.emit(msg, this.pendingLine);
  }

  private emit(message: string, lineNo: number): FramedLine {
    this.counts.framed++;
    return { ts: null, host: null, program: 'sshd', pid: null, message: ownString(message), file: this.file, line: lineNo };
  }
}
