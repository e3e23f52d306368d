/**
 * Arrivals from the analyze engine's connection records (`analyze --json` `connections[]`, or
 * `Analyzer.finish().connections`): every connection the log shows reached sshd's listener, and
 * each would hold a pre-auth slot if admitted.
 *
 * How long a connection holds its slot (the startup pipe stays open until it authenticates or its
 * process exits):
 * - authenticated: until the `Accepted` line, when `authTimes` gives it (`authTimesFrom(updates)`
 *   over the engine's auth-success updates); otherwise the record only has the session's end, and
 *   the hold is taken as min(duration, 1 s) (`AUTH_HOLD_FALLBACK_MS`: a key login takes well under a second).
 * - any other outcome: from its first to its last line, capped at LoginGraceTime; when the log has
 *   no last time (open at the end of the log), LoginGraceTime.
 * - logs with whole-second times: a connection whose first and last line share a second held its
 *   slot for an unknown part of it, taken as 1/3 s (the mean gap of two random points in a second);
 *   each arrival's place inside its second is drawn per simulated run (`spreadMs` 1000).
 * - refused in the log (`dropped`, by MaxStartups, PerSourceMaxStartups or a penalty): it never ran,
 *   so its hold and ending are estimates (`estimated: true`): the median hold and the commonest
 *   ending of the same source's admitted connections; for a source with none, those of all
 *   admitted connections from sources that never logged in; failing that 1 s and `noauth`.
 *   A dropped connection from one of your users is assumed to log in (`ending: none`).
 *   Refused clients that retried show up as later arrivals of their own; retries a larger
 *   setting would have made unnecessary are still counted (a small overestimate of the load).
 * - TCP-wrappers refusals (libwrap) were admitted by the listener and held a slot briefly.
 * Connections without times are skipped (counted in `skipped.noTime`).
 */
import type { ConnectionRecord } from '../connections/types.ts';
import type { EngineUpdate } from '../engine/types.ts';
import type { Arrival, Ending } from './types.ts';
import { canonicalAddress } from '../net/address.ts';

export const AUTH_HOLD_FALLBACK_MS = 1000;
export const SAME_SECOND_HOLD_MS = 333;
export const ESTIMATE_FALLBACK_HOLD_MS = 1000;
const MAX_CANONICAL_CACHE = 1 << 20;
/** Dotted-decimal IPv4 without leading zeros: already canonical (what sshd prints). */
const PLAIN_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * `2026-11-21T20:27:48.991Z` (the records' fixed ISO form, see connections/iso-time.ts) → ms, by
 * arithmetic with the day cached; any other shape goes to Date.parse.
 */
function isoMs(s: string, cache: { day: string; ms: number }): number {
  if (s.length !== 24 || s.charCodeAt(10) !== 84 || s.charCodeAt(23) !== 90 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46) return Date.parse(s);
  for (const i of DIGITS) if (((s.charCodeAt(i) - 48) >>> 0) > 9) return Date.parse(s);
  const day = s.slice(0, 10);
  if (day !== cache.day) {
    cache.day = day;
    cache.ms = Date.parse(`${day}T00:00:00.000Z`);
  }
  const d = (i: number) => s.charCodeAt(i) - 48;
  const h = d(11) * 10 + d(12);
  const m = d(14) * 10 + d(15);
  const sec = d(17) * 10 + d(18);
  const ms = d(20) * 100 + d(21) * 10 + d(22);
  const out = cache.ms + ((h * 60 + m) * 60 + sec) * 1000 + ms;
  return Number.isFinite(out) && h < 24 && m < 60 && sec < 61 && ms >= 0 && ms < 1000 ? out : Date.parse(s);
}

export interface ArrivalOptions {
  /** Only connections of this log host (a log of several hosts mixes several sshd listeners). Default: all. */
  host?: string | null;
  /** Times of the successful authentications by `address port`, ascending (see authTimesFrom). */
  authTimes?: ReadonlyMap<string, readonly number[]>;
  /** sshd's LoginGraceTime in seconds (default 120; 0 = no limit): the longest pre-auth hold. */
  loginGraceTime?: number;
}

export interface ArrivalSet {
  /** Sorted by arrival time. */
  arrivals: Arrival[];
  /** Sources that logged in at least once ("your users"). */
  userSources: string[];
  /** Arrivals whose hold and ending are estimates (refused in the log). */
  estimated: number;
  /** 1000 when the log's times are whole seconds, else 1. */
  resolutionMs: number;
  skipped: { noTime: number; otherHost: number };
  /** First and last arrival (ms), null when there are none. */
  window: { from: number; to: number } | null;
}

/** `address port` → times (ms, ascending) of its `Accepted` lines, from the engine's updates (an address and port recur over days). */
export function authTimesFrom(updates: Iterable<EngineUpdate>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const u of updates) {
    if (u.kind !== 'auth-success' || u.ts === null) continue;
    const k = `${u.address} ${u.port}`;
    const list = out.get(k);
    if (list) list.push(u.ts);
    else out.set(k, [u.ts]);
  }
  for (const list of out.values()) list.sort((a, b) => a - b);
  return out;
}

