/**
 * Where sshd advice goes (src/advice/sshd-drop-in.ts): sshd keeps the first value it reads, so a
 * line in 50-hardening.conf does nothing when a file read before it (10-site.conf, Ubuntu's
 * 50-cloud-init.conf) or the main file already sets the keyword, and a drop-in does nothing when
 * the configuration does not Include its directory. On parsed configurations: the keyword's
 * effective line is changed where it is; a keyword set nowhere goes to the drop-in only when the
 * configuration Includes it outside any Match block, else to the main file above its first Match.
 * Callers without the configuration keep the drop-in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig, type ConfigSource } from '../../src/sshd-config/parse.ts';
import { runAudit } from '../../src/sshd-config/audit.ts';
import { effectiveConfig } from '../../src/sshd-config/effective.ts';
import { parseConnectionSpec } from '../../src/sshd-config/match.ts';
import { loginGraceTimeAdvice, logLevelAdvice, perSourceMaxStartupsAdvice, adviceFix, adviceLine, placeAdvice, sshdPlacement, sourcesFrom, SSHD_DROP_IN } from '../../src/advice/index.ts';

function mem(files: Record<string, string>): ConfigSource {
  return {
    read: (p) => (p in files ? { text: files[p] } : { error: 'No such file or directory' }),
    glob: (pat) => Object.keys(files).filter((f) => new RegExp('^' + pat.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*') + '$').test(f)).sort(),
  };
}
const ROOT = '/etc/ssh/sshd_config';
const parse = (files: Record<string, string>, version = '9.2') => parseConfig(ROOT, mem(files), { version });
const findings = (files: Record<string, string>, spec: string | null = null) => runAudit(parse(files), { clients: [], spec: spec ? parseConnectionSpec(spec) : null }).report.findings;
const finding = (files: Record<string, string>, id: string, spec: string | null = null) => {
  const f = findings(files, spec).find((x) => x.id === id);
  assert.ok(f, `finding ${id}`);
  return f;
};
const APPLY = '(then sshd -t && systemctl reload ssh || systemctl reload sshd)';
/** Debian 12's sshd_config, shortened: the drop-ins are included at the top. */
const DEBIAN = 'Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\nAcceptEnv LANG LC_*\nSubsystem sftp /usr/lib/openssh/sftp-server\n';

test('a keyword a drop-in read first already sets (10-site.conf): the fix changes that line, not 50-hardening.conf', () => {
  const files = { [ROOT]: DEBIAN, '/etc/ssh/sshd_config.d/10-site.conf': '# site policy\nPermitRootLogin no\nLoginGraceTime 600\n' };
  const f = finding(files, 'logingracetime');
  assert.deepEqual(f.advice!.changes, [{ file: '/etc/ssh/sshd_config.d/10-site.conf', line: 3, was: 'LoginGraceTime 600', text: 'LoginGraceTime 30' }]);
  assert.equal(f.fix, `in /etc/ssh/sshd_config.d/10-site.conf line 3: change \`LoginGraceTime 600\` to \`LoginGraceTime 30\` ${APPLY}`);
  // A keyword set nowhere: the drop-in, which this configuration includes at the top.
  assert.deepEqual(finding(files, 'loglevel').advice!.changes, [{ file: SSHD_DROP_IN, text: 'LogLevel VERBOSE' }]);
  assert.equal(finding(files, 'loglevel').fix, `LogLevel VERBOSE (in ${SSHD_DROP_IN}, then sshd -t && systemctl reload ssh || systemctl reload sshd)`);
});

test("Ubuntu's 50-cloud-init.conf sorts before 50-hardening.conf: its line is the one to change", () => {
  const files = { [ROOT]: DEBIAN, '/etc/ssh/sshd_config.d/50-cloud-init.conf': 'PasswordAuthentication yes\nUseDNS yes\n' };
  const f = finding(files, 'usedns');
  assert.deepEqual(f.advice!.changes, [{ file: '/etc/ssh/sshd_config.d/50-cloud-init.conf', line: 2, was: 'UseDNS yes', text: 'UseDNS no' }]);
});

test('the main file sets it below the Include: that line is changed (the drop-in would also win, but the line says where the value is)', () => {
  const files = { [ROOT]: `${DEBIAN}LogLevel INFO\n` };
  assert.deepEqual(finding(files, 'loglevel').advice!.changes, [{ file: ROOT, line: 8, was: 'LogLevel INFO', text: 'LogLevel VERBOSE' }]);
});

test('no Include of sshd_config.d: the line goes into the main file, above its first Match block (or at its end)', () => {
  const withMatch = { [ROOT]: 'Port 22\nUseDNS yes\nMatch User backup\n  PasswordAuthentication no\n' };
  const lg = finding(withMatch, 'logingracetime');
  assert.deepEqual(lg.advice!.changes, [{ file: ROOT, above: 3, text: 'LoginGraceTime 30' }]);
  assert.equal(lg.fix, `add \`LoginGraceTime 30\` to ${ROOT}, above line 3 where its first Match block starts ${APPLY}`);
  assert.deepEqual(finding(withMatch, 'persourcemaxstartups').advice!.changes, [{ file: ROOT, above: 3, text: 'PerSourceMaxStartups 5' }, { file: ROOT, above: 3, text: 'PerSourceNetBlockSize 32:64' }]);
  assert.deepEqual(finding(withMatch, 'usedns').advice!.changes, [{ file: ROOT, line: 2, was: 'UseDNS yes', text: 'UseDNS no' }]);
  const plain = { [ROOT]: 'Port 22\n' };
  assert.deepEqual(finding(plain, 'logingracetime').advice!.changes, [{ file: ROOT, text: 'LoginGraceTime 30' }]);
  assert.equal(finding(plain, 'logingracetime').fix, `LoginGraceTime 30 (in ${ROOT}, then sshd -t && systemctl reload ssh || systemctl reload sshd)`);
});

