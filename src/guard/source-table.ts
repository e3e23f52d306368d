/**
 * Scoring windows of every source the guard is watching, for a million sources in a few tens of
 * MB: a source is a binary key (its family and its address or network as 32-bit words, see
 * src/net/address-words.ts: an IPv4 address, an IPv6 /64 in two words, a longer IPv6 prefix in
 * four), found through an open-addressing hash table (linear probing over an Int32Array of row
 * numbers, backward-shift deletion: no tombstones), and its window is one row of typed-array
 * columns (first-seen, score, event count, first evidence as interned string ids). No object,
 * no string per source: about 37 bytes a row plus 4-8 bytes of hash index (bench/guard-load.ts
 * `sources`). The columns live in fixed blocks of 16,384 rows (one ArrayBuffer each), added as
 * the table grows and never copied: growing by doubling whole arrays left the old copies for the
 * next full GC and malloc, which doubled the RSS. Rows stay dense (a deleted row is filled with
 * the last one), so expiry is a sweep over the columns, and emptied blocks are released.
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

const BLOCK_SHIFT = 14;
const BLOCK_ROWS = 1 << BLOCK_SHIFT;
const IN_BLOCK = BLOCK_ROWS - 1;
const MIN_SLOTS = 1 << 12;
const EMPTY = 0;
/** Interned-string id meaning "too many distinct strings: see the side map". */
const OVERFLOW = 0xffff;

/** The columns of BLOCK_ROWS rows, views on one ArrayBuffer. */
class Block {
  readonly start: Float64Array;
  readonly score: Float64Array;
  readonly key: Uint32Array;
  readonly events: Uint32Array;
  readonly firstLine: Int32Array;
  readonly firstFile: Uint16Array;
  readonly firstLabel: Uint16Array;
  readonly family: Uint8Array;
  constructor(keyWords: number) {
    const n = BLOCK_ROWS;
    const buf = new ArrayBuffer(n * Block.rowBytes(keyWords));
    let at = 0;
    const take = <T>(make: (o: number) => T, bytes: number): T => {
      const v = make(at);
      at += n * bytes;
      return v;
    };
    this.start = take((o) => new Float64Array(buf, o, n), 8);
    this.score = take((o) => new Float64Array(buf, o, n), 8);
    this.key = take((o) => new Uint32Array(buf, o, n * keyWords), 4 * keyWords);
    this.events = take((o) => new Uint32Array(buf, o, n), 4);
    this.firstLine = take((o) => new Int32Array(buf, o, n), 4);
    this.firstFile = take((o) => new Uint16Array(buf, o, n), 2);
    this.firstLabel = take((o) => new Uint16Array(buf, o, n), 2);
    this.family = take((o) => new Uint8Array(buf, o, n), 1);
  }

  static rowBytes(keyWords: number): number {
    return 8 + 8 + 4 * keyWords + 4 + 4 + 2 + 2 + 1;
  }
}

