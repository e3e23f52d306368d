/**
 * samples/auth.log and samples/auth-verbose.log (real logs made by scripts/make-sample.ts) against the ground truth
 * recorded from the clients when it was made (samples/auth.truth.json). Needs no root and no
 * lab: it checks the bundled sample the README's first command analyses.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectionChecks, recognitionChecks, REPO, runAnalyze, score, sourceChecks } from './compare.ts';
import { reportChecks } from './lab-suite.ts';
import type { LabRun } from './scenarios.ts';

for (const base of ['auth', 'auth-verbose']) {
test(`sshwarden analyze samples/${base}.log --json matches the clients' ground truth`, { timeout: 60_000 }, async (t) => {
  const LOG = join(REPO, `samples/${base}.log`);
  const TRUTH = join(REPO, `samples/${base}.truth.json`);
  assert.ok(existsSync(LOG) && existsSync(TRUTH), `samples/${base}.log or its .truth.json is missing (run: node scripts/make-sample.ts)`);
  const run = JSON.parse(readFileSync(TRUTH, 'utf8')) as LabRun;
  const a = runAnalyze(`samples/${base}.log`, run.analyzeArgs ?? []);
  await t.test('sshwarden analyze --json runs and prints connections[] and sources[]', () => {
    assert.ok(a.status === 0 || a.status === 1, `exit ${a.status}: ${a.stderr.slice(0, 2000)}`);
    assert.equal(a.parseError, undefined, `stdout is not the analyze JSON (${a.parseError}); stderr: ${a.stderr.slice(0, 2000)}`);
  });
  if (!a.json) return;
  const s = score(run, a.json);
  t.diagnostic(`score on samples/${base}.log: ${s.right}/${s.total} logged connections with the right outcome`);
  await reportChecks(t, connectionChecks(run, a.json));
  await reportChecks(t, sourceChecks(run, a.json));
  await reportChecks(t, recognitionChecks(a.json));
});
}
