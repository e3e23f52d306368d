/**
 * Real journalctl output in every format sshwarden reads. No journald runs here, so the test
 * writes a journal file with systemd-journal-remote (Debian package systemd-journal-remote)
 * from journal export format, then has the real `journalctl --file` print it as short,
 * short-iso, short-precise, short-full, cat, json and json-seq, and frames each output.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createFramer, detectFormat, type LogFormat, type FramedLine } from '../../src/framing/index.ts';
import { readInputs } from '../../src/sources/read-inputs.ts';
import { frameText } from './frame-text.ts';

const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const TZ = 'Europe/Berlin';
let dir = '';
let journalFile = '';

/** Journal export format: text fields `K=v\n`, binary fields `K\n<u64le len><bytes>\n`, blank line between entries. */
function exportEntry(fields: [string, string | Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    if (typeof v === 'string' && !v.includes('\n')) parts.push(Buffer.from(`${k}=${v}\n`));
    else {
      const data = typeof v === 'string' ? Buffer.from(v) : v;
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(data.length));
      parts.push(Buffer.from(`${k}\n`), len, data, Buffer.from('\n'));
    }
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

const BOOT = '0123456789abcdef0123456789abcdef';
const T0 = Date.UTC(2026, 10, 21, 19, 18, 6) * 1000 + 123456; // µs; 20:18:06.123456 in Berlin (CET)
let seq = 0;
function entry(us: number, host: string, fields: [string, string | Buffer][]): Buffer {
  seq++;
  return exportEntry([
    ['__REALTIME_TIMESTAMP', String(us)],
    ['__MONOTONIC_TIMESTAMP', String(1000 + seq)],
    ['_BOOT_ID', BOOT],
    ['_HOSTNAME', host],
    ...fields,
  ]);
}

/** What the journal holds, and what framing must give for it (in order). */
const EXPECTED = [
  { ts: T0, host: 'web1', program: 'sshd', pid: 4242, message: 'Connection from 192.0.2.7 port 40001 on 192.0.2.1 port 22 rdomain ""' },
  { ts: T0 + 1_000_000, host: 'web2', program: 'sshd-session', pid: 777, message: 'Connection closed by 192.0.2.8 port 40002 [preauth]' },
  // non-UTF-8 bytes: journald keeps MESSAGE as a byte array
  { ts: T0 + 3_000_000, host: 'web1', program: 'sshd', pid: 4243, message: 'Invalid user \u00ff\u00fe from 192.0.2.9 port 40003' },
  // stderr line (no SYSLOG_IDENTIFIER/PID: _COMM and _PID)
  { ts: T0 + 4_000_000, host: 'web1', program: 'sshd', pid: 4200, message: 'Missing privilege separation directory: /run/sshd' },
];
const MULTILINE = 'first part\nAccepted password for root from 192.0.2.66 port 1 ssh2';

before(() => {
  assert.ok(existsSync(JOURNAL_REMOTE), `${JOURNAL_REMOTE} missing: apt-get install systemd-journal-remote (listed in test.sh)`);
  dir = mkdtempSync(join(tmpdir(), 'sshwarden-journal-'));
  const stream = Buffer.concat([
    entry(T0, 'web1', [['SYSLOG_IDENTIFIER', 'sshd'], ['SYSLOG_PID', '4242'], ['_PID', '4242'], ['_COMM', 'sshd'], ['MESSAGE', EXPECTED[0].message]]),
    entry(T0 + 1_000_000, 'web2', [['SYSLOG_IDENTIFIER', 'sshd-session'], ['SYSLOG_PID', '777'], ['_COMM', 'sshd-session'], ['MESSAGE', EXPECTED[1].message]]),
    entry(T0 + 2_000_000, 'web1', [['SYSLOG_IDENTIFIER', 'CRON'], ['SYSLOG_PID', '55'], ['MESSAGE', 'pam_unix(cron:session): session opened for user root']]),
    entry(T0 + 3_000_000, 'web1', [['SYSLOG_IDENTIFIER', 'sshd'], ['SYSLOG_PID', '4243'], ['MESSAGE', Buffer.concat([Buffer.from('Invalid user '), Buffer.from([0xff, 0xfe]), Buffer.from(' from 192.0.2.9 port 40003')])]]),
    entry(T0 + 4_000_000, 'web1', [['_COMM', 'sshd'], ['_PID', '4200'], ['_TRANSPORT', 'stdout'], ['MESSAGE', EXPECTED[3].message]]),
    entry(T0 + 5_000_000, 'web1', [['SYSLOG_IDENTIFIER', 'sshd'], ['SYSLOG_PID', '4244'], ['MESSAGE', MULTILINE]]),
  ]);
  journalFile = join(dir, 'test.journal');
  execFileSync(JOURNAL_REMOTE, ['-o', journalFile, '-'], { input: stream, stdio: ['pipe', 'ignore', 'pipe'] });
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function journalctl(format: string): string {
  return execFileSync('journalctl', ['--file', journalFile, '-o', format, '--no-pager'], { env: { ...process.env, TZ }, encoding: 'utf8' });
}

function frameAll(text: string, format: LogFormat): FramedLine[] {
  const f = createFramer(format, 'j', { timezone: TZ, referenceTime: Date.UTC(2026, 10, 22) });
  return frameText(f, text);
}

const cases: { o: string; format: LogFormat; precision: number; envelope: boolean }[] = [
  { o: 'short', format: 'syslog', precision: 1000, envelope: true },
  { o: 'short-iso', format: 'journal-short-iso', precision: 1000, envelope: true },
  { o: 'short-iso-precise', format: 'journal-short-iso', precision: 1, envelope: true },
  { o: 'short-precise', format: 'journal-short-precise', precision: 1, envelope: true },
  { o: 'short-full', format: 'journal-short-full', precision: 1000, envelope: true },
  { o: 'json', format: 'journal-json', precision: 1, envelope: true },
  { o: 'json-seq', format: 'journal-json-seq', precision: 1, envelope: true },
  { o: 'cat', format: 'journal-cat', precision: 0, envelope: false },
];

for (const c of cases) {
  test(`journalctl -o ${c.o}: detected as ${c.format}, framed with the right envelope`, () => {
    const text = journalctl(c.o);
    const lines = text.split('\n');
    assert.equal(detectFormat(lines.slice(0, 20)), c.format);
    const got = frameAll(text, c.format);
    if (!c.envelope) {
      // -o cat: messages only, no way to know the program; the CRON line is indistinguishable.
      assert.ok(got.some((g) => g.message === EXPECTED[0].message));
      assert.ok(got.every((g) => g.ts === null && g.host === null && g.pid === null && g.program === 'sshd'));
      return;
    }
    const sshd = got.filter((g) => !g.message.startsWith('first part'));
    assert.equal(sshd.length, EXPECTED.length, JSON.stringify(got, null, 1));
    EXPECTED.forEach((e, i) => {
      const g = sshd[i];
      const expectTs = Math.floor(Math.floor(e.ts / 1000) / c.precision) * c.precision;
      assert.equal(g.ts, expectTs, `${c.o} record ${i} ts ${new Date(g.ts ?? 0).toISOString()}`);
      assert.equal(g.host, e.host);
      assert.equal(g.program, e.program);
      // stderr stream lines (_TRANSPORT=stdout) have no per-connection pid: null in JSON, where the transport is visible
      assert.equal(g.pid, i === 3 && c.format.startsWith('journal-json') ? null : e.pid);
      if (i === 2 && c.format.startsWith('journal-json')) assert.equal(g.message, e.message);
      // text forms print a non-UTF-8 message as `[NB blob data]` (unless journalctl -a)
      else if (i === 2) assert.match(g.message, /^\[\d+B blob data\]$/);
      else assert.equal(g.message, e.message);
    });
    // The multi-line message is never split into two records: JSON keeps it whole; in text
    // forms its continuation line (indented by journalctl) is not a record.
    const multi = got.filter((g) => g.message.startsWith('first part') || g.message.startsWith('Accepted'));
    assert.equal(multi.length, 1);
    if (c.format.startsWith('journal-json')) assert.equal(multi[0].message, MULTILINE);
    else assert.equal(multi[0].message, 'first part');
  });
}

test('--journal runs the real journalctl -o json (here on a journal file)', async () => {
  const errors: string[] = [];
  const reader = readInputs([{ journal: { files: [journalFile], since: '2026-01-01' } }], { onError: (f, l, m) => errors.push(`${f}:${l}: ${m}`) });
  const got: FramedLine[] = [];
  for await (const l of reader) got.push(l);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    got.map((g) => [g.program, g.pid, g.host]),
    [['sshd', 4242, 'web1'], ['sshd-session', 777, 'web2'], ['sshd', 4243, 'web1'], ['sshd', null, 'web1'], ['sshd', 4244, 'web1']],
  );
  assert.equal(got[0].file, 'journal');
  assert.equal(got[1].ts, Math.floor(EXPECTED[1].ts / 1000));
});

test('--journal: journalctl errors and a missing journalctl are one clear message', async () => {
  const errors: string[] = [];
  const bad = readInputs([{ journal: { files: [journalFile], since: 'not a time at all' } }], { onError: (f, l, m) => errors.push(`${f}: ${m}`) });
  for await (const _ of bad) assert.fail('no lines expected');
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^journal: journalctl: .*(parse|time)/i);
  assert.equal(bad.counts.failedInputs, 1);

  const missing: string[] = [];
  const fake = join(dir, 'no-such-journalctl');
  const r = readInputs([{ journal: {} }, join(dir, 'nonexistent.log')], { journalctl: fake, onError: (f, l, m) => missing.push(`${f}: ${m}`) });
  for await (const _ of r) assert.fail('no lines expected');
  assert.equal(missing.length, 2);
  assert.match(missing.find((m) => m.startsWith('journal:'))!, /journalctl not found: --journal needs systemd's journalctl/);
});

test('journal JSON piped on stdin (journalctl -o json | sshwarden analyze -)', async () => {
  const { Readable } = await import('node:stream');
  const text = journalctl('json');
  const file = join(dir, 'j.json');
  writeFileSync(file, text);
  const got: FramedLine[] = [];
  for await (const b of readInputs(['-'], { stdin: Readable.from([Buffer.from(text.slice(0, 100)), Buffer.from(text.slice(100))]) }).batches()) got.push(...b);
  assert.equal(got.length, 5);
  assert.equal(got[4].message, MULTILINE);
  assert.equal(got[0].file, '-');
});
