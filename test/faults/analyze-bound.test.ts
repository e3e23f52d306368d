/**
 * Issue 10, "analyze on 2 million distinct sources each with an open connection reached 3.4 GB":
 * the tracker keeps at most MAX_OPEN connections open (connections/tracker.ts); past it the oldest
 * is let go with outcome unknown (detail `evicted`, a reason), counted in `--json`
 * (`openConnections`) and said on the terminal. The real CLI runs on a generated log with more
 * open connections than a lower bound (SSHWARDEN_ANALYZE_MAX_OPEN, the test's hook).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshwarden } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sshwarden-faults-bound-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const OPEN = 30_000;
const BOUND = 5_000;

/** OPEN connections from distinct addresses that never end, then one complete scanner connection and one login. */
function openLog(): string {
  const lines: string[] = [];
  for (let i = 0; i < OPEN; i++) {
    const addr = `2001:db8::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}`;
    lines.push(`Dec  4 10:00:00 web1 sshd[${100_000 + i}]: Connection from ${addr} port ${1024 + (i % 60_000)} on 192.0.2.1 port 22 rdomain ""`);
  }
  lines.push('Dec  4 10:00:01 web1 sshd[90001]: Connection from 198.51.100.7 port 40000 on 192.0.2.1 port 22 rdomain ""');
  lines.push('Dec  4 10:00:01 web1 sshd[90001]: Connection closed by 198.51.100.7 port 40000 [preauth]');
  lines.push('Dec  4 10:00:02 web1 sshd[90002]: Connection from 203.0.113.5 port 40001 on 192.0.2.1 port 22 rdomain ""');
  lines.push('Dec  4 10:00:02 web1 sshd[90002]: Accepted publickey for alice from 203.0.113.5 port 40001 ssh2: ED25519 SHA256:x');
  const p = join(dir, 'open.log');
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

interface Doc {
  openConnections: { max: number; evicted: number };
  connections: { src: string | null; outcome: string; detail: string; reason?: string }[];
  sources: { address: string; class: string; detail: string | null; why: string }[];
  summary: { connections: number; outcomes: Record<string, number> };
}

test('issue 10 "analyze on 2 million open connections reached 3.4 GB": open connections bounded, evictions counted and said, evicted = unknown with a reason', async () => {
  const log = openLog();
  const env = { ...process.env, SSHWARDEN_ANALYZE_MAX_OPEN: String(BOUND) };
  const r = await sshwarden(['analyze', log, '--json'], { env, timeoutMs: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  // OPEN - BOUND when the unending ones are in; the scanner's connection makes one more open than the
  // bound (one more let go), and after its end the login fits. Those two are the newest: never let go.
  const evicted = OPEN - BOUND + 1;
  assert.match(r.stderr, new RegExp(`^sshwarden: ${evicted} connections were let go while still open: more than 5,000 were open at once`, 'm'));
  const doc = JSON.parse(r.stdout) as Doc;
  assert.deepEqual(doc.openConnections, { max: BOUND, evicted });
  assert.equal(doc.summary.connections, OPEN + 2);
  const ev = doc.connections.filter((c) => c.detail === 'evicted');
  assert.equal(ev.length, evicted);
  for (const c of ev) {
    assert.equal(c.outcome, 'unknown');
    assert.match(c.reason ?? '', /let go while still open: more than 5,000 connections were open at once/);
  }
  // The first ones opened are the ones let go; the rest end open at the end of the log.
  assert.equal(ev[0].src, '2001:db8::0:0');
  assert.equal(doc.connections.filter((c) => c.outcome === 'unknown' && c.detail === 'open_at_end_of_log').length, BOUND - 1); // still open at the end, the login aside
  const bySrc = new Map(doc.sources.map((s) => [s.address, s]));
  const first = bySrc.get('2001:db8::0:0')!;
  assert.equal(first.class, 'unknown');
  assert.equal(first.detail, 'evicted');
  assert.match(first.why, /memory bound/);
  assert.equal(doc.sources.filter((s) => s.detail === 'evicted').length, evicted);
  // Connections the bound did not touch keep their own classes.
  assert.equal(bySrc.get('203.0.113.5')?.class, 'legit');
  assert.equal(bySrc.get('198.51.100.7')?.class, 'scanner');
  assert.ok(r.peakKb < 600 * 1024, `peak RSS ${r.peakKb} kB`);

  // The terminal report says it too.
  const t = await sshwarden(['analyze', log], { env, timeoutMs: 120_000 });
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`${evicted} connections let go while still open: more than 5,000 were open at once`));

  // Under the default bound nothing is let go, and --json says so.
  const d = await sshwarden(['analyze', log, '--json'], { timeoutMs: 120_000 });
  assert.equal(d.status, 0, d.stderr);
  const dd = JSON.parse(d.stdout) as Doc;
  assert.equal(dd.openConnections.evicted, 0);
  assert.equal(dd.openConnections.max, 50_000);
  assert.doesNotMatch(d.stderr, /let go/);
});

test('issue 10: a bad SSHWARDEN_ANALYZE_MAX_OPEN is one clear line and exit 2', async () => {
  const p = join(dir, 'tiny.log');
  writeFileSync(p, 'Dec  4 10:00:00 web1 sshd[1]: Connection from 198.51.100.7 port 40000 on 192.0.2.1 port 22 rdomain ""\n');
  const r = await sshwarden(['analyze', p], { env: { ...process.env, SSHWARDEN_ANALYZE_MAX_OPEN: '0' } });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /SSHWARDEN_ANALYZE_MAX_OPEN/);
});
