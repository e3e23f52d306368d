/**
 * `sshwarden audit --json` on a file it cannot read: a JSON document with `error` on stdout (so
 * `audit --json | jq` still gets JSON), the same one line on stderr and exit 3 as without --json.
 * Run through audit-cli.ts (the real command registration and error handling, independent of
 * sibling commands) and once through ./sshwarden.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const auditCli = (args: string[], cwd?: string) => spawnSync(process.execPath, [join(import.meta.dirname, 'audit-cli.ts'), ...args], { encoding: 'utf8', timeout: 60_000, cwd });
const sshwarden = (args: string[]) => spawnSync(join(import.meta.dirname, '..', '..', 'sshwarden'), args, { encoding: 'utf8', timeout: 60_000 });

test('audit --json on a file it cannot read: {root, error} on stdout, the stderr line and exit 3 stay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-audit-json-'));
  try {
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.conf'));
    for (const [file, cwd, run] of [
      ['/nonexistent/sshd_config', undefined, auditCli],
      [join(dir, 'dangling.conf'), undefined, auditCli],
      ['missing.conf', dir, auditCli],
      ['/nonexistent/sshd_config', undefined, sshwarden],
    ] as const) {
      const plain = run === auditCli ? auditCli(['audit', file, '--no-sshd'], cwd) : sshwarden(['audit', file, '--no-sshd']);
      const r = run === auditCli ? auditCli(['audit', file, '--no-sshd', '--json'], cwd) : sshwarden(['audit', file, '--no-sshd', '--json']);
      assert.equal(r.status, 3, r.stderr);
      assert.equal(r.stderr, `sshwarden: ${file}: cannot read: no such file\n`);
      assert.equal(r.stderr, plain.stderr, 'the same line as without --json');
      assert.equal(plain.stdout, '', 'no text report');
      const j = JSON.parse(r.stdout) as { root: string; error: string };
      assert.deepEqual(j, { root: resolve(cwd ?? '/', file), error: `${file}: cannot read: no such file` });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
