/**
 * Upgrading a fleet database made by an older sshwarden, against a real PostgreSQL started by the
 * test (temporary data directory, private socket). For a schema at version 1 and one at version 2:
 * the schema of that version is made with the migrations up to it (migrate.ts `upTo`), two servers
 * are registered and publish as the guards of that version did (the schema's SQL functions: bans,
 * a login, an allow entry, score summaries that trip the fleet rule, heartbeats); then the current
 * `sshwarden fleet init URL` (the CLI, as a user runs it) migrates it, and
 *  - every row is still there, unchanged, and readable by the server roles;
 *  - the schema is the one a fresh `fleet init` makes (tables, columns, defaults, constraints,
 *    indexes, triggers, functions, grants);
 *  - a second `fleet init` is a no-op (same schema, same rows);
 *  - the old servers' roles connect with the guards' link (src/fleet/link.ts), republish what they
 *    hold without doubling it, publish anew (bans, a login, scores that trip the fleet rule) and
 *    catch up from their old cursors, each applying every other server's decision exactly once, in
 *    seq order; new seqs follow the old ones;
 *  - `fleet status`, `fleet why` and `report --fleet --json` show the old data; `fleet init --reader`
 *    and `fleet prune --older-than 30d` work on it (prune removes exactly the old ended ban).
 * And a migration that fails half-way (an object the migration makes was made by hand by a DBA)
 * changes nothing: the schema stays at the version it had, byte for byte, the old servers keep
 * publishing, the error is one line naming the migration; once the DBA's object is gone the
 * upgrade goes through. A database whose migration N is not this sshwarden's migration N (a build
 * between two releases numbered them otherwise) is refused in one line, untouched.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgres, type Postgres } from '../lab/postgres.ts';
import { MAIN } from '../guard/guard-lab.ts';
import { clientConfig } from '../../src/fleet/connect.ts';
import { migrate, registerServer, roleFor, SCHEMA_VERSION } from '../../src/fleet/migrate.ts';
import { publishDecisions, publishScores } from '../../src/fleet/statements.ts';
import { FleetLink, type FleetDecision, type PublishItem } from '../../src/fleet/link.ts';
import type { FleetReportData } from '../../src/fleet/report-queries.ts';

let db: Postgres;
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-fleet-upgrade-'));
const SUPER_PW = join(dir, 'postgres.password');

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', PGPASSWORD: db.superPassword },
    timeout: 60_000,
  });
}

function cliJson<T>(args: string[]): T {
  const r = cli([...args, '--json']);
  assert.equal(r.status, 0, `${args.slice(0, 2).join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function connect(database: string, role: string, passwordFile: string): Promise<pg.Client> {
  const c = new pg.Client(clientConfig({ url: db.url(role, database), passwordFile }));
  await c.connect();
  return c;
}

const pwFile = (server: string) => join(dir, `${server}.password`);

/** Every table's rows as text, in a stable order (what an upgrade must keep). */
function rows(database: string, tables: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tables) out[t] = db.psql(`SELECT coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '') FROM sshwarden.${t} x`, database);
  return out;
}

/** The schema's shape: every object in schema sshwarden with its definition and grants, one per line. */
function shape(database: string): string {
  return db.psql(
    `SELECT string_agg(x, E'\\n' ORDER BY x) FROM (
       SELECT 'schema ' || coalesce(nspacl::text, '') FROM pg_namespace WHERE nspname = 'sshwarden'
       UNION ALL SELECT 'rel ' || relname || ' ' || relkind::text || ' ' || coalesce(relacl::text, '') FROM pg_class WHERE relnamespace = 'sshwarden'::regnamespace
       UNION ALL SELECT 'col ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = 'sshwarden'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
       UNION ALL SELECT 'con ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'sshwarden'::regnamespace
       UNION ALL SELECT 'idx ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'sshwarden'::regnamespace)
       UNION ALL SELECT 'trg ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'sshwarden'::regnamespace)
       UNION ALL SELECT 'view ' || oid::regclass::text || ' ' || pg_get_viewdef(oid) FROM pg_class WHERE relnamespace = 'sshwarden'::regnamespace AND relkind = 'v'
       UNION ALL SELECT 'fn ' || oid::regprocedure::text || ' ' || md5(pg_get_functiondef(oid)) || ' ' || coalesce(proacl::text, '') FROM pg_proc WHERE pronamespace = 'sshwarden'::regnamespace
     ) s(x)`,
    database,
  ).trim();
}

