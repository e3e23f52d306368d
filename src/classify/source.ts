/**
 * Per-source accounting and classification: `legit` (logged in at least once), `bruteforce`
 * (tried to authenticate, never succeeded), `scanner` (connected, never tried to authenticate),
 * `unknown` (the log does not tell: e.g. every connection was dropped before sshd saw anything).
 */
import { isoTime } from '../connections/iso-time.ts';
import type { ConnectionRecord } from '../connections/types.ts';
import { OUTCOMES, type Outcome, type SourceClass } from '../vocabulary.ts';
import { DETAIL_EVICTED, DETAIL_KEY_ACCEPTED, DETAIL_LOGGED_IN_BEFORE_LOG } from './outcome.ts';

export interface SourceRecord {
  address: string;
  class: SourceClass;
  why: string;
  connections: number;
  outcomes: Partial<Record<Outcome, number>>;
  firstSeen: string | null;
  lastSeen: string | null;
  /** User names tried (client text, at most 20). */
  users: string[];
  /** Failed authentication attempts logged (`Failed …` lines) over all connections. */
  failures: number;
  /** Attempts made: the logged failures, or more where `maximum authentication attempts exceeded` says so (then `attemptsAtLeast`). */
  attempts: number;
  /** `attempts` is a lower bound (LogLevel INFO leaves some refused keys unlogged). */
  attemptsAtLeast: boolean;
  /**
   * Why the class, as a word scripts and `doctor` can use: `logged_in_before_log`,
   * `authorized_key`, `wrong_key_or_client`, `repeated_attempts`, `slot_holding_flood`,
   * `tcp_wrappers`, or null.
   */
  detail: string | null;
}

/**
 * Where brute force begins (README "Source classes"): several user names, or more failed password /
 * keyboard-interactive attempts on one connection than ssh prompts for, or failed logins on three or
 * more connections. Less than that (one refused key, one ssh run with three mistyped passwords, a
 * retry) is a user with the wrong key or password or a misconfigured client until it repeats.
 *
 * Password prompts ssh gives one run (its NumberOfPasswordPrompts, 3 by default; keyboard-interactive
 * the same): one mistyped login is exactly this many failed passwords on one connection, so it is
 * not brute force. More on one connection is not a person at ssh's prompt.
 */
export const CLIENT_PASSWORD_PROMPTS = 3;
export const BRUTEFORCE_MIN_FAILED_CONNECTIONS = 3;

/** What one connection adds to its source beyond the outcome counts (shared by SourceStats and SourceColumns). */
export interface ConnectionTally {
  attempts: number;
  floored: boolean;
  /** More failed password / keyboard-interactive attempts on this connection than ssh prompts for (CLIENT_PASSWORD_PROMPTS). */
  beyondPrompts: boolean;
  keyAccepted: boolean;
  preLogSession: boolean;
  wrappersDrop: boolean;
  /** Let go still open at the tracker's memory bound (detail `evicted`): its outcome is unknown. */
  evicted: boolean;
  /** A LoginGraceTime expiry: the span it held its slot. */
  timeoutSpan: [number, number] | null;
}

/** What a source's tally needs of a connection (the wire gives only some of it: pcap). */
export type TalliedConnection = Pick<ConnectionRecord, 'outcome' | 'failures' | 'users'> & Partial<Pick<ConnectionRecord, 'attemptsAtLeast' | 'detail' | 'inferred' | 'methods'>>;

/**
 * `secretFailures`: the connection's logged `Failed password` / `Failed keyboard-interactive` lines, when
 * the caller has them (the tracker counts them); otherwise its attempts count when it used one of those methods.
 */
