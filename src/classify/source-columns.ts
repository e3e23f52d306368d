/**
 * The Analyzer's per-source accounting while a log is read, stored column-wise: one slot per
 * address, its counters in typed arrays, IPv4 addresses found through an open-addressing table of
 * their 32-bit values. Turned into `SourceStats` (classification, records) only at finish().
 *
 * Written by hand for speed: with an object per source (a `SourceStats` and its arrays, reached
 * through a Map), every closed connection touched three or four scattered heap objects, and the
 * profile put ~0.5 s of a 1M-line log (28k sources, 255k connections) on those lookups. Here a
 * connection touches one hash-table entry and a few array cells.
 */
import type { ConnectionRecord } from '../connections/types.ts';
import { OUTCOMES, SOURCE_CLASSES, type SourceClass } from '../vocabulary.ts';
import { MAX_SOURCE_USERS, SourceStats, flatCopy, tallyConnection, type SourceRecord } from './source.ts';

const N_OUTCOMES = OUTCOMES.length;
const OUTCOME_INDEX: ReadonlyMap<string, number> = new Map(OUTCOMES.map((o, i) => [o, i]));

export class SourceColumns {
  /** IPv4 value → slot + 1 (0 = empty), open addressing with linear probing; keys as int32. */
  private v4Keys = new Int32Array(1 << 12);
  private v4Slots = new Int32Array(1 << 12);
  private v4Count = 0;
  /** Other addresses (IPv6) → slot. */
  private readonly other = new Map<string, number>();
  private readonly addresses: string[] = [];
  private cap = 0;
  private n = 0;
  private connections = new Int32Array(0);
  private counts = new Int32Array(0);
  private firstMs = new Float64Array(0);
  private lastMs = new Float64Array(0);
  private failures = new Int32Array(0);
  private kexConnections = new Int32Array(0);
  private usersOmitted = new Int32Array(0);
  /** Attempts (logged failures, or the floor `maximum authentication attempts exceeded` implies), and how many connections needed the floor. */
  private attempts = new Int32Array(0);
  private attemptsFloored = new Int32Array(0);
  /** Connections with more failed password / keyboard-interactive attempts than ssh prompts for (guessing, not mistyping). */
  private beyondPrompts = new Int32Array(0);
  /** Connections whose key sshd accepted without the login completing; session ends of logins before the log; TCP-wrappers refusals. */
  private keyAccepted = new Int32Array(0);
  private preLogSessions = new Int32Array(0);
  private wrappersDrops = new Int32Array(0);
  private evicted = new Int32Array(0);
  /** LoginGraceTime expiries that overlapped an earlier one of the same source (slots held at once), and when the latest ends. */
  private overlappingTimeouts = new Int32Array(0);
  private timeoutEndMs = new Float64Array(0);
  private readonly graceMs: number;

  constructor(graceMs = 120_000) {
    this.graceMs = graceMs;
  }
  /**
   * User names per slot, in first-seen order (most sources never send one: undefined). A Set, not
   * an array: `includes` over up to 20 names compared each one (scattered old-space strings) for
   * every user of every connection of a brute-forcing source.
   */
  private readonly users: (Set<string> | undefined)[] = [];

  get size(): number {
    return this.n;
  }

  /** Counts a closed connection from `src` (its record, first and last line time, whether it had an address-less kex line, its failed passwords). */
  add(src: string, rec: ConnectionRecord, startMs: number | null, endMs: number | null, kex: boolean, secretFailures: number | null = null): void {
    const slot = this.slotOf(src);
    this.connections[slot]++;
    this.counts[slot * N_OUTCOMES + (OUTCOME_INDEX.get(rec.outcome) as number)]++;
    this.failures[slot] += rec.failures;
    if (kex) this.kexConnections[slot]++;
    const t = tallyConnection(rec, startMs, endMs, this.graceMs, secretFailures);
    this.attempts[slot] += t.attempts;
    if (t.floored) this.attemptsFloored[slot]++;
    if (t.beyondPrompts) this.beyondPrompts[slot]++;
    if (t.keyAccepted) this.keyAccepted[slot]++;
    if (t.preLogSession) this.preLogSessions[slot]++;
    if (t.wrappersDrop) this.wrappersDrops[slot]++;
    if (t.evicted) this.evicted[slot]++;
    if (t.timeoutSpan !== null) {
      if (t.timeoutSpan[0] < this.timeoutEndMs[slot]) this.overlappingTimeouts[slot]++;
      if (t.timeoutSpan[1] > this.timeoutEndMs[slot]) this.timeoutEndMs[slot] = t.timeoutSpan[1];
    }
    const first = startMs ?? endMs;
    const last = endMs ?? startMs;
    if (first !== null && first < this.firstMs[slot]) this.firstMs[slot] = first;
    if (last !== null && last > this.lastMs[slot]) this.lastMs[slot] = last;
    const ru = rec.users;
    if (ru.length === 0) return;
    let set = this.users[slot];
    if (set === undefined) this.users[slot] = set = new Set();
    for (let i = 0; i < ru.length; i++) {
      const u = ru[i];
      if (set.has(u)) continue;
      if (set.size < MAX_SOURCE_USERS) set.add(flatCopy(u));
      else this.usersOmitted[slot]++;
    }
  }

