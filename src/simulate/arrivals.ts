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

export const AUTH_HOLD_FALLBACK_MS = 1000;
export const SAME_SECOND_HOLD_MS = 333;
export const ESTIMATE_FALLBACK_HOLD_MS = 1000;

export interface ArrivalOptions {
  /** Only connections of this log host (a log of several hosts mixes several sshd listeners). Default: all. */
  host?: string | null;
  /** Time of each successful authentication by `address port` (see authTimesFrom). */
  authTimes?: ReadonlyMap<string, number>;
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

/** `address port` → time (ms) of the `Accepted` line, from the engine's updates. */
export function authTimesFrom(updates: Iterable<EngineUpdate>): Map<string, number> {
  const out = new Map<string, number>();
  for (const u of updates) if (u.kind === 'auth-success' && u.ts !== null) out.set(`${u.address} ${u.port}`, u.ts);
  return out;
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

/** The arrivals a log shows, ready for `simulate…` (see the header for how holds are estimated). */
export function arrivalsFromConnections(records: Iterable<ConnectionRecord>, opts: ArrivalOptions = {}): ArrivalSet {
  const graceMs = (opts.loginGraceTime ?? 120) > 0 ? (opts.loginGraceTime ?? 120) * 1000 : Infinity;
  const kept: ConnectionRecord[] = [];
  const skipped = { noTime: 0, otherHost: 0 };
  let wholeSeconds = true;
  const users = new Set<string>();
  for (const r of records) {
    if (opts.host !== undefined && r.host !== opts.host) {
      skipped.otherHost++;
      continue;
    }
    if (r.start === null) {
      skipped.noTime++;
      continue;
    }
    kept.push(r);
    if (r.outcome === 'authenticated' && r.src !== null) users.add(r.src);
    if (wholeSeconds && (Date.parse(r.start) % 1000 !== 0 || (r.end !== null && Date.parse(r.end) % 1000 !== 0))) wholeSeconds = false;
  }
  const resolutionMs = wholeSeconds ? 1000 : 1;

  const refusedInLog = (r: ConnectionRecord) => r.outcome === 'dropped' && r.detail !== 'tcp_wrappers';
  const arrivals: Arrival[] = [];
  const bySource = new Map<string, { holds: number[]; endings: Ending[] }>();
  const othersHolds: number[] = [];
  const othersEndings: Ending[] = [];
  const pending: { arrival: Arrival; src: string | null }[] = [];
  for (const r of kept) {
    const at = Date.parse(r.start!);
    const user = r.src !== null && users.has(r.src);
    const arrival: Arrival = { at, spreadMs: wholeSeconds ? 1000 : 0, holdMs: 0, source: r.src, user, ending: 'noauth', estimated: false };
    arrivals.push(arrival);
    if (refusedInLog(r)) {
      arrival.estimated = true;
      pending.push({ arrival, src: r.src });
      continue;
    }
    const end = r.end === null ? null : Date.parse(r.end);
    let hold: number;
    if (r.outcome === 'authenticated') {
      const auth = r.src !== null && r.srcPort !== null ? opts.authTimes?.get(`${r.src} ${r.srcPort}`) : undefined;
      hold = auth !== undefined ? auth - at : Math.min(end === null ? AUTH_HOLD_FALLBACK_MS : end - at, AUTH_HOLD_FALLBACK_MS);
    } else hold = end === null ? graceMs : Math.min(end - at, graceMs);
    if (!Number.isFinite(hold)) hold = ESTIMATE_FALLBACK_HOLD_MS;
    if (wholeSeconds && hold < 1000) hold = SAME_SECOND_HOLD_MS;
    arrival.holdMs = Math.max(0, hold);
    arrival.ending = endingOf(r);
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
  for (const { arrival, src } of pending) {
    const s = src === null ? undefined : bySource.get(src);
    arrival.holdMs = s ? median(s.holds) : othersHold;
    arrival.ending = arrival.user ? 'none' : s ? commonest(s.endings) : othersEnding;
  }
  arrivals.sort((a, b) => a.at - b.at);
  return {
    arrivals,
    userSources: [...users].sort(),
    estimated: pending.length,
    resolutionMs,
    skipped,
    window: arrivals.length > 0 ? { from: arrivals[0].at, to: arrivals[arrivals.length - 1].at } : null,
  };
}
