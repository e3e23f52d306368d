import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, utimesSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { readInputs, type ReadInputsOptions } from '../../src/sources/read-inputs.ts';
import { orderInputs, rotationKey } from '../../src/sources/input-order.ts';
import type { FramedLine } from '../../src/framing/index.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sshwarden-inputs-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function collect(inputs: Parameters<typeof readInputs>[0], opts: ReadInputsOptions = {}) {
  const errors: string[] = [];
  const reader = readInputs(inputs, { timezone: 'UTC', ...opts, onError: (f, l, m) => errors.push(`${f}:${l ?? '-'}: ${m}`) });
  const lines: FramedLine[] = [];
  for await (const b of reader.batches()) {
    assert.ok(b.length > 0, 'no empty batches');
    lines.push(...b);
  }
  return { lines, errors, counts: reader.counts };
}

const sshdLine = (day: number, msg: string, pid = 100) => `Nov ${String(day).padStart(2, ' ')} 10:00:00 web1 sshd[${pid}]: ${msg}\n`;

test('rotated files are read oldest first whatever the command-line order', async () => {
  const d = join(dir, 'rot');
  mkdirSync(d);
  const p = (n: string) => join(d, n);
  writeFileSync(p('auth.log.3.gz'), gzipSync(sshdLine(1, 'three')));
  writeFileSync(p('auth.log.2.gz'), gzipSync(sshdLine(2, 'two')));
  writeFileSync(p('auth.log.1'), sshdLine(3, 'one') + 'Nov  3 10:00:01 web1 CRON[5]: x\n');
  writeFileSync(p('auth.log'), sshdLine(4, 'live'));
  const { lines, errors, counts } = await collect([p('auth.log'), p('auth.log.1'), p('auth.log.3.gz'), p('auth.log.2.gz')], { year: 2026 });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    lines.map((l) => l.message),
    ['three', 'two', 'one', 'live'],
  );
  assert.deepEqual(lines.map((l) => l.file), [p('auth.log.3.gz'), p('auth.log.2.gz'), p('auth.log.1'), p('auth.log')]);
  assert.equal(counts.lines, 5);
  assert.equal(counts.skipped, 1);
  assert.equal(counts.framed, 4);
});

test('orderInputs: numbered, dateext, unrelated files keep their order, duplicates once, stdin stays', () => {
  assert.deepEqual(orderInputs(['auth.log', 'syslog', 'auth.log.1', 'auth.log.10.gz', 'auth.log.2.gz', 'syslog.1', 'auth.log']), [
    'auth.log.10.gz',
    'auth.log.2.gz',
    'auth.log.1',
    'auth.log',
    'syslog.1',
    'syslog',
  ]);
  assert.deepEqual(orderInputs(['secure', 'secure-20261115', 'secure-20261108.gz', '-']), ['secure-20261108.gz', 'secure-20261115', 'secure', '-']);
  assert.deepEqual(rotationKey('/var/log/auth.log.4.gz'), { base: '/var/log/auth.log', kind: 'numbered', n: 4 });
});

