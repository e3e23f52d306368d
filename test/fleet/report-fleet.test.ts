/**
 * `sshwarden report --fleet` against a real PostgreSQL started by the test and opened in a real
 * headless Chromium (Debian's, every request blocked): three servers publish through their own
 * roles (the same SQL functions the guards call: bans of the guard's own, an operator's ban,
 * logins, score summaries that cross the fleet threshold); the report, read with the read-only
 * role sshwarden-report, shows exactly those numbers, in --json and on the page (figures, bans by
 * origin, the per-server table, top sources, which servers refused whom, the timeline drawn).
 * A screenshot of the page is kept in $REPORT_SCREENSHOTS when that is set. The reporting role cannot write; a wrong password, log files with --fleet are one clear line.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { startPostgres, type Postgres } from '../lab/postgres.ts';
import { MAIN } from '../guard/guard-lab.ts';
import { TestBrowser, canvasInkPixels, shownNumbers } from '../report/browser.ts';
import { clientConfig } from '../../src/fleet/connect.ts';
import type { FleetReportData } from '../../src/fleet/report-queries.ts';

let db: Postgres;
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-fleet-report-'));
const browser = new TestBrowser();
let readerUrl = '';

function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, timeout: 60_000 });
}

async function connect(role: string, passwordName: string): Promise<pg.Client> {
  const c = new pg.Client(clientConfig({ url: db.url(role), passwordFile: join(dir, `${passwordName}.password`) }));
  await c.connect();
  return c;
}

async function publish(c: pg.Client, kind: string, target: string, seconds: number | null, originId: string): Promise<void> {
  const r = await c.query(`SELECT seq, refused FROM sshwarden.publish($1, $2::cidr, $3, 'test', '[]', $4)`, [kind, target, seconds, originId]);
  assert.ok(r.rows[0].seq, `${kind} ${target} published (${r.rows[0].refused ?? ''})`);
}

async function scores(c: pg.Client, rows: { source: string; score: number; events: number }[]): Promise<void> {
  await c.query('SELECT sshwarden.publish_scores($1::jsonb, 60, 3600, 3600)', [JSON.stringify(rows)]);
}

before(async () => {
  db = await startPostgres();
  const r = cli(['fleet', 'init', db.url('postgres'), '--server', 'web-a', '--server', 'web-b', '--server', 'web-c', '--reader', '--password-dir', dir, '--json'], { PGPASSWORD: db.superPassword });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).reader.role, 'sshwarden-report');
  readerUrl = db.url('sshwarden-report');
  const a = await connect('sshwarden_web_a', 'web-a');
  const b = await connect('sshwarden_web_b', 'web-b');
  const c = await connect('sshwarden_web_c', 'web-c');
  try {
    await publish(a, 'ban', '198.51.100.10', 3600, 'ban:198.51.100.10:1');
    await publish(a, 'ban', '198.51.100.11', 3600, 'ban:198.51.100.11:1');
    await publish(a, 'ban', '198.51.100.12', 3600, 'manual:ban:198.51.100.12:1'); // an operator's `sshwarden ban`
    await publish(a, 'login', '203.0.113.5', 86400, 'login:203.0.113.5:1');
    await publish(b, 'ban', '198.51.100.10', 3600, 'ban:198.51.100.10:2');
    await publish(b, 'login', '203.0.113.6', 86400, 'login:203.0.113.6:1');
    await scores(a, [{ source: '198.51.100.20', score: 30, events: 3 }, { source: '198.51.100.10', score: 5, events: 1 }]);
    await scores(b, [{ source: '198.51.100.20', score: 35, events: 4 }]); // 65 >= 60: the fleet rule bans it everywhere
    await scores(c, [{ source: '198.51.100.30', score: 4, events: 2 }]);
  } finally {
    await Promise.all([a.end(), b.end(), c.end()]);
  }
  await browser.start();
});

after(async () => {
  await browser.close().catch(() => {});
  await db?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function reportJson(): FleetReportData {
  const r = cli(['report', '--fleet', readerUrl, '--password-file', join(dir, 'report.password'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout) as FleetReportData;
}

test('--json: the numbers are what the servers published (and what the database holds)', () => {
  const d = reportJson();
  assert.equal(d.meta.role, 'sshwarden-report');
  assert.deepEqual(d.origins, { local: 3, fleet: 1, operator: 1 });
  assert.equal(d.totals.bans, Number(db.psql(`SELECT count(*) FROM sshwarden.decisions WHERE kind = 'ban'`, 'sshwarden').trim()));
  assert.deepEqual({ ...d.totals }, { servers: 3, bans: 5, logins: 2, activeBans: 4, sources: 3, events: 10, score: 74 });
  const a = d.servers.find((s) => s.name === 'web-a')!;
  assert.deepEqual({ bans: a.bans, logins: a.logins, score: a.score, events: a.events, sources: a.sources }, { bans: { local: 2, operator: 1 }, logins: 1, score: 35, events: 4, sources: 2 });
  const b = d.servers.find((s) => s.name === 'web-b')!;
  assert.deepEqual({ bans: b.bans, logins: b.logins, score: b.score, events: b.events }, { bans: { local: 1, operator: 0 }, logins: 1, score: 35, events: 4 });
  assert.deepEqual(d.topSources[0], { source: '198.51.100.20', score: 65, events: 7, servers: 2, bans: 1, activeBan: true });
  assert.deepEqual(d.topSources.map((s) => s.source), ['198.51.100.20', '198.51.100.10', '198.51.100.30']);
  assert.deepEqual(
    d.refusals.map((r) => `${r.server} ${r.source} ${r.score} ${r.events} ${r.banned}`),
    ['web-a 198.51.100.20 30 3 false', 'web-a 198.51.100.10 5 1 true', 'web-b 198.51.100.20 35 4 false', 'web-c 198.51.100.30 4 2 false'],
  );
  const tl = d.timeline;
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  assert.deepEqual([sum(tl.local), sum(tl.fleet), sum(tl.operator), sum(tl.logins), sum(tl.events)], [3, 1, 1, 2, 10]);
  assert.equal(tl.t.length, tl.local.length);
  assert.equal(tl.step, 3600);
});

async function tableRows(page: Page, id: string): Promise<string[][]> {
  return page.$$eval(`#${id} tbody tr`, (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
}

test('the page in Chromium: no errors, no request, charts drawn, the same numbers as --json', async () => {
  const d = reportJson();
  const file = join(dir, 'fleet.html');
  const r = cli(['report', '--fleet', readerUrl, '--password-file', join(dir, 'report.password'), '-o', file]);
  assert.equal(r.status, 0, r.stderr);
  const o = await browser.openClean(file);
  try {
    const shown = await shownNumbers(o.page);
    assert.deepEqual(shown, {
      servers: d.totals.servers, bans: d.totals.bans, 'active-bans': d.totals.activeBans, logins: d.totals.logins, sources: d.totals.sources, events: d.totals.events,
      'origin-local': 3, 'origin-fleet': 1, 'origin-operator': 1,
    });
    assert.ok((await canvasInkPixels(o.page, '#fleet-timeline canvas')) > 500, 'the timeline is drawn');
    assert.ok((await canvasInkPixels(o.page, '#origin-chart')) > 500, 'bans by origin drawn');
    const servers = await tableRows(o.page, 'servers-table');
    assert.deepEqual(servers.map((r) => r.slice(0, 7)), [
      ['web-a', '2', '1', '1', '35', '4', '2'],
      ['web-b', '1', '0', '1', '35', '4', '1'],
      ['web-c', '0', '0', '0', '4', '2', '1'],
    ]);
    assert.deepEqual((await tableRows(o.page, 'sources-table'))[0], ['198.51.100.20', '65', '7', '2', '1', 'yes']);
    assert.equal((await tableRows(o.page, 'refusals-table')).length, 4);
    // A full-page screenshot (kept in $REPORT_SCREENSHOTS when that is set, like the log report's).
    const shot = join(process.env.REPORT_SCREENSHOTS ?? dir, 'fleet-report.png');
    await o.page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 10_000, `${shot} written`);
    await o.page.selectOption('#refusals-server', 'web-b');
    assert.deepEqual(await tableRows(o.page, 'refusals-table'), [['web-b', '198.51.100.20', '35', '4', 'no']]);
  } finally {
    await o.page.close();
  }
});

test('the reporting role reads and cannot write', async () => {
  const r = await connect('sshwarden-report', 'report');
  try {
    assert.ok((await r.query('SELECT count(*) FROM sshwarden.decisions')).rows[0].count > 0);
    await assert.rejects(r.query(`DELETE FROM sshwarden.decisions`), /permission denied/);
    await assert.rejects(r.query(`SELECT sshwarden.publish('ban', '198.51.100.99', 60, 'x', '[]', 'x')`), /permission denied/);
    await assert.rejects(r.query(`SELECT * FROM sshwarden.prune(interval '1 day')`), /permission denied/);
  } finally {
    await r.end();
  }
});

test('bad input: wrong password, log files with --fleet, a password in the URL: one clear line, no page', () => {
  const out = join(dir, 'bad.html');
  const wrong = cli(['report', '--fleet', readerUrl, '-o', out], { PGPASSWORD: 'not-the-password' });
  assert.equal(wrong.status, 4, wrong.stderr);
  assert.match(wrong.stderr, /cannot connect: password authentication failed/);
  assert.equal(wrong.stderr.trim().split('\n').length, 1);
  assert.throws(() => readFileSync(out), /ENOENT/, 'no half-written page');
  const files = cli(['report', '--fleet', readerUrl, 'auth.log', '-o', out]);
  assert.equal(files.status, 2);
  assert.match(files.stderr, /--fleet reads the fleet's database, not log files/);
  const inUrl = cli(['report', '--fleet', readerUrl.replace('sshwarden-report@', 'sshwarden-report:secret@'), '--json']);
  assert.equal(inUrl.status, 2);
  assert.match(inUrl.stderr, /has a password in it/);
  assert.doesNotMatch(inUrl.stderr, /secret/);
});
