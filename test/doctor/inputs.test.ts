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
  // Out-of-range days and times are refused, not rolled over (Date.parse makes 2026-02-30 into March 2).
  for (const bad of ['2026-02-30 10:00', '2026-02-29', '2026-13-01', '2026-04-31', '2026-12-04 24:00', '2026-12-04 10:60']) assert.equal(parseWhen(bad, NOW), null, bad);
  assert.equal(parseWhen('2024-02-29Z', NOW), Date.parse('2024-02-29T00:00:00Z'));
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

test('exit 3 only for inputs given and not read: --offline without --config is not a failure; a missing log beside a readable one is', async () => {
  const { assemble } = await import('../../src/doctor/run.ts');
  const base = { side: 'server' as const, client: null, windowText: 'in the logs', window: null, offline: true };
  const logsRead = { check: 'logs', status: 'looked' as const, note: '3 lines', facts: [] };
  const noConfig = { check: 'config', status: 'unchecked' as const, notAsked: true, reason: '--offline without --config', facts: [] };
  assert.equal(assemble([noConfig, logsRead], base).inputFailed, false);
  const partly = assemble([noConfig, { ...logsRead, inputFailed: true }], base);
  assert.equal(partly.inputFailed, true);
  assert.match(partly.verdict, /part of the logs could not be read/);
  const pcapMissing = assemble([noConfig, logsRead, { check: 'capture', status: 'unchecked', reason: 'cannot read: no such file', facts: [] }], base);
  assert.equal(pcapMissing.inputFailed, true);
  assert.match(pcapMissing.verdict, /the capture could not be read/);
  const configUnreadable = assemble([{ check: 'config', status: 'unchecked', reason: 'Permission denied', facts: [] }, logsRead], base);
  assert.equal(configUnreadable.inputFailed, true);
});

test('a drop line\'s low "#n" is read as PerSourceMaxStartups only when MaxStartups\' start is known', async () => {
  const { newTally, tallyConnection } = await import('../../src/doctor/checks/logs.ts');
  const drop = {
    host: null, pid: 40, pids: [40], src: '192.0.2.19', srcPort: 40000, local: null, localPort: null, start: null, end: null, phase: 'tcp', outcome: 'dropped', detail: 'maxstartups', users: [], methods: [], failures: 0,
    evidence: [{ file: 'auth.log', line: 40, text: 'drop connection #2 from [192.0.2.19]:40000 on [192.0.2.1]:22 past MaxStartups' }],
  } as unknown as Parameters<typeof tallyConnection>[1];
  const unknown = newTally();
  tallyConnection(unknown, drop, null);
  assert.deepEqual([...unknown.bySource.keys()], ['maxstartups']);
  const known = newTally();
  tallyConnection(known, drop, 10);
  assert.deepEqual([...known.bySource.keys()], ['per_source']);
  const lowStart = newTally();
  tallyConnection(lowStart, drop, 2);
  assert.deepEqual([...lowStart.bySource.keys()], ['maxstartups']);
});
