/**
 * A map from 32-bit integers (process ids) to objects, for the tracker's per-pid tables.
 *
 * Why not a `Map`: the pid tables churn (one insert and one delete per connection, 255k per 1M-line
 * log) while holding only a few thousand entries. V8 reallocates a `Map`'s hash table as it grows
 * and shrinks; a replaced table that was already promoted to the old generation keeps pointing at
 * young connection objects until the next full GC, so every scavenge kept them alive and promoted
 * them ("nepotism"): measured, ~110 MB of the ~160 MB promoted per 1M lines, most of analyze's peak
 * memory. This table grows only (to twice the most entries it ever held) and never moves, so
 * nothing stale points into the young generation.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones). Keys outside
 * the 32-bit range (a forged 10-digit pid) go to a plain Map on the side.
 */
const EMPTY = -0x80000000;

export class IntMap<V> {
  private keys: Int32Array;
  private vals: (V | undefined)[];
  /** Insertion number of each slot's entry: values() lists entries in insertion order, like a Map. */
  private seqs: Float64Array;
  private nextSeq = 0;
  private mask: number;
  /** 32 - log2(capacity): the slot is the product's top bits (Fibonacci hashing). */
  private shift: number;
  private count = 0;
  /** Out-of-range keys, with their insertion numbers. */
  private other: Map<number, { value: V; seq: number }> | null = null;

  constructor(initialCapacity = 256) {
    let cap = 16;
    while (cap < initialCapacity) cap *= 2;
    this.keys = new Int32Array(cap).fill(EMPTY);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.seqs = new Float64Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  get size(): number {
    return this.count + (this.other?.size ?? 0);
  }

  /**
   * The home slot: the top log2(capacity) bits of the product. (Taking a fixed 16 bits gave only
   * 65,536 homes, so past that many entries the probe runs merged and every operation went linear:
   * 100,000 open connections took 30 s.)
   */
  private slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  get(key: number): V | undefined {
    if ((key | 0) !== key || key === EMPTY) return this.other?.get(key)?.value;
    const keys = this.keys;
    for (let i = this.slot(key); ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) return this.vals[i];
      if (k === EMPTY) return undefined;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  set(key: number, value: V): this {
    if ((key | 0) !== key || key === EMPTY) {
      const other = (this.other ??= new Map());
      const e = other.get(key);
      if (e !== undefined) e.value = value;
      else other.set(key, { value, seq: this.nextSeq++ });
      return this;
    }
    const keys = this.keys;
    let i = this.slot(key);
    for (; ; i = (i + 1) & this.mask) {
      const k = keys[i];
      if (k === key) {
        this.vals[i] = value;
        return this;
      }
      if (k === EMPTY) break;
    }
    keys[i] = key;
    this.vals[i] = value;
    this.seqs[i] = this.nextSeq++;
    if (++this.count * 2 > keys.length) this.grow();
    return this;
  }

  delete(key: number): boolean {
    if ((key | 0) !== key || key === EMPTY) return this.other?.delete(key) ?? false;
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slot(key);
    for (; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === key) break;
      if (k === EMPTY) return false;
    }
    // Backward shift: move later entries of the probe run into the hole when their home allows it.
    let hole = i;
    for (let j = (i + 1) & mask; keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.slot(keys[j]);
      // j's entry may fill the hole if its home is not in (hole, j] (cyclically).
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = keys[j];
        vals[hole] = vals[j];
        this.seqs[hole] = this.seqs[j];
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    vals[hole] = undefined;
    this.count--;
    return true;
  }

  /** A snapshot of the values in no particular order (cheaper than values()); callers may delete while going through it. */
  valuesUnordered(): V[] {
    const out: V[] = [];
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) out.push(this.vals[i] as V);
    if (this.other !== null) for (const e of this.other.values()) out.push(e.value);
    return out;
  }

  /**
   * A snapshot of the values in insertion order, as a Map iterates (the tracker closes connections
   * in this order, which is the order of the output); callers may delete while going through it.
   */
  values(): V[] {
    const keys = this.keys;
    const slots: number[] = [];
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) slots.push(i);
    const seqs = this.seqs;
    slots.sort((a, b) => seqs[a] - seqs[b]);
    if (this.other === null || this.other.size === 0) return slots.map((i) => this.vals[i] as V);
    const all = slots.map((i) => ({ value: this.vals[i] as V, seq: seqs[i] }));
    for (const e of this.other.values()) all.push(e);
    all.sort((a, b) => a.seq - b.seq);
    return all.map((e) => e.value);
  }

  clear(): void {
    this.keys.fill(EMPTY);
    this.vals.fill(undefined);
    this.count = 0;
    this.nextSeq = 0;
    this.other = null;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const oldSeqs = this.seqs;
    const cap = oldKeys.length * 2;
    this.keys = new Int32Array(cap).fill(EMPTY);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.seqs = new Float64Array(cap);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    for (let i = 0; i < oldKeys.length; i++) {
      const key = oldKeys[i];
      if (key === EMPTY) continue;
      let j = this.slot(key);
      while (this.keys[j] !== EMPTY) j = (j + 1) & this.mask;
      this.keys[j] = key;
      this.vals[j] = oldVals[i];
      this.seqs[j] = oldSeqs[i];
    }
  }
}