export function tallyConnection(rec: TalliedConnection, startMs: number | null, endMs: number | null, graceMs: number, secretFailures: number | null = null): ConnectionTally {
  const t: ConnectionTally = { attempts: 0, floored: false, beyondPrompts: false, keyAccepted: false, preLogSession: false, wrappersDrop: false, evicted: false, timeoutSpan: null };
  if (rec.outcome === 'auth_failed' || rec.failures > 0) {
    const floor = rec.attemptsAtLeast ?? 0;
    t.attempts = Math.max(rec.failures, floor, rec.outcome === 'auth_failed' ? 1 : 0);
    t.floored = floor > rec.failures;
    const methods = rec.methods ?? [];
    const secret = secretFailures ?? (methods.includes('password') || methods.includes('keyboard-interactive') ? t.attempts : 0);
    if (secret > CLIENT_PASSWORD_PROMPTS) t.beyondPrompts = true;
  }
  if (rec.detail === DETAIL_KEY_ACCEPTED) t.keyAccepted = true;
  else if (rec.detail === DETAIL_LOGGED_IN_BEFORE_LOG) t.preLogSession = true;
  else if (rec.outcome === 'dropped' && rec.detail === 'tcp_wrappers') t.wrappersDrop = true;
  else if (rec.outcome === 'unknown' && rec.detail === DETAIL_EVICTED) t.evicted = true;
  else if (rec.outcome === 'timeout') {
    const begin = startMs ?? endMs;
    // A silent expiry is logged (or inferred) at its last line: it held its slot until LoginGraceTime.
    if (begin !== null) t.timeoutSpan = [begin, Math.max(endMs ?? begin, begin + (rec.inferred ? graceMs : 0))];
  }
  return t;
}

/** User names kept per source. */
export const MAX_SOURCE_USERS = 20;
const MAX_USERS = MAX_SOURCE_USERS;
/** Outcome → index in OUTCOMES (a Map: the outcome words are constants with cached hashes, cheaper than a keyed property load). */
const OUTCOME_INDEX: ReadonlyMap<string, number> = new Map(OUTCOMES.map((o, i) => [o, i]));

/**
 * A flat copy of a short string: V8 keeps a slice of 13+ characters as a view into its parent (the
 * whole log message), so a source table holding slices would pin every message it ever took a user
 * name or address from (measured: ~80 MB on a 1M-line log with 28k sources).
 */
