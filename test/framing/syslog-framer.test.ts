import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createFramer, detectFormat } from '../../src/framing/index.ts';

const REF = Date.UTC(2026, 10, 22, 12, 0, 0); // 2026-11-22

function frameOne(line: string, opts: { timezone?: string; year?: number; referenceTime?: number } = {}) {
  const f = createFramer('syslog', 'auth.log', { timezone: 'UTC', referenceTime: REF, ...opts });
  return f.frame(line, 7);
}

test('RFC 3164: time, host, program, pid, message', () => {
  const r = frameOne('Nov 21 20:18:06 web1 sshd[123]: Accepted password for alice from 192.0.2.1 port 5022 ssh2');
  assert.deepEqual(r, {
    ts: Date.UTC(2026, 10, 21, 20, 18, 6),
    host: 'web1',
    program: 'sshd',
    pid: 123,
    message: 'Accepted password for alice from 192.0.2.1 port 5022 ssh2',
    file: 'auth.log',
    line: 7,
  });
});

test('RFC 3164 variants: padded and unpadded day, no host, [sshd], Solaris msgid, <PRI>', () => {
  assert.equal(frameOne('Nov  3 01:02:03 h sshd[1]: x')!.ts, Date.UTC(2026, 10, 3, 1, 2, 3));
  assert.equal(frameOne('Nov 3 01:02:03 h sshd[1]: x')!.ts, Date.UTC(2026, 10, 3, 1, 2, 3));
  const nohost = frameOne('Nov 23 21:50:19 sshd[8148]: Disconnecting: Too many authentication failures for root [preauth]')!;
  assert.equal(nohost.host, null);
  assert.equal(nohost.pid, 8148);
  assert.equal(nohost.message, 'Disconnecting: Too many authentication failures for root [preauth]');
  const bracket = frameOne('Mar  3 00:17:22 [sshd]: User root from 192.0.2.49 not allowed because not listed in AllowUsers')!;
  assert.equal(bracket.program, 'sshd');
  assert.equal(bracket.pid, null);
  assert.equal(bracket.message, 'User root from 192.0.2.49 not allowed because not listed in AllowUsers');
  const solaris = frameOne('Mar 29 05:59:23 dusky sshd[20878]: [ID 800047 auth.info] Failed keyboard-interactive for root from 192.0.2.5 port 1 ssh2')!;
  assert.equal(solaris.message, 'Failed keyboard-interactive for root from 192.0.2.5 port 1 ssh2');
  const pri = frameOne('<38>Nov 21 20:18:06 web1 sshd[9]: hello')!;
  assert.equal(pri.host, 'web1');
  assert.equal(pri.message, 'hello');
  const repeated = frameOne('Nov 21 20:18:06 web1 sshd[9]: message repeated 2 times: [ Failed password for root from 192.0.2.1 port 22 ssh2]')!;
  assert.equal(repeated.message, 'Failed password for root from 192.0.2.1 port 22 ssh2');
  assert.equal(frameOne('Nov 21 20:18:06 web1 sshd[9]: message repeated x times: [ y]')!.message, 'message repeated x times: [ y]');
  const notag = frameOne('Nov 21 20:18:06 web1 last message repeated 3 times');
  assert.equal(notag, null);
});

test('program names: sshd, sshd-session, sshd-auth, any sshd-*; others skipped and counted', () => {
  const f = createFramer('syslog', 'a', { timezone: 'UTC', referenceTime: REF });
  const lines = [
    'Nov 21 20:18:06 h sshd[1]: a',
    'Nov 21 20:18:06 h sshd-session[2]: b',
    'Nov 21 20:18:06 h sshd-auth[3]: c',
    'Nov 21 20:18:06 h sshd-foo[4]: d',
    'Nov 21 20:18:06 h /usr/lib/openssh/sshd-session[4]: path ident',
    'Nov 21 20:18:06 h CRON[5]: sshd[6]: not this',
    'Nov 21 20:18:06 h sshdx[7]: not this either',
    'Nov 21 20:18:06 h ssh[8]: nor this',
    'Nov 21 20:18:06 h sshd-[8]: empty suffix',
    'Nov 21 20:18:06 h systemd[1]: Started ssh.service',
    'garbage without envelope',
    '',
  ];
  const out = lines.map((l, i) => f.frame(l, i + 1));
  assert.deepEqual(
    out.map((r) => r && r.program),
    ['sshd', 'sshd-session', 'sshd-auth', 'sshd-foo', 'sshd-session', null, null, null, null, null, null, null],
  );
  assert.equal(f.counts.lines, 12);
  assert.equal(f.counts.framed, 5);
  assert.equal(f.counts.skipped, 6); // five other programs + the empty line
  assert.equal(f.counts.malformed, 1);
});

