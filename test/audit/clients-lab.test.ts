/**
 * Client-compatibility claims, checked by real `ssh` clients offering each profile's algorithm
 * lists (restricted to what this OpenSSH client build implements) against a real sshd running
 * the audited configuration (test/lab/sshd.ts), in network namespaces: "can connect" = a real key
 * login as root runs a command; "cannot" = ssh's "Unable to negotiate ... no matching ...".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Lab } from '../lab/netns.ts';
import { startSshd } from '../lab/sshd.ts';
import { parseConfig } from '../../src/sshd-config/parse.ts';
import { runAudit } from '../../src/sshd-config/audit.ts';
import { fsSource, localSshd, localAlgorithms, localDefaults } from '../../src/sshd-config/system.ts';
import { getProfile, type ClientProfile } from '../../src/profiles/index.ts';
import type { Defaults } from '../../src/sshd-config/effective.ts';

const PROFILES = ['openssh-6.6', 'openssh-7.4', 'openssh-9.2', 'putty-0.76', 'paramiko-2.9', 'go-x-crypto-0.17', 'libssh-0.10', 'jsch-0.1.55'];
const CONFIGS: Record<string, Record<string, string>> = {
  // the seed's "optimized setup" algorithms (fixtures/seed000-optimized.conf), which lock out older clients
  seedOptimized: { HostKeyAlgorithms: 'ssh-ed25519,rsa-sha2-512', KexAlgorithms: 'curve25519-sha256@libssh.org', Ciphers: 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com', MACs: 'hmac-sha2-512-etm@openssh.com' },
  // seed 001's algorithm lists (fixtures/seed001-question.conf)
  seed001: { KexAlgorithms: 'curve25519-sha256@libssh.org,diffie-hellman-group-exchange-sha256', Ciphers: 'chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr', MACs: 'hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-512,hmac-sha2-256,umac-128@openssh.com' },
  debianDefault: {},
  // a strict policy that only modern clients survive
  strict: { KexAlgorithms: 'sntrup761x25519-sha512@openssh.com', Ciphers: 'aes256-gcm@openssh.com', HostKeyAlgorithms: 'ssh-ed25519' },
};

function q(what: string): string[] {
  return spawnSync('ssh', ['-Q', what], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
}

test('client profiles: audit predictions match real ssh logins against a real sshd', { timeout: 110_000 }, async () => {
  const local = localSshd();
  if (!local) throw new Error('needs /usr/sbin/sshd');
  const lab = Lab.create('au');
  let agree = 0, total = 0, refusedSeen = 0;
  const wrong: string[] = [];
  try {
    const srv = lab.host('srv', 1);
    const cli = lab.host('cli', 11);
    const sup = { kex: q('kex'), cipher: q('cipher'), mac: q('mac'), key: q('key-sig') };
    const extra = localAlgorithms();
    let defaults: Defaults | undefined;
    let port = 2200;
    for (const [name, options] of Object.entries(CONFIGS)) {
      port++;
      const sshd = await startSshd(srv, { port, options });
      try {
        if (!defaults) {
          const dflt = (await localDefaults(join(sshd.dir, 'ssh_host_ed25519_key')))!;
          defaults = { all: extra, algorithms: { kexalgorithms: dflt.get('kexalgorithms')![0].split(','), ciphers: dflt.get('ciphers')![0].split(','), macs: dflt.get('macs')![0].split(','), hostkeyalgorithms: dflt.get('hostkeyalgorithms')![0].split(',') } };
        }
        const cfg = parseConfig(sshd.configPath, fsSource(), { version: local.version, flavour: local.flavour, extraAlgorithms: extra });
        assert.ok(cfg.verdict.accepted, `${name} parses: ${cfg.verdict.message}`);
        const profiles = PROFILES.map((p) => getProfile(p)!) as ClientProfile[];
        const { report } = runAudit(cfg, { clients: profiles, defaults });
        for (const p of profiles) {
          const only = (list: string[], s: string[]) => list.filter((a) => s.includes(a));
          const kex = only(p.kex, sup.kex), hk = only(p.hostKey, sup.key), ci = only(p.ciphers, sup.cipher), ma = only(p.macs, sup.mac);
          const r = cli.run('ssh', ['-F', '/dev/null', '-p', String(port), '-i', sshd.clientKey, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-o', `KexAlgorithms=${kex.join(',')}`, '-o', `HostKeyAlgorithms=${hk.join(',')}`, '-o', `Ciphers=${ci.join(',')}`, '-o', `MACs=${ma.join(',')}`, `root@${srv.v4}`, 'echo sshwarden-in'], { timeoutMs: 15_000 });
          const loggedIn = r.status === 0 && r.stdout.includes('sshwarden-in');
          const refused = /Unable to negotiate|no matching/.test(r.stderr);
          assert.ok(loggedIn || refused, `${name}/${p.name}: neither logged in nor refused: ${r.stderr}`);
          if (refused) refusedSeen++;
          const c = report.compat.find((x) => x.profile === p.name)!;
          total++;
          if (c.ok === loggedIn) agree++;
          else wrong.push(`${name}/${p.name}: audit says ${c.ok ? 'ok' : c.failure}, real ssh ${loggedIn ? 'logged in' : r.stderr.trim().split('\n').pop()}`);
          if (!c.ok && refused) assert.ok(r.stderr.includes(c.failure!.split('.')[0]), `${name}/${p.name}: ssh says "${r.stderr.trim()}", audit predicted "${c.failure}"`);
        }
      } finally {
        await sshd.stop();
      }
    }
    console.log(`client profile predictions agreeing with real ssh logins: ${agree}/${total} (${refusedSeen} refused by negotiation)`);
    for (const w of wrong) console.log('  ', w);
    assert.equal(agree, total, wrong.join('\n'));
    assert.ok(total >= 24 && refusedSeen >= 3, 'both outcomes exercised');
  } finally {
    await lab.destroy();
  }
});
