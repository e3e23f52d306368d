/**
 * LoginGraceTime with a real sshd (Debian's 9.2p1 with the CVE-2024-6387 fix: the expiry is
 * silent). One source holds several unauthenticated connections at once until LoginGraceTime
 * ends them: a slot-holding flood, class scanner. `analyze` can only see the expiries when it
 * knows LoginGraceTime: from the sshd_config (`--config`, read through the audit engine), or
 * `--login-grace-time`, which overrides the configuration.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab, type Host } from '../lab/netns.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { runRaw, spawnRaw } from '../lab/clients.ts';
import { startRsyslog, type Rsyslog } from '../lab/rsyslog.ts';
import { SSHWARDEN } from '../probe/helpers.ts';

let lab: Lab;
let srv: Host;
let holder: Host;
let late: Host;
let sshd: Sshd | null = null;
let syslog: Rsyslog | null = null;
let dir = '';

before(() => {
  lab = Lab.create('lgt');
  srv = lab.host('srv', 1);
  holder = lab.host('hold', 31);
  late = lab.host('late', 32);
  dir = mkdtempSync(join(tmpdir(), 'sw-grace-'));
});
after(async () => {
  await sshd?.stop();
  await syslog?.stop();
  await lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function analyze(args: string[]): any {
  const r = spawnSync(SSHWARDEN, ['analyze', '--json', ...args], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('a source holding 3 pre-auth slots until a silent LoginGraceTime expiry: a slot-holding flood, seen through the sshd_config', async () => {
  syslog = await startRsyslog();
  sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE', LoginGraceTime: 4 } });
  const flood = spawnRaw(holder, { host: srv.v4, port: 22, count: 3, then: 'wait-server', holdMs: 30_000 });
  const results = await flood.results; // each ends when sshd closes it (LoginGraceTime)
  assert.ok(results.every((r: { closedBy?: string }) => r.closedBy === 'server'), JSON.stringify(results));
  assert.equal(results.length, 3);
  // Later traffic from someone else: the log goes on past the expiries, as on any real server.
  runRaw(late, { host: srv.v4, port: 22, then: 'close' });
  await syslog.waitFor(new RegExp(`Connection closed by ${late.v4.replace(/\./g, '\\.')}`));
  await syslog.sync();
  const text = syslog.read();
  assert.equal((text.match(new RegExp(`Connection from ${holder.v4.replace(/\./g, '\\.')} port`, 'g')) ?? []).length, 3);
  assert.doesNotMatch(text, /Timeout before authentication/, 'this sshd (CVE-2024-6387 fix) logs nothing when LoginGraceTime expires');
  const log = join(dir, 'sshd.log');
  writeFileSync(log, text);
  const config = join(dir, 'sshd_config');
  writeFileSync(config, readFileSync(sshd.configPath, 'latin1'));

  const withConfig = analyze(['--config', config, log]);
  assert.equal(withConfig.server.loginGraceTime, 4);
  assert.equal(withConfig.server.loginGraceTimeFrom, 'config');
  const s = withConfig.sources.find((x: { address: string }) => x.address === holder.v4);
  assert.deepEqual([s.class, s.detail, s.outcomes.timeout], ['scanner', 'slot_holding_flood', 3], s.why);
  assert.match(s.why, /held 3 unauthenticated slots at once/);
  const ids = withConfig.summary.advice.map((a: { id: string }) => a.id);
  assert.ok(ids.includes('per-source-maxstartups.set'), `advice: ${ids}`);
  assert.ok(!ids.includes('login-grace-time.lower'), 'LoginGraceTime 4 is short already');

  // Without the configuration (default 120 s) the same log cannot show the expiries.
  const without = analyze([log]);
  const w = without.sources.find((x: { address: string }) => x.address === holder.v4);
  assert.equal(w.outcomes.timeout ?? 0, 0);
  assert.equal(without.server, null);
  // --login-grace-time overrides the configuration's value.
  const override = analyze(['--config', config, '--login-grace-time', '600', log]);
  assert.deepEqual([override.server.loginGraceTime, override.server.loginGraceTimeFrom], [600, 'option']);
  assert.equal(override.sources.find((x: { address: string }) => x.address === holder.v4).outcomes.timeout ?? 0, 0);
});
