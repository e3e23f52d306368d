import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SourceHealth } from '../../src/guard/source-health.ts';

test('a follower that keeps dying counts failures in a row; records or a long run start a new count', () => {
  const h = new SourceHealth({ maxFailures: 3, stableMs: 60_000 });
  h.started('journal', 0);
  assert.deepEqual(h.following(), ['journal']);
  assert.equal(h.failed('journal', 'Failed to get boot id', 100), 1);
  assert.deepEqual(h.following(), [], 'a failing source is not followed');
  assert.deepEqual(h.states(), [{ source: 'journal', state: 'failing', failures: 1, lastError: 'Failed to get boot id' }]);
  h.started('journal', 5_100);
  assert.equal(h.failed('journal', 'again', 5_200), 2);
  h.started('journal', 10_200);
  assert.equal(h.failed('journal', 'again', 10_300), 3, 'reaches maxFailures: the guard gives up');
  // Records delivered: following again, the count starts over (the last error is kept for status).
  h.started('journal', 15_300);
  h.delivered('journal');
  assert.deepEqual(h.states(), [{ source: 'journal', state: 'following', failures: 0, lastError: 'again' }]);
  // A follower that ran longer than stableMs before it ended starts a new count too.
  assert.equal(h.failed('journal', 'x', 15_400), 1);
  h.started('journal', 20_000);
  assert.equal(h.failed('journal', 'x', 20_000 + 60_000), 1);
});

test('sources are independent and removed ones are forgotten', () => {
  const h = new SourceHealth();
  h.started('/var/log/auth.log', 0);
  h.started('journal', 0);
  h.failed('journal', 'gone', 10);
  assert.deepEqual(h.following(), ['/var/log/auth.log']);
  h.remove('journal');
  assert.deepEqual(h.states().map((s) => s.source), ['/var/log/auth.log']);
});
