/**
 * The keyword table against the real sshd (9.2 here): every keyword the table says exists is
 * accepted by `sshd -t` with a sample value, every keyword is allowed or refused inside a
 * Match block exactly as the table says, and keywords the table says are gone are rejected.
 * Also checks the table's history for boundaries that matter to users.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { keywordsIn, lookupKeyword, keywordHistory } from '../../src/sshd-config/keyword-table.ts';
import { parseConfig } from '../../src/sshd-config/parse.ts';
import { fsSource, localSshd, localAlgorithms, tempHostKey, sshdTest } from '../../src/sshd-config/system.ts';
import { MULTISTATE, FLAGS } from '../../src/sshd-config/value-syntax.ts';

const SAMPLE: Record<string, string> = {
  port: '2222', listenaddress: '127.0.0.1', hostkey: '/nonexistent/key', hostcertificate: '/nonexistent/cert', pidfile: 'none', modulifile: '/etc/ssh/moduli',
  logingracetime: '30', syslogfacility: 'AUTH', loglevel: 'VERBOSE', logverbose: 'kex.c:*', x11displayoffset: '10', xauthlocation: '/usr/bin/xauth',
  maxstartups: '10:30:100', persourcemaxstartups: '3', persourcenetblocksize: '32:64', maxauthtries: '3', maxsessions: '5', banner: 'none',
  clientaliveinterval: '60', clientalivecountmax: '3', authorizedkeysfile: '.ssh/authorized_keys', acceptenv: 'LANG', setenv: 'A=b',
  permittunnel: 'no', permitopen: 'any', permitlisten: 'any', forcecommand: 'internal-sftp', chrootdirectory: 'none', trustedusercakeys: 'none',
  revokedkeys: 'none', authorizedprincipalsfile: 'none', kexalgorithms: 'curve25519-sha256', ciphers: 'aes128-ctr', macs: 'hmac-sha2-256',
  hostkeyalgorithms: 'ssh-ed25519', pubkeyacceptedalgorithms: 'ssh-ed25519', pubkeyacceptedkeytypes: 'ssh-ed25519', hostbasedacceptedalgorithms: 'ssh-ed25519',
  hostbasedacceptedkeytypes: 'ssh-ed25519', casignaturealgorithms: 'ssh-ed25519', ipqos: 'af21 cs1', authorizedkeyscommand: 'none',
  authorizedkeyscommanduser: 'nobody', authorizedprincipalscommand: 'none', authorizedprincipalscommanduser: 'nobody', versionaddendum: 'none',
  authenticationmethods: 'publickey', streamlocalbindmask: '0177', fingerprinthash: 'sha256', rdomain: 'none', pubkeyauthoptions: 'none',
  securitykeyprovider: 'internal', channeltimeout: 'session=5m', unusedconnectiontimeout: 'none', requiredrsasize: '2048', rekeylimit: 'default none',
  subsystem: 'test /bin/true', allowusers: 'alice', denyusers: 'bob', allowgroups: 'staff', denygroups: 'guests', hostkeyagent: 'none',
  permituserenvironment: 'no', include: '/nonexistent/*.conf', match: 'All', gssapikexalgorithms: 'gss-curve25519-sha256-', debianbanner: 'no',
};

let key: ReturnType<typeof tempHostKey>;
let dir = '';
const local = localSshd();
before(() => {
  if (!local) throw new Error('needs /usr/sbin/sshd');
  key = tempHostKey();
  dir = mkdtempSync(join(tmpdir(), 'sw-kw-'));
});
after(() => {
  key?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function sample(k: string): string {
  if (SAMPLE[k]) return SAMPLE[k];
  if (MULTISTATE[k]) return MULTISTATE[k][0];
  if (FLAGS.has(k)) return 'no';
  return 'no';
}

test('every keyword of the 9.2 table: sshd -t agrees on validity and on Match scope', async () => {
  const extra = localAlgorithms();
  const kws = keywordsIn(local!.version, local!.flavour);
  assert.ok(kws.length > 120, `table has ${kws.length} keywords`);
  let n = 0;
  const wrong: string[] = [];
  for (const kw of kws) {
    const v = sample(kw.target);
    for (const inMatch of [false, true]) {
      const f = join(dir, `${kw.key}-${inMatch ? 'm' : 'g'}.conf`);
      writeFileSync(f, inMatch ? `Match User nobody-here\n\t${kw.name} ${v}\n` : `${kw.name} ${v}\n`);
      const ours = parseConfig(f, fsSource(), { version: local!.version, flavour: local!.flavour, extraAlgorithms: extra });
      const real = await sshdTest(f, key.key);
      n++;
      if (ours.verdict.accepted !== real.ok) wrong.push(`${kw.name} ${v}${inMatch ? ' (in Match)' : ''}: sshd ${real.ok ? 'accepts' : `rejects: ${real.stderr.trim().split('\n')[0]}`}; table ${ours.verdict.accepted ? 'accepts' : `rejects: ${ours.verdict.message}`}`);
    }
  }
  console.log(`keyword table vs sshd -t: ${n - wrong.length}/${n} keyword/position cases agree`);
  assert.deepEqual(wrong, []);
});

test('removed and future keywords are rejected by the real sshd as the table says', async () => {
  for (const word of ['PerSourcePenalties', 'PerSourcePenaltyExemptList', 'RefuseConnection', 'SshdSessionPath', 'NoSuchKeyword']) {
    const f = join(dir, `${word}.conf`);
    writeFileSync(f, `${word} no\n`);
    const real = await sshdTest(f, key.key);
    assert.equal(real.ok, false, word);
    assert.match(real.stderr, new RegExp(`line 1: Bad configuration option: ${word}`));
    assert.equal(lookupKeyword(word, local!.version, local!.flavour), null, word);
  }
});

test('history boundaries from servconf.c', () => {
  assert.equal(keywordHistory('PerSourcePenalties')?.since, '9.8');
  assert.equal(keywordHistory('PerSourceMaxStartups')?.since, '8.5');
  assert.equal(keywordHistory('RefuseConnection')?.since, '9.9');
  assert.equal(keywordHistory('Include')?.since, '8.2');
  assert.equal(lookupKeyword('Include', '8.1'), null);
  assert.equal(lookupKeyword('MaxStartups', '9.2')?.scope, 'global');
  assert.equal(lookupKeyword('LoginGraceTime', '9.2')?.scope, 'global');
  assert.equal(lookupKeyword('MaxSessions', '9.2')?.scope, 'all');
  assert.equal(lookupKeyword('Protocol', '9.2')?.status, 'ignored');
  assert.equal(lookupKeyword('UsePrivilegeSeparation', '7.4')?.status, 'ok');
  assert.equal(lookupKeyword('UsePrivilegeSeparation', '7.5')?.status, 'deprecated');
  assert.equal(lookupKeyword('keepalive', '9.2')?.target, 'tcpkeepalive');
  assert.equal(lookupKeyword('LogLevel', '7.5')?.scope, 'global'); // Match-able from 7.6 (servconf.c)
  assert.equal(lookupKeyword('LogLevel', '7.6')?.scope, 'all');
  assert.equal(lookupKeyword('GSSAPIDelegateCredentials', '9.2'), null);
  assert.ok(lookupKeyword('GSSAPIDelegateCredentials', '10.4'));
  assert.equal(lookupKeyword('DebianBanner', '9.2', 'upstream'), null);
  assert.ok(lookupKeyword('DebianBanner', '9.2', 'debian'));
});
