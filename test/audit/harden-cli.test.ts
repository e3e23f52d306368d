/**
 * The CLI end to end: `audit` on the seeds' configurations reports what sshd would reject with
 * the right file:line, `--harden` output is accepted by the real `sshd -t` (together with the
 * configuration it hardens) and keeps the named clients able to connect, and bad input gives one
 * clear line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { tempHostKey, sshdTest } from '../../src/sshd-config/system.ts';

const FIX = join(import.meta.dirname, 'fixtures');
// The real audit command and CLI error handling (audit-cli.ts), independent of sibling commands.
const run = (args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, 'audit-cli.ts'), ...args], { encoding: 'utf8', timeout: 60_000 });

test('seed 000 Match block: the global-only MaxStartups inside Match is reported at its line, like sshd -t', () => {
  const r = run(['audit', join(FIX, 'seed000-match-option1.conf'), '--json']);
  assert.equal(r.status, 1, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.sshdWouldAccept, false);
  assert.equal(j.sshdFirstError.line, 10);
  assert.equal(j.sshd.accepted, false);
  assert.equal(j.sshd.agrees, true);
  const ids = j.findings.map((f: { id: string }) => f.id);
  for (const id of ['global-in-match', 'match-maxsessions-0', 'match-placeholder', 'maxstartups', 'loglevel-debug']) assert.ok(ids.includes(id), `finding ${id} in ${ids}`);
});

test('seed 001: MaxStartups 3:100:60 explained, ok for OpenSSH 8.2 with 8.2 keywords', () => {
  const r = run(['audit', join(FIX, 'seed001-question.conf'), '--openssh', '8.2', '--json', '--clients', 'openssh-7.4,jsch-0.1.55']);
  const j = JSON.parse(r.stdout);
  const ms = j.findings.find((f: { id: string }) => f.id === 'maxstartups');
  assert.match(ms.title, /dropped as soon as 3 are unauthenticated \(rate 100%: the 60 never comes into play\)/);
  assert.equal(ms.severity, 'warning');
  // 8.2 still offers ssh-rsa host key signatures, so JSch 0.1.55 gets in; 9.2 (8.8+) does not, and this server has no ECDSA key
  assert.equal(j.compat.find((c: { profile: string }) => c.profile === 'jsch-0.1.55').ok, true);
  assert.equal(j.compat.find((c: { profile: string }) => c.profile === 'openssh-7.4').ok, true);
  const r92 = run(['audit', join(FIX, 'seed001-question.conf'), '--openssh', '9.2', '--json', '--clients', 'jsch-0.1.55']);
  const c92 = JSON.parse(r92.stdout).compat[0];
  assert.equal(c92.ok, false);
  assert.match(c92.failure, /no matching host key type/);
});

test('--harden output is accepted by sshd -t with the configuration and keeps named clients', async () => {
  const key = tempHostKey();
  const dir = mkdtempSync(join(tmpdir(), 'sw-harden-'));
  try {
    for (const f of ['seed000-optimized.conf', 'seed001-question.conf', 'weak-algorithms.conf', 'debian12-default.conf', 'seed000-rate-limit.conf']) {
      const r = run(['audit', join(FIX, f), '--harden', '--clients', 'openssh-7.4,putty-0.76,paramiko-2.9,jsch-0.1.55']);
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
      // Algorithm lines relative to the compiled-in default (`-`/`+`), unless the drop-in says why it writes one out in full.
      for (const l of r.stdout.split('\n').filter((x) => /^(KexAlgorithms|Ciphers|MACs) /.test(x))) {
        if (!/^\S+ [-+]/.test(l)) assert.match(r.stdout, /written out in full/, `${f}: pinned list without a reason: ${l}`);
      }
      const di = join(dir, `${f}.dropin`);
      writeFileSync(di, r.stdout);
      const main = join(dir, `${f}.main`);
      writeFileSync(main, `Include ${di}\n${readFileSync(join(FIX, f), 'latin1')}`);
      const t = await sshdTest(main, key.key);
      assert.ok(t.ok, `${f}: sshd -t rejects hardened config: ${t.stderr}`);
      const a = run(['audit', main, '--json', '--clients', 'openssh-7.4,putty-0.76,paramiko-2.9,jsch-0.1.55']);
      const j = JSON.parse(a.stdout);
      for (const c of j.compat) assert.ok(c.ok, `${f}: ${c.profile} locked out after hardening: ${c.failure}`);
      assert.equal(j.effective.loglevel.values[0], 'VERBOSE');
      // One voice: after the drop-in, audit advises nothing the drop-in was meant to settle.
      const left = j.findings.flatMap((x: { advice?: { id: string } }) => (x.advice ? [x.advice.id] : []));
      for (const id of ['maxstartups.raise', 'login-grace-time.lower', 'per-source-maxstartups.set', 'log-level.verbose', 'use-dns.off']) assert.ok(!left.includes(id), `${f}: audit still advises ${id} after --harden`);
    }
  } finally {
    key.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--harden refuses a configuration sshd rejects', () => {
  const r = run(['audit', join(FIX, 'seed000-match-option1.conf'), '--harden']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^sshwarden: --harden: .*line 10/);
});

test('bad input: missing file, unknown profile, bad spec give one clear line', () => {
  const m = run(['audit', '/nonexistent/sshd_config']);
  assert.equal(m.status, 3);
  assert.equal(m.stderr.trim(), 'sshwarden: /nonexistent/sshd_config: cannot read: no such file');
  const p = run(['audit', join(FIX, 'seed002-maxstartups.conf'), '--clients', 'telnet-1.0']);
  assert.equal(p.status, 2);
  assert.equal(p.stderr.trim().split('\n').length, 1);
  const s = run(['audit', join(FIX, 'seed002-maxstartups.conf'), '--effective', 'addr=notanip']);
  assert.equal(s.status, 2);
  assert.match(s.stderr, /--effective: addr "notanip" is not an IP address/);
  const b = run(['audit', join(FIX, 'binary.conf'), '--json']);
  const j = JSON.parse(b.stdout);
  assert.ok(j.findings.some((f: { id: string; line: number }) => f.id === 'binary-file' && f.line === 2));
});

test('--effective on a configuration sshd rejects warns before the values', () => {
  const r = run(['audit', join(FIX, 'broken-maxstartups.conf'), '--effective', 'user=alice,addr=198.51.100.20']);
  assert.match(r.stderr, /sshd rejects this configuration/);
  assert.match(r.stdout, /^maxstartups /m);
  const ok = run(['audit', join(FIX, 'debian12-default.conf'), '--effective', 'user=alice,addr=198.51.100.20']);
  assert.doesNotMatch(ok.stderr, /rejects/);
});
