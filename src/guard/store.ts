/**
 * The guard's durable state in SQLite (WAL): every decision is written here BEFORE the firewall
 * is touched, so a crash (SIGKILL), a failed firewall command or a reboot loses nothing: at start
 * the active bans are re-applied (reconciled) and unapplied ones are retried until they stick.
 *
 * Tables: `bans` (active and pending bans, one row per target), `decisions` (append-only audit
 * log: ban, unban, refused, expired), `offences` (per target ban count for escalation),
 * `authenticated` (sources that logged in: never banned for a while), `allow` (runtime
 * allowlist added with `sshwarden allow`), `cursors` (journald cursor / file positions).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export interface BanRow {
  target: string;
  family: 4 | 6;
  since: number;
  until: number;
  reason: string;
  origin: 'auto' | 'manual' | 'fleet';
  offence: number;
  evidence: string; // JSON array of { file, line, text? }
  applied: 0 | 1;
  error: string | null;
}

export interface DecisionRow {
  id: number;
  ts: number;
  action: 'ban' | 'unban' | 'refused' | 'expired';
  target: string;
  reason: string;
  origin: string;
  until: number | null;
  evidence: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bans (
  target TEXT PRIMARY KEY, family INTEGER NOT NULL, since INTEGER NOT NULL, until INTEGER NOT NULL,
  reason TEXT NOT NULL, origin TEXT NOT NULL, offence INTEGER NOT NULL, evidence TEXT NOT NULL,
  applied INTEGER NOT NULL DEFAULT 0, error TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
  reason TEXT NOT NULL, origin TEXT NOT NULL, until INTEGER, evidence TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_target ON decisions(target);
CREATE INDEX IF NOT EXISTS bans_until ON bans(until);
CREATE INDEX IF NOT EXISTS bans_pending ON bans(applied) WHERE applied = 0;
CREATE TABLE IF NOT EXISTS offences (target TEXT PRIMARY KEY, count INTEGER NOT NULL, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS authenticated (address TEXT PRIMARY KEY, last INTEGER NOT NULL, user TEXT);
CREATE TABLE IF NOT EXISTS allow (cidr TEXT PRIMARY KEY, added INTEGER NOT NULL, comment TEXT);
CREATE TABLE IF NOT EXISTS cursors (source TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export class GuardStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly st: ReturnType<GuardStore['prepare']>;

  constructor(path: string, opts: { readonly?: boolean } = {}) {
    this.path = path;
    if (path !== ':memory:' && !opts.readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      // NORMAL in WAL: a commit survives a process crash (SIGKILL); only an OS crash may lose the last commits.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } else {
      this.db.pragma('busy_timeout = 5000');
    }
    this.st = this.prepare();
  }

  private prepare() {
    const d = this.db;
    return {
      upsertBan: d.prepare(`INSERT INTO bans (target, family, since, until, reason, origin, offence, evidence, applied, error)
        VALUES (@target, @family, @since, @until, @reason, @origin, @offence, @evidence, 0, NULL)
        ON CONFLICT(target) DO UPDATE SET family=excluded.family, since=excluded.since, until=excluded.until, reason=excluded.reason,
          origin=excluded.origin, offence=excluded.offence, evidence=excluded.evidence, applied=0, error=NULL`),
      decision: d.prepare(`INSERT INTO decisions (ts, action, target, reason, origin, until, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)`),
      getBan: d.prepare(`SELECT * FROM bans WHERE target = ?`),
      delBan: d.prepare(`DELETE FROM bans WHERE target = ?`),
      markApplied: d.prepare(`UPDATE bans SET applied = 1, error = NULL WHERE target = ? AND until = ?`),
      markFailed: d.prepare(`UPDATE bans SET applied = 0, error = ? WHERE target = ?`),
      activeBans: d.prepare(`SELECT * FROM bans WHERE until > ? ORDER BY since`),
      allBans: d.prepare(`SELECT * FROM bans ORDER BY since`),
      expiredBans: d.prepare(`SELECT * FROM bans WHERE until <= ?`),
      unapplied: d.prepare(`SELECT * FROM bans WHERE applied = 0 AND until > ?`),
      countUnapplied: d.prepare(`SELECT COUNT(*) AS n FROM bans WHERE applied = 0 AND until > ?`),
      getOffence: d.prepare(`SELECT count, last FROM offences WHERE target = ?`),
      setOffence: d.prepare(`INSERT INTO offences (target, count, last) VALUES (?, ?, ?) ON CONFLICT(target) DO UPDATE SET count=excluded.count, last=excluded.last`),
      setAuth: d.prepare(`INSERT INTO authenticated (address, last, user) VALUES (?, ?, ?) ON CONFLICT(address) DO UPDATE SET last=excluded.last, user=excluded.user`),
      authSince: d.prepare(`SELECT address, last, user FROM authenticated WHERE last > ?`),
      pruneAuth: d.prepare(`DELETE FROM authenticated WHERE last <= ?`),
      addAllow: d.prepare(`INSERT INTO allow (cidr, added, comment) VALUES (?, ?, ?) ON CONFLICT(cidr) DO UPDATE SET comment=excluded.comment`),
      delAllow: d.prepare(`DELETE FROM allow WHERE cidr = ?`),
      allows: d.prepare(`SELECT cidr, added, comment FROM allow ORDER BY added`),
      getCursor: d.prepare(`SELECT value FROM cursors WHERE source = ?`),
      setCursor: d.prepare(`INSERT INTO cursors (source, value) VALUES (?, ?) ON CONFLICT(source) DO UPDATE SET value=excluded.value`),
      recentDecisions: d.prepare(`SELECT * FROM decisions ORDER BY id DESC LIMIT ?`),
      pruneDecisions: d.prepare(`DELETE FROM decisions WHERE ts < ?`),
      pruneOffences: d.prepare(`DELETE FROM offences WHERE last < ?`),
      decisionCount: d.prepare(`SELECT action, COUNT(*) AS n FROM decisions GROUP BY action`),
    };
  }

  /** Records a ban (pending until `markApplied`) and its decision, in one transaction. */
  recordBan(b: Omit<BanRow, 'applied' | 'error'>, now: number): void {
    this.db.transaction(() => {
      this.st.upsertBan.run(b);
      this.st.decision.run(now, 'ban', b.target, b.reason, b.origin, b.until, b.evidence);
      this.st.setOffence.run(b.target, b.offence, now);
    })();
  }

  recordUnban(target: string, reason: string, origin: string, now: number): boolean {
    return this.db.transaction(() => {
      const had = this.st.delBan.run(target).changes > 0;
      // Unbanning what is not banned changes nothing, so nothing is recorded.
      if (had) this.st.decision.run(now, 'unban', target, reason, origin, null, '[]');
      return had;
    })();
  }

  recordRefused(target: string, reason: string, evidence: string, now: number): void {
    this.st.decision.run(now, 'refused', target, reason, 'auto', null, evidence);
  }

  /** Removes bans whose time is up (the kernel already expired them); returns them. */
  expire(now: number): BanRow[] {
    return this.db.transaction(() => {
      const rows = this.st.expiredBans.all(now) as BanRow[];
      for (const r of rows) {
        this.st.delBan.run(r.target);
        this.st.decision.run(now, 'expired', r.target, r.reason, r.origin, r.until, '[]');
      }
      return rows;
    })();
  }

  getBan(target: string): BanRow | undefined {
    return this.st.getBan.get(target) as BanRow | undefined;
  }
  markApplied(target: string, until: number): void {
    this.st.markApplied.run(target, until);
  }
  /** Many at once, in one transaction (one WAL commit). */
  markAppliedMany(entries: readonly { target: string; until: number }[]): void {
    this.db.transaction(() => {
      for (const e of entries) this.st.markApplied.run(e.target, e.until);
    })();
  }
  countUnapplied(now: number): number {
    return (this.st.countUnapplied.get(now) as { n: number }).n;
  }
  markFailed(target: string, error: string): void {
    this.st.markFailed.run(error.slice(0, 500), target);
  }
  activeBans(now: number): BanRow[] {
    return this.st.activeBans.all(now) as BanRow[];
  }
  allBans(): BanRow[] {
    return this.st.allBans.all() as BanRow[];
  }
  unappliedBans(now: number): BanRow[] {
    return this.st.unapplied.all(now) as BanRow[];
  }
  /** Number of earlier bans of `target` that still count (within `rememberMs`). */
  priorOffences(target: string, now: number, rememberMs: number): number {
    const r = this.st.getOffence.get(target) as { count: number; last: number } | undefined;
    if (!r || now - r.last > rememberMs) return 0;
    return r.count;
  }
  rememberAuthenticated(address: string, user: string | null, ts: number): void {
    this.st.setAuth.run(address, ts, user);
  }
  authenticatedSince(ts: number): { address: string; last: number; user: string | null }[] {
    return this.st.authSince.all(ts) as { address: string; last: number; user: string | null }[];
  }
  pruneAuthenticated(before: number): void {
    this.st.pruneAuth.run(before);
  }
  /** Forgets audit rows and offence counts older than `before` (kept for `ban.remember`). */
  pruneHistory(before: number): void {
    this.st.pruneDecisions.run(before);
    this.st.pruneOffences.run(before);
  }
  addAllow(cidr: string, comment: string | null, now: number): void {
    this.st.addAllow.run(cidr, now, comment);
  }
  removeAllow(cidr: string): boolean {
    return this.st.delAllow.run(cidr).changes > 0;
  }
  allows(): { cidr: string; added: number; comment: string | null }[] {
    return this.st.allows.all() as { cidr: string; added: number; comment: string | null }[];
  }
  getCursor(source: string): string | null {
    const r = this.st.getCursor.get(source) as { value: string } | undefined;
    return r?.value ?? null;
  }
  setCursor(source: string, value: string): void {
    this.st.setCursor.run(source, value);
  }
  recentDecisions(limit: number): DecisionRow[] {
    return this.st.recentDecisions.all(limit) as DecisionRow[];
  }
  decisionCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.st.decisionCount.all() as { action: string; n: number }[]) out[r.action] = r.n;
    return out;
  }
  close(): void {
    this.db.close();
  }
}