const version = (database: string) => Number(db.psql('SELECT max(version) FROM sshwarden.schema_migrations', database).trim());

/** Makes the schema of version `upTo` in a new database and registers `servers` (as `fleet init` of that version did). */
async function oldFleet(database: string, upTo: number, servers: string[]): Promise<void> {
  db.psql(`CREATE DATABASE ${database}`);
  const admin = await connect(database, 'postgres', SUPER_PW);
  try {
    assert.deepEqual(await migrate(admin, { upTo }), { from: 0, to: upTo });
    for (const s of servers) {
      const password = `pw-${s}-${process.pid}`;
      writeFileSync(pwFile(s), `${password}\n`, { mode: 0o600 });
      await registerServer(admin, s, password);
    }
  } finally {
    await admin.end();
  }
  assert.equal(version(database), upTo);
}

const item = (kind: PublishItem['kind'], target: string, seconds: number | null, originId: string): PublishItem => ({ kind, target, seconds, reason: `${kind} ${target}`, evidence: [{ line: 'test' }], originId });

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  db = await startPostgres();
  writeFileSync(SUPER_PW, `${db.superPassword}\n`, { mode: 0o600 });
  // A fresh fleet of the current version: the shape every upgrade must end in.
  db.psql('CREATE DATABASE fleet_fresh');
  cliJson(['fleet', 'init', db.url('postgres', 'fleet_fresh')]);
  const objects = shape('fleet_fresh').split('\n');
  assert.ok(objects.length > 80 && objects.some((o) => o.startsWith('trg CREATE TRIGGER decisions_order')), `the shape lists the schema's objects (${objects.length})`);
});