test('RFC 3339 (rsyslog high precision, Debian 12 default) and journal short-iso offsets', () => {
  const r = frameOne('2026-11-21T20:18:06.123456+00:00 web1 sshd-session[123]: msg')!;
  assert.equal(r.ts, Date.UTC(2026, 10, 21, 20, 18, 6, 123));
  assert.equal(r.program, 'sshd-session');
  const plus = frameOne('2026-11-21T21:18:06+0100 web1 sshd[1]: m')!;
  assert.equal(plus.ts, Date.UTC(2026, 10, 21, 20, 18, 6));
  const minus = frameOne('2026-11-21T15:18:06.5-05:00 web1 sshd[1]: m')!;
  assert.equal(minus.ts, Date.UTC(2026, 10, 21, 20, 18, 6, 500));
  const z = frameOne('2026-11-21T20:18:06Z web1 sshd[1]: m')!;
  assert.equal(z.ts, Date.UTC(2026, 10, 21, 20, 18, 6));
  // no offset: the configured zone
  const local = frameOne('2026-07-01T12:00:00 web1 sshd[1]: m', { timezone: 'Europe/Berlin' })!;
  assert.equal(local.ts, Date.UTC(2026, 6, 1, 10, 0, 0));
});

test('RFC 5424 with and without structured data', () => {
  const a = frameOne('<38>1 2019-07-08T17:40:16.954167-04:00 hostname.example.com sshd 57915 - - Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2')!;
  assert.equal(a.ts, Date.UTC(2019, 6, 8, 21, 40, 16, 954));
  assert.equal(a.host, 'hostname.example.com');
  assert.equal(a.pid, 57915);
  assert.equal(a.message, 'Failed unknown for invalid user redmond from 192.0.2.1 port 59197 ssh2');
  const b = frameOne(
    '<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [timeQuality tzKnown="1" isSynced="0"][xxx@123 test="[brack\\"ets]"] Failed unknown for x',
  )!;
  assert.equal(b.message, 'Failed unknown for x');
  const nil = frameOne('<38>1 - - sshd - - - hello')!;
  assert.deepEqual([nil.ts, nil.host, nil.pid, nil.message], [null, null, null, 'hello']);
  assert.equal(frameOne('<38>1 2019-07-08T17:40:17Z h CRON 5 - - x'), null);
});

test('journalctl short-precise and short-full', () => {
  const p = frameOne('Nov 21 20:18:06.654321 web1 sshd[1]: precise')!;
  assert.equal(p.ts, Date.UTC(2026, 10, 21, 20, 18, 6, 654));
  const full = frameOne('Sat 2026-11-21 20:18:06 UTC web1 sshd[1]: full', { timezone: 'Europe/Berlin' })!;
  assert.equal(full.ts, Date.UTC(2026, 10, 21, 20, 18, 6));
  const fullLocal = frameOne('Sat 2026-11-21 21:18:06 CET web1 sshd[1]: full', { timezone: 'Europe/Berlin' })!;
  assert.equal(fullLocal.ts, Date.UTC(2026, 10, 21, 20, 18, 6));
});

test('year inference: reference month, previous year, and Dec → Jan within a file', () => {
  // Reference 2026-01-10 (file mtime): a December line is from 2025, then January is 2026.
  const f = createFramer('syslog', 'a', { timezone: 'UTC', referenceTime: Date.UTC(2026, 0, 10) });
  const ts = ['Dec 30 10:00:00 h sshd[1]: a', 'Dec 31 23:59:59 h sshd[1]: b', 'Jan  1 00:00:01 h sshd[1]: c', 'Jan  9 00:00:00 h sshd[1]: d'].map(
    (l, i) => f.frame(l, i + 1)!.ts,
  );
  assert.deepEqual(ts, [Date.UTC(2025, 11, 30, 10), Date.UTC(2025, 11, 31, 23, 59, 59), Date.UTC(2026, 0, 1, 0, 0, 1), Date.UTC(2026, 0, 9)]);
  // One month back (a late line) does not advance the year.
  const g = createFramer('syslog', 'a', { timezone: 'UTC', year: 2026 });
  const t2 = ['Dec  1 00:00:00 h sshd[1]: a', 'Nov 30 23:59:59 h sshd[1]: late', 'Dec  1 00:00:01 h sshd[1]: b'].map((l, i) => g.frame(l, i + 1)!.ts);
  assert.deepEqual(t2, [Date.UTC(2026, 11, 1), Date.UTC(2026, 10, 30, 23, 59, 59), Date.UTC(2026, 11, 1, 0, 0, 1)]);
  // Explicit year wins over the reference.
  const h = createFramer('syslog', 'a', { timezone: 'UTC', year: 2019, referenceTime: REF });
  assert.equal(h.frame('Dec 24 18:00:00 h sshd[1]: x', 1)!.ts, Date.UTC(2019, 11, 24, 18));
});

