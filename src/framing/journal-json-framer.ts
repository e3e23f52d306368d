import type { FramedLine } from './framed-line.ts';
import { newCounts, type Framer, type FramerCounts, type JournalTrust } from './framer.ts';

export type { JournalTrust } from './framer.ts';
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
 * The others are read field by field (fieldAt) in journalctl's compact layout; any other valid
 * JSON object per line (older systemd's `{ "KEY" : "value", … }`, e.g. RHEL 7 and 8, tabs,
 * other spacing) is read with JSON.parse. `-o json-pretty` (one object over many lines) is not
 * read: its lone `{` lines are counted (`jsonPretty`) for read-inputs to say so.
 *
 * stderr lines of sshd under systemd (`_TRANSPORT=stdout`: `sshd -D -e`, startup errors) get
 * pid null, like sshd -E files: the _PID of a stream is the process that opened it (normally
 * the listener), not the connection's process, and journald splits a stream at newlines, so a
 * client-supplied `\n` (raw in sshd's stderr output) makes a forged entry with that same _PID.
 * A null pid tells the engine these lines carry no per-process envelope. (In journalctl's text
 * forms the transport is not shown; such lines look like any other `sshd[PID]:` line.)
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

type Fields = Record<'SYSLOG_IDENTIFIER' | '_COMM' | 'MESSAGE' | 'SYSLOG_PID' | '_PID' | '__REALTIME_TIMESTAMP' | '_HOSTNAME' | '_TRANSPORT', unknown> &
  Partial<Record<'_EXE' | '_UID', unknown>>;

const SSHD_PROCESSES = new Set(['sshd', 'sshd-session', 'sshd-auth']);

function processName(v: unknown): string | null {
  const t = asText(v);
  if (t === null) return null;
  const slash = t.lastIndexOf('/');
  return slash >= 0 ? t.slice(slash + 1) : t;
}

/** A field value that could not be read by the fast path. */
const BAD = Symbol('bad');

/** A key as fieldAt looks for it: the search needle and the checks around it, made once. */
interface Key {
  /** `KEY":` without the opening quote and leading underscores (`"` and `_` begin every key; indexOf is fast when the needle's first character is rare). */
  readonly needle: string;
  /** The leading underscores, checked after the opening quote. */
  readonly under: string;
  /** Characters between the opening quote's position and the needle: `"` + underscores. */
  readonly before: number;
  /** `"KEY"`: the key's text anywhere, to tell "absent" from "written another way". */
  readonly quoted: string;
}

function keyOf(key: string): Key {
  let lead = 0;
  while (key.charCodeAt(lead) === 95 /* _ */) lead++;
  return { needle: key.slice(lead) + '":', under: key.slice(0, lead), before: lead + 1, quoted: `"${key}"` };
}

const K_IDENTIFIER = keyOf('SYSLOG_IDENTIFIER');
const K_COMM = keyOf('_COMM');
const K_MESSAGE = keyOf('MESSAGE');
const K_SYSLOG_PID = keyOf('SYSLOG_PID');
const K_PID = keyOf('_PID');
const K_REALTIME = keyOf('__REALTIME_TIMESTAMP');
const K_HOSTNAME = keyOf('_HOSTNAME');
const K_TRANSPORT = keyOf('_TRANSPORT');
const K_EXE = keyOf('_EXE');
const K_UID = keyOf('_UID');

function isJsonSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/**
 * The value of top-level key `key` in the JSON object text `s[start, end)`, or undefined when
 * absent, or BAD (the caller then reads the whole record with JSON.parse).
 *
 * The fast path reads journalctl's compact layout only: `{"KEY":value,"KEY":value}`. Anything
 * else is BAD, never a guess: whitespace around the key (`{ "KEY" : value, … }`, older systemd's
 * `-o json`, e.g. RHEL 7 and 8) or after the colon, or a value that is not a plain string,
 * array or null.
 *
 * Safe against look-alike text inside values (MESSAGE is written by whoever logs, and by the
 * client through sshd): in JSON every `"` inside a string is escaped, so a `"` preceded by `{`,
 * `,` or whitespace is a real quote, and one followed by `KEY":` opens a key; a `"KEY":` made of
 * message text has a backslash before each quote and is neither taken nor a reason to re-parse.
 * "Absent" is said only when the text `"KEY"` occurs nowhere; when it does (the key written as
 * `"KEY" :`, or a value ending in `"KEY`), BAD: the worst case is a wasted JSON.parse.
 */
function fieldAt(s: string, start: number, end: number, key: Key): unknown {
  const needle = key.needle;
  const before = key.before;
  let i = s.indexOf(needle, start + before);
  for (;;) {
    if (i < 0 || i >= end) {
      const q = s.indexOf(key.quoted, start);
      return q >= 0 && q < end ? BAD : undefined;
    }
    const k = i - before;
    if (s.charCodeAt(k) === 34 && (before === 1 || s.startsWith(key.under, k + 1))) {
      const prev = s.charCodeAt(k - 1);
      if (prev === 123 /* { */ || prev === 44 /* , */) break;
      if (isJsonSpace(prev)) return BAD;
    }
    i = s.indexOf(needle, i + 1);
  }
  const v = i + needle.length;
  const c = s.charCodeAt(v);
  if (c === 34 /* " */) {
    let j = v + 1;
    let escaped = false;
    while (j < end) {
      const d = s.charCodeAt(j);
      if (d === 92 /* \ */) {
        escaped = true;
        j += 2;
        continue;
      }
      if (d === 34) break;
      j++;
    }
    if (j >= end) return BAD;
    if (!escaped) return s.slice(v + 1, j);
    try {
      return JSON.parse(s.slice(v, j + 1));
    } catch {
      return BAD;
    }
  }
  if (c === 91 /* [ */) {
    let j = v + 1;
    let inString = false;
    while (j < end) {
      const d = s.charCodeAt(j);
      if (inString) {
        if (d === 92) {
          j += 2;
          continue;
        }
        if (d === 34) inString = false;
      } else if (d === 34) inString = true;
      else if (d === 93 /* ] */) break;
      j++;
    }
    if (j >= end) return BAD;
    try {
      return JSON.parse(s.slice(v, j + 1));
    } catch {
      return BAD;
    }
  }
  if (s.startsWith('null', v)) return null;
  return BAD;
}

export class JournalJsonFramer implements Framer {
  readonly counts: FramerCounts = newCounts();
  private readonly file: string;
  private lastHost: string | null = null;
  private readonly trust: JournalTrust | null;
  /** Records that claimed an sshd identifier but failed the trust rule (including `withoutUid`). */
  untrusted = 0;
  /** The last of them (identifier, process, user), for the log. */
  lastUntrusted: { identifier: string | null; comm: string | null; exe: string | null; uid: number | null; line: number } | null = null;
  /** The first of them that had a _UID field (what `analyze` shows as not written by sshd). */
  firstUntrusted: JournalJsonFramer['lastUntrusted'] = null;
  /**
   * Of `untrusted`: records with no _UID field at all, whose process (_COMM/_EXE) was sshd's or
   * absent. journald adds _UID to every record it receives, so the export left its trusted fields
   * out (`journalctl -o json --output-fields=…` without _UID): the rule cannot be applied, which
   * is not the same as a forgery (read-inputs says so). And the first of them.
   */
  withoutUid = 0;
  firstWithoutUid: JournalJsonFramer['lastUntrusted'] = null;
  /** Lines that are a lone `{`: `journalctl -o json-pretty` output, one record over many lines (not read; read-inputs says so). */
  jsonPretty = 0;

  constructor(file: string, trust: JournalTrust | null = null) {
    this.file = file;
    this.trust = trust;
  }

  frame(text: string, lineNo: number): FramedLine | null {
    return this.frameRange(text, 0, text.length, lineNo);
  }

  flush(): FramedLine | null {
    return null;
  }

  frameRange(s: string, start: number, end: number, lineNo: number): FramedLine | null {
    this.counts.lines++;
    while (start < end && (s.charCodeAt(start) === RS || isJsonSpace(s.charCodeAt(start)))) start++;
    while (end > start && isJsonSpace(s.charCodeAt(end - 1))) end--;
    if (end <= start) {
      this.counts.skipped++;
      return null;
    }
    if (s.charCodeAt(start) !== 123 /* { */) {
      this.counts.malformed++;
      return null;
    }
    if (end - start === 1) {
      // A lone `{`: the first line of a record of `journalctl -o json-pretty` (one field per line).
      this.jsonPretty++;
      this.counts.malformed++;
      return null;
    }
    const at = s.indexOf('sshd', start);
    if (at < 0 || at >= end) {
      this.counts.skipped++;
      return null;
    }
    if (s.charCodeAt(end - 1) !== 125 /* } */) {
      this.counts.malformed++;
      return null;
    }
    // Fast path: read just the fields we need (see fieldAt); a full JSON.parse of a ~1 KB
    // record with 25 fields costs ~3 µs. Falls back to JSON.parse when a field looks odd.
    // Only for the compact layout (`{"`): the spaced one (`{ "KEY" : value, … }`) goes to
    // JSON.parse at once; fieldAt says BAD for any other spacing. fieldAt works on the line
    // alone (a slice is a view, not a copy): its searches for a key the record lacks then stop
    // at the line's end, not at the end of the reader's ~64 KiB piece (a key absent from every
    // record, as in an --output-fields export, cost ~30× the line per search).
    let rec: Fields | null = null;
    if (s.charCodeAt(start + 1) === 34 /* " */) {
      const t = start === 0 && end === s.length ? s : s.slice(start, end);
      const n = t.length;
      rec = {
        SYSLOG_IDENTIFIER: fieldAt(t, 0, n, K_IDENTIFIER),
        _COMM: fieldAt(t, 0, n, K_COMM),
        MESSAGE: fieldAt(t, 0, n, K_MESSAGE),
        SYSLOG_PID: fieldAt(t, 0, n, K_SYSLOG_PID),
        _PID: fieldAt(t, 0, n, K_PID),
        __REALTIME_TIMESTAMP: fieldAt(t, 0, n, K_REALTIME),
        _HOSTNAME: fieldAt(t, 0, n, K_HOSTNAME),
        _TRANSPORT: fieldAt(t, 0, n, K_TRANSPORT),
      };
      if (this.trust) {
        rec._EXE = fieldAt(t, 0, n, K_EXE);
        rec._UID = fieldAt(t, 0, n, K_UID);
      }
    }
    if (rec === null || Object.values(rec).includes(BAD)) {
      try {
        const v: unknown = JSON.parse(s.slice(start, end));
        if (v === null || typeof v !== 'object' || Array.isArray(v)) {
          this.counts.malformed++;
          return null;
        }
        rec = v as Fields;
      } catch {
        this.counts.malformed++;
        return null;
      }
    }
    const program = asText(rec.SYSLOG_IDENTIFIER) ?? asText(rec._COMM);
    if (program === null || !isSshdProgram(program)) {
      this.counts.skipped++;
      return null;
    }
    if (this.trust) {
      const comm = processName(rec._COMM);
      const exe = processName(rec._EXE);
      const uid = asPid(rec._UID);
      // journald reads _COMM/_EXE from /proc when it receives the record: a short-lived sshd child
      // (a pre-auth connection) may be gone by then, and both are absent. _UID comes with the
      // message's kernel credentials and is always there, so it alone decides such a record:
      // a local user cannot be root or sshd's privilege-separation user.
      const processOk = comm === null && exe === null ? true : (comm !== null && SSHD_PROCESSES.has(comm)) || (exe !== null && SSHD_PROCESSES.has(exe));
      if (!processOk || uid === null || !this.trust.uids.includes(uid)) {
        this.untrusted++;
        this.counts.skipped++;
        this.lastUntrusted = { identifier: program, comm, exe, uid, line: lineNo };
        if (processOk && rec._UID === undefined) {
          // No _UID at all: journald always adds it, so the export left it out (journalctl
          // --output-fields). Still not believed, but not evidence of a forgery either.
          this.withoutUid++;
          this.firstWithoutUid ??= this.lastUntrusted;
        } else this.firstUntrusted ??= this.lastUntrusted;
        return null;
      }
    }
    const message = asText(rec.MESSAGE);
    if (message === null) {
      this.counts.malformed++;
      return null;
    }
    const pid = asText(rec._TRANSPORT) === 'stdout' ? null : (asPid(rec.SYSLOG_PID) ?? asPid(rec._PID));
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
