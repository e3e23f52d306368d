/**
 * The audit's fixes, applied as written, checked with the real sshd (Debian's `sshd -T`):
 *   - weak Ciphers / MACs / KexAlgorithms / HostKeyAlgorithms: after the advised line no weak name
 *     is left and no strong default is lost (a `-list` that removes every default is turned back
 *     into the whole default by sshd, weak names included: the line must never be that);
 *   - where a line goes: sshd keeps the first value it reads, so a keyword a drop-in read first
 *     (10-site.conf, 50-cloud-init.conf) or the main file already sets is changed on that line,
 *     and a configuration without an Include of sshd_config.d gets the line in its main file,
 *     above its first Match block. Each fix must show in `sshd -T`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { localSshd, localDefaults, tempHostKey, sshdDump, sshdTest } from '../../src/sshd-config/system.ts';
import { parseSshdT } from '../../src/sshd-config/effective.ts';
import { algoInfo } from '../../src/sshd-config/algorithms.ts';

interface Change { file: string; line?: number; was?: string; above?: number; text: string }
interface Finding { id: string; fix: string; advice?: { id: string; changes: Change[] } }

const local = localSshd();
let key: ReturnType<typeof tempHostKey>;
let dir = '';
let defaults: Map<string, string[]>;

before(async () => {
  if (!local) throw new Error('these tests need /usr/sbin/sshd (Debian openssh-server); run ./test.sh as root');
  key = tempHostKey();
  dir = mkdtempSync(join(tmpdir(), 'sw-advice-sshd-'));
  defaults = (await localDefaults(key.key))!;
  assert.ok(defaults, 'sshd -T on an empty config works');
});
after(() => {
  key?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `sshwarden audit --json FILE` through the real command (audit-cli.ts), with the local sshd. */
function audit(file: string): Finding[] {
  const r = spawnSync(process.execPath, [join(import.meta.dirname, 'audit-cli.ts'), 'audit', file, '--json'], { encoding: 'utf8', timeout: 60_000 });
  assert.ok(r.status === 0 || r.status === 1, `audit ${file}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout).findings;
}

/** Applies advice as a person would: change the named line, add above the named line, or add at the end (creating the file). */
function apply(changes: readonly Change[]): void {
  const byFile = new Map<string, Change[]>();
  for (const c of changes) byFile.set(c.file, [...(byFile.get(c.file) ?? []), c]);
  for (const [file, list] of byFile) {
    const lines = existsSync(file) ? readFileSync(file, 'utf8').replace(/\n$/, '').split('\n') : [];
    for (const c of list) {
      if (c.line === undefined) continue;
      assert.equal(lines[c.line - 1].trim(), c.was, `${file} line ${c.line} is the line the advice names`);
      lines[c.line - 1] = c.text;
    }
    const above = list.filter((c) => c.line === undefined && c.above !== undefined);
    const at = above.length ? above[0].above! - 1 : -1;
    assert.ok(above.every((c) => c.above === above[0].above), 'one place above the first Match block');
    if (at >= 0) lines.splice(at, 0, ...above.map((c) => c.text));
    lines.push(...list.filter((c) => c.line === undefined && c.above === undefined).map((c) => c.text));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${lines.join('\n')}\n`);
  }
}

async function effective(file: string, spec: string | null = null): Promise<Map<string, string[]>> {
  const t = await sshdDump(file, key.key, spec);
  assert.ok(t.ok, `sshd -T -f ${file}: ${t.stderr}`);
  return parseSshdT(t.stdout);
}

const weak = (a: string) => (algoInfo(a)?.weakness ?? 'ok') !== 'ok';

test('weak algorithm lists: the advised line leaves no weak name and loses no strong default, as sshd -T shows', async () => {
  // sshd turns a `-list` that removes every default back into the whole default: the old fix for `MACs hmac-md5,hmac-sha1`.
  const all = join(dir, 'remove-all.conf');
  writeFileSync(all, `MACs -${defaults.get('macs')![0]}\n`);
  assert.ok((await effective(all)).get('macs')![0].split(',').includes('hmac-sha1'), 'sshd gives the whole default back for a list that removes everything');

  const cases: [keyword: string, key: string, line: string, expected: 'strong defaults' | string[]][] = [
    ['MACs', 'macs', 'MACs hmac-md5,hmac-sha1', 'strong defaults'],
    ['MACs', 'macs', 'MACs +hmac-md5', 'strong defaults'],
    ['MACs', 'macs', 'MACs hmac-sha2-256,hmac-sha1', ['hmac-sha2-256']],
    ['Ciphers', 'ciphers', 'Ciphers 3des-cbc,aes128-cbc', 'strong defaults'],
    ['KexAlgorithms', 'kexalgorithms', 'KexAlgorithms diffie-hellman-group1-sha1,diffie-hellman-group14-sha1', 'strong defaults'],
    ['HostKeyAlgorithms', 'hostkeyalgorithms', 'HostKeyAlgorithms ssh-rsa,ssh-dss', 'strong defaults'],
  ];
  for (const [i, [keyword, k, line, expected]] of cases.entries()) {
    const file = join(dir, `weak-${i}.conf`);
    writeFileSync(file, `Port 22\n${line}\n`);
    const f = audit(file).find((x) => x.id === `weak-${k}`);
    assert.ok(f?.advice, `${line}: a weak-${k} finding with advice`);
    assert.deepEqual(f.advice.changes.map((c) => [c.file, c.line, c.was]), [[file, 2, line]], `${line}: the fix changes the line that sets ${keyword}`);
    apply(f.advice.changes);
    const got = (await effective(file)).get(k)![0].split(',');
    const want = expected === 'strong defaults' ? defaults.get(k)![0].split(',').filter((a) => !weak(a)) : expected;
    assert.deepEqual(got.filter(weak), [], `${line} -> ${readFileSync(file, 'utf8').split('\n')[1]}: no weak ${keyword} left (sshd -T: ${got.join(',')})`);
    assert.deepEqual([...got].sort(), [...want].sort(), `${line} -> ${readFileSync(file, 'utf8').split('\n')[1]}: sshd -T offers exactly the strong ones`);
    assert.ok(!audit(file).some((x) => x.id === `weak-${k}`), `${line}: nothing weak left to advise`);
  }
});

