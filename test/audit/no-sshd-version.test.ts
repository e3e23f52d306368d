/**
 * `audit --no-sshd` skips running sshd on the file (-t, -T), not the installed version: the file is
 * judged for the OpenSSH on this machine (Debian 12: 9.2), so no 9.8+ keyword is expected of it;
 * `--openssh` still chooses another.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { localSshd } from '../../src/sshd-config/system.ts';

const auditCli = (args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, 'audit-cli.ts'), ...args], { encoding: 'utf8', timeout: 60_000 });

test('audit --no-sshd judges the file for the installed sshd version, --openssh for another', () => {
  const local = localSshd();
  if (local === null) throw new Error('this test needs /usr/sbin/sshd (Debian openssh-server); run ./test.sh as root');
  const dir = mkdtempSync(join(tmpdir(), 'sw-audit-nosshd-'));
  try {
    const file = join(dir, 'sshd_config');
    writeFileSync(file, 'Port 22\n');
    const r = auditCli(['audit', file, '--no-sshd', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.version, local.version);
    assert.equal(j.sshd ?? null, null, 'sshd did not run on the file');
    const other = JSON.parse(auditCli(['audit', file, '--no-sshd', '--openssh', '9.8', '--json']).stdout);
    assert.equal(other.version, '9.8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
