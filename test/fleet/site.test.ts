/**
 * The shared listener (src/fleet/site.ts) against a real PostgreSQL started by the test: one site
 * with three member guards (one LISTEN + catch-up connection for all, as the read-only role
 * sshwarden-report, publishing through a pool of 2 per-role connections), and a fourth server on
 * its own FleetLink, all publishing at once. Every member applies every other server's decision
 * exactly once and in seq order, never its own (concurrent publishers included: decisions commit
 * in seq order, migration 003); every write names its own server; the site holds at most 1 + 2
 * connections; after PostgreSQL is stopped and started again the members publish what queued and
 * catch up, still exactly once.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type Postgres } from '../lab/postgres.ts';
import { MAIN } from '../guard/guard-lab.ts';
import { FleetLink, type FleetDecision, type FleetLinkOptions, type FleetSink } from '../../src/fleet/link.ts';
import { FleetSite, type SiteMember } from '../../src/fleet/site.ts';
import { READER_ROLE } from '../../src/fleet/migrate.ts';

let db: Postgres;
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-fleet-site-'));
const MEMBERS = ['m-1', 'm-2', 'm-3'];
const applied: Record<string, FleetDecision[]> = {};
const cursors: Record<string, number> = {};
let site: FleetSite;
const members: Record<string, SiteMember> = {};
let solo: FleetLink;

function opts(server: string): FleetLinkOptions {
  return { database: { url: db.url(`sshwarden_${server.replace('-', '_')}`), passwordFile: join(dir, `${server}.password`) }, server, threshold: 1000, windowMs: 3_600_000, banMs: 3_600_000, version: 'test' };
}

function sink(server: string): FleetSink {
  applied[server] = [];
  cursors[server] = 0;
  return {
    apply: (d) => applied[server].push(d),
    cursor: () => cursors[server],
    saveCursor: (s) => (cursors[server] = s),
    backlog: () => [],
    log: () => {},
  };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const seqsNotBy = (server: string) => db.psql(`SELECT coalesce(string_agg(seq::text, ',' ORDER BY seq), '') FROM sshwarden.decisions WHERE server <> '${server}'`, 'sshwarden').trim();
const total = () => Number(db.psql('SELECT count(*) FROM sshwarden.decisions', 'sshwarden').trim());

/** Every member (and the solo link) has applied exactly the other servers' decisions, once each, in seq order. */
function assertExactlyOnceInOrder(): void {
  for (const s of [...MEMBERS, 'solo']) {
    const got = applied[s].map((d) => d.seq);
    assert.equal(got.join(','), seqsNotBy(s), `${s}: every other server's decision once, in seq order`);
    assert.ok(!applied[s].some((d) => d.server === s), `${s} never applies its own`);
  }
}

function publishBurst(tag: string, n: number): void {
  // Octets 1-250 of 198.51.100.0/24 per tag: data only, nothing is sent anywhere.
  for (let i = 0; i < n; i++) {
    for (const [k, s] of [...MEMBERS, 'solo'].entries()) {
      const target = `198.51.100.${(i % 60) + 1 + k * 60}`;
      const item = { kind: 'ban' as const, target, seconds: 600, reason: `${tag} ${i}`, evidence: [], originId: `${tag}:${s}:${i}` };
      if (s === 'solo') solo.publish(item);
      else members[s].publish(item);
    }
  }
}

before(async () => {
  db = await startPostgres();
  const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, 'fleet', 'init', db.url('postgres'), ...[...MEMBERS, 'solo'].flatMap((s) => ['--server', s]), '--reader', '--password-dir', dir], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: db.superPassword },
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  db.psql(`UPDATE sshwarden.settings SET value = '100000' WHERE key = 'max_bans_per_minute'`, 'sshwarden');
  site = new FleetSite({ listener: { url: db.url(READER_ROLE), passwordFile: join(dir, 'report.password') }, poolSize: 2, log: () => {} });
  for (const m of MEMBERS) members[m] = site.join(opts(m), sink(m));
  site.start();
  solo = new FleetLink(opts('solo'), sink('solo'));
  solo.start();
  await until(() => site.up && solo.up, 30_000, 'site and solo link connected');
});

after(async () => {
  await site?.stop();
  await solo?.stop();
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('four servers publishing at once: every member applies every other decision exactly once, in seq order; writes name their server', async () => {
  publishBurst('a', 150);
  await until(() => total() === 600 && [...MEMBERS, 'solo'].every((s) => applied[s].length === 450), 60_000, 'every decision applied everywhere');
  assertExactlyOnceInOrder();
  for (const s of [...MEMBERS, 'solo']) assert.equal(db.psql(`SELECT count(*) FROM sshwarden.decisions WHERE server = '${s}' AND origin_id LIKE 'a:${s}:%'`, 'sshwarden').trim(), '150', `${s}'s bans name ${s}`);
  for (const m of MEMBERS) assert.equal(members[m].status().published, 150);
  await new Promise((r) => setTimeout(r, 500)); // a connection the pool closed has left pg_stat_activity
  const conns = Number(db.psql(`SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('sshwarden-site', 'sshwarden-guard m-1', 'sshwarden-guard m-2', 'sshwarden-guard m-3')`).trim());
  assert.ok(conns <= 3, `the site holds at most 1 + poolSize connections (${conns})`);
});

test('PostgreSQL stopped and started again: the members queue, publish, and catch up exactly once', async () => {
  await db.stop();
  await until(() => !site.up, 20_000, 'the site sees the outage');
  publishBurst('b', 20); // queued while the database is away
  await new Promise((r) => setTimeout(r, 500));
  await db.start();
  await until(() => total() === 680 && [...MEMBERS, 'solo'].every((s) => applied[s].length === 510), 90_000, 'converged after the outage');
  assertExactlyOnceInOrder();
});