test('a keyword set in a drop-in read first, in a cloud-init drop-in or in the main file: the advised line is changed there and sshd -T shows the new value', async () => {
  const tree = join(dir, 'etc-ssh');
  mkdirSync(join(tree, 'sshd_config.d'), { recursive: true });
  const main = join(tree, 'sshd_config');
  writeFileSync(main, `Include ${tree}/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUseDNS yes\nSubsystem sftp /usr/lib/openssh/sftp-server\n`);
  writeFileSync(join(tree, 'sshd_config.d', '10-site.conf'), '# site policy\nPermitRootLogin no\nLoginGraceTime 600\n');
  writeFileSync(join(tree, 'sshd_config.d', '50-cloud-init.conf'), 'PasswordAuthentication yes\nLogLevel INFO\n');
  const ids = ['login-grace-time.lower', 'use-dns.off', 'log-level.verbose', 'per-source-maxstartups.set'];
  const advice = audit(main).flatMap((f) => (f.advice && ids.includes(f.advice.id) ? [f.advice] : []));
  assert.deepEqual(advice.map((a) => a.id).sort(), [...ids].sort());
  const changes = advice.flatMap((a) => a.changes);
  assert.deepEqual(changes.filter((c) => c.line !== undefined).map((c) => `${c.file}:${c.line}: ${c.was} -> ${c.text}`).sort(), [
    `${main}:3: UseDNS yes -> UseDNS no`,
    `${tree}/sshd_config.d/10-site.conf:3: LoginGraceTime 600 -> LoginGraceTime 30`,
    `${tree}/sshd_config.d/50-cloud-init.conf:2: LogLevel INFO -> LogLevel VERBOSE`,
  ].sort());
  // Set nowhere: the drop-in of the directory this configuration includes at the top.
  assert.deepEqual(changes.filter((c) => c.line === undefined).map((c) => [c.file, c.text]), [[`${tree}/sshd_config.d/50-hardening.conf`, 'PerSourceMaxStartups 5'], [`${tree}/sshd_config.d/50-hardening.conf`, 'PerSourceNetBlockSize 32:64']]);

  // What was advised before (every line into 50-hardening.conf) does nothing for what a drop-in sorted before it sets
  // (it does win over the main file's UseDNS, read after the Include).
  const old = join(dir, 'etc-ssh-old');
  cpSync(tree, old, { recursive: true });
  writeFileSync(join(old, 'sshd_config'), readFileSync(main, 'utf8').replaceAll(tree, old));
  writeFileSync(join(old, 'sshd_config.d', '50-hardening.conf'), `${changes.map((c) => c.text).join('\n')}\n`);
  const before = await effective(join(old, 'sshd_config'));
  assert.deepEqual([before.get('logingracetime'), before.get('loglevel')], [['600'], ['INFO']]);

  apply(changes);
  const t = await effective(main);
  assert.deepEqual([t.get('logingracetime'), t.get('usedns'), t.get('loglevel'), t.get('persourcemaxstartups'), t.get('persourcenetblocksize')], [['30'], ['no'], ['VERBOSE'], ['5'], ['32:64']]);
  const again = audit(main).flatMap((f) => (f.advice ? [f.advice.id] : []));
  for (const id of ids) assert.ok(!again.includes(id), `${id} is not advised again after it was applied`);
});

test('no Include of sshd_config.d: the lines go into the main file above its first Match block, where sshd -t accepts them and sshd -T shows them', async () => {
  const main = join(dir, 'no-include.conf');
  writeFileSync(main, 'Port 22\nPasswordAuthentication yes\nMatch User backup\n  PasswordAuthentication no\n');
  const advice = audit(main).flatMap((f) => (f.advice && ['login-grace-time.lower', 'log-level.verbose', 'per-source-maxstartups.set'].includes(f.advice.id) ? [f.advice] : []));
  assert.equal(advice.length, 3);
  const changes = advice.flatMap((a) => a.changes);
  assert.ok(changes.every((c) => c.file === main && c.above === 3 && c.line === undefined), JSON.stringify(changes));
  apply(changes);
  assert.ok((await sshdTest(main, key.key)).ok, 'sshd -t accepts the configuration with the lines (LoginGraceTime is not allowed inside a Match block)');
  const t = await effective(main);
  assert.deepEqual([t.get('logingracetime'), t.get('loglevel'), t.get('persourcemaxstartups')], [['30'], ['VERBOSE'], ['5']]);
  // The Match block still applies to its user.
  assert.deepEqual((await effective(main, 'user=backup,addr=192.0.2.9,host=h,laddr=192.0.2.1,lport=22')).get('passwordauthentication'), ['no']);
});
