import type { FramedLine } from './framed-line.ts';
import { newCounts, type Framer, type FramerCounts } from './framer.ts';
import { isSshdProgram } from './program-name.ts';
import { ownString } from './own-string.ts';

/**
 * `journalctl -o json` (one object per line) and `-o json-seq` (each object preceded by RS,
 * 0x1e). Fields: MESSAGE (a string, or an array of bytes when not UTF-8), __REALTIME_TIMESTAMP
 * (µs since the epoch, as a string), SYSLOG_IDENTIFIER (else _COMM), SYSLOG_PID (else _PID),
 * _HOSTNAME. A field logged several times is an array of values; the first is used.
 *
 * Speed: a journal record is ~1-2 KB of JSON. Records that do not contain `"sshd` anywhere
 * cannot be from an sshd-family program and are skipped with one indexOf, without JSON.parse.
 *
 * stderr lines of sshd under systemd (`_TRANSPORT=stdout`) are framed like the others; journald
 * splits such a stream at newlines into separate entries, so they carry the listener's _PID.
 */
const RS = 0x1e;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function first(v: unknown): unknown {
  return Array.isArray(v) && v.length > 0 && typeof v[0] !== 'number' ? v[0] : v;
}

function asText(v: unknown): string | null {
  v = first(v);
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    // bytes
    const bytes = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const b = v[i];
      if (typeof b !== 'number' || b < 0 || b > 255) return null;
      bytes[i] = b;
    }
    try {
      return utf8.decode(bytes);
    } catch {
      return Buffer.from(bytes).toString('latin1');
    }
  }
  return null;
}

function asPid(v: unknown): number | null {
  const t = asText(v);
  if (t === null || t.length === 0 || t.length > 10) return null;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(t);
}

export class JournalJsonFramer implements Framer {
  readonly counts: FramerCounts = newCounts();
  private readonly file: string;
  private lastHost: string | null = null;

  constructor(file: string) {
    this.file = file;
  }

  frame(text: string, lineNo: number): FramedLine | null {
    return this.frameRange(text, 0, text.length, lineNo);
  }

  flush(): FramedLine | null {
    return null;
  }

  frameRange(s: string, start: number, end: number, lineNo: number): FramedLine | null {
    this.counts.lines++;
    while (start < end && (s.charCodeAt(start) === RS || s.charCodeAt(start) === 32)) start++;
    while (end > start && (s.charCodeAt(end - 1) === 13 || s.charCodeAt(end - 1) === 32)) end--;
    if (end <= start) {
      this.counts.skipped++;
      return null;
    }
    if (s.charCodeAt(start) !== 123 /* { */) {
      this.counts.malformed++;
      return null;
    }
    const at = s.indexOf('"sshd', start);
    if (at < 0 || at >= end) {
      this.counts.skipped++;
      return null;
    }
    let rec: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(start === 0 && end === s.length ? s : s.slice(start, end));
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        this.counts.malformed++;
        return null;
      }
      rec = v as Record<string, unknown>;
    } catch {
      this.counts.malformed++;
      return null;
    }
    const program = asText(rec.SYSLOG_IDENTIFIER) ?? asText(rec._COMM);
    if (program === null || !isSshdProgram(program)) {
      this.counts.skipped++;
      return null;
    }
    const message = asText(rec.MESSAGE);
    if (message === null) {
      this.counts.malformed++;
      return null;
    }
    const pid = asPid(rec.SYSLOG_PID) ?? asPid(rec._PID);
    let ts: number | null = null;
    const rt = asText(rec.__REALTIME_TIMESTAMP);
    if (rt !== null && rt.length > 0 && rt.length < 20) {
      const us = Number(rt);
      if (Number.isFinite(us)) ts = Math.floor(us / 1000);
    }
    let host = asText(rec._HOSTNAME);
    if (host !== null) {
      if (host === this.lastHost) host = this.lastHost;
      else this.lastHost = host = ownString(host);
    }
    this.counts.framed++;
    return {
      ts,
      host,
      program: program === 'sshd' ? 'sshd' : program === 'sshd-session' ? 'sshd-session' : program === 'sshd-auth' ? 'sshd-auth' : ownString(program),
      pid,
      message: ownString(message),
      file: this.file,
      line: lineNo,
    };
  }
}
