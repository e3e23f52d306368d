/**
 * `report --pcap` opened in real headless Chromium (Debian's, through playwright-core, every
 * request blocked): the "What the wire saw" section renders from the real lab capture + log
 * (test/pcap/fixtures/wire-doctor.*) with the numbers of the page data, which equal
 * `sshwarden pcap --log --json` on the same files; no console error, no request; the doctor answer
 * at the top names the wire evidence; a page without --pcap has no wire section.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestBrowser } from './browser.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PCAP = join(REPO, 'test/pcap/fixtures/wire-doctor.pcap');
const LOG = join(REPO, 'test/pcap/fixtures/wire-doctor.log');
let dir = '';
const browser = new TestBrowser();

function sshwarden(args: string[]) {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sshwarden-report-wire-'));
  await browser.start();
});

after(async () => {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
});

test('report --pcap: the wire section renders with the join\'s numbers, wire-only rows with why, the clock offset', async () => {
  const out = join(dir, 'wire.html');
  const r = sshwarden(['report', LOG, '--pcap', PCAP, '-o', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const joined = JSON.parse(sshwarden(['pcap', PCAP, '--log', LOG, '--json']).stdout);
  const o = await browser.open(out);
  try {
    assert.deepEqual(o.errors, []);
    assert.deepEqual([...new Set(o.requests)], [o.page.url()], 'the only request is the page itself');
    assert.ok(await o.page.isVisible('#sec-wire'), 'the wire section is shown');
    assert.equal(await o.page.$eval('#sec-wire h2', (e) => e.textContent), 'What the wire saw');
    // counts by outcome and by Zeek state, as the pcap engine gives them
    const outcomes = await o.page.$$eval('#wire-outcomes tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-outcome'), Number(tr.lastElementChild?.textContent)]));
    assert.deepEqual(Object.fromEntries(outcomes), joined.summary.outcomes);
    const states = await o.page.$$eval('#wire-states tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-state'), Number(tr.lastElementChild?.textContent)]));
    assert.deepEqual(Object.fromEntries(states), joined.summary.connStates);
    // the connections only the wire saw, each with the frame and why the log has no line
    const rows = (await o.page.$$eval('#wire-only tbody td', (tds) => tds.map((td) => td.textContent ?? ''))).reduce<string[][]>((acc, t, i) => (i % 6 === 0 ? acc.push([t]) : acc[acc.length - 1].push(t), acc), []);
    assert.equal(rows.length, joined.join.wireOnly.length);
    assert.ok(rows.length >= 3);
    const expected = joined.join.wireOnly.map((x: { wire: { client: string; clientPort: number; frame: number }; why: string }) => [`${x.wire.client} port ${x.wire.clientPort}`, String(x.wire.frame), x.why]);
    assert.deepEqual(rows.map((c) => [c[1], c[4], c[5]]), expected);
    const off = joined.join.clockOffsetMs as number;
    const clock = await o.page.$eval('#wire-clock', (e) => e.textContent ?? '');
    assert.ok(clock.includes(`Clock offset (log time − capture time): ${off >= 0 ? '+' : ''}${(off / 1000).toFixed(3)} s, from ${joined.join.offsetPairs} connections both saw`), clock);
    assert.match(clock, new RegExp(`^Joined with the log: ${joined.join.both.length} connections both saw, ${joined.join.wireOnly.length} only the wire, ${joined.join.logOnly.length} only the log\\.`));
    // the answer on top is doctor's ranking with the wire in it
    assert.match(await o.page.$eval('.verdict', (e) => e.textContent ?? ''), /refused by the listener \(MaxStartups\) 1 time on the wire/);
    assert.ok((await o.page.$$eval('#sec-answer li code', (els) => els.map((e) => e.textContent ?? ''))).some((t) => /wire-doctor\.pcap frame \d+$/.test(t)), 'wire evidence with its frame');
    const shot = join(dir, 'sec-wire.png');
    await o.page.locator('#sec-wire').screenshot({ path: shot });
    assert.ok(statSync(shot).size > 1000);
  } finally {
    await o.page.close();
  }
  const plain = join(dir, 'plain.html');
  assert.equal(sshwarden(['report', LOG, '-o', plain]).status, 0);
  const p = await browser.open(plain);
  try {
    assert.deepEqual(p.errors, []);
    assert.equal(await p.page.$('#sec-wire'), null, 'no --pcap, no wire section');
  } finally {
    await p.page.close();
  }
});
