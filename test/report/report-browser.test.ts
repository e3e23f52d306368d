/**
 * `sshwarden report` pages opened in a real headless Chromium (Debian's, through playwright-core)
 * with every request blocked: no console errors, no request but the page itself, the charts drawn
 * (canvas pixels), the numbers on the page equal to `analyze --json` for the same input, sorting and
 * filtering of the sources table, zoom and pan of the timeline, dark mode, print; client-controlled
 * strings shown as text (no script, no dialog); empty input says so. A screenshot of every section
 * is written to a temporary folder (kept in $REPORT_SCREENSHOTS when that is set).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { TestBrowser, canvasInkPixels, shownNumbers } from './browser.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SECTIONS = ['sec-answer', 'sec-timeline', 'sec-kex', 'sec-sources', 'sec-users', 'sec-config', 'sec-about'];
let dir = '';
let shots = '';
const browser = new TestBrowser();

function sshwarden(args: string[]) {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

function makeReport(name: string, log: string | null, extra: string[] = []): string {
  const out = join(dir, `${name}.html`);
  let input = join(REPO, 'samples/auth.log');
  if (log !== null) {
    input = join(dir, `${name}.log`);
    writeFileSync(input, log);
  }
  const r = sshwarden(['report', input, '-o', out, ...extra]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  return out;
}

async function screenshotSections(page: Page, prefix: string): Promise<void> {
  for (const id of SECTIONS) {
    const path = join(shots, `${prefix}-${id}.png`);
    await page.locator(`#${id}`).screenshot({ path });
    assert.ok(statSync(path).size > 1000, `${path} written`);
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sshwarden-report-test-'));
  shots = process.env.REPORT_SCREENSHOTS ?? join(dir, 'screenshots');
  mkdirSync(shots, { recursive: true });
  await browser.start();
});

after(async () => {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

test('samples/auth.log: no errors, no request, charts drawn, numbers equal analyze --json, screenshots', async () => {
  const file = makeReport('sample', null);
  const o = await browser.openClean(file);
  try {
    for (const sel of ['#timeline-chart canvas', '#kex-chart', '#class-chart canvas']) assert.ok((await canvasInkPixels(o.page, sel)) > 1000, `${sel} has pixels`);

    const a = JSON.parse(sshwarden(['analyze', '--json', join(REPO, 'samples/auth.log')]).stdout);
    const s = a.summary;
    const shown = await shownNumbers(o.page);
    const expected: Record<string, number> = {
      connections: s.connections,
      sources: s.sources,
      authenticated: s.outcomes.authenticated,
      auth_failed: s.outcomes.auth_failed,
      dropped: s.outcomes.dropped,
      dropsReported: s.drops.reportedByThrottleLines,
      throttlingEpisodes: s.drops.throttlingEpisodes,
      fromLegitSources: s.drops.fromLegitSources,
      penalties: s.penalties,
      restarts: s.restarts,
      kexLines: s.kexIdentification.lines,
      kexConnections: s.kexIdentification.connections,
      kexSources: s.kexIdentification.sources,
      kexUnattributed: s.kexIdentification.unattributed,
      'class-legit': s.classes.legit,
      'class-bruteforce': s.classes.bruteforce,
      'class-scanner': s.classes.scanner,
      'class-unknown': s.classes.unknown,
    };
    assert.deepEqual(shown, expected);
    assert.ok(expected.connections > 0 && expected.kexLines > 0 && expected.sources > 0);
    // The answer is doctor's (checked against doctor itself in the --config test); the list below it is analyze's summary.
    const pageData = JSON.parse(await o.page.$eval('#report-data', (e) => e.textContent ?? ''));
    assert.equal(pageData.answer.by, 'doctor');
    assert.equal(await o.page.$eval('.verdict', (e) => e.textContent), pageData.answer.verdict.replace(/`/g, ''));
    // The sample is at LogLevel INFO: 4 of its 5 MaxStartups drops are only counted while users logged in (doctor's answer).
    assert.match(pageData.answer.verdict, /^sshd refused 4 more connections under load \(MaxStartups throttling\) in the logs, and the log does not say whose/);
    assert.deepEqual(await o.page.$$eval('#sec-answer .findings li', (els) => els.map((e) => e.textContent)), s.findings.slice(1).map((f: string) => f.replace(/`/g, '')));
    // The timeline's buckets add up to the outcome counts.
    const data = JSON.parse(await o.page.$eval('#report-data', (e) => e.textContent ?? ''));
    assert.equal(data.timeline.untimed, 0);
    data.outcomes.forEach((out: string, i: number) => {
      const sum = data.timeline.counts[i].reduce((x: number, y: number) => x + y, 0);
      assert.equal(sum, s.outcomes[out], `timeline total for ${out}`);
    });
    // Every source is a table row, with analyze's class and connections.
    const rows = await o.page.$$eval('#sources-table tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-address'), tr.querySelector('[data-col="class"]')?.textContent, Number(tr.querySelector('[data-col="connections"]')?.textContent)]));
    assert.equal(rows.length, a.sources.length);
    const bySrc = new Map(a.sources.map((x: { address: string; class: string; connections: number }) => [x.address, [x.address, x.class, x.connections]]));
    for (const r of rows) assert.deepEqual(r, bySrc.get(r[0] as string));
    // Your users: every legit source, in analyze's words.
    const users = await o.page.$$eval('#sec-users .user', (els) => els.map((e) => e.getAttribute('data-address')));
    assert.deepEqual(users.sort(), a.sources.filter((x: { class: string }) => x.class === 'legit').map((x: { address: string }) => x.address).sort());
    // What the log cannot tell: each blind spot is listed.
    const blind = await o.page.$$eval('#sec-about .blind li', (els) => els.map((e) => e.textContent));
    assert.deepEqual(blind, s.blindSpots.map((b: string) => b.replace(/`/g, '')));
    await screenshotSections(o.page, 'sample');
  } finally {
    await o.page.close();
  }
});

test('the sources table sorts and filters', async () => {
  const o = await browser.open(makeReport('sort', null));
  try {
    const col = (key: string) => o.page.$$eval(`#sources-table tbody td[data-col="${key}"]`, (tds) => tds.map((td) => td.textContent ?? ''));
    const conns = (await col('connections')).map(Number);
    assert.deepEqual(conns, [...conns].sort((x, y) => y - x), 'most connections first');
    await o.page.click('#sources-table th[data-col="failures"]');
    const failures = (await col('failures')).map(Number);
    assert.deepEqual(failures, [...failures].sort((x, y) => y - x), 'sorted by failures, descending');
    assert.ok(failures[0] > failures[failures.length - 1]);
    await o.page.click('#sources-table th[data-col="failures"]');
    const up = (await col('failures')).map(Number);
    assert.deepEqual(up, [...up].sort((x, y) => x - y), 'second click: ascending');
    await o.page.click('#sources-table th[data-col="address"]');
    const addrs = await col('address');
    assert.deepEqual(addrs, [...addrs].sort(), 'by address');

    const all = addrs.length;
    await o.page.selectOption('#source-class', 'bruteforce');
    const classes = await col('class');
    assert.ok(classes.length > 0 && classes.length < all);
    assert.ok(classes.every((c) => c === 'bruteforce'));
    assert.equal(await o.page.getAttribute('#source-status', 'data-matching'), String(classes.length));
    await o.page.selectOption('#source-class', '');
    await o.page.fill('#source-filter', '192.0.2.20');
    assert.deepEqual(await col('address'), ['192.0.2.20']);
    await o.page.fill('#source-filter', 'root');
    const withRoot = await col('users');
    assert.ok(withRoot.length > 1 && withRoot.every((u) => u.includes('root')));
    await o.page.fill('#source-filter', '');
    await o.page.check('#source-loggedin');
    const loggedIn = await col('loggedin');
    assert.ok(loggedIn.length > 0 && loggedIn.length < all && loggedIn.every((v) => v === 'yes'));
    assert.deepEqual(o.errors, []);
  } finally {
    await o.page.close();
  }
});

test('the timeline zooms and pans', async () => {
  const o = await browser.open(makeReport('zoom', null));
  try {
    const range = async () => (await o.page.getAttribute('#sec-timeline .controls', 'data-range'))!.split(',').map(Number);
    const [a0, b0] = await range();
    await o.page.click('button[data-act="zoom-in"]');
    const [a1, b1] = await range();
    assert.ok(b1 - a1 < (b0 - a0) * 0.6, 'zoomed in');
    await o.page.click('button[data-act="pan-left"]');
    const [a2, b2] = await range();
    assert.ok(a2 < a1 && Math.abs(b2 - a2 - (b1 - a1)) < 1e-6, 'panned earlier, same span');
    await o.page.click('button[data-act="pan-right"]');
    await o.page.click('button[data-act="pan-right"]');
    const [a3] = await range();
    assert.ok(a3 > a2, 'panned later');
    await o.page.click('button[data-act="reset"]');
    assert.deepEqual(await range(), [a0, b0]);
    // Drag across the chart: uPlot's select-to-zoom.
    await o.page.locator('#timeline-chart').scrollIntoViewIfNeeded();
    const box = (await o.page.locator('#timeline-chart .u-over').boundingBox())!;
    await o.page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await o.page.mouse.down();
    await o.page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
    await o.page.mouse.up();
    const [a4, b4] = await range();
    assert.ok(b4 - a4 < (b0 - a0) * 0.5 && a4 > a0, 'drag zoomed');
    assert.ok((await canvasInkPixels(o.page, '#timeline-chart canvas')) > 100);
    assert.deepEqual(o.errors, []);
  } finally {
    await o.page.close();
  }
});

test('user names and client text with HTML show as text: no script runs, no dialog', async () => {
  const log = [
    '2026-11-21T10:00:04.000000+00:00 srv sshd[203]: Invalid user <script>alert(1)</script> from 203.0.113.9 port 40003',
    '2026-11-21T10:00:05.000000+00:00 srv sshd[203]: Failed password for invalid user <script>alert(1)</script> from 203.0.113.9 port 40003 ssh2',
    '2026-11-21T10:00:06.000000+00:00 srv sshd[203]: Connection closed by invalid user <script>alert(1)</script> 203.0.113.9 port 40003 [preauth]',
    '2026-11-21T10:00:07.000000+00:00 srv sshd[204]: Invalid user </script><img src=x onerror=alert(1)> from 198.51.100.5 port 50001',
    '2026-11-21T10:00:07.100000+00:00 srv sshd[204]: Failed password for invalid user </script><img src=x onerror=alert(1)> from 198.51.100.5 port 50001 ssh2',
    '2026-11-21T10:00:07.200000+00:00 srv sshd[204]: Received disconnect from 198.51.100.5 port 50001:11: </script><img src=x onerror=alert(2)> [preauth]',
    '2026-11-21T10:00:07.300000+00:00 srv sshd[204]: Disconnected from invalid user </script><img src=x onerror=alert(1)> 198.51.100.5 port 50001 [preauth]',
    '2026-11-21T10:00:08.000000+00:00 srv sshd[205]: Accepted publickey for alice from 198.51.100.5 port 50002 ssh2: ED25519 SHA256:abc',
    '2026-11-21T10:00:09.000000+00:00 srv sshd[205]: Received disconnect from 198.51.100.5 port 50002:11: disconnected by user',
    '2026-11-21T10:00:09.000100+00:00 srv sshd[205]: Disconnected from user alice 198.51.100.5 port 50002',
    '2026-11-21T10:00:10.000000+00:00 srv sshd[206]: error: kex_exchange_identification: client sent invalid protocol identifier "<script>alert(3)</script>\u2028"',
    '2026-11-21T10:00:10.000100+00:00 srv sshd[206]: banner exchange: Connection from 203.0.113.10 port 40010: invalid format',
    '',
  ].join('\n');
  const file = makeReport('inject', log);
  const html = readFileSync(file, 'utf8');
  const dataBlock = html.slice(html.indexOf('id="report-data">'), html.indexOf('</script>', html.indexOf('id="report-data">')));
  assert.ok(!/[<>&\u2028\u2029]/.test(dataBlock.slice('id="report-data">'.length)), 'the data block holds no raw <, >, &, U+2028/9');
  assert.equal((html.match(/<script/g) ?? []).length, 3, 'only the page\'s own three script elements');
  const o = await browser.open(file);
  try {
    await o.page.waitForTimeout(300);
    assert.deepEqual(o.dialogs, []);
    assert.deepEqual(o.errors, []);
    assert.deepEqual([...new Set(o.requests)], [o.page.url()], 'the img src=x was never requested');
    assert.equal(await o.page.$$eval('img', (e) => e.length), 0, 'no img element was made from the data');
    assert.equal(await o.page.$$eval('script', (e) => e.length), 3);
    const users = await o.page.$$eval('#sources-table td[data-col="users"]', (tds) => tds.map((td) => td.textContent));
    assert.ok(users.includes('<script>alert(1)</script>'), 'shown as text in the sources table');
    assert.ok(users.some((u) => u?.includes('</script><img src=x onerror=alert(1)>')));
    const card = await o.page.$eval('#sec-users .user[data-address="198.51.100.5"]', (e) => e.textContent ?? '');
    assert.ok(card.includes('</script><img src=x onerror=alert(1)>'), 'user names as text in Your users');
    assert.ok(card.includes('</script><img src=x onerror=alert(2)>'), "the client's disconnect message as text");
    await screenshotSections(o.page, 'inject');
  } finally {
    await o.page.close();
  }
});

test('an empty log and a log without sshd lines give a page that says so', async () => {
  for (const [name, log] of [
    ['empty', ''],
    ['no-sshd', '2026-11-21T10:00:09.000000+00:00 srv CRON[7]: pam_unix(cron:session): session opened for user root\n'],
  ]) {
    const o = await browser.open(makeReport(name, log));
    try {
      assert.deepEqual(o.errors, []);
      const text = await o.page.$eval('#sec-answer', (e) => e.textContent ?? '');
      assert.match(text, /no sshd lines: there is nothing to show/);
      assert.match(await o.page.$eval('#sec-timeline', (e) => e.textContent ?? ''), /No connections in this log/);
      assert.equal(await o.page.$$eval('canvas', (e) => e.length), 0, 'no blank chart');
      await screenshotSections(o.page, name);
    } finally {
      await o.page.close();
    }
  }
});

test('journal records that claimed to be sshd\'s but failed the trust rule: counted in --json and said on the page, as analyze says them', async () => {
  // The forged-record export of the fault tests (two `logger -t sshd` records by uid 1000 among real sshd ones).
  const sample = join(REPO, 'test/faults/data/journal-forged.json');
  const analyzed = sshwarden(['analyze', sample, '--json']);
  assert.equal(analyzed.status, 0, analyzed.stderr);
  const untrusted = (JSON.parse(analyzed.stdout) as { inputs: { untrustedJournalRecords: number } }).inputs.untrustedJournalRecords;
  assert.equal(untrusted, 2);
  const sentence = /^2 journal records claimed to be sshd's but were not written by sshd \(first: \S*journal-forged\.json:8, identifier "sshd", process "logger", uid 1000\): not counted\. A record is sshd's when journald's trusted fields say so/;

  const json = sshwarden(['report', sample, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const meta = (JSON.parse(json.stdout) as { meta: { untrustedJournalRecords: number; untrustedJournalNote: string | null } }).meta;
  assert.equal(meta.untrustedJournalRecords, untrusted, 'the same count as analyze');
  assert.match(meta.untrustedJournalNote ?? '', sentence);
  const analyzeText = sshwarden(['analyze', sample]).stdout.replace(/\s+/g, ' ');
  assert.ok(analyzeText.includes(meta.untrustedJournalNote!), "in analyze's words");

  const out = join(dir, 'journal-forged.html');
  const r = sshwarden(['report', sample, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  const o = await browser.openClean(out);
  try {
    assert.match(await o.page.$eval('header #untrusted-journal', (e) => e.textContent ?? ''), sentence);
    const page = await o.page.$eval('#report', (e) => e.textContent ?? '');
    assert.doesNotMatch(page, /192\.0\.2\.77|198\.51\.100\.7(?!\d)/, 'the forged records accuse or protect nobody');
  } finally {
    await o.page.close();
  }
  // A log with no journal records says nothing of them.
  const clean = JSON.parse(sshwarden(['report', join(REPO, 'samples/auth.log'), '--json']).stdout) as { meta: { untrustedJournalRecords: number; untrustedJournalNote: string | null } };
  assert.equal(clean.meta.untrustedJournalRecords, 0);
  assert.equal(clean.meta.untrustedJournalNote, null);
});

test("--config: doctor's ranked causes with their fix, the audit findings and the MaxStartups simulation table", async () => {
  const cfg = join(dir, 'sshd_config');
  writeFileSync(cfg, 'MaxStartups 3:50:6\nPermitRootLogin yes\nPasswordAuthentication yes\n');
  // One of your users (198.51.100.5 logs in) is refused by MaxStartups.
  const log = [
    '2026-11-21T10:00:00.000000+00:00 srv sshd[100]: error: beginning MaxStartups throttling',
    '2026-11-21T10:00:01.000000+00:00 srv sshd[100]: drop connection #6 from [198.51.100.5]:50001 on [192.0.2.1]:22 past MaxStartups',
    '2026-11-21T10:00:02.000000+00:00 srv sshd[100]: drop connection #6 from [203.0.113.66]:50001 on [192.0.2.1]:22 past MaxStartups',
    '2026-11-21T10:00:05.000000+00:00 srv sshd[100]: exited MaxStartups throttling after 00:00:05, 7 connections dropped',
    '2026-11-21T10:00:07.000000+00:00 srv sshd[204]: Accepted publickey for alice from 198.51.100.5 port 50002 ssh2: ED25519 SHA256:abc',
    '2026-11-21T10:00:09.000000+00:00 srv sshd[205]: Received disconnect from 198.51.100.5 port 50002:11: disconnected by user',
    '2026-11-21T10:00:09.000100+00:00 srv sshd[205]: Disconnected from user alice 198.51.100.5 port 50002',
    '',
  ].join('\n');
  const file = makeReport('config', log, ['--config', cfg]);
  const o = await browser.open(file);
  try {
    assert.deepEqual(o.errors, []);
    const doctor = JSON.parse(sshwarden(['doctor', '--offline', '--log', join(dir, 'config.log'), '--config', cfg, '--since', '2026-11-01', '--json']).stdout);
    const verdict = await o.page.$eval('.verdict', (e) => e.textContent);
    // doctor names its window ("in the last N h", "since …"); the report's window is the whole log
    assert.equal(verdict, doctor.verdict.replace(/`/g, '').replace(/in the last \d+ h|since \S+Z/g, 'in the logs'));
    const causes = await o.page.$$eval('#sec-answer .causes > li', (els) => els.map((e) => e.getAttribute('data-cause')));
    assert.deepEqual(causes, doctor.causes.map((c: { id: string }) => c.id));
    assert.equal(causes[0], 'maxstartups');
    const fix = await o.page.$eval('#sec-answer .causes > li .advice', (e) => e.textContent ?? '');
    assert.match(fix, /MaxStartups \d+:\d+:\d+/, 'the fix from src/advice is on the page');
    // the red mark for the refused user connection
    assert.deepEqual(JSON.parse(await o.page.$eval('#report-data', (e) => e.textContent ?? '')).userRefusals, [[Date.parse('2026-11-21T10:00:01Z') / 1000, '198.51.100.5']]);

    const audit = JSON.parse(sshwarden(['audit', cfg, '--json']).stdout);
    const shown = await o.page.$$eval('#sec-config .finding strong', (els) => els.map((e) => e.textContent));
    assert.deepEqual(shown, audit.findings.map((f: { title: string }) => f.title));
    assert.ok(shown.length > 0);
    const rows = await o.page.$$eval('#simulation-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    assert.equal(rows[0][0], 'current');
    assert.equal(rows[0][2], '3:50:6', "today's MaxStartups from the config");
    assert.ok(rows.some((r) => r[0] === 'sshd default' && r[2] === '10:30:100'));
    assert.match(await o.page.$eval('#simulation-answer', (e) => e.textContent ?? ''), /runs/);
    await screenshotSections(o.page, 'config');
  } finally {
    await o.page.close();
  }
});

test('a log without times (sshd -E) gives a page without a timeline that says why, the rest intact', async () => {
  const log = 'Server listening on 0.0.0.0 port 22.\r\nConnection from 192.0.2.1 port 5 on 192.0.2.2 port 22 rdomain ""\r\nConnection closed by 192.0.2.1 port 5 [preauth]\r\n';
  const o = await browser.open(makeReport('no-times', log));
  try {
    assert.deepEqual(o.errors, []);
    assert.match(await o.page.$eval('#sec-timeline', (e) => e.textContent ?? ''), /have no times: no timeline can be drawn/);
    assert.deepEqual(await o.page.$$eval('#sources-table tbody tr', (trs) => trs.map((tr) => tr.getAttribute('data-address'))), ['192.0.2.1']);
    assert.equal((await shownNumbers(o.page)).connections, 1);
  } finally {
    await o.page.close();
  }
});

test('dark mode follows the system, and the page prints without its controls', async () => {
  const file = makeReport('dark', null);
  const dark = new TestBrowser();
  await dark.start({ colorScheme: 'dark' });
  try {
    const o = await dark.open(file);
    const bg = await o.page.evaluate('getComputedStyle(document.documentElement).backgroundColor');
    const [r, g, b] = String(bg).match(/\d+/g)!.map(Number);
    assert.ok(r + g + b < 150, `dark background (${bg})`);
    assert.ok((await canvasInkPixels(o.page, '#timeline-chart canvas')) > 1000);
    assert.deepEqual(o.errors, []);
    await o.page.screenshot({ path: join(shots, 'dark-page.png'), fullPage: true });
    await o.page.emulateMedia({ media: 'print', colorScheme: 'light' });
    assert.equal(await o.page.$eval('#sec-timeline .controls', (e) => (e.ownerDocument.defaultView as unknown as { getComputedStyle(x: unknown): { display: string } }).getComputedStyle(e).display), 'none');
    const pdf = await o.page.pdf({ format: 'A4' });
    assert.ok(pdf.length > 20_000, 'a PDF with content');
  } finally {
    await dark.close();
  }
});
