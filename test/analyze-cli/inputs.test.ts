/**
 * What `sshwarden analyze` says about its inputs (the real CLI, spawned): an input that cannot
 * be read at all prints only its error and exits 3 (no empty text report after it; --json still
 * prints a valid document, so `| jq` works, with inputs.failedInputs); an empty input
 * says "empty"; gzip, zstd and xz are recognised by their magic bytes on stdin as in files
 * (bzip2: one line saying how to read it); a truncated compressed stdin still delivers the lines
 * before the cut; other programs' lines that read like sshd's are named in the summary; the
 * envelopes of busybox, FreeBSD -v, socklog and macOS syslog are read, not refused.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';

const LOG = [
  '2026-11-21T10:00:04.000000+00:00 srv sshd[203]: Invalid user admin from 203.0.113.9 port 40003',
  '2026-11-21T10:00:05.000000+00:00 srv sshd[203]: Failed password for invalid user admin from 203.0.113.9 port 40003 ssh2',
  '2026-11-21T10:00:06.000000+00:00 srv sshd[203]: Connection closed by invalid user admin 203.0.113.9 port 40003 [preauth]',
  '2026-11-21T10:00:07.000000+00:00 srv sshd[204]: Accepted publickey for alice from 198.51.100.5 port 50002 ssh2: ED25519 SHA256:abc',
].join('\n');

function sshwarden(args: string[], input?: string | Buffer) {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', input, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sw-inputs-'));
  writeFileSync(join(dir, 'auth.log'), `${LOG}\n`);
  writeFileSync(join(dir, 'empty.log'), '');
  writeFileSync(join(dir, 'binary.dat'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0]));
  mkdirSync(join(dir, 'a-dir'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const [what, file] of [['a missing file', 'missing.log'], ['a binary file', 'binary.dat'], ['a directory', 'a-dir']]) {
  test(`${what}: only the error on stderr, no text report, exit 3; --json still prints its document (the empty input's shape, the failure in inputs)`, () => {
    const empty = JSON.parse(sshwarden(['analyze', join(dir, 'empty.log'), '--json']).stdout);
    for (const extra of [[], ['--json']]) {
      const r = sshwarden(['analyze', join(dir, file), ...extra]);
      assert.equal(r.status, 3, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.ok(lines[0].startsWith(`sshwarden: ${join(dir, file)}: `), r.stderr);
      if (extra.length === 0) {
        assert.equal(r.stdout, '', `no text report after the error: ${r.stdout}`);
        continue;
      }
      const j = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(j), Object.keys(empty), 'the same document as for an empty input');
      assert.deepEqual(Object.keys(j.inputs), Object.keys(empty.inputs));
      assert.equal(j.inputs.failedInputs, 1);
      assert.deepEqual(j.inputs.files, []);
      assert.deepEqual(j.inputs.empty, []);
      assert.equal(j.inputs.lines, 0);
      assert.deepEqual(j.connections, []);
    }
  });
}

test('an empty file and an empty stdin say "empty", exit 0', () => {
  const r = sshwarden(['analyze', join(dir, 'empty.log')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.split('\n')[0], /from .*empty\.log \(empty\)$/);
  assert.doesNotMatch(r.stdout, /no input/);
  const s = sshwarden(['analyze', '-'], '');
  assert.match(s.stdout.split('\n')[0], /from - \(empty\)$/);
  const j = JSON.parse(sshwarden(['analyze', '--json', join(dir, 'empty.log')]).stdout);
  assert.deepEqual(j.inputs.empty, [join(dir, 'empty.log')]);
});

test('gzip, zstd and xz on stdin are recognised by their magic bytes; bzip2 is named', () => {
  const plain = JSON.parse(sshwarden(['analyze', '--json', '-'], LOG).stdout);
  const xz = spawnSync('xz', ['-c'], { input: LOG });
  assert.equal(xz.status, 0, 'xz (xz-utils, in test.sh) is needed');
  const bz = spawnSync('bzip2', ['-c'], { input: LOG });
  for (const [name, data] of [
    ['gzip', gzipSync(LOG)],
    ['zstd', zstdCompressSync(LOG)],
    ['xz', xz.stdout],
  ] as const) {
    const r = sshwarden(['analyze', '--json', '-'], data);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.summary, plain.summary, name);
    assert.deepEqual(j.sources, plain.sources, name);
  }
  if (bz.status === 0) {
    const r = sshwarden(['analyze', '-'], bz.stdout);
    assert.equal(r.status, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bzip2-compressed: decompress it first \(bzcat/);
  }
  // and the same in a file, by content (no .zst / .xz name needed)
  writeFileSync(join(dir, 'zstd-log'), zstdCompressSync(LOG));
  const f = JSON.parse(sshwarden(['analyze', '--json', join(dir, 'zstd-log')]).stdout);
  assert.deepEqual(f.summary, plain.summary);
});

test('a truncated gzip on stdin: the lines before the cut are read, the cut is reported, exit 3', () => {
  const many = Array.from({ length: 400 }, (_, i) => LOG.replaceAll('40003', String(41000 + i)).replaceAll('[203]', `[${1000 + i}]`)).join('\n');
  const gz = gzipSync(many);
  const r = sshwarden(['analyze', '--json', '-'], gz.subarray(0, Math.floor(gz.length / 2)));
  assert.equal(r.status, 3);
  assert.match(r.stderr, /truncated gzip data: stopped after \d+ uncompressed bytes/);
  const j = JSON.parse(r.stdout);
  assert.ok(j.summary.lines.sshd > 100, JSON.stringify(j.summary.lines));
});

test("other programs' lines that read like sshd's are named in the terminal summary (and counted in --json)", () => {
  const log = `${LOG}\n2026-11-21T10:00:09.000000+00:00 srv openssh[77]: Failed password for root from 203.0.113.50 port 1 ssh2\n`;
  writeFileSync(join(dir, 'renamed.log'), log);
  const r = sshwarden(['analyze', join(dir, 'renamed.log')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout.replace(/\n\s+/g, ' '), /1 line that read like sshd's was skipped as another program's \(first: .*renamed\.log:5, program "openssh"/);
  const j = JSON.parse(sshwarden(['analyze', '--json', join(dir, 'renamed.log')]).stdout);
  assert.equal(j.inputs.otherProgramsSshdLike, 1);
  // No such note when there is nothing of the kind.
  assert.doesNotMatch(sshwarden(['analyze', join(dir, 'auth.log')]).stdout, /read like sshd/);
});

test('busybox, FreeBSD -v, socklog and macOS syslog files are read (before: skipped or refused)', () => {
  const msg = 'Invalid user admin from 203.0.113.9 port 40003';
  const files: [string, string][] = [
    ['busybox', `Jun 20 02:18:39 vps auth.info sshd[13482]: ${msg}`],
    ['freebsd', `Jun 20 02:18:39 <4.6> bsd sshd[13482]: ${msg}`],
    ['socklog', `auth.info: May 27 04:31:28 sshd[30993]: ${msg}`],
    ['macos', `2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: ${msg}`],
  ];
  for (const [name, line] of files) {
    writeFileSync(join(dir, `${name}.log`), `${line}\n${line}\n`);
    const r = sshwarden(['analyze', '--json', join(dir, `${name}.log`)]);
    assert.equal(r.status, 0, `${name}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    assert.equal(j.summary.lines.sshd, 2, `${name}: ${JSON.stringify(j.inputs)}`);
    assert.equal(j.summary.lines.unrecognised, 0, name);
    assert.ok(j.sources.some((s: { address: string }) => s.address === '203.0.113.9'), name);
  }
});
