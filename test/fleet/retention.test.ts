/**
 * Retention against a real PostgreSQL started by the test: `sshwarden fleet prune URL
 * --older-than 30d` removes score summaries and decisions older than 30 days that no longer decide
 * anything, and nothing else: bans still in force, logins that still protect, allow entries in
 * force and the unban of a ban still in force stay; the bans in force and the allowlist are the same
 * before and after; a second run removes nothing. A server role cannot prune; a too-short
 * retention is one clear line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type Postgres } from '../lab/postgres.ts';
import { MAIN } from '../guard/guard-lab.ts';
import { clientConfig } from '../../src/fleet/connect.ts';

let db: Postgres;
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-fleet-retention-'));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
}

const sql = (q: string) => db.psql(q, 'sshwarden').trim();
/** Makes decision `origin` look `days` old (created, and its end `endDays` from now when given). */
function age(origin: string, days: number, endDays?: number): void {
  sql(`UPDATE sshwarden.decisions SET created = now() - interval '${days} days'${endDays === undefined ? '' : `, until = now() + interval '${endDays} days'`} WHERE origin_id = '${origin}'`);
}

before(async () => {
  db = await startPostgres();
  const r = cli(['fleet', 'init', db.url('postgres'), '--server', 'web-a', '--password-dir', dir], { PGPASSWORD: db.superPassword });
  assert.equal(r.status, 0, r.stderr);
  const a = new pg.Client(clientConfig({ url: db.url('sshwarden_web_a'), passwordFile: join(dir, 'web-a.password') }));
  await a.connect();
  try {
    const pub = (kind: string, target: string, seconds: number | null, origin: string) =>
      a.query(`SELECT sshwarden.publish($1, $2::cidr, $3, 'test', '[]', $4)`, [kind, target, seconds, origin]);
    await pub('ban', '198.51.100.1', 3600, 'old-ended-ban');
    await pub('ban', '198.51.100.2', 3600, 'old-ban-in-force');
    await pub('ban', '198.51.100.3', 3600, 'recent-ban');
    await pub('unban', '198.51.100.1', null, 'old-unban');
    await pub('unban', '198.51.100.2', null, 'old-unban-of-ban-in-force');
    await pub('login', '203.0.113.1', 60, 'old-login');
    await pub('login', '203.0.113.2', 86400, 'recent-login');
    await pub('allow', '203.0.113.50', null, 'old-allow-in-force');
    await pub('allow', '203.0.113.51', null, 'old-allow-replaced');
    await pub('unallow', '203.0.113.51', null, 'old-unallow');
    await a.query('SELECT sshwarden.publish_scores($1::jsonb, 1000, 3600, 3600)', [JSON.stringify([{ source: '198.51.100.7', score: 5, events: 1 }, { source: '198.51.100.8', score: 5, events: 1 }])]);
  } finally {
    await a.end();
  }
  age('old-ended-ban', 40, -39);
  age('old-ban-in-force', 40, 300);
  age('old-unban', 40);
  age('old-unban-of-ban-in-force', 40);
  age('old-login', 40, -39);
  age('old-allow-in-force', 40);
  age('old-allow-replaced', 41);
  age('old-unallow', 40);
  sql(`UPDATE sshwarden.scores SET bucket = bucket - 40 * 1440 WHERE source = '198.51.100.7'`); // 40 days ago
});

after(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('fleet prune --older-than 30d removes exactly what no longer decides anything', () => {
  const inForce = () => sql(`SELECT string_agg(text(target), ',' ORDER BY target) FROM sshwarden.decisions WHERE kind = 'ban' AND until > now()`);
  const allows = () => sql(`SELECT string_agg(text(target), ',' ORDER BY target) FROM sshwarden.active_allows`);
  const bansBefore = inForce();
  const allowsBefore = allows();
  const r = cli(['fleet', 'prune', db.url('postgres'), '--older-than', '30d', '--json'], { PGPASSWORD: db.superPassword });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { olderThanSeconds: 30 * 86400, removed: { scores: 1, decisions: 5 } });
  assert.equal(
    sql(`SELECT string_agg(origin_id, ',' ORDER BY origin_id) FROM sshwarden.decisions`),
    'old-allow-in-force,old-ban-in-force,old-unban-of-ban-in-force,recent-ban,recent-login',
  );
  assert.equal(sql(`SELECT string_agg(host(source), ',') FROM sshwarden.scores`), '198.51.100.8');
  assert.equal(inForce(), bansBefore, 'the bans in force are the same');
  assert.equal(allows(), allowsBefore, 'the allowlist is the same');
  const again = cli(['fleet', 'prune', db.url('postgres'), '--older-than', '30d'], { PGPASSWORD: db.superPassword });
  assert.equal(again.status, 0, again.stderr);
  assert.equal(again.stdout, 'removed 0 score summaries and 0 decisions older than 30d\n');
});

test('a server role cannot prune; too short a retention is one clear line', async () => {
  const a = new pg.Client(clientConfig({ url: db.url('sshwarden_web_a'), passwordFile: join(dir, 'web-a.password') }));
  await a.connect();
  try {
    await assert.rejects(a.query(`SELECT * FROM sshwarden.prune(interval '1 day')`), /permission denied/);
  } finally {
    await a.end();
  }
  const short = cli(['fleet', 'prune', db.url('postgres'), '--older-than', '10m'], { PGPASSWORD: db.superPassword });
  assert.equal(short.status, 2);
  assert.equal(short.stderr.trim().split('\n').length, 1);
  assert.match(short.stderr, /--older-than: a duration of at least 1h/);
});
