/**
 * What `audit` says MaxStartups and PerSourceMaxStartups mean, checked against a real sshd in a
 * namespace: with seed 000's `MaxStartups 3:100:60`, three idle connections (which send nothing)
 * are enough to refuse the next client; with `PerSourceMaxStartups 2`, one address holding two
 * is refused while another address still gets in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab } from '../lab/netns.ts';
import { startSshd } from '../lab/sshd.ts';
import { spawnRaw, runRaw } from '../lab/clients.ts';
import { parseConfig } from '../../src/sshd-config/parse.ts';
import { runAudit } from '../../src/sshd-config/audit.ts';
import { fsSource, localSshd } from '../../src/sshd-config/system.ts';

test('MaxStartups 3:100:60 and PerSourceMaxStartups: audit explanation matches real sshd behaviour', { timeout: 100_000 }, async () => {
  const local = localSshd();
  if (!local) throw new Error('needs /usr/sbin/sshd');
  const lab = Lab.create('ms');
  try {
    const srv = lab.host('srv', 1);
    const cli = lab.host('cli', 11);
    const other = lab.host('oth', 12);

    // 1. MaxStartups 3:100:60 (seed 000)
    let sshd = await startSshd(srv, { port: 2201, options: { MaxStartups: '3:100:60', LoginGraceTime: 30 } });
    let cfg = parseConfig(sshd.configPath, fsSource(), { version: local.version, flavour: local.flavour });
    let f = runAudit(cfg, { clients: [] }).report.findings.find((x) => x.id === 'maxstartups')!;
    assert.match(f.title, /dropped as soon as 3 are unauthenticated/);
    assert.match(f.impact, /^3 idle connections .* lock every user out/);
    const hold = spawnRaw(cli, { host: srv.v4, port: 2201, count: 3, waitBanner: true, then: 'hold', holdMs: 20_000 });
    await hold.ready;
    const fourth = runRaw(other, { host: srv.v4, port: 2201, count: 3, waitBanner: true, then: 'close', bannerTimeoutMs: 3000 });
    assert.ok(fourth.every((r) => !r.gotBanner), `every further client refused while 3 idle connections are held: ${JSON.stringify(fourth)}`);
    hold.release();
    await hold.results;
    let after: ReturnType<typeof runRaw> = [];
    for (let i = 0; i < 30; i++) {
      await sleep(100);
      after = runRaw(other, { host: srv.v4, port: 2201, count: 1, waitBanner: true, then: 'close' });
      if (after[0].gotBanner) break;
    }
    assert.ok(after[0].gotBanner, 'clients get in again once the idle connections are gone');
    await sshd.stop();

    // 2. PerSourceMaxStartups 2: one address is capped, others are not
    sshd = await startSshd(srv, { port: 2202, options: { PerSourceMaxStartups: 2 } });
    cfg = parseConfig(sshd.configPath, fsSource(), { version: local.version, flavour: local.flavour });
    f = runAudit(cfg, { clients: [] }).report.findings.find((x) => x.id === 'maxstartups')!;
    assert.match(f.impact, /one address may hold at most 2/);
    const hold2 = spawnRaw(cli, { host: srv.v4, port: 2202, count: 2, waitBanner: true, then: 'hold', holdMs: 20_000 });
    await hold2.ready;
    const same = runRaw(cli, { host: srv.v4, port: 2202, count: 1, waitBanner: true, then: 'close', bannerTimeoutMs: 3000 });
    const diff = runRaw(other, { host: srv.v4, port: 2202, count: 1, waitBanner: true, then: 'close', bannerTimeoutMs: 3000 });
    assert.equal(same[0].gotBanner, false, 'the third connection from the same address is refused');
    assert.equal(diff[0].gotBanner, true, 'another address still gets in');
    hold2.release();
    await hold2.results;
    await sshd.stop();
  } finally {
    await lab.destroy();
  }
});
