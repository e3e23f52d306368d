/**
 * One node:test test that runs the whole lab at a LogLevel, then `./sshwarden analyze --json`
 * on the log it produced, with one subtest per check (see ./compare.ts). Used by
 * analyze-info.test.ts and analyze-verbose.test.ts (separate files so they run in parallel and
 * each stays well under two minutes).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectionChecks, recognitionChecks, runAnalyze, score, sourceChecks, type Check } from './compare.ts';
import { runLab, type LogLevel } from './scenarios.ts';

export async function reportChecks(t: import('node:test').TestContext, checks: Check[]): Promise<void> {
  for (const c of checks) {
    await t.test(c.name, { todo: c.knownIssue }, () => {
      assert.ok(c.ok, `${c.why}\n  expected: ${JSON.stringify(c.expected)}\n  actual:   ${JSON.stringify(c.actual)}`);
    });
  }
}

export function labSuite(level: LogLevel, prefix: string, format: 'debian' | 'traditional' = 'debian', usePam = true): void {
  test(`analyze --json against a real sshd 9.2p1 + rsyslog lab at LogLevel ${level} (UsePAM ${usePam ? 'yes' : 'no'}, ${format} rsyslog format)`, { timeout: 400_000 }, async (t) => {
    const outDir = mkdtempSync(join(tmpdir(), `sshwarden-analyze-lab-${level.toLowerCase()}-`));
    try {
      const run = await runLab({ logLevel: level, outDir, prefix, format, usePam });
      t.diagnostic(`lab: ${run.truth.length} client connections (${run.truth.filter((x) => x.logged).length} logged at ${level}) in ${run.durationMs} ms; log ${run.logFile}`);
      const a = runAnalyze(run.logFile, run.analyzeArgs);
      await t.test('sshwarden analyze --json runs and prints connections[] and sources[]', () => {
        assert.ok(a.status === 0 || a.status === 1, `exit ${a.status}: ${a.stderr.slice(0, 2000)}`);
        assert.equal(a.parseError, undefined, `stdout is not the analyze JSON (${a.parseError}); stderr: ${a.stderr.slice(0, 2000)}; stdout: ${a.stdout.slice(0, 500)}`);
      });
      const text = runAnalyze(run.logFile, run.analyzeArgs, { json: false });
      await t.test('sshwarden analyze (text report) runs and names the busiest password guesser', () => {
        assert.ok(text.status === 0 || text.status === 1, `exit ${text.status}: ${text.stderr.slice(0, 2000)}`);
        assert.match(text.stdout, /192\.0\.2\.20\b/, 'the text report should name 192.0.2.20 (4 failed passwords)');
        assert.doesNotMatch(text.stdout, /\x1b\[/, 'no colour when stdout is not a terminal');
      });
      if (!a.json) return;
      const s = score(run, a.json);
      t.diagnostic(`score at ${level}: ${s.right}/${s.total} logged connections with the right outcome`);
      await reportChecks(t, connectionChecks(run, a.json));
      await reportChecks(t, sourceChecks(run, a.json));
      await reportChecks(t, recognitionChecks(a.json));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
}
