/**
 * Scoring windows of every source the guard is watching, for a million sources in a few tens of
 * MB: a source is a binary key (its family and its address or network as 32-bit words, see
 * src/net/address-words.ts: an IPv4 address, an IPv6 /64 in two words, a longer IPv6 prefix in
 * four), found through an open-addressing hash table (linear probing over an Int32Array of row
 * numbers, backward-shift deletion: no tombstones), and its window is one row of typed-array
 * columns (first-seen, score, event count, first evidence as interned string ids). No object,
 * no string per source: about 37 bytes a row plus 4-8 bytes of hash index (bench/guard-load.ts
 * `sources`). Rows stay dense (a deleted row is filled with the last one), so expiry is a sweep
 * over the columns, and the columns shrink again after a flood has expired.
 * Evidence beyond the first event lives in a side map for the (few) sources that come back.
 * Pure data structure: no I/O, no clock (times are passed in).
 */
import type { Evidence } from './updates.ts';

export interface LabelledEvidence {
  label: string;
  e: Evidence;
}

/** The window of one source, as `describe` returns it. */
export interface SourceWindow {
  start: number;
  score: number;
  events: number;
  evidence: LabelledEvidence[];
}

const MIN_ROWS = 1024;
const EMPTY = 0;
/** Interned-string id meaning "too many distinct strings: see the side map". */
const OVERFLOW = 0xffff;

export class SourceTable {
  /** 32-bit words per key: 2 covers IPv4 and IPv6 prefixes up to /64, 4 any IPv6 prefix. */
  readonly keyWords: 2 | 4;
  private readonly maxEvidence: number;
  /** Hash index: row + 1, or 0 for an empty slot. Power-of-two length, at most 3/4 full. */
  private index = new Int32Array(0);
  private mask = -1;
  /** Row columns (length `cap`, the first `n` rows in use). */
  private cap = 0;
  private n = 0;
  private family = new Uint8Array(0);
  private key = new Uint32Array(0);
  private start = new Float64Array(0);
  private score = new Float64Array(0);
  private events = new Uint32Array(0);
  private firstLine = new Int32Array(0);
  private firstFile = new Uint16Array(0);
  private firstLabel = new Uint16Array(0);
  /** Interned file names and labels (a handful in practice: log files, outcome names). */
  private readonly strings: string[] = [''];
  private readonly stringIds = new Map<string, number>([['', 0]]);
  /** First file and label of rows whose strings did not fit the interning table: row → [file, label]. */
  private readonly rare = new Map<number, [string, string]>();
  /** Events after the first: row → flat [label, file, line, label, file, line, …] (no object per event). */
  private readonly more = new Map<number, (string | number)[]>();

  constructor(keyWords: 2 | 4 = 2, maxEvidence = 6) {
    this.keyWords = keyWords;
    this.maxEvidence = maxEvidence;
    this.resize(MIN_ROWS);
  }

  get size(): number {
    return this.n;
  }

  /** Bytes held by the columns and the index (for the RSS breakdown). */
  get bytes(): number {
    return this.index.byteLength + this.cap * (1 + 4 * this.keyWords + 8 + 8 + 4 + 4 + 2 + 2);
  }

  /** The row of key (`family`, `w`: the network's words, bits past the prefix cleared), or -1. */
  find(family: 4 | 6, w: ArrayLike<number>): number {
    const slot = this.slotOf(family, w);
    return slot < 0 ? -1 : this.index[slot] - 1;
  }

  /**
   * Adds an event of weight `weight` at `ts` to the key's window (a new window when the key is
   * new or its window started more than `windowMs` before `ts`); returns the row. Read the new
   * score and count with `scoreAt` / `eventsAt`.
   */
  add(family: 4 | 6, w: ArrayLike<number>, ts: number, windowMs: number, weight: number, label: string, e: Evidence): number {
    const slot = this.slotOf(family, w);
    let row: number;
    if (slot >= 0) {
      row = this.index[slot] - 1;
      if (ts - this.start[row] > windowMs) {
        this.more.delete(row);
        this.reset(row, ts, label, e);
      }
    } else {
      row = this.insert(family, w);
      this.reset(row, ts, label, e);
    }
    this.score[row] += weight;
    const n = ++this.events[row];
    if (n > 1) {
      let m = this.more.get(row);
      if (!m) this.more.set(row, (m = []));
      m.push(label, e.file, e.line);
      if (m.length > 3 * (this.maxEvidence - 1)) m.splice(0, 3);
    }
    return row;
  }