test('bad inputs: one clear message each naming the file, the others are still read', async () => {
  const good = join(dir, 'good.log');
  writeFileSync(good, sshdLine(5, 'fine'));
  const bin = join(dir, 'binary.log');
  writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3, 0, 0, 10, 0, 0]));
  const junk = join(dir, 'junk.txt');
  writeFileSync(junk, 'hello world\nthis is not a log\n');
  const sub = join(dir, 'adir');
  mkdirSync(sub);
  const full = readFileSync(join(dir, 'good.log'));
  const bigLines = Array.from({ length: 20000 }, (_, i) => sshdLine(6, `line ${i + 1} ${'x'.repeat(40)}`)).join('');
  const trunc = join(dir, 'cut.log.gz');
  const gz = gzipSync(bigLines);
  writeFileSync(trunc, gz.subarray(0, Math.floor(gz.length * 0.6)));
  const { lines, errors, counts } = await collect([join(dir, 'missing.log'), bin, junk, sub, trunc, good]);
  assert.equal(errors.length, 5, errors.join('\n'));
  assert.match(errors.find((e) => e.includes('missing.log'))!, /missing\.log:-: cannot read: no such file$/);
  assert.match(errors.find((e) => e.includes('binary.log'))!, /binary\.log:-: binary file \(contains NUL bytes\), not a text log; skipped/);
  assert.match(errors.find((e) => e.includes('junk.txt'))!, /junk\.txt:-: cannot detect the log format \(first line: "hello world"\); pass --format/);
  assert.match(errors.find((e) => e.includes('adir'))!, /adir:-: cannot read: is a directory/);
  const cut = errors.find((e) => e.includes('cut.log.gz'))!;
  assert.match(cut, /cut\.log\.gz:\d+: truncated gzip data: stopped after \d+ uncompressed bytes; the lines before that were read/);
  // Lines before the cut were delivered, in order, none damaged.
  const fromCut = lines.filter((l) => l.file === trunc);
  assert.ok(fromCut.length > 5000 && fromCut.length < 20000, String(fromCut.length));
  fromCut.forEach((l, i) => assert.equal(l.message, `line ${i + 1} ${'x'.repeat(40)}`));
  assert.equal(Number(/:(\d+):/.exec(cut)![1]), fromCut.length);
  assert.deepEqual(lines.filter((l) => l.file === good).map((l) => l.message), ['fine']);
  assert.equal(counts.failedInputs, 5);
  assert.equal(counts.inputs, 6);
  assert.ok(full.length > 0);
});

test('chunk boundaries: a multi-MiB file, CRLF ends, no final newline, NUL padding after a crash', async () => {
  const f = join(dir, 'big.log');
  const n = 60000;
  const parts: string[] = [];
  for (let i = 1; i <= n; i++) parts.push(i % 3 === 0 ? `Nov 21 10:00:00 web1 CRON[${i}]: other\n` : `Nov 21 10:00:00 web1 sshd[${i}]: msg ${i} ${'é'.repeat(i % 7)}\n`);
  writeFileSync(f, parts.join(''));
  const { lines, counts } = await collect([f], { year: 2026 });
  assert.equal(counts.lines, n);
  assert.equal(lines.length, n - n / 3);
  for (const l of lines) {
    assert.equal(l.message, `msg ${l.pid} ${'é'.repeat(l.pid! % 7)}`);
    assert.equal(l.line, l.pid);
  }
  const g = join(dir, 'crlf.log');
  writeFileSync(g, 'Nov 21 10:00:00 web1 sshd[1]: a\r\n\0\0\0\0\0\0Nov 21 10:00:01 web1 sshd[2]: b\r\nNov 21 10:00:02 web1 sshd[3]: last');
  const r = await collect([g], { year: 2026 });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.lines.map((l) => [l.message, l.line]), [['a', 1], ['b', 2], ['last', 3]]);
  // a file that starts with a long NUL run (copytruncate under a non-appending writer)
  const h = join(dir, 'sparse.log');
  writeFileSync(h, Buffer.concat([Buffer.alloc(3 * 1024 * 1024), Buffer.from('Nov 21 10:00:00 web1 sshd[7]: after the hole\n')]));
  const sp = await collect([h], { year: 2026 });
  assert.deepEqual(sp.errors, []);
  assert.deepEqual(sp.lines.map((l) => [l.message, l.line]), [['after the hole', 1]]);
  // a UTF-8 byte order mark before line 1 (an editor's save): line 1 is still read
  const bom = join(dir, 'bom.log');
  writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Nov 21 10:00:00 web1 sshd[8]: first\nNov 21 10:00:01 web1 sshd[9]: second\n')]));
  const bm = await collect([bom], { year: 2026 });
  assert.deepEqual(bm.errors, []);
  assert.equal(bm.counts.malformed, 0);
  assert.deepEqual(bm.lines.map((l) => [l.message, l.line]), [['first', 1], ['second', 2]]);
});

test('year from the file mtime, timezone option, several hosts in one file', async () => {
  const f = join(dir, 'newyear.log');
  writeFileSync(f, 'Dec 31 23:59:00 web1 sshd[1]: old\nJan  1 00:01:00 web2 sshd[1]: new\n');
  utimesSync(f, new Date(Date.UTC(2026, 0, 2)), new Date(Date.UTC(2026, 0, 2)));
  const { lines } = await collect([f], { timezone: 'Europe/Berlin' });
  assert.deepEqual(lines.map((l) => l.ts), [Date.UTC(2025, 11, 31, 22, 59), Date.UTC(2025, 11, 31, 23, 1)]);
  assert.deepEqual(lines.map((l) => l.host), ['web1', 'web2']);
  assert.throws(() => readInputs([f], { timezone: 'Nowhere/City' }), /unknown time zone "Nowhere\/City"/);
});

