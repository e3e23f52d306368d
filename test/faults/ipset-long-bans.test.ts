/**
 * Issue 10, "one impossible ban blocks all later bans", for the ipset backend: the kernel keeps
 * an ipset entry at most 2,147,483 s (about 24.8 days) and refuses a larger timeout. A longer ban
 * (up to the 365-day limit) is capped there in the kernel, said in one log line, and re-added by
 * the guard every hour until it ends, the last time with its exact remaining time. Real ipset and
 * iptables in a lab namespace (the host's firewall is never touched); the guard's clock is a
 * variable the test moves, the kernel's is real.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../lab/netns.ts';
import { IpsetBackend, IPSET_MAX_TIMEOUT } from '../../src/guard/firewall/ipset.ts';
import { GuardDaemon } from '../../src/guard/daemon.ts';
import { parseConfig } from '../../src/guard/config.ts';

const lab = Lab.create('fips');
const srv = lab.host('srv', 1);
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-faults-ipset-'));
after(() => {
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
});
const EXEC = ['ip', 'netns', 'exec', srv.ns];
const DAY = 86_400_000;

/** The timeout ipset shows for `target` in set `set` inside the namespace, or null. */
function kernelTimeout(set: string, target: string): number | null {
  const out = srv.check('ipset', ['list', set]);
  const m = new RegExp(`^${target.replace(/\./g, '\\.')} timeout (\\d+)$`, 'm').exec(out);
  return m ? Number(m[1]) : null;
}

async function until(f: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (f()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return f();
}

test('issue 10 ipset: a 365-day ban is capped at the kernel limit (2,147,483 s), not refused; other bans in the batch apply', async () => {
  const fw = new IpsetBackend({ name: 'swcap', scope: 'ssh', ports: [22], exec: EXEC });
  try {
    const now = Date.now();
    await fw.reconcile([], now);
    await fw.apply({ add: [{ target: '198.51.100.9', family: 4, until: now + 365 * DAY }, { target: '198.51.100.10', family: 4, until: now + 3_600_000 }], remove: [] }, now);
    const t = kernelTimeout('swcap4', '198.51.100.9');
    assert.ok(t !== null && t <= IPSET_MAX_TIMEOUT && t > IPSET_MAX_TIMEOUT - 60, `kernel timeout ${t}`);
    const s = kernelTimeout('swcap4', '198.51.100.10');
    assert.ok(s !== null && s <= 3600 && s > 3500, `short ban ${s}`);
    // reconcile (a whole set swapped in) caps the same way
    await fw.reconcile([{ target: '198.51.100.9', family: 4, until: now + 365 * DAY }], now);
    const r = kernelTimeout('swcap4', '198.51.100.9');
    assert.ok(r !== null && r <= IPSET_MAX_TIMEOUT && r > IPSET_MAX_TIMEOUT - 60, `after reconcile ${r}`);
  } finally {
    await fw.uninstall();
  }
});

test('issue 10 ipset: the guard says the cap once and re-adds a long ban before its entry runs out, the last time with the exact end', async () => {
  const log = join(dir, 'auth.log');
  writeFileSync(log, '');
  let clock = Date.now();
  const logs: { msg: string; target?: string }[] = [];
  const cfg = `log:\n  source: files\n  files: [${log}]\nstate:\n  database: ${join(dir, 'g.db')}\n  socket: ${join(dir, 'g.sock')}\nmetrics:\n  enabled: false\nfirewall:\n  backend: ipset\n  name: swlong\n`;
  const d = new GuardDaemon({
    configPath: join(dir, 'guard.yaml'),
    config: parseConfig(cfg, 'inline'),
    firewallExec: EXEC,
    now: () => clock,
    logger: { log: (_level, msg, fields) => logs.push({ msg, ...(fields as object) }) },
  });
  await d.start();
  try {
    await d.handleControl({ cmd: 'ban', target: '198.51.100.9', seconds: 365 * 86_400, reason: 'fault test: a 365-day ban' } as Parameters<GuardDaemon['handleControl']>[0]);
    assert.ok(await until(() => kernelTimeout('swlong4', '198.51.100.9') !== null, 10_000), 'the ban is in the kernel set');
    const first = kernelTimeout('swlong4', '198.51.100.9')!;
    assert.ok(first <= IPSET_MAX_TIMEOUT && first > IPSET_MAX_TIMEOUT - 60, `capped: ${first}`);
    const capped = logs.filter((l) => /^ban longer than ipset keeps an entry \(24d20h31m23s\)/.test(l.msg));
    assert.equal(capped.length, 1, JSON.stringify(logs.map((l) => l.msg)));
    assert.equal(capped[0].target, '198.51.100.9');
    // Real seconds pass (the kernel counts down), then the guard's clock moves past the renewal period.
    await new Promise((r) => setTimeout(r, 3000));
    const aged = kernelTimeout('swlong4', '198.51.100.9')!;
    assert.ok(aged < first, `kernel counts down: ${first} -> ${aged}`);
    clock += 2 * 3_600_000;
    assert.ok(await until(() => (kernelTimeout('swlong4', '198.51.100.9') ?? 0) > aged + 1, 10_000), 're-added: the entry is full length again');
    assert.ok(logs.some((l) => l.msg.startsWith('long bans re-added')), 'the renewal is logged');
    // Near the end: the last re-add gives the exact remaining time, so the kernel lifts it when the ban ends.
    const remaining = IPSET_MAX_TIMEOUT * 1000 - 5400_000; // 1.5 h below the cap
    const start = clock - 2 * 3_600_000;
    clock = start + 365 * DAY - remaining;
    assert.ok(await until(() => Math.abs((kernelTimeout('swlong4', '198.51.100.9') ?? 0) - remaining / 1000) < 30, 10_000), `last re-add sets the exact end: ${kernelTimeout('swlong4', '198.51.100.9')} vs ${remaining / 1000}`);
  } finally {
    await d.stop();
    const fw = new IpsetBackend({ name: 'swlong', scope: 'ssh', ports: [22], exec: EXEC });
    await fw.uninstall();
  }
});
