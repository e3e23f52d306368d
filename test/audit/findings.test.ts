/**
 * Findings on parsed configurations (pure: the listener list and socket state are given as
 * data, as the CLI reads them from `ss` and systemctl).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type ConfigSource } from '../../src/sshd-config/parse.ts';
import { runAudit } from '../../src/sshd-config/audit.ts';
import { getProfile } from '../../src/profiles/index.ts';

function mem(files: Record<string, string>): ConfigSource {
  return {
    read: (p) => (p in files ? { text: files[p] } : { error: 'No such file or directory' }),
    glob: (pat) => Object.keys(files).filter((f) => new RegExp('^' + pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$').test(f)).sort(),
  };
}
const audit = (text: string, version = '9.2', extra: Parameters<typeof runAudit>[1] = { clients: [] }) => runAudit(parseConfig('/etc/ssh/sshd_config', mem({ '/etc/ssh/sshd_config': text }), { version }), extra).report;
const ids = (r: ReturnType<typeof audit>) => r.findings.map((f) => f.id);

test('unknown keyword: one line with file and line, a suggestion, and the audit goes on', () => {
  const r = audit('MaxStartup 10:30:100\nUseDNS yes\n');
  const f = r.findings.find((x) => x.id === 'unknown-keyword')!;
  assert.equal(f.title, '/etc/ssh/sshd_config: line 1: Bad configuration option: MaxStartup (did you mean MaxStartups?)');
  assert.ok(ids(r).includes('usedns'));
  assert.equal(r.sshdFirstError?.line, 1);
});

test('version awareness: PerSourceMaxStartups before 8.5, penalties from 9.8, Include before 8.2', () => {
  const r = audit('PerSourceMaxStartups 3\n', '8.2');
  assert.match(r.findings[0].title, /exists only from OpenSSH 8\.5/);
  assert.ok(ids(audit('', '9.8')).includes('persourcepenalties-exempt'));
  assert.ok(!ids(audit('PerSourcePenaltyExemptList 192.0.2.10\n', '9.8')).includes('persourcepenalties-exempt'));
  assert.ok(!ids(audit('', '9.2')).includes('persourcepenalties-exempt'));
  assert.equal(audit('Include /etc/ssh/sshd_config.d/*.conf\n', '8.1').sshdWouldAccept, false);
});

test('Subsystem defined twice: sshd before 9.5 refuses to start, from 9.5 the first one wins', () => {
  const files = { '/etc/ssh/sshd_config': 'Include /etc/ssh/sshd_config.d/*.conf\nSubsystem sftp /usr/lib/openssh/sftp-server\n', '/etc/ssh/sshd_config.d/50-chroot.conf': 'Subsystem sftp internal-sftp\n' };
  const parse = (version: string) => parseConfig('/etc/ssh/sshd_config', mem(files), { version });
  const old = runAudit(parse('9.2'), { clients: [] }).report;
  const dup = old.findings.find((f) => f.id === 'subsystem-duplicate')!;
  assert.equal(dup.severity, 'error');
  assert.equal(dup.file, '/etc/ssh/sshd_config');
  assert.equal(dup.line, 2);
  assert.match(dup.title, /first at \/etc\/ssh\/sshd_config\.d\/50-chroot\.conf:1/);
  assert.equal(old.sshdWouldAccept, false);
  assert.equal(parse('9.2').verdict.message, "/etc/ssh/sshd_config line 2: Subsystem 'sftp' already defined.");
  const now = runAudit(parse('9.8'), { clients: [] }).report;
  assert.equal(now.sshdWouldAccept, true);
  assert.equal(now.findings.find((f) => f.id === 'subsystem-redefined')?.severity, 'warning');
  // Two different names, or a second definition in a Match block that never applies at start: nothing to say.
  assert.ok(!ids(audit('Subsystem sftp a\nSubsystem backup b\n')).some((i) => i.startsWith('subsystem-')));
});

test('LogLevel: what INFO hides depends on the version', () => {
  const i83 = audit('', '8.3').findings.find((f) => f.id === 'loglevel')!;
  assert.match(i83.impact, /every "drop connection \.\.\. past MaxStartups" line/);
  const i95 = audit('', '9.5').findings.find((f) => f.id === 'loglevel')!;
  assert.match(i95.impact, /VERBOSE since 9\.5/);
  // 8.0-8.2 at INFO: the address-less kex line has no follow-up, so it cannot be attributed; 8.3+ adds one.
  const i82 = audit('', '8.2').findings.find((f) => f.id === 'loglevel')!;
  assert.match(i82.title, /cannot be attributed/);
  assert.equal(i82.severity, 'warning');
  assert.doesNotMatch(i83.title, /cannot be attributed/);
  assert.doesNotMatch(i83.impact, /stays unattributed/);
  assert.equal(audit('LogLevel ERROR\n').findings.find((f) => f.id === 'loglevel')!.severity, 'warning');
  assert.ok(!ids(audit('LogLevel VERBOSE\n')).includes('loglevel'));
});

test('listeners and socket activation', () => {
  const r = audit('Port 2222\n', '9.2', { clients: [], listeners: [{ address: '0.0.0.0', port: 22, process: 'sshd' }], socket: { enabled: true, active: true, listenStreams: ['22'] } });
  assert.ok(ids(r).includes('listen-mismatch'));
  assert.ok(ids(r).includes('ssh-socket'));
  const ok = audit('Port 22\n', '9.2', { clients: [], listeners: [{ address: '0.0.0.0', port: 22, process: 'sshd' }], socket: null });
  assert.ok(!ids(ok).includes('listen-mismatch'));
});

test('lock-outs and Match intent', () => {
  assert.ok(ids(audit('AllowUsers root\nPermitRootLogin no\n')).includes('lockout-root'));
  assert.ok(ids(audit('DenyUsers *\n')).includes('lockout-deny-all'));
  assert.ok(ids(audit('PubkeyAuthentication no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n')).includes('lockout-no-methods'));
  const m = audit('Match Address *,!trusted_ips\n  MaxSessions 0\n');
  assert.ok(ids(m).includes('match-maxsessions-0'));
  assert.ok(ids(m).includes('match-placeholder'));
  assert.ok(!ids(audit('Match Address 192.0.2.0/24\n  MaxSessions 2\n')).includes('match-maxsessions-0'));
});

test('Terrapin depends on strict KEX (9.6+ or a backport)', () => {
  assert.equal(audit('', '9.2').findings.find((f) => f.id === 'terrapin')!.severity, 'warning');
  assert.equal(audit('', '9.2', { clients: [], strictKexBackported: true }).findings.find((f) => f.id === 'terrapin')!.severity, 'info');
  assert.equal(audit('', '9.6').findings.find((f) => f.id === 'terrapin')!.severity, 'info');
  assert.ok(!ids(audit('Ciphers aes256-gcm@openssh.com\n', '9.2')).includes('terrapin'));
});

test('clients: JSch 0.1.55 against OpenSSH 9.2 defaults with only an ed25519 host key', () => {
  const r = audit('HostKey /etc/ssh/ssh_host_ed25519_key\n', '9.2', { clients: [getProfile('jsch-0.1.55')!, getProfile('openssh-7.4')!] });
  assert.equal(r.compat[0].ok, false);
  assert.match(r.compat[0].failure!, /^no matching host key type found/);
  assert.equal(r.compat[1].ok, true);
  assert.ok(ids(r).includes('client-incompatible'));
});