  scoreAt(row: number): number {
    return this.score[row];
  }

  eventsAt(row: number): number {
    return this.events[row];
  }

  startAt(row: number): number {
    return this.start[row];
  }

  /** Copies the key of `row` into `out`; returns its family. */
  keyAt(row: number, out: Uint32Array): 4 | 6 {
    const k = this.keyWords;
    for (let i = 0; i < 4; i++) out[i] = i < k ? this.key[row * k + i] : 0;
    return this.family[row] as 4 | 6;
  }

  /**
   * The window's first event time, score, event count and evidence (oldest first, at most
   * maxEvidence; file and line only: line texts are not kept per event, the caller adds the
   * deciding line's).
   */
  describe(row: number): SourceWindow {
    const flat = this.more.get(row) ?? [];
    const more: LabelledEvidence[] = [];
    for (let i = 0; i < flat.length; i += 3) more.push({ label: flat[i] as string, e: { file: flat[i + 1] as string, line: flat[i + 2] as number } });
    const n = this.events[row];
    let evidence = more;
    if (n - more.length === 1) {
      const rare = this.rare.get(row);
      const file = this.firstFile[row] === OVERFLOW && rare ? rare[0] : this.strings[this.firstFile[row]];
      const label = this.firstLabel[row] === OVERFLOW && rare ? rare[1] : this.strings[this.firstLabel[row]];
      evidence = [{ label, e: { file, line: this.firstLine[row] } }, ...more];
    }
    return { start: this.start[row], score: this.score[row], events: n, evidence };
  }

  /** Forgets the key's window; true when there was one. */
  delete(family: 4 | 6, w: ArrayLike<number>): boolean {
    const slot = this.slotOf(family, w);
    if (slot < 0) return false;
    this.removeAt(slot);
    return true;
  }

  /** Drops every window that started before `before` (a sweep over the start column); returns how many. */
  prune(before: number): number {
    let dropped = 0;
    // Backwards: removing row r moves the last row (already looked at) into r.
    for (let r = this.n - 1; r >= 0; r--) {
      if (this.start[r] < before) {
        this.removeAt(this.slotOfRow(r));
        dropped++;
      }
    }
    if (this.cap > MIN_ROWS && this.n * 4 < this.cap) {
      let cap = this.cap;
      while (cap > MIN_ROWS && this.n * 4 < cap) cap >>= 1;
      this.resize(cap);
    }
    return dropped;
  }

  // ---- hashing -------------------------------------------------------------------------------

  /** Slot to start probing at for key (`family`, w[base..base+keyWords)). */
  private hash(family: number, w: ArrayLike<number>, base = 0): number {
    let h = Math.imul(family, 0x9e3779b1);
    for (let i = 0; i < this.keyWords; i++) {
      h = Math.imul(h ^ w[base + i], 0x85ebca6b);
      h ^= h >>> 13;
    }
    h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.mask;
  }

  private hashOfRow(row: number): number {
    return this.hash(this.family[row], this.key, row * this.keyWords);
  }

  private same(row: number, family: number, w: ArrayLike<number>): boolean {
    if (this.family[row] !== family) return false;
    const k = this.keyWords;
    const base = row * k;
    for (let i = 0; i < k; i++) if (this.key[base + i] !== w[i] >>> 0) return false;
    return true;
  }

  /** The index slot holding the key, or -1. */
  private slotOf(family: number, w: ArrayLike<number>): number {
    const idx = this.index;
    for (let s = this.hash(family, w); ; s = (s + 1) & this.mask) {
      const v = idx[s];
      if (v === EMPTY) return -1;
      if (this.same(v - 1, family, w)) return s;
    }
  }

  private slotOfRow(row: number): number {
    const idx = this.index;
    for (let s = this.hashOfRow(row); ; s = (s + 1) & this.mask) if (idx[s] === row + 1) return s;
  }