after(async () => {
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

for (const from of [1, 2]) {
  test(`a fleet database of schema version ${from} comes through the current fleet init with nothing lost and everything working`, { timeout: 300_000 }, async () => {
    const database = `fleet_v${from}`;
    const [A, B] = [`v${from}-a`, `v${from}-b`];
    const adminUrl = db.url('postgres', database);
    await oldFleet(database, from, [A, B]);

    // ---- the guards of that version at work ----
    const held: Record<string, PublishItem[]> = {
      [A]: [item('ban', '198.51.100.10', 3600, 'ban:198.51.100.10:1'), item('login', '203.0.113.5', 86400, 'login:203.0.113.5:1')],
      [B]: [item('ban', '198.51.100.12', 3600, 'ban:198.51.100.12:1'), item('ban', '198.51.100.13', 3600, 'manual:ban:198.51.100.13:1')],
    };
    const a = await connect(database, roleFor(A), pwFile(A));
    const b = await connect(database, roleFor(B), pwFile(B));
    let cursorA = 0;
    try {
      assert.deepEqual(await publishDecisions(a, [...held[A], item('ban', '198.51.100.11', 3600, 'ban:198.51.100.11:old'), item('allow', '203.0.113.50', null, 'allow:203.0.113.50:1')]), []);
      assert.deepEqual(await publishDecisions(b, held[B]), []);
      const rule = { threshold: 60, windowMs: 3_600_000, banMs: 3_600_000 };
      await publishScores(a, new Map([['198.51.100.20', { score: 30, events: 3 }]]), rule);
      await publishScores(b, new Map([['198.51.100.20', { score: 35, events: 4 }], ['198.51.100.30', { score: 4, events: 2 }]]), rule); // 65 >= 60: a fleet ban
      // A refused ban (a login protects the source) leaves nothing behind.
      const refused = await publishDecisions(b, [item('ban', '203.0.113.5', 600, 'ban:203.0.113.5:1')]);
      assert.match(refused[0]?.reason ?? '', /logged in on v\d-a/);
      // A had applied up to B's first decision when it was last seen; B everything.
      cursorA = Number(db.psql(`SELECT min(seq) FROM sshwarden.decisions WHERE server = '${B}'`, database).trim());
      const maxSeq = Number(db.psql('SELECT max(seq) FROM sshwarden.decisions', database).trim());
      await a.query('SELECT sshwarden.heartbeat($1, $2)', [cursorA, `old-${from}`]);
      await b.query('SELECT sshwarden.heartbeat($1, $2)', [maxSeq, `old-${from}`]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
    // Time passed: one of A's bans is 40 days old and over (what prune --older-than 30d removes).
    db.psql(`UPDATE sshwarden.decisions SET created = now() - interval '40 days', until = now() - interval '39 days' WHERE origin_id = 'ban:198.51.100.11:old'`, database);
    const counts = db.psql(`SELECT string_agg(server || ' ' || kind || ' ' || n, ', ' ORDER BY server, kind) FROM (SELECT server, kind, count(*) n FROM sshwarden.decisions GROUP BY 1, 2) s`, database).trim();
    assert.equal(counts, `fleet ban 1, ${A} allow 1, ${A} ban 2, ${A} login 1, ${B} ban 2`, 'the old fleet holds what its guards published');
    const tables = ['servers', 'settings', 'decisions', 'scores', ...(from >= 2 ? ['ban_rate'] : [])];
    const before = rows(database, tables);
    const oldMax = Number(db.psql('SELECT max(seq) FROM sshwarden.decisions', database).trim());

    // ---- the upgrade, as a user runs it ----
    const up = cliJson<{ schema: { from: number; to: number } }>(['fleet', 'init', adminUrl]);
    assert.deepEqual(up.schema, { from, to: SCHEMA_VERSION });
    assert.deepEqual(rows(database, tables), before, 'every row is still there, unchanged');
    assert.equal(shape(database), shape('fleet_fresh'), 'the upgraded schema is the one a fresh fleet init makes');
    const again = cliJson<{ schema: { from: number; to: number } }>(['fleet', 'init', adminUrl]);
    assert.deepEqual(again.schema, { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    assert.deepEqual(rows(database, tables), before, 'a second fleet init changes no row');
    assert.equal(shape(database), shape('fleet_fresh'), 'a second fleet init changes no object');
    const readBack = await connect(database, roleFor(B), pwFile(B));
    try {
      const n = await readBack.query<{ n: number }>('SELECT (SELECT count(*) FROM sshwarden.decisions)::int + (SELECT count(*) FROM sshwarden.scores)::int AS n');
      assert.equal(n.rows[0].n, 10, 'the old rows are readable by the server roles (7 decisions, 3 score summaries)');
    } finally {
      await readBack.end();
    }

    // ---- the old servers' roles with the guards' link: republish, publish anew, catch up ----
    const applied: Record<string, FleetDecision[]> = { [A]: [], [B]: [] };
    const cursors: Record<string, number> = { [A]: cursorA, [B]: 0 };
    const link = (s: string) =>
      new FleetLink(
        { database: { url: db.url(roleFor(s), database), passwordFile: pwFile(s) }, server: s, threshold: 60, windowMs: 3_600_000, banMs: 3_600_000, version: `new-${from}` },
        { apply: (d) => applied[s].push(d), cursor: () => cursors[s], saveCursor: (q) => (cursors[s] = q), backlog: () => held[s], log: () => {} },
      );
    const links = [link(A), link(B)];
    const expected = (s: string, after: number) =>
      db.psql(`SELECT coalesce(string_agg(seq::text, ',' ORDER BY seq), '') FROM sshwarden.decisions WHERE server <> '${s}' AND seq > ${after}`, database).trim();
    try {
      for (const l of links) l.start();
      await until(() => links.every((l) => l.up), 30_000, 'both links connected to the upgraded fleet');
      links[0].publish(item('ban', '198.51.100.40', 3600, 'ban:198.51.100.40:new'));
      links[1].publish(item('ban', '198.51.100.41', 3600, 'ban:198.51.100.41:new'));
      links[1].publish(item('login', '203.0.113.6', 86400, 'login:203.0.113.6:new'));
      links[0].addScore('198.51.100.42', 40);
      links[1].addScore('198.51.100.42', 40); // 80 >= 60: the upgraded fleet rule bans it
      const total = () => Number(db.psql('SELECT count(*) FROM sshwarden.decisions', database).trim());
      await until(
        () => total() === 11 && applied[A].map((d) => d.seq).join(',') === expected(A, cursorA) && applied[B].map((d) => d.seq).join(',') === expected(B, 0),
        60_000,
        'both links caught up with the old and the new decisions',
      );
      await until(() => links.every((l) => l.status().published >= 2), 10_000, 'both links republished what they hold');
    } finally {
      for (const l of links) await l.stop();
    }
    // Exactly once, in seq order, never its own; the old decisions were republished (backlog) without doubling.
    for (const [s, after] of [[A, cursorA], [B, 0]] as const) {
      assert.equal(applied[s].map((d) => d.seq).join(','), expected(s, after), `${s} applied every other server's decision after its cursor once, in seq order`);
      assert.ok(!applied[s].some((d) => d.server === s), `${s} never applies its own`);
    }
    assert.equal(db.psql(`SELECT count(*) FROM sshwarden.decisions WHERE origin_id IN ('ban:198.51.100.10:1', 'login:203.0.113.5:1', 'ban:198.51.100.12:1', 'manual:ban:198.51.100.13:1')`, database).trim(), '4', 'republished, not doubled');
    assert.equal(db.psql(`SELECT count(*) FROM sshwarden.decisions WHERE seq <= ${oldMax}`, database).trim(), '7');
    assert.equal(
      db.psql(`SELECT string_agg(server || ' ' || kind || ' ' || host(target), ', ' ORDER BY seq) FROM sshwarden.decisions WHERE seq > ${oldMax}`, database).trim().split(', ').sort().join(', '),
      [`fleet ban 198.51.100.42`, `${A} ban 198.51.100.40`, `${B} ban 198.51.100.41`, `${B} login 203.0.113.6`].sort().join(', '),
      'the new decisions follow the old seqs, each in its own server\'s name',
    );
    assert.equal(db.psql(`SELECT string_agg(name || ' ' || version || ' ' || (last_seq > 0), ', ' ORDER BY name) FROM sshwarden.servers WHERE name <> 'fleet'`, database).trim(), `${A} new-${from} true, ${B} new-${from} true`, 'heartbeats after the upgrade');

    // ---- fleet status, fleet why, init --reader, report --fleet, prune ----
    const asA = ['--database', db.url(roleFor(A), database), '--password-file', pwFile(A)];
    const status = cliJson<{ servers: { name: string }[]; activeBans: { target: string; server: string }[] }>(['fleet', 'status', ...asA]);
    assert.deepEqual(status.servers.map((s) => s.name), ['fleet', A, B]);
    const bans = status.activeBans.map((x) => `${x.target} ${x.server}`);
    for (const old of [`198.51.100.10 ${A}`, `198.51.100.12 ${B}`, `198.51.100.13 ${B}`, '198.51.100.20 fleet']) assert.ok(bans.includes(old), `fleet status shows the old ban ${old}: ${bans.join('; ')}`);
    const why = cliJson<{ servers: { server: string; score: number; events: number; decisions: { kind: string }[] }[] }>(['fleet', 'why', '198.51.100.20', ...asA]);
    assert.deepEqual(why.servers.map((s) => `${s.server} ${s.score} ${s.events} ${s.decisions.map((d) => d.kind).join('+')}`), ['fleet 0 0 ban', `${A} 30 3 `, `${B} 35 4 `]);
    const reader = cliJson<{ schema: { from: number; to: number }; reader: { role: string; passwordFile: string } }>(['fleet', 'init', adminUrl, '--reader', '--password-dir', dir]);
    assert.deepEqual(reader.schema, { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    const report = cliJson<FleetReportData>(['report', '--fleet', db.url(reader.reader.role, database), '--password-file', reader.reader.passwordFile]);
    assert.equal(report.meta.role, 'sshwarden-report');
    assert.deepEqual(report.origins, { local: 4, fleet: 2, operator: 1 }, 'bans of the last 24 h: the old ones (but the 40-day-old one) and the new ones');
    assert.deepEqual(report.topSources.slice(0, 2).map((s) => `${s.source} ${s.score} ${s.events} ${s.activeBan}`), ['198.51.100.42 80 2 true', '198.51.100.20 65 7 true']);
    assert.equal(report.totals.logins, 2);
    const pruned = cliJson<{ removed: { scores: number; decisions: number } }>(['fleet', 'prune', adminUrl, '--older-than', '30d']);
    assert.deepEqual(pruned.removed, { scores: 0, decisions: 1 });
    assert.equal(db.psql(`SELECT count(*) FROM sshwarden.decisions WHERE origin_id = 'ban:198.51.100.11:old'`, database).trim(), '0', 'the old ended ban is gone');
    assert.equal(db.psql('SELECT count(*) FROM sshwarden.decisions', database).trim(), '10', 'and nothing else');
  });
}

test('a migration that fails half-way changes nothing: the schema stays at its version, one line names the migration', { timeout: 300_000 }, async () => {
  const database = 'fleet_broken';
  const adminUrl = db.url('postgres', database);
  await oldFleet(database, 1, ['br-a']);
  const publishAsA = async (originId: string, target: string) => {
    const a = await connect(database, roleFor('br-a'), pwFile('br-a'));
    try {
      assert.deepEqual(await publishDecisions(a, [item('ban', target, 600, originId)]), []);
    } finally {
      await a.end();
    }
  };
  await publishAsA('ban:1', '198.51.100.60');
  const initFails = (migration: string, cause: RegExp) => {
    const shapeBefore = shape(database);
    const rowsBefore = rows(database, ['servers', 'settings', 'decisions', 'scores']);
    const r = cli(['fleet', 'init', adminUrl]);
    assert.equal(r.status, 4, r.stdout);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^sshwarden: fleet database .*: migration ${migration} failed, nothing changed \\(the schema stays at version 1\\): `));
    assert.match(r.stderr, cause);
    assert.equal(version(database), 1);
    assert.equal(shape(database), shapeBefore, 'not one object changed');
    assert.deepEqual(rows(database, ['servers', 'settings', 'decisions', 'scores']), rowsBefore, 'not one row changed');
    assert.equal(db.psql(`SELECT to_regclass('sshwarden.ban_rate') IS NULL`, database).trim(), 't', 'nothing of migration 002 is left');
  };

  // A DBA sped up version 1's slow login check with an index of the name migration 002 gives its own.
  db.psql(`CREATE INDEX decisions_logins ON sshwarden.decisions USING gist (target inet_ops) WHERE kind = 'login'`, database);
  initFails('002_commit_in_seq_order.sql', /relation "decisions_logins" already exists/);
  await publishAsA('ban:2', '198.51.100.61'); // the version-1 guards keep working
  db.psql('DROP INDEX sshwarden.decisions_logins', database);

  // Version 1 had no retention, so the DBA wrote a sshwarden.prune(interval) of their own: 002 goes
  // through, 003 fails, and 002 is undone with it (one transaction: the schema is 1 or 3, never 2).
  db.psql(`CREATE FUNCTION sshwarden.prune(p_older_than interval) RETURNS void LANGUAGE sql
             AS $$ DELETE FROM sshwarden.scores WHERE bucket * 60 < extract(epoch FROM now() - p_older_than) $$`, database);
  initFails('003_reader_retention.sql', /function "prune" already exists with same argument types/);
  await publishAsA('ban:3', '198.51.100.62');
  db.psql('DROP FUNCTION sshwarden.prune(interval)', database);

  const up = cliJson<{ schema: { from: number; to: number } }>(['fleet', 'init', adminUrl]);
  assert.deepEqual(up.schema, { from: 1, to: SCHEMA_VERSION });
  assert.equal(shape(database), shape('fleet_fresh'));
  await publishAsA('ban:4', '198.51.100.63');
  assert.equal(db.psql(`SELECT string_agg(origin_id, ',' ORDER BY seq) FROM sshwarden.decisions`, database).trim(), 'ban:1,ban:2,ban:3,ban:4');
});

test('a database whose migration 2 is not this build\'s migration 2 is refused in one line and left as it is', { timeout: 120_000 }, async () => {
  // For a while, a development build's migration 2 was the reader role and retention (now 003).
  const database = 'fleet_renumbered';
  await oldFleet(database, 1, []);
  db.psql(readFileSync(new URL('../../src/fleet/migrations/003_reader_retention.sql', import.meta.url), 'utf8'), database);
  db.psql(`INSERT INTO sshwarden.schema_migrations (version, name) VALUES (2, 'reader_retention')`, database);
  const shapeBefore = shape(database);
  const r = cli(['fleet', 'init', db.url('postgres', database)]);
  assert.equal(r.status, 4, r.stdout);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^sshwarden: fleet database .*: the fleet schema's migration 2 is "reader_retention", but this sshwarden's migration 2 is "commit_in_seq_order" .*nothing changed/);
  assert.equal(version(database), 2);
  assert.equal(shape(database), shapeBefore);
});

test('a migration that would wait long for a table (a backup or a long report holds it) gives up after 10 s, changing nothing; later it goes through', { timeout: 180_000 }, async () => {
  const database = 'fleet_busy';
  await oldFleet(database, 1, ['busy-a']);
  // A backup or a report as a DBA runs it (psql, pg_dump: no statement bound) holds the decisions table.
  const holder = new pg.Client({ host: db.socketDir, port: db.port, user: 'postgres', password: db.superPassword, database });
  await holder.connect();
  const shapeBefore = shape(database);
  try {
    const holding = holder.query(`BEGIN; LOCK TABLE sshwarden.decisions IN ACCESS SHARE MODE; SELECT pg_sleep(25); COMMIT`);
    const held = () => db.psql(`SELECT count(*) FROM pg_locks WHERE relation = 'sshwarden.decisions'::regclass AND mode = 'AccessShareLock' AND granted`, database).trim() !== '0';
    await until(held, 10_000, 'the decisions table is held');
    const t0 = Date.now();
    const r = cli(['fleet', 'init', db.url('postgres', database)]);
    const took = Date.now() - t0;
    assert.equal(r.status, 4, r.stdout);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /migration 002_commit_in_seq_order\.sql failed, nothing changed \(the schema stays at version 1\): canceling statement due to lock timeout: another session held a table it changes for more than 10 s/);
    assert.ok(took >= 9_000 && took < 15_000, `gave up after the lock wait, before a guard's 15 s statement bound (${took} ms)`);
    assert.ok(held(), 'the holder still holds it: the upgrade gave up first');
    assert.equal(version(database), 1);
    assert.equal(shape(database), shapeBefore, 'not one object changed');
    await holding;
  } finally {
    await holder.end();
  }
  const up = cliJson<{ schema: { from: number; to: number } }>(['fleet', 'init', db.url('postgres', database)]);
  assert.deepEqual(up.schema, { from: 1, to: SCHEMA_VERSION });
  assert.equal(shape(database), shape('fleet_fresh'));
});
