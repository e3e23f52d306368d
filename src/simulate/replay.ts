/**
 * Replays arrivals through sshd's listener under one admission setting: one run per seed, and the
 * spread (mean, min, max) over several seeds. Pure: the seed is the only source of randomness.
 *
 * Each run draws, per arrival and in input order, its place inside its time uncertainty and its
 * `arc4random_uniform(100)` draw, whatever the setting: runs of different settings with the same
 * seed see the same draws (common random numbers), so their differences come from the settings.
 * Slots freed at the same moment a connection arrives are freed first (sshd's listener reads the
 * startup pipes before it accepts).
 */
import { prefixOf } from '../net/address.ts';
import { PenaltyTable, shouldDropConnection } from './admission.ts';
import { runSeed, seededRandom } from './random.ts';
import type { AdmissionSettings, Arrival, DropReason, RunResult, SettingResult, Spread } from './types.ts';

export interface SimulateOptions {
  /** Runs (seeds) per setting, default 20. */
  runs?: number;
  /** Base seed of the series, default 1: run i uses `runSeed(seed, i)`. */
  seed?: number;
}

export const DEFAULT_RUNS = 20;

/** Source blocks (PerSourceNetBlockSize) per arrival, computed once per net block setting. */
export class BlockCache {
  private readonly byMask = new Map<string, (string | null)[]>();
  private readonly arrivals: readonly Arrival[];
  constructor(arrivals: readonly Arrival[]) {
    this.arrivals = arrivals;
  }

  blocks(netBlock: AdmissionSettings['netBlock']): (string | null)[] {
    const key = `${netBlock.v4}:${netBlock.v6}`;
    let out = this.byMask.get(key);
    if (out) return out;
    const bySource = new Map<string, string>();
    const whole = netBlock.v4 >= 32 && netBlock.v6 >= 128; // every address its own block (sshd's default 32:128)
    out = this.arrivals.map((a) => {
      if (whole || a.source === null) return a.source;
      let b = bySource.get(a.source);
      if (b === undefined) {
        b = prefixOf(a.source, a.source.includes(':') ? netBlock.v6 : netBlock.v4);
        bySource.set(a.source, b);
      }
      return b;
    });
    this.byMask.set(key, out);
    return out;
  }
}

/** One run of `arrivals` under `settings` with `seed`. */
export function simulateRun(arrivals: readonly Arrival[], settings: AdmissionSettings, seed: number, cache: BlockCache = new BlockCache(arrivals)): RunResult {
  const n = arrivals.length;
  const rng = seededRandom(seed);
  const time = new Float64Array(n);
  const draw = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const a = arrivals[i];
    const u = rng.unit();
    time[i] = a.at + u * a.spreadMs;
    draw[i] = rng.uniform(100);
  }
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) if (time[i] < time[i - 1]) sorted = false;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!sorted) order.sort((x, y) => time[x] - time[y] || x - y);
  const blocks = cache.blocks(settings.netBlock);
  const penalties = settings.penalties ? new PenaltyTable(settings.penalties) : null;
  const perSource = settings.perSource;
  const perBlock = new Map<string, number>();
  const releases = new ReleaseHeap(n);
  const byReason: Record<DropReason, number> = { maxstartups: 0, per_source: 0, penalty: 0 };
  const usersHit = new Set<string | number>();
  let startups = 0;
  let peak = 0;
  let dropped = 0;
  let droppedUsers = 0;

  for (const i of order) {
    const t = time[i];
    // Slots freed by then: the startup pipe closes; the listener reaps the child and charges its penalty.
    while (releases.size > 0 && releases.peekTime() <= t) {
      const j = releases.pop();
      startups--;
      const b = blocks[j];
      if (b !== null && perSource !== null) perBlock.set(b, perBlock.get(b)! - 1);
      const aj = arrivals[j];
      if (penalties && aj.source !== null && b !== null && aj.ending !== 'none') penalties.penalise(aj.source, b, aj.ending, time[j] + aj.holdMs);
    }
    const a = arrivals[i];
    const b = blocks[i];
    let reason: DropReason | null = null;
    if (penalties && a.source !== null && b !== null && penalties.check(a.source, b, t) !== null) reason = 'penalty';
    else if (shouldDropConnection(startups, settings.maxStartups, draw[i])) reason = 'maxstartups';
    else if (perSource !== null && b !== null && (perBlock.get(b) ?? 0) >= perSource) reason = 'per_source';
    if (reason !== null) {
      dropped++;
      byReason[reason]++;
      if (a.user) {
        droppedUsers++;
        usersHit.add(a.source ?? i);
      }
      continue;
    }
    startups++;
    if (startups > peak) peak = startups;
    if (b !== null && perSource !== null) perBlock.set(b, (perBlock.get(b) ?? 0) + 1);
    releases.push(t + Math.max(0, a.holdMs), i);
  }
  return { arrivals: n, dropped, droppedUsers, byReason, usersAffected: usersHit.size, peak };
}

