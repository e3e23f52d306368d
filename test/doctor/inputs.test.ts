/** The doctor's own inputs: the time window, --client, the ssh command line of the client side, analyzeLogs' window and client filter. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWhen, windowText } from '../../src/doctor/window.ts';
import { parseClient, clientMatcher } from '../../src/doctor/context.ts';
import { sshArgs } from '../../src/doctor/client-side.ts';
import { analyzeLogs } from '../../src/analyze/analyze-logs.ts';

const NOW = Date.parse('2026-12-04T20:00:00Z');

test('--since/--until: durations, "N units ago", dates; anything else is refused', () => {
  assert.equal(parseWhen('24h', NOW), NOW - 86_400_000);
  assert.equal(parseWhen('2 hours ago', NOW), NOW - 7_200_000);
  assert.equal(parseWhen('90m', NOW), NOW - 5_400_000);
  assert.equal(parseWhen('2026-12-04 10:00Z', NOW), Date.parse('2026-12-04T10:00:00Z'));
  assert.equal(parseWhen('now', NOW), NOW);
  for (const bad of ['banana', '2 fortnights ago', '', '12:00']) assert.equal(parseWhen(bad, NOW), null, bad);
  assert.equal(windowText(NOW - 86_400_000, null, NOW), 'in the last 24 h');
  assert.equal(windowText(NOW - 1_800_000, null, NOW), 'in the last 30 min');
});

test('--client: an address or user@address, never a name; IPv6 clients match their /64', () => {
  assert.deepEqual(parseClient('198.51.100.7'), { address: '198.51.100.7', user: null });
  assert.deepEqual(parseClient('alice@[2001:db8::7]'), { address: '2001:db8::7', user: 'alice' });
  assert.match(parseClient('server.example.org') as string, /not an IP address/);
  assert.match(parseClient('a;b@198.51.100.7') as string, /not a valid user name/);
  const m6 = clientMatcher({ address: '2001:db8:1:2::7', user: null });
  assert.ok(m6('2001:db8:1:2::99'));
  assert.ok(!m6('2001:db8:1:3::7'));
  const m4 = clientMatcher({ address: '198.51.100.7', user: null });
  assert.ok(m4('198.51.100.7') && !m4('198.51.100.8'));
});

test('the client side runs ssh with BatchMode and strict host keys, the target after --', () => {
  assert.deepEqual(sshArgs('alice@[2001:db8::1]:2222', undefined, '/tmp/cfg'), ['-vvv', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'StrictHostKeyChecking=yes', '-T', '-F', '/tmp/cfg', '-p', '2222', '-l', 'alice', '--', '2001:db8::1', 'true']);
  assert.deepEqual(sshArgs('-oProxyCommand=x', undefined, undefined).slice(-3), ['--', '-oProxyCommand=x', 'true']);
});

test('analyzeLogs: lines outside the window and other clients are left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-doctor-in-'));
  try {
    const f = join(dir, 'auth.log');
    const line = (ts: string, pid: number, addr: string) =>
      `${ts} srv sshd[${pid}]: Connection closed by ${addr} port 50000 [preauth]\n`;
    writeFileSync(f, line('2026-12-04T08:00:00.000000+00:00', 10, '198.51.100.7') + line('2026-12-04T19:00:00.000000+00:00', 11, '198.51.100.7') + line('2026-12-04T19:30:00.000000+00:00', 12, '203.0.113.9'));
    const all = await analyzeLogs({ inputs: [f], window: { since: Date.parse('2026-12-04T18:00:00Z'), until: null } });
    assert.equal(all.result.summary.connections, 2);
    const one = await analyzeLogs({ inputs: [f], window: { since: Date.parse('2026-12-04T18:00:00Z'), until: null }, sourceFilter: (a) => a === '198.51.100.7', keepConnections: 10 });
    assert.equal(one.connectionsMatched, 1);
    assert.deepEqual(one.result.sources.map((s) => s.address), ['198.51.100.7']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