  /** Every source as a SourceStats (for classification and records), in slot order. */
  toStats(): SourceStats[] {
    const out: SourceStats[] = new Array(this.n);
    for (let slot = 0; slot < this.n; slot++) out[slot] = this.statsAt(slot);
    return out;
  }

  /**
   * At most `max` records (the others only counted): with millions of distinct sources (a
   * spoofed-source flood, a botnet) one record each would grow without bound (issue 10: 2M
   * sources took 2 GB). Each source is classified once (pass 1, one record at a time, nothing
   * kept but a byte of priority and the totals the summary needs); pass 2 builds records for the
   * `max` that matter most: sources that logged in first (they are the ones a person asks about),
   * then sources whose end was followed before evicted ones, then most connections, then address.
   * `classes`, `details` and the three most persistent guessers cover every source. With `max`
   * sources or fewer, pass 1 keeps its records and is the answer (classifying every source twice
   * cost ~0.1 s of the 1M-line bench log).
   */
  toBoundedRecords(max: number, wrappersDropsOf: (address: string) => number): BoundedRecords {
    const classes = Object.fromEntries(SOURCE_CLASSES.map((c) => [c, 0])) as Record<SourceClass, number>;
    const details: Record<string, number> = {};
    const legitDropped = { sources: 0, connections: 0 };
    let kexSources = 0;
    const prio = new Uint8Array(this.n);
    const topGuessers: SourceRecord[] = [];
    // Under the bound every source gets its record: pass 1 keeps them (classifying each source once, not twice).
    const all: SourceRecord[] | null = this.n <= max ? new Array(this.n) : null;
    for (let slot = 0; slot < this.n; slot++) {
      const s = this.statsAt(slot);
      if (s.kexConnections > 0) kexSources++;
      const r = s.toRecord();
      if (all !== null) all[slot] = r;
      classes[r.class]++;
      if (r.detail !== null) details[r.detail] = (details[r.detail] ?? 0) + 1;
      const dropped = (r.outcomes.dropped ?? 0) - wrappersDropsOf(r.address);
      if (r.class === 'legit' && dropped > 0) {
        legitDropped.sources++;
        legitDropped.connections += dropped;
      }
      prio[slot] = r.class === 'legit' ? 0 : r.detail === 'evicted' ? 2 : 1;
      if (r.class === 'bruteforce') keepTop(topGuessers, r, 3);
    }
    if (all !== null) return { records: all, omitted: 0, total: this.n, kexSources, classes, details, legitDropped, topGuessers };
    const order = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) order[i] = i;
    const conns = this.connections;
    const addr = this.addresses;
    order.sort((a, b) => prio[a] - prio[b] || conns[b] - conns[a] || (addr[a] < addr[b] ? -1 : addr[a] > addr[b] ? 1 : 0));
    const chosen = order.subarray(0, max);
    const records: SourceRecord[] = new Array(chosen.length);
    for (let i = 0; i < chosen.length; i++) records[i] = this.statsAt(chosen[i]).toRecord();
    return { records, omitted: this.n - records.length, total: this.n, kexSources, classes, details, legitDropped, topGuessers };
  }

  private statsAt(slot: number): SourceStats {
    const s = new SourceStats(this.addresses[slot]);
    s.graceMs = this.graceMs;
    s.connections = this.connections[slot];
    for (let i = 0; i < N_OUTCOMES; i++) s.counts[i] = this.counts[slot * N_OUTCOMES + i];
    s.firstMs = this.firstMs[slot];
    s.lastMs = this.lastMs[slot];
    s.failures = this.failures[slot];
    s.kexConnections = this.kexConnections[slot];
    s.usersOmitted = this.usersOmitted[slot];
    s.attempts = this.attempts[slot];
    s.attemptsFloored = this.attemptsFloored[slot];
    s.beyondPrompts = this.beyondPrompts[slot];
    s.keyAccepted = this.keyAccepted[slot];
    s.preLogSessions = this.preLogSessions[slot];
    s.wrappersDrops = this.wrappersDrops[slot];
    s.evicted = this.evicted[slot];
    s.overlappingTimeouts = this.overlappingTimeouts[slot];
    const set = this.users[slot];
    if (set !== undefined) for (const u of set) s.users.push(u);
    return s;
  }

  private slotOf(src: string): number {
    const v4 = ipv4Value(src);
    if (v4 < 0) {
      let slot = this.other.get(src);
      if (slot === undefined) {
        slot = this.newSlot(src);
        this.other.set(this.addresses[slot], slot); // the flat copy: a sliced key would pin its log message
      }
      return slot;
    }
    const key = v4 | 0;
    let mask = this.v4Keys.length - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
    for (;;) {
      const s = this.v4Slots[i];
      if (s === 0) break;
      if (this.v4Keys[i] === key) return s - 1;
      i = (i + 1) & mask;
    }
    const slot = this.newSlot(src);
    if ((this.v4Count + 1) * 2 > this.v4Keys.length) {
      this.growV4();
      mask = this.v4Keys.length - 1;
      i = Math.imul(key, 0x9e3779b1) >>> 0 & mask;
      while (this.v4Slots[i] !== 0) i = (i + 1) & mask;
    }
    this.v4Keys[i] = key;
    this.v4Slots[i] = slot + 1;
    this.v4Count++;
    return slot;
  }

  private growV4(): void {
    const oldKeys = this.v4Keys;
    const oldSlots = this.v4Slots;
    const size = oldKeys.length * 2;
    const mask = size - 1;
    this.v4Keys = new Int32Array(size);
    this.v4Slots = new Int32Array(size);
    for (let j = 0; j < oldKeys.length; j++) {
      if (oldSlots[j] === 0) continue;
      let i = Math.imul(oldKeys[j], 0x9e3779b1) >>> 0 & mask;
      while (this.v4Slots[i] !== 0) i = (i + 1) & mask;
      this.v4Keys[i] = oldKeys[j];
      this.v4Slots[i] = oldSlots[j];
    }
  }

  private newSlot(src: string): number {
    if (this.n === this.cap) this.grow();
    const slot = this.n++;
    this.addresses.push(flatCopy(src));
    this.users.push(undefined);
    this.timeoutEndMs[slot] = Number.NEGATIVE_INFINITY;
    this.firstMs[slot] = Number.POSITIVE_INFINITY;
    this.lastMs[slot] = Number.NEGATIVE_INFINITY;
    return slot;
  }

  private grow(): void {
    const cap = Math.max(1024, this.cap * 2);
    const i32 = (a: Int32Array, per = 1) => {
      const b = new Int32Array(cap * per);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.connections = i32(this.connections);
    this.counts = i32(this.counts, N_OUTCOMES);
    this.failures = i32(this.failures);
    this.kexConnections = i32(this.kexConnections);
    this.usersOmitted = i32(this.usersOmitted);
    this.attempts = i32(this.attempts);
    this.attemptsFloored = i32(this.attemptsFloored);
    this.beyondPrompts = i32(this.beyondPrompts);
    this.keyAccepted = i32(this.keyAccepted);
    this.preLogSessions = i32(this.preLogSessions);
    this.wrappersDrops = i32(this.wrappersDrops);
    this.evicted = i32(this.evicted);
    this.overlappingTimeouts = i32(this.overlappingTimeouts);
    this.timeoutEndMs = f64(this.timeoutEndMs);
    this.firstMs = f64(this.firstMs);
    this.lastMs = f64(this.lastMs);
    this.cap = cap;
  }
}