export class SourceTable {
  /** 32-bit words per key: 2 covers IPv4 and IPv6 prefixes up to /64, 4 any IPv6 prefix. */
  readonly keyWords: 2 | 4;
  private readonly maxEvidence: number;
  /** Hash index: row + 1, or 0 for an empty slot. Power-of-two length, at most 3/4 full. */
  private index = new Int32Array(MIN_SLOTS);
  private mask = MIN_SLOTS - 1;
  /** Row r lives in blocks[r >>> BLOCK_SHIFT] at r & IN_BLOCK; rows 0..n-1 are in use. */
  private readonly blocks: Block[] = [];
  private n = 0;
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
  }

  get size(): number {
    return this.n;
  }

  /** Bytes held by the columns and the index (for the RSS breakdown). */
  get bytes(): number {
    return this.index.byteLength + this.blocks.length * BLOCK_ROWS * Block.rowBytes(this.keyWords);
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
      if (ts - this.blocks[row >>> BLOCK_SHIFT].start[row & IN_BLOCK] > windowMs) {
        this.more.delete(row);
        this.reset(row, ts, label, e);
      }
    } else {
      row = this.insert(family, w);
      this.reset(row, ts, label, e);
    }
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    b.score[i] += weight;
    const n = ++b.events[i];
    if (n > 1) {
      let m = this.more.get(row);
      if (!m) this.more.set(row, (m = []));
      m.push(label, e.file, e.line);
      if (m.length > 3 * (this.maxEvidence - 1)) m.splice(0, 3);
    }
    return row;
  }

  scoreAt(row: number): number {
    return this.blocks[row >>> BLOCK_SHIFT].score[row & IN_BLOCK];
  }

  eventsAt(row: number): number {
    return this.blocks[row >>> BLOCK_SHIFT].events[row & IN_BLOCK];
  }

  startAt(row: number): number {
    return this.blocks[row >>> BLOCK_SHIFT].start[row & IN_BLOCK];
  }

  /** Copies the key of `row` into `out`; returns its family. */
  keyAt(row: number, out: Uint32Array): 4 | 6 {
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    const k = this.keyWords;
    for (let j = 0; j < 4; j++) out[j] = j < k ? b.key[i * k + j] : 0;
    return b.family[i] as 4 | 6;
  }

  /**
   * The window's first event time, score, event count and evidence (oldest first, at most
   * maxEvidence; file and line only: line texts are not kept per event, the caller adds the
   * deciding line's).
   */
  describe(row: number): SourceWindow {
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    const flat = this.more.get(row) ?? [];
    const more: LabelledEvidence[] = [];
    for (let j = 0; j < flat.length; j += 3) more.push({ label: flat[j] as string, e: { file: flat[j + 1] as string, line: flat[j + 2] as number } });
    const n = b.events[i];
    let evidence = more;
    if (n - more.length === 1) {
      const rare = this.rare.get(row);
      const file = b.firstFile[i] === OVERFLOW && rare ? rare[0] : this.strings[b.firstFile[i]];
      const label = b.firstLabel[i] === OVERFLOW && rare ? rare[1] : this.strings[b.firstLabel[i]];
      evidence = [{ label, e: { file, line: b.firstLine[i] } }, ...more];
    }
    return { start: b.start[i], score: b.score[i], events: n, evidence };
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
      if (this.blocks[r >>> BLOCK_SHIFT].start[r & IN_BLOCK] < before) {
        this.removeAt(this.slotOfRow(r));
        dropped++;
      }
    }
    // Release emptied blocks (one spare kept) and a mostly empty index.
    while (this.blocks.length > 1 && (this.blocks.length - 2) * BLOCK_ROWS >= this.n) this.blocks.pop();
    let slots = this.index.length;
    while (slots > MIN_SLOTS && this.n * 8 < slots) slots >>= 1;
    if (slots !== this.index.length) this.rehash(slots);
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
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    return this.hash(b.family[i], b.key, i * this.keyWords);
  }

  private same(row: number, family: number, w: ArrayLike<number>): boolean {
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    if (b.family[i] !== family) return false;
    const k = this.keyWords;
    const base = i * k;
    for (let j = 0; j < k; j++) if (b.key[base + j] !== w[j] >>> 0) return false;
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
    const row = this.n++;
    if (row >>> BLOCK_SHIFT === this.blocks.length) this.blocks.push(new Block(this.keyWords));
    if (this.n * 4 > this.index.length * 3) this.rehash(this.index.length * 2);
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    b.family[i] = family;
    const k = this.keyWords;
    for (let j = 0; j < k; j++) b.key[i * k + j] = w[j];
    this.place(row);
    return row;
  }

  /** Puts `row` into the index at its first free slot. */
  private place(row: number): void {
    let s = this.hashOfRow(row);
    while (this.index[s] !== EMPTY) s = (s + 1) & this.mask;
    this.index[s] = row + 1;
  }

  /** A new index of `slots` slots holding rows 0..n-1 (the row being inserted is placed by the caller). */
  private rehash(slots: number): void {
    this.index = new Int32Array(slots);
    this.mask = slots - 1;
    const placed = this.n;
    for (let r = 0; r < placed; r++) if (this.blocks[r >>> BLOCK_SHIFT].family[r & IN_BLOCK] !== 0) this.place(r);
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
    const b = this.blocks[last >>> BLOCK_SHIFT];
    const i = last & IN_BLOCK;
    b.family[i] = 0;
    b.firstFile[i] = 0;
    b.firstLabel[i] = 0;
  }

  private copyRow(from: number, to: number): void {
    const f = this.blocks[from >>> BLOCK_SHIFT];
    const fi = from & IN_BLOCK;
    const t = this.blocks[to >>> BLOCK_SHIFT];
    const ti = to & IN_BLOCK;
    const k = this.keyWords;
    t.family[ti] = f.family[fi];
    for (let j = 0; j < k; j++) t.key[ti * k + j] = f.key[fi * k + j];
    t.start[ti] = f.start[fi];
    t.score[ti] = f.score[fi];
    t.events[ti] = f.events[fi];
    t.firstLine[ti] = f.firstLine[fi];
    t.firstFile[ti] = f.firstFile[fi];
    t.firstLabel[ti] = f.firstLabel[fi];
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
    const b = this.blocks[row >>> BLOCK_SHIFT];
    const i = row & IN_BLOCK;
    b.start[i] = ts;
    b.score[i] = 0;
    b.events[i] = 0;
    b.firstLine[i] = e.line;
    const file = this.intern(e.file);
    const lab = this.intern(label);
    b.firstFile[i] = file;
    b.firstLabel[i] = lab;
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
}
