/**
 * The report's data, without a browser: time buckets that adapt to the span (exact when they
 * merge), the page data built from the engine (marks of your users' refused connections, penalised
 * sources, the empty case), and the JSON embedded safely in the page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BUCKET_LADDER, TimeBuckets } from '../../src/report/time-buckets.ts';
import { PageDataBuilder, type PageData } from '../../src/report/page-data.ts';
import { renderPage, scriptSafeJson, inlineScript } from '../../src/report/html-page.ts';
import { readPageAssets } from '../../src/report/page-assets.ts';
import { Analyzer } from '../../src/engine/analyzer.ts';
import { createFramer } from '../../src/framing/index.ts';
import { frameText } from '../framing/frame-text.ts';

const META: PageData['meta'] = { generated: null, command: 'sshwarden report test', inputs: [], lines: 0, sshdLines: 0, otherPrograms: 0, malformed: 0, failedInputs: 0, untrustedJournalRecords: 0, untrustedJournalNote: null, first: null, last: null };

test('time buckets: one second up to a week, never more than maxBuckets, totals kept exactly', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 40 * 86400 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 300 }), (events) => {
      const b = new TimeBuckets(3, { maxBuckets: 100, trackKeys: true });
      for (const [t, i, k] of events) b.add(1_800_000_000 + t, i, k);
      const s = b.series();
      assert.ok(s.counts[0].length <= 100);
      assert.ok((BUCKET_LADDER as readonly number[]).includes(s.step));
      for (let i = 0; i < 3; i++) assert.equal(s.counts[i].reduce((x, y) => x + y, 0), events.filter((e) => e[1] === i).length);
      // every event lies in its bucket
      for (const [t, i] of events) {
        const at = Math.floor((1_800_000_000 + t - s.start!) / s.step);
        assert.ok(at >= 0 && at < s.counts[i].length && s.counts[i][at] > 0);
      }
      // distinct keys per bucket stay exact through the merges
      const ks = b.keySeries(1, () => 0);
      const expect = new Map<number, Set<number>>();
      for (const [t, , k] of events) {
        const at = Math.floor((1_800_000_000 + t - s.start!) / s.step);
        if (!expect.has(at)) expect.set(at, new Set());
        expect.get(at)!.add(k);
      }
      for (let at = 0; at < ks.counts[0].length; at++) assert.equal(ks.counts[0][at], expect.get(at)?.size ?? 0);
    }),
    { numRuns: 200 },
  );
});

test('time buckets: the step follows the span (seconds for a minute, hours for weeks)', () => {
  const minute = new TimeBuckets(1);
  for (let t = 0; t < 60; t++) minute.add(1_800_000_000 + t, 0);
  assert.equal(minute.series().step, 1);
  const weeks = new TimeBuckets(1);
  for (let t = 0; t < 21 * 86400; t += 500) weeks.add(1_800_000_000 + t, 0);
  assert.equal(weeks.series().step, 1800, '21 days in at most 1500 buckets: 30 min');
  assert.equal(new TimeBuckets(2).series().start, null);
});

const LOG = [
  '2026-11-21T10:00:00.000000+00:00 srv sshd[100]: error: beginning MaxStartups throttling',
  '2026-11-21T10:00:01.000000+00:00 srv sshd[100]: drop connection #10 from [198.51.100.5]:50001 on [192.0.2.1]:22 past MaxStartups',
  '2026-11-21T10:00:02.000000+00:00 srv sshd[100]: drop connection #10 from [203.0.113.66]:50001 on [192.0.2.1]:22 past MaxStartups',
  '2026-11-21T10:00:05.000000+00:00 srv sshd[100]: exited MaxStartups throttling after 00:00:05, 7 connections dropped',
  '2026-11-21T10:00:07.000000+00:00 srv sshd[204]: Accepted publickey for alice from 198.51.100.5 port 50002 ssh2: ED25519 SHA256:abc',
  '2026-11-21T10:00:09.000000+00:00 srv sshd[205]: Received disconnect from 198.51.100.5 port 50002:11: disconnected by user',
  '2026-11-21T10:00:09.000100+00:00 srv sshd[205]: Disconnected from user alice 198.51.100.5 port 50002',
  '2026-11-21T10:00:10.000000+00:00 srv sshd[100]: Received SIGHUP; restarting.',
].join('\n');

function build(text: string): PageData {
  const analyzer = new Analyzer({ keepConnections: false });
  const page = new PageDataBuilder();
  const take = (us: ReturnType<Analyzer['push']>) => {
    for (const u of us) if (u.kind === 'connection-closed') page.connection(u.connection);
  };
  for (const line of frameText(createFramer('syslog-iso', 'test.log', { timezone: 'UTC' }), text)) take(analyzer.push(line));
  const { finalUpdates, connections: _c, ...result } = analyzer.finish();
  void _c;
  take(finalUpdates);
  return page.finish(result, { meta: META });
}

test("page data: your users' refused connections are marked, episodes and restarts placed, totals from the summary", () => {
  const d = build(LOG);
  const t0 = Date.parse('2026-11-21T10:00:00Z') / 1000;
  assert.deepEqual(d.userRefusals, [[t0 + 1, '198.51.100.5']], 'only the drop of the source that logged in');
  assert.deepEqual(d.throttling, [{ host: 'srv', start: t0, end: t0 + 5, drops: 7 }]);
  assert.deepEqual(d.restarts.map((r) => [r.t, r.type]), [[t0 + 10, 'restart']]);
  assert.equal(d.totals.drops.fromLegitSources, 1);
  assert.deepEqual(d.users.map((u) => [u.address, u.logins, u.problems.map((p) => p[1])]), [['198.51.100.5', 1, ['dropped']]]);
  assert.equal(d.sources.total, 2);
  assert.deepEqual(d.sources.rows.map((r) => [r[0], d.classes[r[1]], r[6]]), [['198.51.100.5', 'legit', true], ['203.0.113.66', 'unknown', false]]);
  assert.equal(d.timeline.step, 1);
  assert.equal(d.timeline.counts[d.outcomes.indexOf('dropped')].reduce((a, b) => a + b, 0), 2);
  assert.equal(d.answer.by, 'analyze');
  assert.match(d.answer.verdict, /^In short: sshd turned away 1 connection/);
});

test('page data: an empty input gives empty series, not an error', () => {
  const d = build('');
  assert.equal(d.timeline.start, null);
  assert.equal(d.totals.connections, 0);
  assert.deepEqual(d.sources.rows, []);
  assert.deepEqual(d.about.blindSpots, ['No sshd lines: nothing can be said.']);
});

test('the embedded JSON cannot end its script element, and parses back to the same data', () => {
  const nasty = { user: '</script><img src=x onerror=alert(1)>', v: '<!-- x --> & \u2028\u2029 <script>' };
  const json = scriptSafeJson(nasty);
  assert.ok(!/[<>&\u2028\u2029]/.test(json));
  assert.deepEqual(JSON.parse(json), nasty);
  assert.equal(inlineScript('var s = "</script><!--";'), 'var s = "\\x3C/script>\\x3C!--";');
  const html = renderPage(build(''), { chartJs: 'var a = 1;', chartCss: '', appJs: 'var b = "</SCRIPT>";', appCss: '' });
  assert.equal((html.match(/<\/script>/gi) ?? []).length, 3);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'/);
});

test('both page scripts get the shared DOM helpers (page/dom.js) written in, once, inside their function', () => {
  for (const page of ['report.js', 'fleet.js'] as const) {
    const js = readPageAssets(page).appJs;
    assert.ok(!/\/\* include [\w.-]+ \*\//.test(js), `${page}: no include line left`);
    for (const fn of ['el', 'append', 'num', 'plural', 'time', 'figure', 'section']) assert.equal(js.split(`function ${fn}(`).length - 1, 1, `${page}: function ${fn} once`);
    assert.ok(js.indexOf('function el(') > js.indexOf("'use strict'") && js.trimEnd().endsWith('})();'), `${page}: the helpers inside the page's function`);
  }
});

test('page data: sources inside a block PerSourcePenalties activated are marked penalised; a full penalty table penalises nobody', () => {
  const d = build([
    '2026-11-21T10:00:00.000000+00:00 srv sshd[300]: Invalid user admin from 203.0.113.7 port 40003',
    '2026-11-21T10:00:00.100000+00:00 srv sshd[300]: Connection closed by invalid user admin 203.0.113.7 port 40003 [preauth]',
    '2026-11-21T10:00:01.000000+00:00 srv sshd[301]: Invalid user admin from 203.0.113.9 port 40004',
    '2026-11-21T10:00:01.100000+00:00 srv sshd[301]: Connection closed by invalid user admin 203.0.113.9 port 40004 [preauth]',
    '2026-11-21T10:00:02.000000+00:00 srv sshd[302]: Invalid user admin from 2001:db8::5 port 40005',
    '2026-11-21T10:00:02.100000+00:00 srv sshd[302]: Connection closed by invalid user admin 2001:db8::5 port 40005 [preauth]',
    '2026-11-21T10:00:03.000000+00:00 srv sshd[100]: srclimit_penalise: 203.0.113.0/29: activating ipv4 penalty of 15.000 seconds for penalty: failed authentication',
    '2026-11-21T10:00:04.000000+00:00 srv sshd[100]: srclimit_penalise: ipv6 penalty table full, cannot penalise 2001:db8::/64 for penalty: caused crash',
  ].join('\n'));
  const penalised = Object.fromEntries(d.sources.rows.map((r) => [r[0], r[7]]));
  assert.deepEqual(penalised, { '203.0.113.7': true, '203.0.113.9': false, '2001:db8::5': false });
  assert.equal(d.penalties.length, 2);
});

test('page data: "your users" stays bounded however many sources log in', () => {
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const a = `198.51.${100 + Math.floor(i / 250)}.${i % 250}`;
    const pid = 1000 + i;
    lines.push(`2026-11-21T10:00:00.000000+00:00 srv sshd[100]: drop connection #10 from [${a}]:5000 on [192.0.2.1]:22 past MaxStartups`);
    lines.push(`2026-11-21T10:01:00.000000+00:00 srv sshd[${pid}]: Accepted publickey for u${i} from ${a} port 5001 ssh2: ED25519 SHA256:abc`);
  }
  const d = build(lines.join('\n'));
  assert.equal(d.totals.classes.legit, 600);
  assert.equal(d.users.length, 500);
  assert.equal(d.usersOmitted, 100);
  assert.equal(d.users.reduce((n, u) => n + u.problems.length, 0), 500);
  assert.equal(d.userRefusals.length, 600, 'every refusal of a user is marked on the timeline');
  assert.equal(d.sources.rows.length, 600);
});
