/**
 * The tracker's eviction order (the bound on open connections, tracker.ts MAX_OPEN) must not keep
 * finished connections alive: with a slack of 65,536 entries a 1M-line analyze held ~100 MB of
 * closed connections and promoted every one to V8's old space (peak RSS 180 → 260-300 MB; issue 14).
 * Reads the tracker's private order array: its length is the retention this guards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/engine/analyzer.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

test('finished connections leave the eviction order soon: 30,000 closed connections, a few thousand entries at most', () => {
  const a = new Analyzer({});
  const n = 30_000;
  let line = 0;
  const push = (ts: number, pid: number, message: string) => {
    const l: FramedLine = { ts, host: 'srv', program: 'sshd', pid, message, file: 'auth.log', line: ++line };
    a.push(l);
  };
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const ts = T0 + i * 100;
    const pid = 1000 + i;
    const src = `198.51.100.${i % 250}`;
    push(ts, pid, 'error: kex_exchange_identification: Connection closed by remote host');
    push(ts + 1, pid, `Connection closed by ${src} port ${20000 + (i % 40000)}`);
    closed++;
  }
  const order = (a as unknown as { tracker: { openOrder: unknown[] } }).tracker.openOrder;
  assert.ok(Array.isArray(order), 'the tracker keeps its eviction order in `openOrder` (renamed? update this test)');
  assert.equal(a.openConnections, 0, 'every connection was closed by its own line');
  assert.ok(order.length <= 8192, `the eviction order still holds ${order.length} entries after ${closed} closed connections (finished connections kept alive)`);
  const { summary } = a.finish();
  assert.equal(summary.connections, n);
});

test('finished connections are let go at 100 connections a second too: the registered table stays near the trailer window, not the log', () => {
  const a = new Analyzer({});
  const n = 40_000;
  let line = 0;
  const tracker = (a as unknown as { tracker: { registeredCount(): number } }).tracker;
  assert.equal(typeof tracker.registeredCount, 'function', 'the tracker counts its registered connections in `registeredCount()` (renamed? update this test)');
  let most = 0;
  for (let i = 0; i < n; i++) {
    // One line per connection, 10 ms apart: the first sweep (after 4,096 lines, 41 s) is inside the 60 s trailer window and lets nothing go.
    const l: FramedLine = { ts: T0 + i * 10, host: 'srv', program: 'sshd', pid: 1000 + i, message: `Connection closed by 198.51.100.${i % 250} port ${20000 + (i % 40000)} [preauth]`, file: 'auth.log', line: ++line };
    a.push(l);
    if (i % 1000 === 999) most = Math.max(most, tracker.registeredCount());
  }
  assert.ok(most <= 16_384, `${most} connections registered at once after ${n} finished ones (a sweep that let nothing go stopped the sweeps)`);
  assert.equal(a.finish().summary.connections, n);
});