/** The first of `times` within [from, to] (to null: open), or undefined. */
function firstWithin(times: readonly number[] | undefined, from: number, to: number | null): number | undefined {
  if (times === undefined) return undefined;
  for (const t of times) if (t >= from && (to === null || t <= to)) return t;
  return undefined;
}

/** What PerSourcePenalties would charge for a connection that ended as the record says. */
export function endingOf(rec: ConnectionRecord): Ending {
  switch (rec.outcome) {
    case 'authenticated':
      return 'none';
    case 'auth_failed':
      return 'authfail';
    case 'timeout':
      return 'grace';
    case 'unknown':
      return /crash|signal|killed/i.test(`${rec.detail} ${rec.reason ?? ''}`) ? 'crash' : 'noauth';
    default:
      return 'noauth';
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function commonest(xs: Ending[]): Ending {
  const n = new Map<Ending, number>();
  let best: Ending = xs[0];
  for (const x of xs) {
    const c = (n.get(x) ?? 0) + 1;
    n.set(x, c);
    if (c > (n.get(best) ?? 0)) best = x;
  }
  return best;
}

/** What the collector keeps of one connection record (a few numbers and the address, not the record). */
interface Row {
  at: number;
  /** NaN when the log has no last time. */
  end: number;
  src: string | null;
  port: number | null;
  authenticated: boolean;
  refused: boolean;
  ending: Ending;
}

/**
 * Collects arrivals from connection records one at a time (for a caller that streams them, e.g.
 * `analyzeLogs({ onConnection })`, without keeping the records), then `finish()` gives the set.
 * Auth times come from the options or from `authSuccess(…)` calls before `finish()`.
 */
export class ArrivalCollector {
  private readonly opts: ArrivalOptions;
  private readonly rows: Row[] = [];
  private readonly users = new Set<string>();
  private readonly auth = new Map<string, number[]>();
  private readonly skipped = { noTime: 0, otherHost: 0 };
  private wholeSeconds = true;
  /** Address text → canonical form (null: not an address); sources repeat, and parsing one costs microseconds. */
  private readonly canonical = new Map<string, string | null>();
  private readonly day = { day: '', ms: 0 };

  constructor(opts: ArrivalOptions = {}) {
    this.opts = opts;
  }

  /** One connection record. */
  add(r: ConnectionRecord): void {
    if (this.opts.host !== undefined && r.host !== this.opts.host) {
      this.skipped.otherHost++;
      return;
    }
    if (r.start === null) {
      this.skipped.noTime++;
      return;
    }
    const at = isoMs(r.start, this.day);
    const end = r.end === null ? Number.NaN : isoMs(r.end, this.day);
    if (this.wholeSeconds && (at % 1000 !== 0 || (r.end !== null && end % 1000 !== 0))) this.wholeSeconds = false;
    const authenticated = r.outcome === 'authenticated';
    // Sources are keyed by canonical address (blocks, penalties); anything else counts as unknown.
    let src: string | null = null;
    if (r.src !== null) {
      const known = this.canonical.get(r.src);
      if (known !== undefined) src = known;
      else {
        src = PLAIN_V4.test(r.src) ? r.src : canonicalAddress(r.src);
        if (this.canonical.size < MAX_CANONICAL_CACHE) this.canonical.set(r.src, src);
      }
    }
    if (authenticated && src !== null) this.users.add(src);
    this.rows.push({ at, end, src, port: r.srcPort, authenticated, refused: r.outcome === 'dropped' && r.detail !== 'tcp_wrappers', ending: endingOf(r) });
  }

  /** A successful authentication (the engine's auth-success update): ends that connection's hold. */
  authSuccess(address: string, port: number, ts: number): void {
    const k = `${address} ${port}`;
    const list = this.auth.get(k);
    if (list) list.push(ts);
    else this.auth.set(k, [ts]);
  }

  private authTime(src: string, port: number, from: number, to: number | null): number | undefined {
    const k = `${src} ${port}`;
    return firstWithin(this.opts.authTimes?.get(k), from, to) ?? firstWithin(this.auth.get(k)?.sort((a, b) => a - b), from, to);
  }

  /** The arrivals, sorted by time, with the holds of refused connections estimated (see the header). */
  finish(): ArrivalSet {
    const graceMs = (this.opts.loginGraceTime ?? 120) > 0 ? (this.opts.loginGraceTime ?? 120) * 1000 : Infinity;
    const wholeSeconds = this.wholeSeconds;
    const users = this.users;
    const arrivals: Arrival[] = [];
    const bySource = new Map<string, { holds: number[]; endings: Ending[] }>();
    const othersHolds: number[] = [];
    const othersEndings: Ending[] = [];
    const pending: Arrival[] = [];
    for (const r of this.rows) {
      const user = r.src !== null && users.has(r.src);
      const arrival: Arrival = { at: r.at, spreadMs: wholeSeconds ? 1000 : 0, holdMs: 0, source: r.src, user, ending: r.ending, estimated: false };
      arrivals.push(arrival);
      if (r.refused) {
        arrival.estimated = true;
        pending.push(arrival);
        continue;
      }
      const end = Number.isNaN(r.end) ? null : r.end;
      let hold: number;
      if (r.authenticated) {
        // An address and port come back over days: only an auth time within this connection's lines is its own.
        const auth = r.src !== null && r.port !== null ? this.authTime(r.src, r.port, r.at, end) : undefined;
        hold = auth !== undefined ? auth - r.at : Math.min(end === null ? AUTH_HOLD_FALLBACK_MS : end - r.at, AUTH_HOLD_FALLBACK_MS);
      } else hold = end === null ? graceMs : Math.min(end - r.at, graceMs);
      if (!Number.isFinite(hold)) hold = ESTIMATE_FALLBACK_HOLD_MS;
      if (wholeSeconds && hold < 1000) hold = SAME_SECOND_HOLD_MS;
      arrival.holdMs = Math.max(0, hold);
      if (r.src !== null) {
        let s = bySource.get(r.src);
        if (!s) bySource.set(r.src, (s = { holds: [], endings: [] }));
        s.holds.push(arrival.holdMs);
        s.endings.push(arrival.ending);
      }
      if (!user) {
        othersHolds.push(arrival.holdMs);
        othersEndings.push(arrival.ending);
      }
    }
    const othersHold = othersHolds.length > 0 ? median(othersHolds) : ESTIMATE_FALLBACK_HOLD_MS;
    const othersEnding = othersEndings.length > 0 ? commonest(othersEndings) : 'noauth';
    const estimates = new Map<string, { hold: number; ending: Ending }>();
    for (const arrival of pending) {
      const src = arrival.source;
      let e = src === null ? undefined : estimates.get(src);
      if (e === undefined) {
        const s = src === null ? undefined : bySource.get(src);
        e = s ? { hold: median(s.holds), ending: commonest(s.endings) } : { hold: othersHold, ending: othersEnding };
        if (src !== null) estimates.set(src, e);
      }
      arrival.holdMs = e.hold;
      arrival.ending = arrival.user ? 'none' : e.ending;
    }
    arrivals.sort((a, b) => a.at - b.at);
    return {
      arrivals,
      userSources: [...users].sort(),
      estimated: pending.length,
      resolutionMs: wholeSeconds ? 1000 : 1,
      skipped: { ...this.skipped },
      window: arrivals.length > 0 ? { from: arrivals[0].at, to: arrivals[arrivals.length - 1].at } : null,
    };
  }
}

/** The arrivals a log shows, ready for `simulate…` (see the header for how holds are estimated). */
export function arrivalsFromConnections(records: Iterable<ConnectionRecord>, opts: ArrivalOptions = {}): ArrivalSet {
  const c = new ArrivalCollector(opts);
  for (const r of records) c.add(r);
  return c.finish();
}