test('stdin (-): detection, `now` as the year reference, format override, progress', async () => {
  const text = sshdLine(21, 'from stdin') + sshdLine(22, 'second');
  const stdin = Readable.from([Buffer.from(text.slice(0, 10)), Buffer.from(text.slice(10))]);
  const { lines, counts } = await collect(['-'], { stdin, now: Date.UTC(2030, 11, 31) });
  assert.deepEqual(lines.map((l) => [l.file, l.message, new Date(l.ts!).getUTCFullYear()]), [
    ['-', 'from stdin', 2030],
    ['-', 'second', 2030],
  ]);
  assert.deepEqual(counts.formats, [{ file: '-', format: 'syslog' }]);

  const forced = await collect(['-'], { stdin: Readable.from([Buffer.from('Server listening on :: port 22.\r\nhello\r\n')]), format: 'sshd-stderr' });
  assert.deepEqual(forced.lines.map((l) => l.message), ['Server listening on :: port 22.', 'hello']);

  const f1 = join(dir, 'p1.log'), f2 = join(dir, 'p2.log');
  writeFileSync(f1, sshdLine(1, 'a'.repeat(3000)).repeat(1000));
  writeFileSync(f2, sshdLine(1, 'b'));
  const seen: [number, number][] = [];
  const reader = readInputs([f1, f2], { timezone: 'UTC', onProgress: (d, t) => seen.push([d, t]) });
  for await (const _ of reader.batches());
  const total = readFileSync(f1).length + readFileSync(f2).length;
  assert.ok(seen.length >= 3, String(seen.length));
  assert.ok(seen.every(([, t]) => t === total));
  assert.ok(seen.every(([d], i) => i === 0 || d > seen[i - 1][0]));
  assert.equal(seen[seen.length - 1][0], total);
});

test('per-line iteration gives the same records as batches', async () => {
  const f = join(dir, 'same.log');
  writeFileSync(f, Array.from({ length: 500 }, (_, i) => sshdLine(3, `m${i}`, i)).join(''));
  const a: string[] = [];
  for await (const l of readInputs([f], { timezone: 'UTC' })) a.push(l.message);
  const { lines } = await collect([f]);
  assert.deepEqual(a, lines.map((l) => l.message));
  assert.equal(a.length, 500);
});

test('an unreadable file (permission denied, read without the DAC capabilities) is one message; the next file is read', async () => {
  assert.equal(process.getuid?.(), 0, 'needs root to drop the DAC capabilities (run ./test.sh as root)');
  const { spawnSync } = await import('node:child_process');
  const { chmodSync, chownSync } = await import('node:fs');
  const d = join(dir, 'perm');
  mkdirSync(d);
  const secret = join(d, 'secret.log');
  const open = join(d, 'open.log');
  // Owned by nobody, mode 0600: unreadable for a root process without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH.
  writeFileSync(secret, sshdLine(1, 'hidden'));
  chownSync(secret, 65534, 65534);
  chmodSync(secret, 0o600);
  writeFileSync(open, sshdLine(1, 'visible'));
  chmodSync(open, 0o644);
  const script = `
    const { readInputs } = await import(${JSON.stringify(new URL('../../src/sources/read-inputs.ts', import.meta.url).href)});
    const errors = []; const lines = [];
    for await (const l of readInputs(${JSON.stringify([secret, open])}, { timezone: 'UTC', onError: (f, l, m) => errors.push(f + ': ' + m) })) lines.push(l.message);
    console.log(JSON.stringify({ errors, lines }));`;
  // Root without the two capabilities, not user nobody: the checkout may sit in a directory only root can
  // enter (a clone in /root, or under a mode-0700 temporary directory), where nobody could not start node.
  const r = spawnSync('setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.error ? `setpriv: ${r.error.message}` : r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.errors, [`${secret}: cannot read: permission denied (run as root, or as a member of the adm group)`]);
  assert.deepEqual(out.lines, ['visible']);
});