/** The 32-bit value of a canonical dotted-quad IPv4 address, or -1 for anything else (IPv6). */
function ipv4Value(a: string): number {
  let v = 0;
  let octet = 0;
  let dots = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 46) {
      v = v * 256 + octet;
      octet = 0;
      dots++;
    } else if (c >= 48 && c <= 57) octet = octet * 10 + (c - 48);
    else return -1;
  }
  return dots === 3 ? v * 256 + octet : -1;
}

/** Sources as records, at most a bound of them; the counts cover every source (toBoundedRecords). */
export interface BoundedRecords {
  records: SourceRecord[];
  /** Sources counted but without a record (0 under the bound). */
  omitted: number;
  total: number;
  kexSources: number;
  classes: Record<SourceClass, number>;
  /** Sources per `detail` word. */
  details: Record<string, number>;
  /** Legitimate sources with MaxStartups drops (TCP-wrappers refusals are not drops), and those drops. */
  legitDropped: { sources: number; connections: number };
  /** The three brute-forcing sources with the most attempts (then most connections, then address). */
  topGuessers: SourceRecord[];
}

/** Keeps in `list` the `n` records with most attempts (then most connections, then address), in that order. */
function keepTop(list: SourceRecord[], r: SourceRecord, n: number): void {
  // The order of the full list sorted by attempts (stable over connections, then address).
  const before = (a: SourceRecord, b: SourceRecord) =>
    a.attempts > b.attempts || (a.attempts === b.attempts && (a.connections > b.connections || (a.connections === b.connections && a.address < b.address)));
  if (list.length === n && !before(r, list[n - 1])) return;
  let i = list.length === n ? n - 1 : list.length;
  while (i > 0 && before(r, list[i - 1])) {
    if (i < n) list[i] = list[i - 1];
    i--;
  }
  list[i] = r;
}
