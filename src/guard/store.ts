/**
 * The guard's durable state in SQLite (WAL): every decision is written here in the same turn as
 * its firewall write (the ban goes to nft first, then it is committed here while nft applies it,
 * and it is marked applied only when nft confirms it), so a failed firewall command or a reboot
 * loses nothing: at start the active bans are re-applied (reconciled) and unapplied ones are
 * retried until they stick. Only a SIGKILL in the fraction of a millisecond between the two writes
 * loses that one ban (the restart's reconcile removes it; the source is scored again).
 *
 * Tables: `bans` (active and pending bans, one row per target), `decisions` (append-only audit
 * log: ban, unban, refused, expired), `offences` (per target ban count for escalation),
 * `authenticated` (sources that logged in: never banned for a while), `allow` (runtime
 * allowlist added with `sshwarden allow`), `cursors` (journald cursor / file positions).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * A store problem the user must act on: names the file, what is wrong and what to do.
 * (A full or read-only disk is not one of these for the daemon: it keeps running from memory.)
 */
export class StoreError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'StoreError';
    this.file = file;
  }
}

/** SQLite errors that mean "the disk cannot take writes now" (full, I/O error, read-only): retried, never fatal. */
export function isStorageFault(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code);
}

/** What the user reads for an SQLite error on `file`, with what to do. */
export function describeStoreError(file: string, e: unknown): StoreError {
  const code = String((e as { code?: unknown })?.code ?? '');
  const msg = (e as Error)?.message ?? String(e);
  const aside = `move it aside (mv ${file} ${file}.bad) and start the guard again: it rebuilds its bans from the kernel sets (nftables/ipset) and starts a new store`;
  if (code === 'SQLITE_NOTADB') return new StoreError(file, `not a guard database (${msg}); ${aside}`);
  if (code.startsWith('SQLITE_CORRUPT')) return new StoreError(file, `the database is corrupt (${msg}); ${aside}`);
  if (code.startsWith('SQLITE_FULL')) return new StoreError(file, `the disk is full (${msg}); free space on ${dirname(file)}`);
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM'))
    return new StoreError(file, `cannot open or write the database (${msg}); check that ${dirname(file)} exists, is writable by root and is not full`);
  if (code.startsWith('SQLITE_IOERR')) return new StoreError(file, `I/O error (${msg}); check the disk`);
  if (code === 'SQLITE_BUSY') return new StoreError(file, `the database is locked by another process (${msg}); is a second guard running?`);
  return new StoreError(file, msg);
}

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

export interface StoreOptions {
  readonly?: boolean;
  /**
   * The daemon's mode: when the disk cannot take a write (full, I/O error, read-only) the store
   * carries on in memory (a copy of the database), reports `degraded`, and `retryDisk()` writes
   * the whole state back once the disk takes it. A start on such a disk works the same way.
   */
  keepRunningInMemory?: boolean;
}

export class GuardStore {
  readonly path: string;
  private db: Database.Database;
  private st: ReturnType<GuardStore['prepare']>;
  private readonly resilient: boolean;
  /** Set while the store runs from memory because the disk refused a write. */
  degraded: { since: number; error: string } | null = null;
  /** The database could not be read at all at start (state starts empty): the caller may rebuild it. */
  readonly startedEmpty: boolean = false;
  /** The file did not exist before this store was opened. */
  readonly created: boolean;

  constructor(path: string, opts: StoreOptions = {}) {
    this.path = path;
    this.resilient = Boolean(opts.keepRunningInMemory);
    this.created = path === ':memory:' || !existsSync(path);
    try {
      this.db = GuardStore.openDisk(path, Boolean(opts.readonly));
    } catch (e) {
      if (!this.resilient || !isStorageFault(e)) throw describeStoreError(path, e);
      // The disk takes no writes: read what is there (read-only) and run from memory.
      let image: Buffer | null = null;
      try {
        const ro = new Database(path, { readonly: true, fileMustExist: true });
        image = ro.serialize();
        ro.close();
      } catch {
        image = null;
      }
      this.db = GuardStore.openMemory(image);
      this.degraded = { since: Date.now(), error: (e as Error).message };
      this.startedEmpty = image === null;
    }
    this.st = this.prepare();
  }

  private static openDisk(path: string, readonly: boolean): Database.Database {
    if (path !== ':memory:' && !readonly) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const db = new Database(path, { readonly, fileMustExist: readonly });
    try {
      db.pragma('busy_timeout = 5000');
      if (!readonly) {
        db.pragma('journal_mode = WAL');
        // NORMAL in WAL: a commit survives a process crash (SIGKILL); only an OS crash may lose the last commits.
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
      } else {
        // Fails here (not later, in the middle of a command) when the file is not a database.
        db.prepare('SELECT COUNT(*) FROM bans').get();
      }
    } catch (e) {
      db.close();
      throw e;
    }
    return db;
  }

  private static openMemory(image: Buffer | null): Database.Database {
    if (image && image.length >= 20) {
      // The header's read/write versions say WAL (2), which an in-memory database cannot use: back to rollback (1).
      image[18] = 1;
      image[19] = 1;
    }
    const db = image ? new Database(image) : new Database(':memory:');
    db.exec(SCHEMA);
    return db;
  }