/** `runs` runs of `arrivals` under `settings`: the spread of each figure. */
export function simulateSetting(arrivals: readonly Arrival[], settings: AdmissionSettings, opts: SimulateOptions = {}, cache: BlockCache = new BlockCache(arrivals)): SettingResult {
  const runs = opts.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, not ${runs}`);
  const base = opts.seed ?? 1;
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(simulateRun(arrivals, settings, runSeed(base, i), cache));
  const spread = (f: (r: RunResult) => number): Spread => {
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const r of results) {
      const v = f(r);
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { mean: sum / results.length, min, max };
  };
  return {
    settings,
    runs,
    arrivals: arrivals.length,
    dropped: spread((r) => r.dropped),
    droppedUsers: spread((r) => r.droppedUsers),
    usersAffected: spread((r) => r.usersAffected),
    peak: spread((r) => r.peak),
    byReason: {
      maxstartups: spread((r) => r.byReason.maxstartups),
      per_source: spread((r) => r.byReason.per_source),
      penalty: spread((r) => r.byReason.penalty),
    },
  };
}

/** Several settings over the same arrivals and seeds (the table: current values and candidates). */
export function simulateSettings(arrivals: readonly Arrival[], settings: readonly AdmissionSettings[], opts: SimulateOptions = {}): SettingResult[] {
  const cache = new BlockCache(arrivals);
  return settings.map((s) => simulateSetting(arrivals, s, opts, cache));
}

/** A binary min-heap of (release time, arrival index), ties by index. */
class ReleaseHeap {
  private readonly t: Float64Array;
  private readonly ix: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.t = new Float64Array(Math.max(1, capacity));
    this.ix = new Int32Array(Math.max(1, capacity));
  }

  peekTime(): number {
    return this.t[0];
  }

  private less(a: number, b: number): boolean {
    return this.t[a] < this.t[b] || (this.t[a] === this.t[b] && this.ix[a] < this.ix[b]);
  }

  private swap(a: number, b: number): void {
    const t = this.t[a];
    this.t[a] = this.t[b];
    this.t[b] = t;
    const x = this.ix[a];
    this.ix[a] = this.ix[b];
    this.ix[b] = x;
  }

  push(time: number, index: number): void {
    let k = this.size++;
    this.t[k] = time;
    this.ix[k] = index;
    while (k > 0) {
      const p = (k - 1) >> 1;
      if (!this.less(k, p)) break;
      this.swap(k, p);
      k = p;
    }
  }

  pop(): number {
    const top = this.ix[0];
    const last = --this.size;
    if (last > 0) {
      this.t[0] = this.t[last];
      this.ix[0] = this.ix[last];
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < last && this.less(l, m)) m = l;
        if (r < last && this.less(r, m)) m = r;
        if (m === k) break;
        this.swap(k, m);
        k = m;
      }
    }
    return top;
  }
}