test('an Include inside a Match block, or of other files, does not make the drop-in global', () => {
  const inMatch = { [ROOT]: 'Port 22\nMatch Address 192.0.2.0/24\n  Include /etc/ssh/sshd_config.d/*.conf\n' };
  assert.deepEqual(finding(inMatch, 'logingracetime').advice!.changes, [{ file: ROOT, above: 2, text: 'LoginGraceTime 30' }]);
  const other = { [ROOT]: 'Include /etc/ssh/local/*.cfg\nPort 22\n' };
  assert.deepEqual(finding(other, 'logingracetime').advice!.changes, [{ file: ROOT, text: 'LoginGraceTime 30' }]);
  // A relative Include resolves against /etc/ssh; another directory gets its own drop-in.
  assert.equal(finding({ [ROOT]: 'Include sshd_config.d/*.conf\n' }, 'logingracetime').advice!.changes[0].file, SSHD_DROP_IN);
  assert.equal(finding({ [ROOT]: 'Include /srv/ssh/conf.d/[0-9]*.conf\n' }, 'logingracetime').advice!.changes[0].file, '/srv/ssh/conf.d/50-hardening.conf');
});

test('with a connection spec, a value that comes from a Match block is changed in that block', () => {
  const files = { [ROOT]: 'LogLevel VERBOSE\nMatch Address 198.51.100.0/24\n  LogLevel INFO\n' };
  const f = finding(files, 'loglevel', 'user=alice,addr=198.51.100.20,host=h,laddr=192.0.2.1,lport=22');
  assert.deepEqual(f.advice!.changes, [{ file: ROOT, line: 3, was: 'LogLevel INFO', text: 'LogLevel VERBOSE' }]);
});

test('weak algorithms: the line that sets the list is the one changed', () => {
  const f = finding({ [ROOT]: `${DEBIAN}MACs hmac-md5,hmac-sha1\n` }, 'weak-macs');
  assert.equal(f.advice!.changes.length, 1);
  assert.deepEqual({ ...f.advice!.changes[0], text: undefined }, { file: ROOT, line: 8, was: 'MACs hmac-md5,hmac-sha1', text: undefined });
  assert.match(f.fix, /^in \/etc\/ssh\/sshd_config line 8: change `MACs hmac-md5,hmac-sha1` to `MACs -[^`]*hmac-sha1`/);
});

test('placement is plain data; advice without it (probe, explain-client, analyze) keeps the drop-in and its wording', () => {
  const cfg = parse({ [ROOT]: DEBIAN, '/etc/ssh/sshd_config.d/10-site.conf': 'LoginGraceTime 600\n' });
  const p = sshdPlacement(cfg, sourcesFrom(effectiveConfig(cfg, null)));
  assert.deepEqual(JSON.parse(JSON.stringify(p)), p);
  assert.deepEqual(p.set.logingracetime, { file: '/etc/ssh/sshd_config.d/10-site.conf', line: 1, text: 'LoginGraceTime 600' });
  assert.deepEqual(p.add, { file: SSHD_DROP_IN });
  // Without an effective configuration, the first line outside any Match block.
  assert.deepEqual(sshdPlacement(cfg).set.logingracetime, p.set.logingracetime);
  const bare = loginGraceTimeAdvice({ current: 600 })!;
  assert.equal(placeAdvice(bare, null), bare);
  assert.deepEqual(bare.changes, [{ file: SSHD_DROP_IN, text: 'LoginGraceTime 30' }]);
  assert.match(adviceLine(bare), /\(`LoginGraceTime 30` in \/etc\/ssh\/sshd_config\.d\/50-hardening\.conf; then `sshd -t && /);
  // Placed: one line for a report, without nested parentheses.
  const placed = placeAdvice(bare, p);
  assert.equal(adviceLine(placed), `${bare.summary} (in /etc/ssh/sshd_config.d/10-site.conf line 1: change \`LoginGraceTime 600\` to \`LoginGraceTime 30\`; then \`sshd -t && systemctl reload ssh || systemctl reload sshd\`)`);
  // Several lines, some changed and some added, each said where.
  const mixed = placeAdvice(perSourceMaxStartupsAdvice({ version: '9.2', current: null, maxStartupsBegin: 10 })!, { set: { persourcenetblocksize: { file: ROOT, line: 4, text: 'PerSourceNetBlockSize 24' } }, add: { file: ROOT, above: 9 } });
  assert.equal(adviceFix(mixed), `add \`PerSourceMaxStartups 5\` to ${ROOT}, above line 9 where its first Match block starts; in ${ROOT} line 4: change \`PerSourceNetBlockSize 24\` to \`PerSourceNetBlockSize 32:64\` ${APPLY}`);
  assert.equal(logLevelAdvice({ current: 'INFO' })!.changes[0].file, SSHD_DROP_IN);
});
