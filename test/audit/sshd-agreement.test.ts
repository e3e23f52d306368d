/**
 * Agreement with the real sshd (Debian's openssh-server): for every configuration in
 * test/audit/fixtures (the seeds' configurations, Debian's and RHEL's defaults, Includes, Match
 * blocks, broken ones), `parseConfig` must agree with `sshd -t` on accept/reject and on the file
 * and line of the first error, and `effectiveConfig` must agree with `sshd -T -C` on every
 * modelled keyword for several connection specs.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync, mkdirSync, existsSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseConfig } from '../../src/sshd-config/parse.ts';
import { effectiveConfig, parseSshdT, MODELLED, type Defaults } from '../../src/sshd-config/effective.ts';
import { parseConnectionSpec } from '../../src/sshd-config/match.ts';
import { fsSource, localSshd, localAlgorithms, tempHostKey, sshdTest, sshdDump, localDefaults, groupsOf } from '../../src/sshd-config/system.ts';

const FIX = join(import.meta.dirname, 'fixtures');
let dir = '';
let key: ReturnType<typeof tempHostKey>;
const local = localSshd();

before(() => {
  if (!local) throw new Error('these tests need /usr/sbin/sshd (Debian openssh-server); run ./test.sh as root');
  dir = mkdtempSync(join(tmpdir(), 'sw-audit-agree-'));
  mkdirSync(join(dir, 'include.d'));
  for (const f of readdirSync(FIX)) {
    if (f === 'include.d') continue;
    writeFileSync(join(dir, f), readFileSync(join(FIX, f), 'latin1').replaceAll('@DIR@', dir), 'latin1');
  }
  for (const f of readdirSync(join(FIX, 'include.d'))) writeFileSync(join(dir, 'include.d', f), readFileSync(join(FIX, 'include.d', f)));
  mkdirSync(join(dir, 'dir.d', 'sub.conf'), { recursive: true });
  mkdirSync(join(dir, 'dangling.d'));
  symlinkSync(join(dir, 'no-such-target'), join(dir, 'dangling.d', 'x.conf'));
  key = tempHostKey();
});
after(() => {
  key?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** File and line sshd names in its first error line. */
function sshdErrorLocation(stderr: string): { file: string; line: number } | null {
  for (const l of stderr.split('\n')) {
    const m = /^(\/\S+?):? line (\d+):/.exec(l);
    if (m) return { file: m[1], line: Number(m[2]) };
  }
  return null;
}

const SPECS = ['user=alice,addr=198.51.100.20,host=client.example.org,laddr=192.0.2.1,lport=22', 'user=alice,addr=203.0.113.9,host=x.example.org,laddr=192.0.2.1,lport=2222', 'user=deploy,addr=198.51.100.7,host=h,laddr=192.0.2.1,lport=22', 'user=root,addr=192.0.2.50,host=a.b,laddr=192.0.2.1,lport=22', 'user=backup,addr=198.51.100.1,host=h,laddr=192.0.2.1,lport=22'];

test('audit agrees with sshd -t (accept/reject, file and line) and sshd -T -C (effective values)', async () => {
  const extra = localAlgorithms();
  const dflt = (await localDefaults(key.key))!;
  assert.ok(dflt, 'sshd -T on an empty config works');
  const defaults: Defaults = { all: extra, algorithms: { kexalgorithms: dflt.get('kexalgorithms')![0].split(','), ciphers: dflt.get('ciphers')![0].split(','), macs: dflt.get('macs')![0].split(','), hostkeyalgorithms: dflt.get('hostkeyalgorithms')![0].split(',') } };
  const files = readdirSync(dir).filter((f) => f.endsWith('.conf')).sort();
  let verdictAgree = 0, lineAgree = 0, lineCases = 0, effChecks = 0, effAgree = 0, noLineCases = 0, noLineAgree = 0;
  const disagreements: string[] = [];
  for (const f of files) {
    const path = join(dir, f);
    const cfg = parseConfig(path, fsSource(), { version: local!.version, flavour: local!.flavour, extraAlgorithms: extra });
    const real = await sshdTest(path, key.key);
    if (real.ok === cfg.verdict.accepted) verdictAgree++;
    else disagreements.push(`${f}: sshd ${real.ok ? 'accepts' : 'rejects'} (${real.stderr.trim().split('\n').pop()}), audit ${cfg.verdict.accepted ? 'accepts' : `rejects at line ${cfg.verdict.line}`}`);
    if (!real.ok && !cfg.verdict.accepted) {
      const loc = sshdErrorLocation(real.stderr);
      if (!loc) {
        noLineCases++;
        const last = real.stderr.trim().split('\n').filter((l) => !/^(Unable to load|Deprecated|Unsupported)/.test(l)).pop() ?? '';
        if (cfg.verdict.message && last.includes(cfg.verdict.message.replace(/^.*line \d+: /, ''))) noLineAgree++;
        else disagreements.push(`${f}: sshd says "${last}", audit "${cfg.verdict.message}"`);
      }
      if (loc) {
        lineCases++;
        if (loc.file === cfg.verdict.file && loc.line === cfg.verdict.line) lineAgree++;
        else disagreements.push(`${f}: sshd names ${loc.file}:${loc.line}, audit ${cfg.verdict.file}:${cfg.verdict.line}`);
      }
    }
    if (real.ok) {
      for (const spec of SPECS) {
        const t = await sshdDump(path, key.key, spec);
        assert.ok(t.ok, `sshd -T -C ${spec} on ${f}: ${t.stderr}`);
        const sshdT = parseSshdT(t.stdout);
        const eff = effectiveConfig(cfg, parseConnectionSpec(spec), { defaults, groupsOf });
        for (const k of Object.keys(MODELLED)) {
          if (!sshdT.has(k) || !eff.has(k)) continue;
          effChecks++;
          if (JSON.stringify(sshdT.get(k)) === JSON.stringify(eff.get(k)!.values)) effAgree++;
          else disagreements.push(`${f} [${spec.split(',')[0]}] ${k}: sshd -T "${sshdT.get(k)!.join(' | ')}" audit "${eff.get(k)!.values.join(' | ')}"`);
        }
      }
    }
  }
  const summary = `sshd -t verdict agreement ${verdictAgree}/${files.length}; error line agreement ${lineAgree}/${lineCases}; line-less message agreement ${noLineAgree}/${noLineCases}; sshd -T -C keyword agreement ${effAgree}/${effChecks}`;
  console.log(summary);
  for (const d of disagreements) console.log('  disagreement:', d);
  assert.equal(verdictAgree, files.length, `verdicts differ:\n${disagreements.join('\n')}`);
  assert.equal(lineAgree, lineCases, `lines differ:\n${disagreements.join('\n')}`);
  assert.equal(noLineAgree, noLineCases, `messages differ:\n${disagreements.join('\n')}`);
  assert.ok(effChecks > 500, 'enough effective values compared');
  assert.equal(effAgree, effChecks, `effective values differ:\n${disagreements.join('\n')}`);
});
void existsSync;
