/**
 * The fleet schema against a real PostgreSQL started by the test (temporary data directory,
 * private socket): `sshwarden fleet init` migrates and registers servers; each server's role can
 * only publish in its own name through the functions, cannot insert, update or delete rows; the
 * fleet rule bans a source whose summed score crosses the threshold, never a source that logged
 * in anywhere or a range too wide; publishing is idempotent; a newer schema and a wrong password
 * are one clear line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type Postgres } from '../lab/postgres.ts';
import { MAIN } from '../guard/guard-lab.ts';
import { clientConfig } from '../../src/fleet/connect.ts';

let db: Postgres;
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-fleet-schema-'));

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
}

async function asServer(name: string): Promise<pg.Client> {
  const c = new pg.Client(clientConfig({ url: db.url(`sshwarden_${name.replace(/[.-]/g, '_')}`), passwordFile: join(dir, `${name}.password`) }));
  await c.connect();
  return c;
}

before(async () => {
  db = await startPostgres();
});

after(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('fleet init creates the schema and one role per server; running it again changes nothing', () => {
  const r = cli(['fleet', 'init', db.url('postgres'), '--server', 'web-a', '--server', 'web-b', '--server', 'web-c', '--password-dir', dir, '--json'], { PGPASSWORD: db.superPassword });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.schema, { from: 0, to: 3 });
  assert.deepEqual(out.servers.map((s: { role: string }) => s.role), ['sshwarden_web_a', 'sshwarden_web_b', 'sshwarden_web_c']);
  const again = cli(['fleet', 'init', db.url('postgres'), '--server', 'web-a', '--password-dir', dir, '--json'], { PGPASSWORD: db.superPassword });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout).schema, { from: 3, to: 3 });
  assert.equal(db.psql("SELECT count(*) FROM sshwarden.servers", 'sshwarden').trim(), '4'); // 3 + the fleet rule
});

test('a server publishes only in its own name, idempotently; it cannot insert, update or delete rows', async () => {
  const a = await asServer('web-a');
  const b = await asServer('web-b');
  try {
    const p1 = await a.query(`SELECT seq, refused FROM sshwarden.publish('ban', '198.51.100.9', 600, 'test', '[]', 'ban:198.51.100.9:1')`);
    const p2 = await a.query(`SELECT seq, refused FROM sshwarden.publish('ban', '198.51.100.9', 600, 'test', '[]', 'ban:198.51.100.9:1')`);
    assert.ok(p1.rows[0].seq);
    assert.equal(p2.rows[0].seq, p1.rows[0].seq, 'the same origin id publishes once');
    const row = await b.query('SELECT server FROM sshwarden.decisions WHERE seq = $1', [p1.rows[0].seq]);
    assert.equal(row.rows[0].server, 'web-a');
    await assert.rejects(b.query('DELETE FROM sshwarden.decisions WHERE seq = $1', [p1.rows[0].seq]), /permission denied/);
    await assert.rejects(b.query(`UPDATE sshwarden.decisions SET until = now() WHERE server = 'web-a'`), /permission denied/);
    await assert.rejects(b.query(`INSERT INTO sshwarden.decisions (server, kind, target, origin_id) VALUES ('web-a', 'unban', '198.51.100.9', 'forged')`), /permission denied/);
    await assert.rejects(b.query(`UPDATE sshwarden.servers SET role = 'sshwarden_web_b' WHERE name = 'web-a'`), /permission denied/);
    await assert.rejects(b.query(`DELETE FROM sshwarden.scores`), /permission denied/);
    const still = await a.query('SELECT count(*)::int AS n FROM sshwarden.decisions WHERE seq = $1', [p1.rows[0].seq]);
    assert.equal(still.rows[0].n, 1);
  } finally {
    await a.end();
    await b.end();
  }
});

test('the fleet caps what one server can ban: no range wider than /16 (/32 for IPv6), never a source that logged in anywhere', async () => {
  const a = await asServer('web-a');
  const b = await asServer('web-b');
  try {
    const wide = await a.query(`SELECT seq, refused FROM sshwarden.publish('ban', '0.0.0.0/1', 600, 'x', '[]', 'wide')`);
    assert.equal(wide.rows[0].seq, null);
    assert.match(wide.rows[0].refused, /wider than \/16/);
    const wide6 = await a.query(`SELECT seq, refused FROM sshwarden.publish('ban', '2001::/16', 600, 'x', '[]', 'wide6')`);
    assert.match(wide6.rows[0].refused, /wider than \/32/);
    await a.query(`SELECT sshwarden.publish('login', '203.0.113.5', 86400, 'logged in', '[]', 'login:203.0.113.5:1')`);
    const banUser = await b.query(`SELECT seq, refused FROM sshwarden.publish('ban', '203.0.113.5', 600, 'x', '[]', 'ban-user')`);
    assert.equal(banUser.rows[0].seq, null);
    assert.match(banUser.rows[0].refused, /203\.0\.113\.5 logged in on web-a/);
    const banNet = await b.query(`SELECT seq, refused FROM sshwarden.publish('ban', '203.0.113.0/24', 600, 'x', '[]', 'ban-net')`);
    assert.match(banNet.rows[0].refused, /logged in on web-a/);
  } finally {
    await a.end();
    await b.end();
  }
});

test('the fleet rule: scores under every local threshold add up across servers and ban the source fleet-wide, once', async () => {
  const clients = [await asServer('web-a'), await asServer('web-b'), await asServer('web-c')];
  try {
    const src = '198.51.100.77';
    const rows = JSON.stringify([{ source: src, score: 24, events: 4 }]);
    const r1 = await clients[0].query('SELECT sshwarden.publish_scores($1::jsonb, 60, 3600, 600) AS seq', [rows]);
    const r2 = await clients[1].query('SELECT sshwarden.publish_scores($1::jsonb, 60, 3600, 600) AS seq', [rows]);
    assert.equal(r1.rowCount, 0);
    assert.equal(r2.rowCount, 0, '48 < 60: no ban yet');
    const r3 = await clients[2].query('SELECT sshwarden.publish_scores($1::jsonb, 60, 3600, 600) AS seq', [rows]);
    assert.equal(r3.rowCount, 1, '72 >= 60: one fleet ban');
    const ban = await clients[0].query(`SELECT server, kind, host(target) AS t, reason FROM sshwarden.decisions WHERE seq = $1`, [r3.rows[0].seq]);
    assert.deepEqual([ban.rows[0].server, ban.rows[0].kind, ban.rows[0].t], ['fleet', 'ban', src]);
    assert.match(ban.rows[0].reason, /web-a 24, web-b 24, web-c 24/);
    const r4 = await clients[0].query('SELECT sshwarden.publish_scores($1::jsonb, 60, 3600, 600) AS seq', [rows]);
    assert.equal(r4.rowCount, 0, 'an active fleet ban is not decided twice');
    // A source that logged in somewhere is never banned by the rule.
    const user = '203.0.113.5';
    const urows = JSON.stringify([{ source: user, score: 100, events: 10 }]);
    const r5 = await clients[1].query('SELECT sshwarden.publish_scores($1::jsonb, 60, 3600, 600) AS seq', [urows]);
    assert.equal(r5.rowCount, 0);
  } finally {
    for (const c of clients) await c.end();
  }
});

test('fleet why and fleet status show every server\'s view', () => {
  const pw = join(dir, 'web-a.password');
  const why = cli(['fleet', 'why', '198.51.100.77', '--database', db.url('sshwarden_web_a'), '--password-file', pw, '--json']);
  assert.equal(why.status, 0, why.stderr);
  const v = JSON.parse(why.stdout);
  assert.deepEqual(v.servers.map((s: { server: string }) => s.server), ['fleet', 'web-a', 'web-b', 'web-c']);
  assert.equal(v.servers.find((s: { server: string }) => s.server === 'web-b').score, 24);
  assert.equal(v.servers.find((s: { server: string }) => s.server === 'fleet').decisions[0].kind, 'ban');
  const st = cli(['fleet', 'status', '--database', db.url('sshwarden_web_a'), '--password-file', pw]);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /3 servers/);
  assert.match(st.stdout, /198\.51\.100\.77 .*by fleet/);
});

test('bad input: a password in the URL, a wrong password, a newer schema: one line each, no stack trace', () => {
  const inUrl = cli(['fleet', 'status', '--database', 'postgres://u:secret@db.example.org/x']);
  assert.equal(inUrl.status, 2);
  assert.match(inUrl.stderr, /^sshwarden: fleet database URL postgres:\/\/u:\*\*\*@db\.example\.org\/x has a password in it/);
  assert.doesNotMatch(inUrl.stderr, /secret/);
  const wrong = join(dir, 'wrong.password');
  writeFileSync(wrong, 'not-it\n', { mode: 0o600 });
  const bad = cli(['fleet', 'status', '--database', db.url('sshwarden_web_a'), '--password-file', wrong]);
  assert.equal(bad.status, 4);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /cannot connect: password authentication failed/);
  db.psql(`INSERT INTO sshwarden.schema_migrations (version, name) VALUES (99, 'future')`, 'sshwarden');
  try {
    const newer = cli(['fleet', 'init', db.url('postgres')], { PGPASSWORD: db.superPassword });
    assert.equal(newer.status, 4);
    assert.match(newer.stderr, /schema is version 99, newer than this sshwarden knows \(3\)/);
  } finally {
    db.psql('DELETE FROM sshwarden.schema_migrations WHERE version = 99', 'sshwarden');
  }
});
