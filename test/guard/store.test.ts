/** The SQLite store: WAL, decisions before application, expiry, escalation memory, a concurrent read-only reader. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GuardStore } from '../../src/guard/store.ts';

test('bans are pending until applied, expire into the audit log, and count as offences for `remember`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-store-'));
  const db = join(dir, 'g.db');
  const s = new GuardStore(db);
  try {
    s.recordBan({ target: '192.0.2.7', family: 4, since: 1000, until: 5000, reason: 'r', origin: 'auto', offence: 1, evidence: '[]' }, 1000);
    assert.equal(s.unappliedBans(2000).length, 1);
    assert.equal(s.countUnapplied(2000), 1);
    // A reader (the CLI) sees it while the daemon holds the store open.
    const ro = new GuardStore(db, { readonly: true });
    assert.equal(ro.activeBans(2000)[0].target, '192.0.2.7');
    ro.close();
    s.markAppliedMany([{ target: '192.0.2.7', until: 5000 }]);
    assert.equal(s.countUnapplied(2000), 0);
    assert.equal(s.priorOffences('192.0.2.7', 3000, 10_000), 1);
    assert.equal(s.priorOffences('192.0.2.7', 20_000, 10_000), 0, 'forgotten after `remember`');
    assert.deepEqual(s.expire(4999).map((b) => b.target), []);
    assert.deepEqual(s.expire(5000).map((b) => b.target), ['192.0.2.7']);
    assert.deepEqual(s.recentDecisions(10).map((d) => d.action), ['expired', 'ban']);
    s.pruneHistory(4000);
    assert.deepEqual(s.recentDecisions(10).map((d) => d.action), ['expired']);
    s.setCursor('journal', 's=abc');
    assert.equal(s.getCursor('journal'), 's=abc');
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journal mode is WAL', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-store-'));
  const s = new GuardStore(join(dir, 'g.db'));
  try {
    const mode = (s as unknown as { db: { pragma(q: string, o: { simple: boolean }): string } }).db.pragma('journal_mode', { simple: true });
    assert.equal(mode, 'wal');
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
