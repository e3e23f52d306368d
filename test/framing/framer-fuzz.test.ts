/**
 * Property-based fuzzing of the framers (fast-check): random and mutated lines never throw;
 * host, program and pid come only from the envelope positions; a message is never split into
 * two records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createFramer, LOG_FORMATS, type FramedLine } from '../../src/framing/index.ts';
import { frameText } from './frame-text.ts';

const OPTS = { timezone: 'UTC', referenceTime: Date.UTC(2026, 10, 22) };
const RUNS = 3000;

const TEMPLATES = [
  'Nov 21 20:18:06 web1 sshd[123]: Accepted password for alice from 192.0.2.1 port 5022 ssh2',
  'Nov  3 20:18:06 sshd-session[9]: Connection closed by 192.0.2.7 port 1 [preauth]',
  '2026-11-21T20:18:06.123456+00:00 web1 sshd[123]: Invalid user x from 192.0.2.1 port 1',
  '2026-11-21T20:18:06+0000 web1 sshd-auth[1]: m',
  '<38>1 2019-07-08T17:40:16.954167-04:00 h sshd 57915 - [a b="c]"] Failed unknown',
  '<38>Nov 21 20:18:06 web1 sshd[9]: hello',
  'Sat 2026-11-21 20:18:06 UTC web1 sshd[1]: full',
  'Nov 21 20:18:06.123456 web1 sshd[1]: precise',
  'srv sshd[13709]: error: PAM: Authentication failure',
  'Mar  3 00:17:22 [sshd]: User root from 192.0.2.49 not allowed',
  '{"MESSAGE":"x","SYSLOG_IDENTIFIER":"sshd","SYSLOG_PID":"5","_HOSTNAME":"h","__REALTIME_TIMESTAMP":"1795292286123456"}',
  '\u001e{"MESSAGE":[65,255],"_COMM":"sshd-session","_PID":"5"}',
  'Connection from 192.0.2.1 port 1 on 192.0.2.2 port 22\r',
  'Jun 20 02:18:39 vps auth.info sshd[13482]: busybox',
  'Jun 20 02:18:39 <10.5> vps sshd[13482]: freebsd -v',
  '@400000006a1b2c3d1e2f3a4b auth.info: May 27 04:31:28 sshd[30993]: socklog',
  '2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: macos',
  '<38>1 2026-12-04T20:11:55.123456+00:00 srv sshd 123 - -  rsyslog 5424',
  '<38>2026-12-04T20:11:55.123456+00:00 srv sshd[123]: forward',
];

/** A template with random edits (insert, delete, replace) at random places. */
const mutatedLine = fc
  .tuple(
    fc.constantFrom(...TEMPLATES),
    fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 6 }),
  )
  .map(([t, edits]) => {
    let s = t;
    for (const [pos, del, ins] of edits) {
      const p = pos % (s.length + 1);
      s = s.slice(0, p) + ins + s.slice(p + del);
    }
    return s;
  });

const anyLine = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 }), mutatedLine);

test('random and mutated lines never throw, in every format; results are well-formed', () => {
  for (const format of LOG_FORMATS) {
    const framer = createFramer(format, 'f', OPTS);
    fc.assert(
      fc.property(anyLine, (line) => {
        const r = framer.frame(line, 1);
        if (r !== null) {
          assert.equal(typeof r.message, 'string');
          assert.ok(r.program === 'sshd' || r.program.startsWith('sshd-'), r.program);
          assert.ok(r.pid === null || (Number.isInteger(r.pid) && r.pid >= 0));
          assert.ok(r.ts === null || Number.isFinite(r.ts));
        }
      }),
      { numRuns: RUNS },
    );
    framer.flush();
  }
});

/** For text envelopes: the framed fields appear in the line before the message, and the message is the line's tail. */
test('syslog family: host/program/pid are read before the message; the message is the rest of the line', () => {
  const framer = createFramer('syslog', 'f', OPTS);
  fc.assert(
    fc.property(mutatedLine, (line) => {
      const r = framer.frame(line, 1);
      if (r === null) return;
      const body = line.endsWith('\r') ? line.slice(0, -1) : line;
      // the tail of the line (or of rsyslog's `message repeated N times: [ …]` wrapper)
      const tail = body.endsWith(r.message) ? r.message : r.message + ']';
      assert.ok(body.endsWith(tail), 'message is the tail of the line');
      const envelope = body.slice(0, body.length - tail.length);
      assert.ok(envelope.includes(r.program), `program ${r.program} in envelope ${JSON.stringify(envelope)}`);
      if (r.host !== null) assert.ok(envelope.includes(r.host));
      if (r.pid !== null) assert.ok(envelope.includes(String(r.pid)) || /\D0+\d/.test(envelope));
    }),
    { numRuns: RUNS },
  );
});

const hostName = fc.stringMatching(/^[a-z][a-z0-9.-]{0,20}$/);
const program = fc.constantFrom('sshd', 'sshd-session', 'sshd-auth');
/** Attacker-influenced message text: may contain fake envelopes, but no line break (syslog escapes them). */
const message = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme-ascii', maxLength: 30 }),
      fc.constantFrom(' sshd[999]: ', 'evil ', 'Nov 21 20:18:06 evil sshd[1]: ', '<38>1 ', '[sshd]: ', 'from 192.0.2.66 port 22 ', '#012', '\\n'),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''))
  .filter((m) => !/[\r\n]/.test(m) && !m.startsWith('[ID '));