test('time zones: local wall time to UTC across DST (Europe/Berlin), UTC fast path, bad zone rejected', () => {
  const f = createFramer('syslog', 'a', { timezone: 'Europe/Berlin', year: 2026 });
  assert.equal(f.frame('Jan 15 12:00:00 h sshd[1]: winter', 1)!.ts, Date.UTC(2026, 0, 15, 11));
  assert.equal(f.frame('Jul 15 12:00:00 h sshd[1]: summer', 2)!.ts, Date.UTC(2026, 6, 15, 10));
  const g = createFramer('syslog', 'a', { timezone: 'America/New_York', year: 2026 });
  assert.equal(g.frame('Mar  8 03:30:00 h sshd[1]: after spring-forward', 1)!.ts, Date.UTC(2026, 2, 8, 7, 30));
  assert.equal(g.frame('Mar  8 01:30:00 h sshd[1]: before', 2)!.ts, Date.UTC(2026, 2, 8, 6, 30));
  assert.throws(() => createFramer('syslog', 'a', { timezone: 'Mars/Olympus' }), /unknown time zone "Mars\/Olympus"/);
});

test('several hosts in one stream stay apart', () => {
  const f = createFramer('syslog', 'a', { timezone: 'UTC', referenceTime: REF });
  const a = f.frame('Nov 21 20:18:06 web1 sshd[100]: x', 1)!;
  const b = f.frame('Nov 21 20:18:06 web2 sshd[100]: x', 2)!;
  const c = f.frame('Nov 21 20:18:07 web1 sshd[100]: y', 3)!;
  assert.deepEqual([a.host, b.host, c.host], ['web1', 'web2', 'web1']);
  // IPv6 literal as host name is a host, not a tag
  const d = f.frame('Nov 21 20:18:07 2001:db8::5 sshd[100]: y', 4)!;
  assert.equal(d.host, '2001:db8::5');
});

test('envelope comes only from its position: message text that looks like an envelope stays message', () => {
  const f = createFramer('syslog', 'a', { timezone: 'UTC', referenceTime: REF });
  const r = f.frame('Nov 21 20:18:06 web1 sshd[100]: Invalid user Nov 21 20:18:06 evil sshd[999]: Accepted from 192.0.2.9', 1)!;
  assert.equal(r.host, 'web1');
  assert.equal(r.pid, 100);
  assert.equal(r.message, 'Invalid user Nov 21 20:18:06 evil sshd[999]: Accepted from 192.0.2.9');
  // a non-sshd line whose message mentions sshd[…] is skipped
  assert.equal(f.frame('Nov 21 20:18:06 web1 CRON[5]: sshd[999]: Accepted password for root', 2), null);
  // journalctl continuation lines (multi-line message) never become records
  assert.equal(f.frame('                                   Accepted password for root from 192.0.2.1 port 1 ssh2', 3), null);
});

const corpus = fileURLToPath(new URL('../../../shared/peer-corpus/fail2ban/', import.meta.url));

test('every log line of fail2ban sshd corpus frames as an sshd record (syslog, ISO, RFC 5424 mixed)', () => {
  assert.ok(existsSync(corpus), `peer corpus missing at ${corpus}`);
  for (const name of ['sshd', 'sshd-journal']) {
    const lines = readFileSync(corpus + name, 'utf8').split('\n');
    const logLines = lines.filter((l) => l.length > 0 && !l.startsWith('#'));
    assert.ok(logLines.length > 100);
    const format = detectFormat(logLines.slice(0, 50));
    assert.equal(format, 'syslog', name);
    const f = createFramer(format!, name, { timezone: 'UTC', referenceTime: REF });
    let framed = 0;
    lines.forEach((l, i) => {
      if (l.length === 0 || l.startsWith('#')) return;
      const r = f.frame(l, i + 1);
      assert.ok(r !== null, `${name}:${i + 1} not framed: ${l}`);
      assert.ok(r.program.startsWith('sshd'), `${name}:${i + 1}`);
      assert.ok(!/^(?:\S+ )?sshd(?:-session)?\[\d+\]:/.test(r.message), `${name}:${i + 1} envelope left in message: ${r.message}`);
      framed++;
    });
    assert.equal(framed, logLines.length);
    assert.equal(f.counts.malformed, 0);
  }
});

test('year inference: a first line dated after the reference by more than a day is last year\'s (Dec 31 read on Dec 5), a day of slack for time zones', async () => {
  const { YearTracker } = await import('../../src/framing/year-inference.ts');
  const dec5 = Date.parse('2026-12-05T12:00:00Z');
  assert.equal(new YearTracker(undefined, dec5).yearFor(12, 31), 2025);
  assert.equal(new YearTracker(undefined, dec5).yearFor(12, 6), 2026, 'one day ahead: a time zone east of UTC');
  assert.equal(new YearTracker(undefined, dec5).yearFor(12, 5), 2026);
  assert.equal(new YearTracker(undefined, dec5).yearFor(11, 30), 2026);
  assert.equal(new YearTracker(2024, dec5).yearFor(12, 31), 2024, 'an explicit --year wins');
  // Within one input the year still turns at Dec → Jan.
  const t = new YearTracker(undefined, Date.parse('2027-01-03T00:00:00Z'));
  assert.deepEqual([t.yearFor(12, 30), t.yearFor(1, 2)], [2026, 2027]);
});