export function flatCopy(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

export class SourceStats {
  readonly address: string;
  connections = 0;
  /** Counts by outcome, indexed like OUTCOMES (a small-integer array: one pointer hop, no ArrayBuffer). */
  readonly counts: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  /**
   * First and last line time (ms), ±Infinity until known. Always numbers, never null: V8 then keeps
   * them as unboxed double fields updated in place, where a `number | null` field allocates a new
   * heap number on every update (255k updates per 1M-line log, each promoted with its old object).
   */
  firstMs = Number.POSITIVE_INFINITY;
  lastMs = Number.NEGATIVE_INFINITY;
  readonly users: string[] = [];
  usersOmitted = 0;
  failures = 0;
  /** Connections that had an address-less kex_exchange_identification line. */
  kexConnections = 0;
  attempts = 0;
  attemptsFloored = 0;
  /** Connections with more failed password / keyboard-interactive attempts than ssh prompts for. */
  beyondPrompts = 0;
  keyAccepted = 0;
  preLogSessions = 0;
  wrappersDrops = 0;
  /** Connections let go still open at the memory bound (tracker.ts MAX_OPEN). */
  evicted = 0;
  /** LoginGraceTime expiries that began while an earlier one of this source still held its slot. */
  overlappingTimeouts = 0;
  /** End of the latest LoginGraceTime expiry span (for the overlap count). */
  timeoutEndMs = Number.NEGATIVE_INFINITY;
  graceMs = 120_000;
  constructor(address: string) {
    if (this.counts.length !== OUTCOMES.length) throw new Error('SourceStats.counts out of step with OUTCOMES');
    this.address = flatCopy(address);
  }

  add(rec: TalliedConnection, startMs: number | null, endMs: number | null): void {
    this.connections++;
    this.counts[OUTCOME_INDEX.get(rec.outcome) as number]++;
    this.failures += rec.failures;
    this.addTally(tallyConnection(rec, startMs, endMs, this.graceMs));
    const first = startMs ?? endMs;
    const last = endMs ?? startMs;
    if (first !== null && first < this.firstMs) this.firstMs = first;
    if (last !== null && last > this.lastMs) this.lastMs = last;
    for (let i = 0; i < rec.users.length; i++) {
      const u = rec.users[i];
      if (this.users.includes(u)) continue;
      if (this.users.length < MAX_USERS) this.users.push(flatCopy(u));
      else this.usersOmitted++;
    }
  }

  addTally(t: ConnectionTally): void {
    this.attempts += t.attempts;
    if (t.floored) this.attemptsFloored++;
    if (t.beyondPrompts) this.beyondPrompts++;
    if (t.keyAccepted) this.keyAccepted++;
    if (t.preLogSession) this.preLogSessions++;
    if (t.wrappersDrop) this.wrappersDrops++;
    if (t.evicted) this.evicted++;
    if (t.timeoutSpan !== null) {
      if (t.timeoutSpan[0] < this.timeoutEndMs) this.overlappingTimeouts++;
      if (t.timeoutSpan[1] > this.timeoutEndMs) this.timeoutEndMs = t.timeoutSpan[1];
    }
  }

  /** Counts by outcome name. */
  get outcomes(): Record<Outcome, number> {
    const o = {} as Record<Outcome, number>;
    for (let i = 0; i < OUTCOMES.length; i++) o[OUTCOMES[i]] = this.counts[i];
    return o;
  }

  classify(): { class: SourceClass; why: string; detail: string | null } {
    const o = this.outcomes;
    const n = this.connections;
    const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
    const names = () => (this.users.length ? ` for ${plural(this.users.length + this.usersOmitted, 'user name')} (${this.users.slice(0, 5).map((u) => JSON.stringify(u)).join(', ')}${this.users.length > 5 || this.usersOmitted ? ', …' : ''})` : '');
    const attempts = `${this.attemptsFloored ? 'at least ' : ''}${plural(this.attempts, 'attempt')}`;
    if (o.authenticated > 0) {
      const extra: string[] = [];
      if (o.auth_failed) extra.push(`${plural(o.auth_failed, 'connection')} with failed logins (${attempts})`);
      if (o.dropped) extra.push(`${plural(o.dropped, 'connection')} dropped by the server`);
      const pre = this.preLogSessions;
      const logged = o.authenticated - pre;
      const how = pre === 0
        ? `logged in ${logged === 1 ? 'once' : `${logged} times`}`
        : logged === 0
          ? `logged in before this log starts (${plural(pre, 'session end')} without [preauth], which only a logged-in session writes)`
          : `logged in ${logged === 1 ? 'once' : `${logged} times`}, and before this log starts (${plural(pre, 'session end')} without [preauth])`;
      return { class: 'legit', why: `${how}${extra.length ? `; ${extra.join(', ')}` : ''}`, detail: pre > 0 && logged === 0 ? DETAIL_LOGGED_IN_BEFORE_LOG : null };
    }
    if (this.keyAccepted > 0) {
      return {
        class: 'unknown',
        why: `holds an authorized key${names()}: sshd accepted it on ${plural(this.keyAccepted, 'connection')} but the login did not complete (a passphrase, agent or second-factor prompt that outlasted LoginGraceTime?); not brute force${o.auth_failed ? `; ${plural(o.auth_failed, 'connection')} with failed logins` : ''}`,
        detail: 'authorized_key',
      };
    }
    if (o.auth_failed > 0) {
      const userCount = this.users.length + this.usersOmitted;
      const repeated = userCount >= 2 || this.beyondPrompts > 0 || o.auth_failed >= BRUTEFORCE_MIN_FAILED_CONNECTIONS;
      const failed = `${plural(o.auth_failed, 'connection')} with failed logins, ${attempts}${names()}`;
      if (repeated) return { class: 'bruteforce', why: `${failed}, never logged in`, detail: 'repeated_attempts' };
      return { class: 'unknown', why: `${failed} and nothing else: a user with the wrong key or password, or a misconfigured client, until it repeats (brute force starts at several user names, more than ${CLIENT_PASSWORD_PROMPTS} failed passwords on one connection, which is more than ssh prompts for, or ${BRUTEFORCE_MIN_FAILED_CONNECTIONS} failed connections)`, detail: 'wrong_key_or_client' };
    }
    if (o.authenticated_or_failed > 0) {
      return { class: 'unknown', why: `${plural(o.authenticated_or_failed, 'connection')} completed key exchange; the wire cannot tell a login from a failed guess (give the log with --log)${o.dropped ? `; ${o.dropped} dropped by the server` : ''}`, detail: 'wire_only' };
    }
    const scannerish = o.closed_before_ident + o.reset_before_ident + o.non_ssh + o.protocol_mismatch + o.closed_after_ident + o.kex_failed + o.timeout;
    if (scannerish > 0) {
      const parts: string[] = [];
      if (o.closed_before_ident) parts.push(`${o.closed_before_ident} closed before identification`);
      if (o.reset_before_ident) parts.push(`${o.reset_before_ident} reset before identification`);
      if (o.non_ssh) parts.push(`${o.non_ssh} not SSH (HTTP/TLS/junk)`);
      if (o.protocol_mismatch) parts.push(`${o.protocol_mismatch} bad SSH identification`);
      if (o.closed_after_ident) parts.push(`${o.closed_after_ident} left after identification or during key exchange`);
      if (o.kex_failed) parts.push(`${o.kex_failed} key exchange failed`);
      if (o.timeout) parts.push(`${o.timeout} LoginGraceTime expired`);
      if (o.dropped) parts.push(`${o.dropped} dropped`);
      const flood = this.overlappingTimeouts > 0;
      const floodText = flood ? `; held ${this.overlappingTimeouts + 1} unauthenticated slots at once until LoginGraceTime (a slot-holding flood)` : '';
      return { class: 'scanner', why: `${plural(n, 'connection')}, none tried to authenticate: ${parts.join(', ')}${floodText}`, detail: flood ? 'slot_holding_flood' : null };
    }
    if (o.dropped === n && n > 0) {
      if (this.wrappersDrops === n) return { class: 'unknown', why: `all ${plural(n, 'connection')} refused by TCP wrappers (hosts.deny) before sshd read anything`, detail: 'tcp_wrappers' };
      return { class: 'unknown', why: `all ${plural(n, 'connection')} dropped by the server (${this.wrappersDrops ? `${this.wrappersDrops} by TCP wrappers, ${n - this.wrappersDrops} by MaxStartups/penalties` : 'MaxStartups/penalties'}) before sshd read anything`, detail: null };
    }
    if (this.evicted === n && n > 0) {
      return { class: 'unknown', why: `${plural(n, 'connection')} let go while still open: more connections were open at once than analyze keeps (the memory bound), so their end was not followed`, detail: DETAIL_EVICTED };
    }
    return { class: 'unknown', why: `${plural(n, 'connection')}; the log does not show what they did`, detail: null };
  }

  toRecord(): SourceRecord {
    const c = this.classify();
    const outcomes: Partial<Record<Outcome, number>> = {};
    for (let i = 0; i < OUTCOMES.length; i++) if (this.counts[i]) outcomes[OUTCOMES[i]] = this.counts[i];
    return {
      address: this.address,
      class: c.class,
      why: c.why,
      connections: this.connections,
      outcomes,
      firstSeen: this.firstMs === Number.POSITIVE_INFINITY ? null : isoTime(this.firstMs),
      lastSeen: this.lastMs === Number.NEGATIVE_INFINITY ? null : isoTime(this.lastMs),
      users: this.users,
      failures: this.failures,
      attempts: this.attempts,
      attemptsAtLeast: this.attemptsFloored > 0,
      detail: c.detail,
    };
  }
}