test('the envelope comes only from its own positions, whatever the message says', () => {
  const forms: ((h: string, p: string, pid: number, m: string) => string)[] = [
    (h, p, pid, m) => `Nov 21 20:18:06 ${h} ${p}[${pid}]: ${m}`,
    (h, p, pid, m) => `2026-11-21T20:18:06.5+01:00 ${h} ${p}[${pid}]: ${m}`,
    (h, p, pid, m) => `<38>1 2026-11-21T20:18:06Z ${h} ${p} ${pid} - - ${m}`,
    (h, p, pid, m) => `Sat 2026-11-21 20:18:06 UTC ${h} ${p}[${pid}]: ${m}`,
    (h, p, pid, m) => `Nov 21 20:18:06 ${h} auth.info ${p}[${pid}]: ${m}`,
    (h, p, pid, m) => `Nov 21 20:18:06 <10.5> ${h} ${p}[${pid}]: ${m}`,
    (h, p, pid, m) => `2018-12-20 10:09:05.180218+0000 ${h} ${p}[${pid}]: ${m}`,
    (h, p, pid, m) => `<38>2026-11-21T20:18:06Z ${h} ${p}[${pid}]: ${m}`,
  ];
  const framer = createFramer('syslog', 'f', OPTS);
  fc.assert(
    fc.property(fc.nat(forms.length - 1), hostName, program, fc.integer({ min: 1, max: 4_000_000 }), message, (i, h, p, pid, m) => {
      const r = framer.frame(forms[i](h, p, pid, m), 1);
      assert.ok(r !== null);
      assert.equal(r.host, h);
      assert.equal(r.program, p);
      assert.equal(r.pid, pid);
      // RFC 5424: one space after STRUCTURED-DATA is the separator, one more is rsyslog's (see syslog-framer.ts).
      const m5424 = m.startsWith(' ') ? m.slice(1) : m;
      assert.equal(r.message, i === 2 ? (m5424.startsWith('\ufeff') ? m5424.slice(1) : m5424) : m);
    }),
    { numRuns: RUNS },
  );
  const json = createFramer('journal-json', 'j', OPTS);
  fc.assert(
    fc.property(hostName, program, fc.integer({ min: 1, max: 4_000_000 }), fc.string({ unit: 'binary', maxLength: 200 }), (h, p, pid, m) => {
      const line = JSON.stringify({ _HOSTNAME: h, SYSLOG_IDENTIFIER: p, SYSLOG_PID: String(pid), MESSAGE: m, __REALTIME_TIMESTAMP: '1795292286123456' });
      const r = json.frame(line, 1)!;
      assert.deepEqual([r.host, r.program, r.pid, r.message], [h, p, pid, m]);
    }),
    { numRuns: RUNS },
  );
});

test('journal JSON: look-alike keys inside MESSAGE (placed first) never supply the envelope', () => {
  const json = createFramer('journal-json', 'j', OPTS);
  const lookAlike = fc
    .array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 20 }),
        fc.constantFrom('","_HOSTNAME":"evil', '","SYSLOG_IDENTIFIER":"sshd', '","_PID":"1', '\\","SYSLOG_PID":"66', '"}', '{"MESSAGE":"x"}', '","__REALTIME_TIMESTAMP":"1'),
      ),
      { maxLength: 6 },
    )
    .map((p) => p.join(''));
  fc.assert(
    fc.property(lookAlike, hostName, program, fc.integer({ min: 1, max: 4_000_000 }), fc.boolean(), (m, h, p, pid, otherProgram) => {
      const line = JSON.stringify({ MESSAGE: m, _HOSTNAME: h, SYSLOG_IDENTIFIER: otherProgram ? 'CRON' : p, SYSLOG_PID: String(pid), __REALTIME_TIMESTAMP: '1795292286123456' });
      const r = json.frame(line, 1);
      if (otherProgram) assert.equal(r, null);
      else assert.deepEqual([r!.host, r!.program, r!.pid, r!.message, r!.ts], [h, p, pid, m, 1795292286123]);
    }),
    { numRuns: RUNS },
  );
});

/** Frames physical lines the way the reader does (split on \n), flushing at the end. */
function frameStream(format: (typeof LOG_FORMATS)[number], text: string): FramedLine[] {
  const f = createFramer(format, 's', OPTS);
  return frameText(f, text);
}

test('a message is never split into two records (sshd -E raw newlines, journal JSON, journal text continuations)', () => {
  // Messages with raw newlines as sshd -E writes them (record ends in CR LF).
  const rawMsg = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 80 }).filter((m) => !m.includes('\r') && m.trim().length > 0);
  fc.assert(
    fc.property(fc.array(rawMsg, { minLength: 1, maxLength: 8 }), (msgs) => {
      const got = frameStream('sshd-stderr', msgs.map((m) => m + '\r\n').join(''));
      assert.deepEqual(got.map((g) => g.message), msgs.filter((m) => m.length > 0));
    }),
    { numRuns: RUNS },
  );
  fc.assert(
    fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 80 }), { minLength: 1, maxLength: 8 }), (msgs) => {
      const text = msgs.map((m) => JSON.stringify({ SYSLOG_IDENTIFIER: 'sshd', MESSAGE: m })).join('\n');
      assert.deepEqual(frameStream('journal-json', text).map((g) => g.message), msgs);
    }),
    { numRuns: RUNS },
  );
  // journalctl short prints a multi-line message's further lines indented: never records.
  fc.assert(
    fc.property(fc.array(fc.tuple(message, fc.array(message, { maxLength: 3 })), { minLength: 1, maxLength: 6 }), (recs) => {
      const text = recs
        .map(([first, rest]) => [`Nov 21 20:18:06 web1 sshd[1]: ${first}`, ...rest.map((r) => ' '.repeat(30) + r)].join('\n'))
        .join('\n');
      const got = frameStream('journal-short', text);
      assert.deepEqual(got.map((g) => g.message), recs.map(([first]) => first));
    }),
    { numRuns: RUNS },
  );
});
