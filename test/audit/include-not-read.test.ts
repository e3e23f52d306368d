/**
 * An Include this user may not read (not root, mode 0600 root's) is not "sshd refuses to start":
 * sshd reads it as root. The audit says it could not look (a warning),
 * exits 0 when nothing else is wrong, and sshd's verdict stays "accepts".
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig, type ConfigSource } from '../../src/sshd-config/parse.ts';
import { runAudit } from '../../src/sshd-config/audit.ts';

const files: Record<string, string> = { '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n', '/etc/ssh/sshd_config.d/10-secret.conf': '' };
const source = (onlyHere: boolean): ConfigSource => ({
  read: (p) => (p === '/etc/ssh/sshd_config.d/10-secret.conf' ? { error: 'Permission denied', ...(onlyHere ? { onlyHere: true } : {}) } : p in files ? { text: files[p] } : { error: 'No such file or directory' }),
  glob: (pat) => Object.keys(files).filter((f) => f.startsWith(pat.replace('*.conf', '')) && f.endsWith('.conf')).sort(),
});

test('an Include only this user cannot read is a warning, not a config sshd rejects; one sshd cannot read is still an error', () => {
  const here = parseConfig('/etc/ssh/sshd_config', source(true), { version: '9.2' });
  assert.equal(here.verdict.accepted, true);
  const r = runAudit(here, { clients: [] }).report;
  const f = r.findings.find((x) => x.id === 'include-not-read')!;
  assert.equal(f.severity, 'warning');
  assert.match(f.title, /10-secret\.conf was not read here: Permission denied; sshd \(root\) reads it/);
  assert.match(f.fix, /run the audit as root/);
  assert.ok(!r.findings.some((x) => x.severity === 'error'));
  const everywhere = parseConfig('/etc/ssh/sshd_config', source(false), { version: '9.2' });
  assert.equal(everywhere.verdict.accepted, false);
});
