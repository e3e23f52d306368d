/**
 * Scoring windows of every source the guard is watching, stored column-wise in typed arrays
 * indexed through one Map (key → slot): ~100 bytes per source instead of ~300 with an object per
 * source, because the common case is a scanner seen once or twice and the guard must hold a
 * million of them (bench/guard-load.ts `sources`). Written by hand for that reason.
 * Evidence beyond the first event lives in a side map for the (few) sources that come back.
 */
import type { Evidence } from './updates.ts';

export interface LabelledEvidence {
  label: string;
  e: Evidence;
}

export class SourceTable {
  private readonly index = new Map<string, number>();
  private cap = 0;
  private start = new Float64Array(0);
  private score = new Float64Array(0);
  private events = new Uint32Array(0);
  private firstLine = new Int32Array(0);
  private firstFile: string[] = [];
  private firstLabel: string[] = [];
  /** Events after the first: flat [label, file, line, label, file, line, …] (no object per event). */
  private readonly more = new Map<number, (string | number)[]>();
  private free: number[] = [];
  private next = 0;
  private readonly maxEvidence: number;

  constructor(maxEvidence = 6) {
    this.maxEvidence = maxEvidence;
  }

  get size(): number {
    return this.index.size;
  }

  /** Adds an event; returns the slot's new score. A window older than `windowMs` restarts. */
  add(key: string, ts: number, windowMs: number, weight: number, label: string, e: Evidence): { slot: number; score: number; events: number } {
    let slot = this.index.get(key);
    if (slot !== undefined && ts - this.start[slot] > windowMs) {
      this.more.delete(slot);
      this.reset(slot, ts, label, e);
    } else if (slot === undefined) {
      slot = this.alloc();
      this.index.set(flat(key), slot);
      this.reset(slot, ts, label, e);
    }
    this.score[slot] += weight;
    const n = ++this.events[slot];
    if (n > 1) {
      let m = this.more.get(slot);
      if (!m) this.more.set(slot, (m = []));
      m.push(label, e.file, e.line);
      if (m.length > 3 * (this.maxEvidence - 1)) m.splice(0, 3);
    }
    return { slot, score: this.score[slot], events: n };
  }

  /**
   * The window's first event time, event count and evidence (oldest first, at most maxEvidence;
   * file and line only: line texts are not kept per event, the caller adds the deciding line's).
   */
  describe(slot: number): { start: number; score: number; events: number; evidence: LabelledEvidence[] } {
    const flat = this.more.get(slot) ?? [];
    const more: LabelledEvidence[] = [];
    for (let i = 0; i < flat.length; i += 3) more.push({ label: flat[i] as string, e: { file: flat[i + 1] as string, line: flat[i + 2] as number } });
    const n = this.events[slot];
    const evidence = n - more.length === 1 ? [{ label: this.firstLabel[slot], e: { file: this.firstFile[slot], line: this.firstLine[slot] } }, ...more] : more;
    return { start: this.start[slot], score: this.score[slot], events: n, evidence };
  }

  delete(key: string): void {
    const slot = this.index.get(key);
    if (slot === undefined) return;
    this.index.delete(key);
    this.more.delete(slot);
    this.firstFile[slot] = '';
    this.firstLabel[slot] = '';
    this.free.push(slot);
  }

  /** Drops windows that started before `before`. */
  prune(before: number): void {
    for (const [key, slot] of this.index) if (this.start[slot] < before) this.delete(key);
  }

  private reset(slot: number, ts: number, label: string, e: Evidence): void {
    this.start[slot] = ts;
    this.score[slot] = 0;
    this.events[slot] = 0;
    this.firstLine[slot] = e.line;
    this.firstFile[slot] = e.file;
    this.firstLabel[slot] = label;
  }

  private alloc(): number {
    const f = this.free.pop();
    if (f !== undefined) return f;
    if (this.next === this.cap) this.grow();
    return this.next++;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const g = <T extends Float64Array | Uint32Array | Int32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a as never);
      return b;
    };
    this.start = g(this.start, (n) => new Float64Array(n));
    this.score = g(this.score, (n) => new Float64Array(n));
    this.events = g(this.events, (n) => new Uint32Array(n));
    this.firstLine = g(this.firstLine, (n) => new Int32Array(n));
    this.cap = cap;
  }
}

/**
 * A compact copy of an ASCII key: strings built by concatenation or slicing (ipaddr.js output,
 * template literals) can keep cons/sliced structures alive: ~200 bytes per key instead of ~70
 * (measured with 1M IPv6 /64 keys). Only new keys pay for the copy.
 */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}
