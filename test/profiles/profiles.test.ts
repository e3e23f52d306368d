/** Client profiles: the data the audit and the probe share. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, getProfile, profileNames, opensshServerDefaults, OPENSSH_PROPOSAL_VERSIONS } from '../../src/profiles/index.ts';
import { negotiate } from '../../src/sshd-config/compat.ts';

test('every profile has non-empty, duplicate-free offers in every category', () => {
  assert.ok(PROFILES.length >= 30);
  for (const p of PROFILES) {
    for (const k of ['kex', 'hostKey', 'ciphers', 'macs', 'compression'] as const) {
      assert.ok(p[k].length > 0, `${p.name} ${k}`);
      assert.equal(new Set(p[k]).size, p[k].length, `${p.name} ${k} has duplicates`);
    }
    assert.equal(getProfile(p.name)?.name, p.name);
  }
});

test('getProfile: names, OpenSSH version spellings, nearest older release, unknown', () => {
  assert.equal(getProfile('OpenSSH_8.2p1')?.version, '8.2');
  assert.deepEqual(getProfile('openssh-9.1')?.kex, getProfile('openssh-9.0')?.kex);
  assert.equal(getProfile('openssh-5.0'), null);
  assert.equal(getProfile('telnet-1.0'), null);
  assert.ok(profileNames().includes('putty-0.76'));
  // a copy, not the shared data
  const p = getProfile('paramiko-2.9')!;
  p.kex.length = 0;
  assert.ok(getProfile('paramiko-2.9')!.kex.length > 0);
});

test('OpenSSH defaults from myproposal.h: known changes across releases', () => {
  assert.ok(OPENSSH_PROPOSAL_VERSIONS.includes('7.4') && OPENSSH_PROPOSAL_VERSIONS.includes('10.5'));
  assert.ok(getProfile('openssh-7.4')!.kex.includes('diffie-hellman-group14-sha1'));
  assert.ok(!getProfile('openssh-8.2')!.kex.includes('diffie-hellman-group14-sha1'));
  assert.ok(getProfile('openssh-8.7')!.hostKey.includes('ssh-rsa'));
  assert.ok(!getProfile('openssh-8.8')!.hostKey.includes('ssh-rsa'));
  assert.equal(getProfile('openssh-9.0')!.kex[0], 'sntrup761x25519-sha512@openssh.com');
  assert.equal(getProfile('openssh-10.0')!.kex[0], 'mlkem768x25519-sha256');
  assert.ok(getProfile('openssh-6.6')!.kex.includes('diffie-hellman-group1-sha1'));
  assert.ok(!opensshServerDefaults('9.2')!.ciphers.some((c) => c.endsWith('-cbc')));
});

test('negotiation rule: first client algorithm the server offers; AEAD ciphers need no MAC', () => {
  const server = { kex: ['curve25519-sha256@libssh.org'], hostKey: ['ssh-ed25519'], ciphers: ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com'], macs: ['hmac-sha2-512-etm@openssh.com'], compression: ['none'] };
  const r = negotiate(getProfile('openssh-7.4')!, server);
  assert.equal(r.ok, true);
  assert.equal(r.cipher, 'chacha20-poly1305@openssh.com');
  assert.equal(r.mac, '(implicit)');
  const jsch = negotiate(getProfile('jsch-0.1.55')!, server);
  assert.equal(jsch.ok, false);
  assert.match(jsch.failure!, /^no matching key exchange method found/);
  const paramiko = negotiate(getProfile('paramiko-2.9')!, server);
  assert.match(paramiko.failure!, /^no matching cipher found/);
});
