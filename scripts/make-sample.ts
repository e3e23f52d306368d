#!/usr/bin/env node
/**
 * Regenerates samples/auth.log and samples/auth.truth.json from the real lab (needs root:
 * network namespaces, a private sshd and rsyslogd; nothing on the host is changed):
 *
 *   sudo node scripts/make-sample.ts            # LogLevel INFO (Debian's default)
 *   sudo node scripts/make-sample.ts VERBOSE    # writes samples/auth-verbose.log + .truth.json instead
 *
 * See samples/README.md and test/analyze-lab/scenarios.ts for what the clients do.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runLab, type LogLevel } from '../test/analyze-lab/scenarios.ts';

const level = (process.argv[2] ?? 'INFO').toUpperCase() as LogLevel;
if (level !== 'INFO' && level !== 'VERBOSE') {
  process.stderr.write('usage: node scripts/make-sample.ts [INFO|VERBOSE]\n');
  process.exit(2);
}
const repo = fileURLToPath(new URL('../', import.meta.url));
const base = level === 'INFO' ? 'auth' : 'auth-verbose';
const outDir = mkdtempSync(join(tmpdir(), 'sshwarden-make-sample-'));
try {
  const run = await runLab({ logLevel: level, outDir, prefix: 'ms' });
  copyFileSync(run.logFile, join(repo, 'samples', `${base}.log`));
  const sshdVersion = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'openssh-server'], { encoding: 'utf8' }).stdout.trim();
  const rsyslogVersion = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'rsyslog'], { encoding: 'utf8' }).stdout.trim();
  const truth = {
    made: 'scripts/make-sample.ts',
    openssh: `openssh-server ${sshdVersion} (Debian)`,
    rsyslog: `rsyslog ${rsyslogVersion}, RSYSLOG_FileFormat (Debian 12 default)`,
    logLevel: run.logLevel,
    logFile: `samples/${base}.log`,
    server: run.server,
    analyzeArgs: run.analyzeArgs,
    truth: run.truth,
    sources: run.sources,
  };
  writeFileSync(join(repo, 'samples', `${base}.truth.json`), `${JSON.stringify(truth, null, 1)}\n`);
  process.stdout.write(`wrote samples/${base}.log and samples/${base}.truth.json (${run.truth.length} client connections, ${Math.round(run.durationMs / 1000)} s)\n`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
