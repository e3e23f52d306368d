/**
 * Counts per time bucket whose width adapts to the span: it starts at one second and steps up a
 * ladder (each width a multiple of the one before) whenever the span would need more than
 * `maxBuckets` buckets, merging what it has. Memory is bounded by `maxBuckets` × the counters,
 * whatever the log's length, and the times need not arrive in order. Pure.
 *
 * Each bucket holds counts per index (e.g. per outcome) and the set of keys (e.g. source ids)
 * seen in it, so "how many distinct sources per bucket" stays exact when buckets merge.
 */

/** Bucket widths in seconds: 1 s … 1 week, each a multiple of the previous one. */
export const BUCKET_LADDER = [1, 2, 10, 30, 60, 120, 600, 1800, 3600, 7200, 21600, 43200, 86400, 604800] as const;

interface Bucket {
  counts: Uint32Array;
  keys: Set<number> | null;
}

export interface BucketSeries {
  /** Start of the first bucket (epoch seconds), or null when nothing had a time. */
  start: number | null;
  /** Bucket width in seconds. */
  step: number;
  /** counts[i][b]: count of index i in bucket b (dense: every bucket from start, zeros included). */
  counts: number[][];
}

export class TimeBuckets {
  private readonly width: number;
  private readonly maxBuckets: number;
  private readonly trackKeys: boolean;
  private level = 0;
  private buckets = new Map<number, Bucket>();
  private minKey = Number.POSITIVE_INFINITY;
  private maxKey = Number.NEGATIVE_INFINITY;

  /** `width`: counters per bucket; `trackKeys`: keep the distinct keys per bucket. */
  constructor(width: number, opts: { maxBuckets?: number; trackKeys?: boolean } = {}) {
    this.width = width;
    this.maxBuckets = opts.maxBuckets ?? 1500;
    this.trackKeys = opts.trackKeys === true;
  }

  get step(): number {
    return BUCKET_LADDER[this.level];
  }

  /** Counts one event at `sec` (epoch seconds) for `index`, and `key` when keys are tracked. */
  add(sec: number, index: number, key?: number): void {
    let k = Math.floor(sec / this.step);
    if (k < this.minKey || k > this.maxKey) {
      const lo = Math.min(this.minKey, k);
      const hi = Math.max(this.maxKey, k);
      if (hi - lo + 1 > this.maxBuckets) {
        this.coarsen(lo * this.step, (hi + 1) * this.step);
        k = Math.floor(sec / this.step);
      }
      if (k < this.minKey) this.minKey = k;
      if (k > this.maxKey) this.maxKey = k;
    }
    let b = this.buckets.get(k);
    if (b === undefined) {
      b = { counts: new Uint32Array(this.width), keys: this.trackKeys ? new Set() : null };
      this.buckets.set(k, b);
    }
    b.counts[index]++;
    if (b.keys !== null && key !== undefined) b.keys.add(key);
  }

  /** Steps up the ladder until [fromSec, toSec) fits in maxBuckets, merging the buckets. */
  private coarsen(fromSec: number, toSec: number): void {
    const old = this.step;
    while (this.level < BUCKET_LADDER.length - 1 && Math.ceil(toSec / this.step) - Math.floor(fromSec / this.step) > this.maxBuckets) this.level++;
    const step = this.step;
    if (step === old) return;
    const merged = new Map<number, Bucket>();
    this.minKey = Number.POSITIVE_INFINITY;
    this.maxKey = Number.NEGATIVE_INFINITY;
    for (const [k, b] of this.buckets) {
      const nk = Math.floor((k * old) / step);
      if (nk < this.minKey) this.minKey = nk;
      if (nk > this.maxKey) this.maxKey = nk;
      const into = merged.get(nk);
      if (into === undefined) {
        merged.set(nk, b);
        continue;
      }
      for (let i = 0; i < this.width; i++) into.counts[i] += b.counts[i];
      if (into.keys !== null && b.keys !== null) for (const key of b.keys) into.keys.add(key);
    }
    this.buckets = merged;
  }

  /** Dense counts per index. */
  series(): BucketSeries {
    if (this.buckets.size === 0) return { start: null, step: this.step, counts: Array.from({ length: this.width }, () => []) };
    const n = this.maxKey - this.minKey + 1;
    const counts = Array.from({ length: this.width }, () => new Array<number>(n).fill(0));
    for (const [k, b] of this.buckets) for (let i = 0; i < this.width; i++) counts[i][k - this.minKey] = b.counts[i];
    return { start: this.minKey * this.step, step: this.step, counts };
  }

  /** Dense distinct-key counts per group: `groupOf(key)` gives the group index (or -1 to leave it out). */
  keySeries(groups: number, groupOf: (key: number) => number): BucketSeries {
    if (this.buckets.size === 0) return { start: null, step: this.step, counts: Array.from({ length: groups }, () => []) };
    const n = this.maxKey - this.minKey + 1;
    const counts = Array.from({ length: groups }, () => new Array<number>(n).fill(0));
    for (const [k, b] of this.buckets) {
      if (b.keys === null) continue;
      for (const key of b.keys) {
        const g = groupOf(key);
        if (g >= 0) counts[g][k - this.minKey]++;
      }
    }
    return { start: this.minKey * this.step, step: this.step, counts };
  }
}
