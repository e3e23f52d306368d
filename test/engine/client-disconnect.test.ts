/**
 * A connection whose last line is the client's own `Received disconnect … [preauth]` (its
 * `Disconnected from` line missing: cut from the log, or the log ends there) left on its own: it
 * must not be reported as a LoginGraceTime timeout, whatever time passes before the log ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Analyzer } from '../../src/engine/analyzer.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const fl = (message: string, line: number, pid: number, dt = 0): FramedLine => ({ ts: T0 + dt, host: 'srv', program: 'sshd', pid, message, file: 'auth.log', line });

test('Received disconnect without its Disconnected line: closed by the client, not a timeout', () => {
  const a = new Analyzer();
  a.push(fl('Received disconnect from 198.51.100.76 port 58846:11: Bye Bye [preauth]', 1, 2364));
  // Much later, unrelated traffic: the first connection has been silent for longer than LoginGraceTime.
  a.push(fl('Connection closed by 192.0.2.9 port 40000 [preauth]', 2, 2400, 10 * 60_000));
  const r = a.finish();
  const c = r.connections!.find((x) => x.src === '198.51.100.76');
  assert.ok(c, 'the connection is reported');
  assert.equal(c.outcome, 'closed_after_ident');
  assert.notEqual(c.detail, 'login_grace_time');
});

test('a client that disconnects after failing to authenticate is still auth_failed', () => {
  const a = new Analyzer();
  a.push(fl('Failed password for invalid user admin from 198.51.100.77 port 40001 ssh2', 1, 2500));
  a.push(fl('Received disconnect from 198.51.100.77 port 40001:11: Bye Bye [preauth]', 2, 2500, 1000));
  const c = a.finish().connections!.find((x) => x.src === '198.51.100.77');
  assert.equal(c?.outcome, 'auth_failed');
});