  /**
   * Runs a write. When the disk refuses it (and the store may keep running in memory), the
   * database is copied into memory, the write is done there, and the store is degraded until
   * `retryDisk` succeeds.
   */
  private write<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!this.resilient || this.degraded || !isStorageFault(e)) throw e;
      const image = this.db.serialize();
      this.db.close();
      this.db = GuardStore.openMemory(image);
      this.st = this.prepare();
      this.degraded = { since: Date.now(), error: (e as Error).message };
      return fn();
    }
  }

  /**
   * While degraded: writes the in-memory state back to the file (a new file renamed over the old
   * one; WAL files removed) and goes back to the disk. False when the disk still refuses.
   */
  retryDisk(): boolean {
    if (!this.degraded || this.path === ':memory:') return !this.degraded;
    const tmp = `${this.path}.tmp-${process.pid}`;
    const since = this.degraded.since;
    try {
      const image = this.db.serialize();
      const fd = openSync(tmp, 'w', 0o600);
      try {
        for (let off = 0; off < image.length; ) off += writeSync(fd, image, off, image.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      for (const suffix of ['-wal', '-shm']) rmSync(`${this.path}${suffix}`, { force: true });
      renameSync(tmp, this.path);
      const disk = GuardStore.openDisk(this.path, false);
      this.db.close();
      this.db = disk;
      this.st = this.prepare();
      this.degraded = null;
      return true;
    } catch (e) {
      rmSync(tmp, { force: true });
      this.degraded = { since, error: (e as Error).message };
      return false;
    }
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
    this.write(() =>
      this.db.transaction(() => {
        this.st.upsertBan.run(b);
        this.st.decision.run(now, 'ban', b.target, b.reason, b.origin, b.until, b.evidence);
        this.st.setOffence.run(b.target, b.offence, now);
      })(),
    );
  }

  recordUnban(target: string, reason: string, origin: string, now: number): boolean {
    return this.write(() =>
      this.db.transaction(() => {
        const had = this.st.delBan.run(target).changes > 0;
        // Unbanning what is not banned changes nothing, so nothing is recorded.
        if (had) this.st.decision.run(now, 'unban', target, reason, origin, null, '[]');
        return had;
      })(),
    );
  }

  recordRefused(target: string, reason: string, evidence: string, now: number): void {
    this.write(() => this.st.decision.run(now, 'refused', target, reason, 'auto', null, evidence));
  }

  /** Removes bans whose time is up (the kernel already expired them); returns them. */
  expire(now: number): BanRow[] {
    return this.write(() =>
      this.db.transaction(() => {
        const rows = this.st.expiredBans.all(now) as BanRow[];
        for (const r of rows) {
          this.st.delBan.run(r.target);
          this.st.decision.run(now, 'expired', r.target, r.reason, r.origin, r.until, '[]');
        }
        return rows;
      })(),
    );
  }

  getBan(target: string): BanRow | undefined {
    return this.st.getBan.get(target) as BanRow | undefined;
  }
  markApplied(target: string, until: number): void {
    this.write(() => this.st.markApplied.run(target, until));
  }
  /** Many at once, in one transaction (one WAL commit). */
  markAppliedMany(entries: readonly { target: string; until: number }[]): void {
    this.write(() =>
      this.db.transaction(() => {
        for (const e of entries) this.st.markApplied.run(e.target, e.until);
      })(),
    );
  }
  countUnapplied(now: number): number {
    return (this.st.countUnapplied.get(now) as { n: number }).n;
  }
  markFailed(target: string, error: string): void {
    this.write(() => this.st.markFailed.run(error.slice(0, 500), target));
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
    this.write(() => this.st.setAuth.run(address, ts, user));
  }
  authenticatedSince(ts: number): { address: string; last: number; user: string | null }[] {
    return this.st.authSince.all(ts) as { address: string; last: number; user: string | null }[];
  }
  pruneAuthenticated(before: number): void {
    this.write(() => this.st.pruneAuth.run(before));
  }
  /** Forgets audit rows and offence counts older than `before` (kept for `ban.remember`). */
  pruneHistory(before: number): void {
    this.write(() => {
      this.st.pruneDecisions.run(before);
      this.st.pruneOffences.run(before);
    });
  }
  addAllow(cidr: string, comment: string | null, now: number): void {
    this.write(() => this.st.addAllow.run(cidr, now, comment));
  }
  removeAllow(cidr: string): boolean {
    return this.write(() => this.st.delAllow.run(cidr).changes > 0);
  }
  allows(): { cidr: string; added: number; comment: string | null }[] {
    return this.st.allows.all() as { cidr: string; added: number; comment: string | null }[];
  }
  getCursor(source: string): string | null {
    const r = this.st.getCursor.get(source) as { value: string } | undefined;
    return r?.value ?? null;
  }
  setCursor(source: string, value: string): void {
    this.write(() => this.st.setCursor.run(source, value));
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
