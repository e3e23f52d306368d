/**
 * Framed lines and their matched sshd events, packed in batches for another thread and unpacked
 * there to the same values: numbers in typed arrays (their buffers are transferred, not copied),
 * strings in one array, host/program/file names once per batch. Pure: no I/O, no thread
 * (analyze/reader-thread.ts moves the batches).
 *
 * Why not post the objects: structured clone costs ~2.5 µs per small object graph on the sending
 * and the receiving thread, more than the matching the other thread would take off.
 *
 * A line's message text travels only when the engine reads it after matching: lines no catalog
 * shape matched (unrecognised examples), listener lines (server events keep the text), and every
 * line with `withMessages` (evidence with text). Otherwise the unpacked `message` is ''.
 */
import { CATALOG, type CatalogEntry } from '../catalog/index.ts';
import type { FramedLine } from '../framing/framed-line.ts';
import type { MessagePrefix, MutableSshdEvent, SshdEvent } from './match.ts';

/** Lines per batch. */
export const EVENT_BATCH_LINES = 2048;

/** Float64 columns: ts, pid, num, pidRef, line number (NaN: null). */
const F = 5;
/** Int32 columns: port, lport (-1: null), entry, flags, then the string indices (-1: null). */
const I = 16;
const S_HOST = 4;
const S_PROGRAM = 5;
const S_FILE = 6;
const S_MESSAGE = 7;
const S_ADDR = 8;
const S_LADDR = 9;
const S_USER = 10;
const S_METHOD = 11;
const S_CLIENT = 12;
const S_TEXT = 13;
const S_IDFROM = 14;
const S_IDTO = 15;

/** Entry column: a CATALOG index, or one of these. */
const UNRECOGNISED = -1;
const DEBUG = -2;
/** A line the engine skips (not an sshd program): only its time is used. */
const NOT_SSHD = -3;

const INVALID_USER = 1;
const SESSION_USER = 2;
const PREAUTH = 4;
const POSTAUTH = 8;
const TRUNCATED = 16;
const ADDRESS_DROPPED = 32;
const PREFIX_SHIFT = 6;
const PREFIXES: readonly MessagePrefix[] = [null, 'error', 'fatal', 'debug'];

const ENTRY_INDEX: ReadonlyMap<CatalogEntry, number> = new Map(CATALOG.map((e, i) => [e, i]));

export interface EventBatch {
  count: number;
  floats: Float64Array;
  ints: Int32Array;
  strs: string[];
}

/** Packs lines and events; hands each full batch to `onBatch` (the last one on `flush`). */
export class EventBatchWriter {
  private readonly onBatch: (b: EventBatch) => void;
  private readonly withMessages: boolean;
  private floats = new Float64Array(F * EVENT_BATCH_LINES);
  private ints = new Int32Array(I * EVENT_BATCH_LINES);
  private strs: string[] = [];
  private names = new Map<string, number>();
  private count = 0;

  constructor(onBatch: (b: EventBatch) => void, withMessages = false) {
    this.onBatch = onBatch;
    this.withMessages = withMessages;
  }

  /** `ev` null: a line the engine does not read (not an sshd program). */
  add(line: FramedLine, ev: SshdEvent | null): void {
    const f = this.floats;
    const n = this.ints;
    const r = this.count;
    let p = r * F;
    f[p++] = line.ts ?? NaN;
    f[p++] = line.pid ?? NaN;
    f[p++] = ev?.num ?? NaN;
    f[p++] = ev?.pidRef ?? NaN;
    f[p] = line.line;
    const q = r * I;
    n[q + S_HOST] = line.host === null ? -1 : this.name(line.host);
    n[q + S_PROGRAM] = this.name(line.program);
    n[q + S_FILE] = this.name(line.file);
    if (ev === null) {
      n[q] = n[q + 1] = -1;
      n[q + 2] = NOT_SSHD;
      n[q + 3] = 0;
      for (let k = S_MESSAGE; k < I; k++) n[q + k] = -1;
    } else {
      const entry = ev.entry;
      n[q] = ev.port ?? -1;
      n[q + 1] = ev.lport ?? -1;
      n[q + 2] = entry !== null ? (ENTRY_INDEX.get(entry) as number) : ev.type === 'debug' ? DEBUG : UNRECOGNISED;
      n[q + 3] =
        (ev.invalidUser ? INVALID_USER : 0) |
        (ev.sessionUser ? SESSION_USER : 0) |
        (ev.preauth ? PREAUTH : 0) |
        (ev.postauth ? POSTAUTH : 0) |
        (ev.truncated ? TRUNCATED : 0) |
        (ev.addressDropped ? ADDRESS_DROPPED : 0) |
        (PREFIXES.indexOf(ev.prefix) << PREFIX_SHIFT);
      n[q + S_MESSAGE] = this.withMessages || entry === null || entry.scope === 'listener' ? this.str(line.message) : -1;
      n[q + S_ADDR] = this.str(ev.addr);
      n[q + S_LADDR] = this.str(ev.laddr);
      n[q + S_USER] = this.str(ev.user);
      n[q + S_METHOD] = this.str(ev.method);
      n[q + S_CLIENT] = this.str(ev.clientText);
      n[q + S_TEXT] = this.str(ev.text);
      n[q + S_IDFROM] = this.str(ev.idFrom);
      n[q + S_IDTO] = this.str(ev.idTo);
    }
    if (++this.count === EVENT_BATCH_LINES) this.flush();
  }

