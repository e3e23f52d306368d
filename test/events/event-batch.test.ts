/**
 * events/event-batch.ts: a framed line and its matched event, packed for the reader thread and
 * unpacked, are the same values field for field (the message only where the engine reads it, or
 * always with `withMessages`). Real lines (the samples, the peer corpus) and fuzzed ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { readInputs } from '../../src/sources/read-inputs.ts';
import { isSshdProgram, matchText, newScratchEvent, type SshdEvent } from '../../src/events/index.ts';
import { EVENT_BATCH_LINES, EventBatchWriter, newScratchLine, readEventBatch, type EventBatch } from '../../src/events/event-batch.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PEER = join(REPO, '..', 'shared', 'peer-corpus', 'fail2ban');

/** Packs and unpacks; returns what came out, as plain copies. */
function roundTrip(lines: readonly FramedLine[], withMessages: boolean): { sent: { line: FramedLine; ev: SshdEvent | null }[]; got: { line: FramedLine; ev: SshdEvent | null }[]; batches: number } {
  const batches: EventBatch[] = [];
  const w = new EventBatchWriter((b) => batches.push(b), withMessages);
  const sent: { line: FramedLine; ev: SshdEvent | null }[] = [];
  for (const line of lines) {
    const ev = isSshdProgram(line.program) ? { ...matchText(line.message) } : null;
    sent.push({ line, ev });
    w.add(line, ev);
  }
  w.flush();
  const got: { line: FramedLine; ev: SshdEvent | null }[] = [];
  const scratch = newScratchEvent();
  const scratchLine = newScratchLine();
  for (const b of batches) readEventBatch(b, scratchLine, scratch, (line, ev) => got.push({ line: { ...line }, ev: ev === null ? null : { ...ev } }));
  return { sent, got, batches: batches.length };
}

function check(lines: readonly FramedLine[]): void {
  for (const withMessages of [false, true]) {
    const { sent, got } = roundTrip(lines, withMessages);
    assert.equal(got.length, sent.length);
    for (let i = 0; i < sent.length; i++) {
      const s = sent[i];
      const g = got[i];
      // A line the engine skips never carries its message; an sshd line does where the engine reads it.
      const carried = s.ev !== null && (withMessages || s.ev.entry === null || s.ev.entry.scope === 'listener');
      assert.deepEqual(g.line, { ...s.line, message: carried ? s.line.message : '' }, `line ${i} (${s.line.file}:${s.line.line})`);
      assert.deepEqual(g.ev, s.ev, `event ${i} (${s.line.file}:${s.line.line}: ${s.line.message})`);
    }
  }
}

async function linesOf(files: string[]): Promise<FramedLine[]> {
  const out: FramedLine[] = [];
  const r = readInputs(files, { year: 2026 });
  for await (const batch of r.batches()) out.push(...batch);
  return out;
}

test('real lines: the samples, the lab fixture and the peer corpus survive packing', async () => {
  const files = readdirSync(join(REPO, 'samples')).filter((f) => f.endsWith('.log')).map((f) => join(REPO, 'samples', f));
  files.push(join(REPO, 'test', 'pcap', 'fixtures', 'wire-doctor.log'));
  assert.ok(existsSync(PEER), `the peer corpus is missing: ${PEER}`);
  for (const f of readdirSync(PEER)) files.push(join(PEER, f));
  const lines = await linesOf(files);
  assert.ok(lines.length > 500, `${lines.length} lines`);
  check(lines);
});

test('fuzzed lines: any message, host, pid and time', () => {
  const host = fc.option(fc.string({ maxLength: 20 }), { nil: null });
  const message = fc.oneof(
    fc.string({ maxLength: 600 }),
    fc.constantFrom(
      'Failed password for invalid user admin from 203.0.113.9 port 40003 ssh2',
      'error: kex_exchange_identification: Connection closed by remote host',
      'drop connection #3 from [198.51.100.2]:40000 on [192.0.2.1]:22 past MaxStartups',
      'Connection closed by 2001:db8::7 port 51000 [preauth]',
      'debug1: Forked child 4242.',
      'Received disconnect from 203.0.113.4 port 22: 11: Bye Bye [preauth]',
    ),
    fc.tuple(fc.constantFrom('Invalid user ', 'Accepted publickey for ', 'Disconnected from user '), fc.string({ maxLength: 80 })).map(([a, b]) => a + b),
  );
  const line = fc.record({
    ts: fc.option(fc.double({ min: 0, max: 4e12, noNaN: true }), { nil: null }),
    host,
    program: fc.constantFrom('sshd', 'sshd-session', 'sshd-auth', '', 'cron'),
    pid: fc.option(fc.integer({ min: 0, max: 2 ** 32 }), { nil: null }),
    message,
    file: fc.constantFrom('/var/log/auth.log', '-', 'journal'),
    line: fc.integer({ min: 1, max: 2 ** 40 }),
  });
  fc.assert(
    fc.property(fc.array(line, { maxLength: 50 }), (lines) => {
      check(lines);
    }),
    { numRuns: 100 },
  );
  // Around the batch size: the lines cross batch boundaries.
  fc.assert(
    fc.property(fc.array(line, { minLength: EVENT_BATCH_LINES - 3, maxLength: 2 * EVENT_BATCH_LINES + 3 }), (lines) => {
      const { batches } = roundTrip(lines, false);
      assert.equal(batches, Math.ceil(lines.length / EVENT_BATCH_LINES));
      check(lines);
    }),
    { numRuns: 5 },
  );
});
