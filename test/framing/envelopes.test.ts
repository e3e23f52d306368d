/**
 * Envelopes of other syslog daemons (busybox syslogd, FreeBSD syslogd -v/-vv, socklog with and
 * without svlogd's TAI64N label, macOS), rsyslog's RFC 5424 template with the message's own
 * leading space, rsyslog's forward format (`<PRI>` + RFC 3339): detected and framed, with the
 * message intact. Before: busybox and FreeBSD lines were skipped as "other programs", socklog
 * and macOS inputs refused ("cannot detect the log format"), 5424 messages began with a space
 * (so every sshd line was unrecognised). Also: other programs' lines that read like sshd's are
 * counted apart, with the first one kept as an example.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFramer, detectFormat } from '../../src/framing/index.ts';

const OPTS = { timezone: 'UTC', year: 2026 };
const MSG = 'Accepted publickey for alice from 192.0.2.1 port 5022 ssh2: ED25519 SHA256:abc';

const CASES: { name: string; line: string; format: string; ts: number; host: string | null; pid: number }[] = [
  { name: 'busybox syslogd', line: `Jun 20 02:18:39 vps auth.info sshd[13482]: ${MSG}`, format: 'syslog', ts: Date.UTC(2026, 5, 20, 2, 18, 39), host: 'vps', pid: 13482 },
  { name: 'busybox, local7.debug', line: `Jun 20 02:18:39 vps local7.debug sshd-session[13482]: ${MSG}`, format: 'syslog', ts: Date.UTC(2026, 5, 20, 2, 18, 39), host: 'vps', pid: 13482 },
  { name: 'FreeBSD syslogd -v', line: `Jun 20 02:18:39 <10.5> bsd1 sshd[77]: ${MSG}`, format: 'syslog', ts: Date.UTC(2026, 5, 20, 2, 18, 39), host: 'bsd1', pid: 77 },
  { name: 'FreeBSD syslogd -vv', line: `Jun 20 02:18:39 <auth.info> bsd1 sshd[77]: ${MSG}`, format: 'syslog', ts: Date.UTC(2026, 5, 20, 2, 18, 39), host: 'bsd1', pid: 77 },
  { name: 'socklog', line: `auth.info: May 27 04:31:28 sshd[30993]: ${MSG}`, format: 'syslog', ts: Date.UTC(2026, 4, 27, 4, 31, 28), host: null, pid: 30993 },
  { name: 'socklog via svlogd -t', line: `@400000006a1b2c3d1e2f3a4b authpriv.notice: May 27 04:31:28 sshd[30993]: ${MSG}`, format: 'syslog', ts: Date.UTC(2026, 4, 27, 4, 31, 28), host: null, pid: 30993 },
  { name: 'macOS', line: `2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: ${MSG}`, format: 'syslog-iso', ts: Date.UTC(2018, 11, 20, 10, 9, 5, 180), host: 'localhost', pid: 67566 },
  { name: 'macOS, other offset', line: `2018-12-20 10:09:05.180218-0500 mbp sshd[67566]: ${MSG}`, format: 'syslog-iso', ts: Date.UTC(2018, 11, 20, 15, 9, 5, 180), host: 'mbp', pid: 67566 },
  { name: 'RSYSLOG_SyslogProtocol23Format', line: `<38>1 2026-12-04T20:11:55.123456+00:00 srv sshd 123 - -  ${MSG}`, format: 'rfc5424', ts: Date.UTC(2026, 11, 4, 20, 11, 55, 123), host: 'srv', pid: 123 },
  { name: 'RSYSLOG_ForwardFormat', line: `<38>2026-12-04T20:11:55.123456+00:00 srv sshd[123]: ${MSG}`, format: 'syslog-iso', ts: Date.UTC(2026, 11, 4, 20, 11, 55, 123), host: 'srv', pid: 123 },
];

for (const c of CASES) {
  test(`envelope: ${c.name}`, () => {
    assert.equal(detectFormat([c.line, c.line]), c.format);
    const f = createFramer(c.format as 'syslog', 'f', OPTS);
    const r = f.frame(c.line, 3);
    assert.ok(r, c.line);
    assert.deepEqual([r.ts, r.host, r.program.startsWith('sshd'), r.pid, r.message], [c.ts, c.host, true, c.pid, MSG]);
    // Other programs in the same envelope are skipped, not framed and not malformed.
    const other = createFramer(c.format as 'syslog', 'f', OPTS);
    const cron = c.line.replace(/sshd(-session)?( |\[)/, 'CRON$2').replace(MSG, 'pam_unix(cron:session): session opened');
    assert.equal(other.frame(cron, 1), null, cron);
    assert.equal(other.counts.skipped, 1, cron);
  });
}

test('other programs whose message reads like sshd: skipped, counted apart, first one kept', () => {
  const f = createFramer('syslog', 'auth.log', OPTS);
  const lines = [
    'Jun 20 02:18:39 h CRON[1]: pam_unix(cron:session): session opened for user root',
    'Jun 20 02:18:40 h openssh[2]: Failed password for root from 192.0.2.9 port 22 ssh2',
    'Jun 20 02:18:41 h ssh: Invalid user x from 192.0.2.9 port 22',
    'Jun 20 02:18:42 h systemd[1]: Started session 5.',
  ];
  lines.forEach((l, i) => assert.equal(f.frame(l, i + 1), null));
  assert.equal(f.counts.skipped, 4);
  assert.equal(f.counts.sshdLike, 2);
  assert.deepEqual(f.counts.sshdLikeExample, { line: 2, program: 'openssh', text: lines[1].slice(lines[1].indexOf('openssh')) });
});

test('a facility.level look-alike in the message never shifts the envelope', () => {
  const f = createFramer('syslog', 'f', OPTS);
  fc.assert(
    fc.property(
      fc.constantFrom('auth.info ', 'auth.info: ', '<10.5> ', '@400000006a1b2c3d1e2f3a4b ', 'sshd[1]: ', 'local0.err evil sshd[9]: '),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
      fc.constantFrom('Jun 20 02:18:39 vps auth.info sshd[5]: ', 'auth.info: Jun 20 02:18:39 sshd[5]: ', 'Jun 20 02:18:39 <4.6> vps sshd[5]: '),
      (fake, tail, envelope) => {
        const m = fake + tail;
        const r = f.frame(envelope + m, 1);
        assert.ok(r);
        assert.equal(r.pid, 5);
        assert.equal(r.message, m); // exactly what followed the envelope
      },
    ),
    { numRuns: 2000 },
  );
});