  flush(): void {
    if (this.count === 0) return;
    const b: EventBatch = { count: this.count, floats: this.floats.subarray(0, this.count * F), ints: this.ints.subarray(0, this.count * I), strs: this.strs };
    this.floats = new Float64Array(F * EVENT_BATCH_LINES);
    this.ints = new Int32Array(I * EVENT_BATCH_LINES);
    this.strs = [];
    this.names = new Map();
    this.count = 0;
    this.onBatch(b);
  }

  private str(s: string | null): number {
    return s === null ? -1 : this.name(s);
  }

  /**
   * Every string once per batch (addresses, users and names repeat from line to line): fewer
   * strings for the receiving thread to build, and no more work here, on the thread with time to spare.
   */
  private name(s: string): number {
    let i = this.names.get(s);
    if (i === undefined) {
      i = this.strs.push(s) - 1;
      this.names.set(s, i);
    }
    return i;
  }
}

/** A FramedLine filled in place by readEventBatch. */
export type MutableFramedLine = { -readonly [K in keyof FramedLine]: FramedLine[K] };

export function newScratchLine(): MutableFramedLine {
  return { ts: null, host: null, program: '', pid: null, message: '', file: '', line: 0 };
}

/**
 * Unpacks a batch in order into `line` and `ev`, filled in place for each record (the engine
 * keeps neither past the call: it copies what it keeps, as it does from the framers' lines), and
 * calls `each` (with a null event for a line the engine skips).
 */
export function readEventBatch(b: EventBatch, line: MutableFramedLine, ev: MutableSshdEvent, each: (line: FramedLine, ev: SshdEvent | null) => void): void {
  const f = b.floats;
  const n = b.ints;
  const s = b.strs;
  const str = (i: number): string | null => (i < 0 ? null : s[i]);
  for (let r = 0; r < b.count; r++) {
    const p = r * F;
    const q = r * I;
    const ts = f[p];
    const pid = f[p + 1];
    const msg = n[q + S_MESSAGE];
    line.ts = Number.isNaN(ts) ? null : ts;
    line.host = str(n[q + S_HOST]);
    line.program = s[n[q + S_PROGRAM]];
    line.pid = Number.isNaN(pid) ? null : pid;
    line.message = msg < 0 ? '' : s[msg];
    line.file = s[n[q + S_FILE]];
    line.line = f[p + 4];
    const e = n[q + 2];
    if (e === NOT_SSHD) {
      each(line, null);
      continue;
    }
    const entry = e >= 0 ? CATALOG[e] : null;
    const flags = n[q + 3];
    const num = f[p + 2];
    const pidRef = f[p + 3];
    ev.type = entry !== null ? entry.id : e === DEBUG ? 'debug' : 'unrecognised';
    ev.entry = entry;
    ev.effect = entry !== null ? entry.effect : e === DEBUG ? 'debug' : 'unrecognised';
    ev.addr = str(n[q + S_ADDR]);
    ev.port = n[q] < 0 ? null : n[q];
    ev.laddr = str(n[q + S_LADDR]);
    ev.lport = n[q + 1] < 0 ? null : n[q + 1];
    ev.user = str(n[q + S_USER]);
    ev.invalidUser = (flags & INVALID_USER) !== 0;
    ev.sessionUser = (flags & SESSION_USER) !== 0;
    ev.method = str(n[q + S_METHOD]);
    ev.clientText = str(n[q + S_CLIENT]);
    ev.text = str(n[q + S_TEXT]);
    ev.num = Number.isNaN(num) ? null : num;
    ev.pidRef = Number.isNaN(pidRef) ? null : pidRef;
    ev.idFrom = str(n[q + S_IDFROM]);
    ev.idTo = str(n[q + S_IDTO]);
    ev.prefix = PREFIXES[(flags >> PREFIX_SHIFT) & 3];
    ev.preauth = (flags & PREAUTH) !== 0;
    ev.postauth = (flags & POSTAUTH) !== 0;
    ev.truncated = (flags & TRUNCATED) !== 0;
    ev.addressDropped = (flags & ADDRESS_DROPPED) !== 0;
    each(line, ev);
  }
}