  private insert(family: 4 | 6, w: ArrayLike<number>): number {
    if (this.n === this.cap) this.resize(this.cap * 2);
    const row = this.n++;
    this.family[row] = family;
    const k = this.keyWords;
    for (let i = 0; i < k; i++) this.key[row * k + i] = w[i];
    this.place(row);
    return row;
  }

  /** Puts `row` into the index at its first free slot. */
  private place(row: number): void {
    let s = this.hashOfRow(row);
    while (this.index[s] !== EMPTY) s = (s + 1) & this.mask;
    this.index[s] = row + 1;
  }

  /** Removes the row at index slot `slot`: backward-shift the probe run, then fill the row with the last one. */
  private removeAt(slot: number): void {
    const idx = this.index;
    const row = idx[slot] - 1;
    let hole = slot;
    idx[hole] = EMPTY;
    for (let j = (hole + 1) & this.mask; idx[j] !== EMPTY; j = (j + 1) & this.mask) {
      const home = this.hashOfRow(idx[j] - 1);
      // Move j back into the hole unless its home lies cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (!inRange) {
        idx[hole] = idx[j];
        idx[j] = EMPTY;
        hole = j;
      }
    }
    this.more.delete(row);
    this.rare.delete(row);
    const last = --this.n;
    if (row !== last) {
      idx[this.slotOfRow(last)] = row + 1;
      this.copyRow(last, row);
    }
    this.firstFile[last] = 0;
    this.firstLabel[last] = 0;
  }

  private copyRow(from: number, to: number): void {
    const k = this.keyWords;
    this.family[to] = this.family[from];
    this.key.copyWithin(to * k, from * k, from * k + k);
    this.start[to] = this.start[from];
    this.score[to] = this.score[from];
    this.events[to] = this.events[from];
    this.firstLine[to] = this.firstLine[from];
    this.firstFile[to] = this.firstFile[from];
    this.firstLabel[to] = this.firstLabel[from];
    const m = this.more.get(from);
    if (m) {
      this.more.delete(from);
      this.more.set(to, m);
    }
    const r = this.rare.get(from);
    if (r) {
      this.rare.delete(from);
      this.rare.set(to, r);
    }
  }

  // ---- rows ----------------------------------------------------------------------------------

  private reset(row: number, ts: number, label: string, e: Evidence): void {
    this.start[row] = ts;
    this.score[row] = 0;
    this.events[row] = 0;
    this.firstLine[row] = e.line;
    const file = this.intern(e.file);
    const lab = this.intern(label);
    this.firstFile[row] = file;
    this.firstLabel[row] = lab;
    if (file === OVERFLOW || lab === OVERFLOW) this.rare.set(row, [e.file, label]);
    else this.rare.delete(row);
  }

  private intern(s: string): number {
    const id = this.stringIds.get(s);
    if (id !== undefined) return id;
    if (this.strings.length >= OVERFLOW) return OVERFLOW;
    this.strings.push(s);
    this.stringIds.set(s, this.strings.length - 1);
    return this.strings.length - 1;
  }

  /** New column length `cap` (≥ n), and an index sized for it (at most 3/4 full when the columns are). */
  private resize(cap: number): void {
    const k = this.keyWords;
    const copy = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(a: T, make: (len: number) => T, per = 1): T => {
      const b = make(cap * per);
      b.set(a.subarray(0, this.n * per) as never);
      return b;
    };
    this.family = copy(this.family, (l) => new Uint8Array(l));
    this.key = copy(this.key, (l) => new Uint32Array(l), k);
    this.start = copy(this.start, (l) => new Float64Array(l));
    this.score = copy(this.score, (l) => new Float64Array(l));
    this.events = copy(this.events, (l) => new Uint32Array(l));
    this.firstLine = copy(this.firstLine, (l) => new Int32Array(l));
    this.firstFile = copy(this.firstFile, (l) => new Uint16Array(l));
    this.firstLabel = copy(this.firstLabel, (l) => new Uint16Array(l));
    this.cap = cap;
    let slots = 1;
    while (slots * 3 < cap * 4) slots *= 2;
    this.index = new Int32Array(slots);
    this.mask = slots - 1;
    for (let r = 0; r < this.n; r++) this.place(r);
  }
}
