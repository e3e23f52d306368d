/**
 * Per-source accounting and classification: `legit` (logged in at least once), `bruteforce`
 * (tried to authenticate, never succeeded), `scanner` (connected, never tried to authenticate),
 * `unknown` (the log does not tell: e.g. every connection was dropped before sshd saw anything).
 */
import { isoTime } from '../connections/iso-time.ts';
import type { ConnectionRecord } from '../connections/types.ts';
import { OUTCOMES, type Outcome, type SourceClass } from './vocabulary.ts';

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
  /** Failed authentication attempts over all connections. */
  failures: number;
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
  constructor(address: string) {
    if (this.counts.length !== OUTCOMES.length) throw new Error('SourceStats.counts out of step with OUTCOMES');
    this.address = flatCopy(address);
  }

  add(rec: Pick<ConnectionRecord, 'outcome' | 'failures' | 'users'>, startMs: number | null, endMs: number | null): void {
    this.connections++;
    this.counts[OUTCOME_INDEX.get(rec.outcome) as number]++;
    this.failures += rec.failures;
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

  /** Counts by outcome name. */
  get outcomes(): Record<Outcome, number> {
    const o = {} as Record<Outcome, number>;
    for (let i = 0; i < OUTCOMES.length; i++) o[OUTCOMES[i]] = this.counts[i];
    return o;
  }

  classify(): { class: SourceClass; why: string } {
    const o = this.outcomes;
    const n = this.connections;
    const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
    if (o.authenticated > 0) {
      const extra: string[] = [];
      if (o.auth_failed) extra.push(`${plural(o.auth_failed, 'connection')} failed authentication`);
      if (o.dropped) extra.push(`${plural(o.dropped, 'connection')} dropped by the server`);
      return { class: 'legit', why: `logged in ${o.authenticated === 1 ? 'once' : `${o.authenticated} times`}${extra.length ? `; ${extra.join(', ')}` : ''}` };
    }
    if (o.auth_failed > 0) {
      const users = this.users.length ? ` for ${plural(this.users.length + this.usersOmitted, 'user name')} (${this.users.slice(0, 5).map((u) => JSON.stringify(u)).join(', ')}${this.users.length > 5 || this.usersOmitted ? ', …' : ''})` : '';
      return { class: 'bruteforce', why: `${plural(this.failures, 'failed authentication')}${users} over ${plural(n, 'connection')}, never logged in` };
    }
    if (o.authenticated_or_failed > 0) {
      return { class: 'unknown', why: `${plural(o.authenticated_or_failed, 'connection')} completed key exchange; the wire cannot tell a login from a failed guess (give the log with --log)${o.dropped ? `; ${o.dropped} dropped by the server` : ''}` };
    }
    const scannerish = o.closed_before_ident + o.reset_before_ident + o.non_ssh + o.protocol_mismatch + o.closed_after_ident + o.kex_failed + o.timeout;
    if (scannerish > 0) {
      const parts: string[] = [];
      if (o.closed_before_ident) parts.push(`${o.closed_before_ident} closed before identification`);
      if (o.reset_before_ident) parts.push(`${o.reset_before_ident} reset before identification`);
      if (o.non_ssh) parts.push(`${o.non_ssh} not SSH (HTTP/TLS/junk)`);
      if (o.protocol_mismatch) parts.push(`${o.protocol_mismatch} bad SSH identification`);
      if (o.closed_after_ident) parts.push(`${o.closed_after_ident} banner/key scans`);
      if (o.kex_failed) parts.push(`${o.kex_failed} no common algorithm`);
      if (o.timeout) parts.push(`${o.timeout} LoginGraceTime expired`);
      if (o.dropped) parts.push(`${o.dropped} dropped`);
      return { class: 'scanner', why: `${plural(n, 'connection')}, none tried to authenticate: ${parts.join(', ')}` };
    }
    if (o.dropped === n && n > 0) return { class: 'unknown', why: `all ${plural(n, 'connection')} dropped by the server (MaxStartups/penalties) before sshd read anything` };
    return { class: 'unknown', why: `${plural(n, 'connection')}; the log does not show what they did` };
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
    };
  }
}
