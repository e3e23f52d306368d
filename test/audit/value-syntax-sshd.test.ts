/**
 * Value syntax against the real sshd: every keyword of the local table with a pool of right
 * and wrong values (numbers, times, lists, modifiers, quotes, ports, patterns). `parseConfig`
 * must accept exactly what `sshd -t` accepts and, when sshd names a line, name the same one.
 * ListenAddress only gets IP literals and malformed values: host names would make sshd (and us)
 * do DNS lookups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { keywordsIn } from '../../src/sshd-config/keyword-table.ts';
import { parseConfig } from '../../src/sshd-config/parse.ts';
import { execFile } from 'node:child_process';
import { fsSource, localSshd, localAlgorithms, tempHostKey } from '../../src/sshd-config/system.ts';

/** sshd -t, asynchronously, so several run at once (each takes ~30 ms, mostly start-up). */
function sshdTestAsync(file: string, key: string): Promise<{ ok: boolean; stderr: string }> {
  return new Promise((res) => execFile('/usr/sbin/sshd', ['-t', '-f', file, '-h', key], { timeout: 20_000 }, (err, _out, stderr) => res({ ok: !err, stderr: String(stderr) })));
}

const VALUES = ['bogus', '0', '-1', '3', '2147483648', '1h30m', 'yes', 'NO', 'none', 'any', '10:30', '10:30:5', '5:0:10', '"quoted value"', "'x", '/abs/path', '0999', 'x=y', '*', 'yes extra', '32:129', 'aes128-ctr,', '+ssh-rsa', '-chacha20-poly1305@openssh.com', 'publickey,password publickey', 'keyboard-interactive:pam', '198.51.100.1:0', 'host:*', 'session=5m'];
const LISTEN = ['198.51.100.1:0', '[::1]:22', '127.0.0.1:99999', '/abs/path', 'user@198.51.100.1/24', '127.0.0.1 rdomain', '127.0.0.1 extra', '[::1', '::1', '127.0.0.1:2222'];

test('value syntax: parseConfig accepts exactly what sshd -t accepts', { timeout: 600_000 }, async () => {
  const local = localSshd();
  if (!local) throw new Error('needs /usr/sbin/sshd');
  const key = tempHostKey();
  const dir = mkdtempSync(join(tmpdir(), 'sw-values-'));
  const extra = localAlgorithms();
  let n = 0, agree = 0, lines = 0, lineAgree = 0;
  const wrong: string[] = [];
  try {
    for (const kw of keywordsIn(local.version, local.flavour)) {
      if (kw.key === 'include' || kw.key === 'match') continue;
      const pool = kw.key === 'listenaddress' ? LISTEN : VALUES;
      await Promise.all(pool.map(async (v, i) => {
        const f = join(dir, `${kw.key}-${i}.conf`);
        writeFileSync(f, `# line 1\n${kw.name} ${v}\n`);
        const ours = parseConfig(f, fsSource(), { version: local.version, flavour: local.flavour, extraAlgorithms: extra });
        const real = await sshdTestAsync(f, key.key);
        n++;
        if (ours.verdict.accepted === real.ok) agree++;
        else wrong.push(`${kw.name} ${v}: sshd ${real.ok ? 'accepts' : real.stderr.trim().split('\n').pop()}; audit ${ours.verdict.accepted ? 'accepts' : ours.verdict.message}`);
        const m = /^(\/\S+?):? line (\d+):/m.exec(real.stderr);
        if (!real.ok && !ours.verdict.accepted && m) {
          lines++;
          if (Number(m[2]) === ours.verdict.line && m[1] === ours.verdict.file) lineAgree++;
          else wrong.push(`${kw.name} ${v}: sshd names line ${m[2]}, audit ${ours.verdict.line}`);
        }
      }));
    }
  } finally {
    key.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`value syntax vs sshd -t: verdicts ${agree}/${n}, lines ${lineAgree}/${lines}`);
  for (const w of wrong) console.log('  disagreement:', w);
  assert.deepEqual(wrong, []);
});
