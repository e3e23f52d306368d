/**
 * `sshwarden pcap` as a user runs it: a file, stdin, gzip, --json, --port, and bad input (one
 * line naming the file or option, the documented exit code, never a stack trace).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';

const REPO = join(import.meta.dirname, '..', '..');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'lab-sll.pcapng');

function run(args: string[], input?: Buffer) {
  const r = spawnSync('./sshwarden', ['pcap', ...args], { cwd: REPO, input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

test('a file, stdin and a gzip-compressed copy give the same JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-pcap-cli-'));
  try {
    const gz = join(dir, 'c.pcapng.gz');
    writeFileSync(gz, gzipSync(readFileSync(FIXTURE)));
    const a = run([FIXTURE, '--json']);
    assert.equal(a.status, 0, a.stderr);
    const j = JSON.parse(a.stdout) as { connections: unknown[]; summary: { connections: number; format: string } };
    assert.equal(j.summary.format, 'pcapng');
    assert.ok(j.connections.length > 5);
    assert.equal(j.connections.length, j.summary.connections);
    const b = run(['-', '--json'], readFileSync(FIXTURE));
    assert.equal(b.stdout, a.stdout);
    const c = run([gz, '--json']);
    assert.equal(c.stdout, a.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--port selects the server port: nothing on 2222 in a port-22 capture', () => {
  const r = run([FIXTURE, '--port', '2222', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { summary: { connections: number; skipped: Record<string, number> } };
  assert.equal(j.summary.connections, 0);
  assert.ok(j.summary.skipped.other_port > 0);
});

test('bad input: one line naming the file or option, the documented exit code', () => {
  const missing = run(['/nonexistent/x.pcap']);
  assert.deepEqual([missing.status, missing.stderr.trim()], [3, 'sshwarden: /nonexistent/x.pcap: cannot read: no such file']);
  const notCap = run(['README.md']);
  assert.equal(notCap.status, 3);
  assert.match(notCap.stderr, /^sshwarden: README\.md: byte 0: not a pcap or pcapng file \(magic [0-9a-f]{8}\)\n$/);
  const cut = run(['-'], readFileSync(FIXTURE).subarray(0, 5000));
  assert.equal(cut.status, 3);
  assert.match(cut.stderr, /^sshwarden: -: byte \d+: file ends inside a block .*; the packets before it were analysed\n$/);
  assert.match(cut.stdout, /What the wire shows/);
  const port = run([FIXTURE, '--port', '70000']);
  assert.equal(port.status, 2);
  assert.match(port.stderr, /--port: must be an integer from 1 to 65535, got "70000"/);
  const log = run([FIXTURE, '--log', '/nonexistent/auth.log']);
  assert.equal(log.status, 3);
  assert.match(log.stderr, /\/nonexistent\/auth\.log/);
  for (const r of [missing, notCap, cut, port, log]) assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
});
