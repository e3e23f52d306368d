/**
 * Firewall backends against the real kernel, inside a lab namespace only (the host's ruleset is
 * never touched): a banned client's next SYN to the sshd port is dropped, other ports/clients
 * are not, reconcile is atomic and idempotent, uninstall removes exactly what was created.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Lab } from '../lab/netns.ts';
import { NftablesBackend } from '../../src/guard/firewall/nftables.ts';
import { IpsetBackend } from '../../src/guard/firewall/ipset.ts';
import type { FirewallBackend } from '../../src/guard/firewall/backend.ts';

const lab = Lab.create('gfw');
after(() => lab.destroy());
const srv = lab.host('srv', 1);
const a = lab.host('atk', 21);
const b = lab.host('usr', 31);
srv.spawn('nc', ['-4', '-lk', '22']);
srv.spawn('nc', ['-6', '-lk', '22']);
srv.spawn('nc', ['-lk', '8080']);

function canConnect(from: typeof a, port: number, v6 = false): boolean {
  const r = from.run('nc', ['-z', '-w', '1', v6 ? srv.v6 : srv.v4, String(port)], { timeoutMs: 5000 });
  return r.status === 0;
}

async function waitListening(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (canConnect(b, 22) && canConnect(b, 8080) && canConnect(b, 22, true)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('test listeners did not come up');
}

async function exercise(fw: FirewallBackend, scopeAll: boolean): Promise<void> {
  await waitListening();
  const now = Date.now();
  await fw.reconcile([], now);
  assert.ok(canConnect(a, 22), 'attacker reaches :22 before the ban');
  assert.ok(canConnect(a, 22, true), 'attacker reaches :22 over IPv6 before the ban');
  const t0 = performance.now();
  await fw.apply({ add: [{ target: a.v4, family: 4, until: now + 60_000 }, { target: '2001:db8::/64', family: 6, until: now + 60_000 }], remove: [] }, now);
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `apply took ${ms} ms`);
  assert.equal(canConnect(a, 22), false, 'banned attacker: SYN to :22 dropped');
  assert.equal(canConnect(a, 22, true), false, 'banned /64: v6 SYN dropped');
  assert.equal(canConnect(b, 22), true, 'other client still reaches :22');
  assert.equal(canConnect(a, 8080), scopeAll ? false : true, `scope ${scopeAll ? 'all' : 'ssh'} on another port`);
  const listed = await fw.list();
  assert.ok(listed.includes(a.v4), `list shows the ban: ${listed.join(',')}`);
  // Re-adding (extending) an existing ban works; reconcile from the store is idempotent and keeps it.
  await fw.apply({ add: [{ target: a.v4, family: 4, until: now + 120_000 }], remove: [] }, now);
  await fw.reconcile([{ target: a.v4, family: 4, until: now + 120_000 }], now);
  assert.equal(canConnect(a, 22), false, 'still banned after reconcile');
  assert.equal(canConnect(a, 22, true), true, 'v6 ban not in the store: removed by reconcile');
  await fw.apply({ add: [], remove: [{ target: a.v4, family: 4, until: now + 120_000 }] }, now);
  assert.equal(canConnect(a, 22), true, 'unbanned');
  // Kernel-side expiry: a 3 s ban lapses without the guard (3 s, not 1: a loaded CI machine may take
  // a second between the apply and the probe).
  const shortUntil = Date.now() + 3000;
  await fw.apply({ add: [{ target: b.v4, family: 4, until: shortUntil }], remove: [] }, Date.now());
  assert.equal(canConnect(b, 22), false, 'short ban active');
  await new Promise((r) => setTimeout(r, Math.max(0, shortUntil - Date.now()) + 1500));
  assert.equal(canConnect(b, 22), true, 'kernel expired the ban');
}

test('nftables backend: own table, per-element timeouts, ssh scope, uninstall', async () => {
  srv.check('nft', ['add', 'table', 'inet', 'other']); // someone else's table: must survive uninstall
  const fw = new NftablesBackend({ name: 'sshwarden', scope: 'ssh', ports: [22], exec: ['ip', 'netns', 'exec', srv.ns] });
  try {
    await exercise(fw, false);
  } finally {
    await fw.uninstall();
    fw.close();
  }
  {
    const tables = srv.check('nft', ['list', 'tables']);
    assert.doesNotMatch(tables, /sshwarden/);
    assert.match(tables, /table inet other/);
  }
});

test('nftables backend: scope all drops every port; a failing command is an error, not a crash', async () => {
  const fw = new NftablesBackend({ name: 'swall', scope: 'all', ports: [22], exec: ['ip', 'netns', 'exec', srv.ns] });
  try {
    await exercise(fw, true);
    // An element of the wrong family makes nft fail: the promise rejects with nft's message.
    await assert.rejects(fw.apply({ add: [{ target: '2001:db8::99', family: 4, until: Date.now() + 60_000 }], remove: [] }, Date.now()), /nft: /);
    // The session still works afterwards.
    await fw.apply({ add: [{ target: '203.0.113.9', family: 4, until: Date.now() + 60_000 }], remove: [] }, Date.now());
    assert.ok((await fw.list()).includes('203.0.113.9'));
  } finally {
    await fw.uninstall();
    fw.close();
  }
});

test('ipset + iptables backend (fallback)', async () => {
  const fw = new IpsetBackend({ name: 'swip', scope: 'ssh', ports: [22], exec: ['ip', 'netns', 'exec', srv.ns] });
  try {
    await exercise(fw, false);
  } finally {
    await fw.uninstall();
  }
  assert.doesNotMatch(srv.check('iptables', ['-S']), /SWIP/);
  assert.equal(srv.run('ipset', ['list', 'swip4']).status === 0, false);
});

test('missing nft binary: clear error', async () => {
  const fw = new NftablesBackend({ name: 'sshwarden', scope: 'ssh', ports: [22], exec: ['env', 'PATH=/nonexistent'] });
  await assert.rejects(fw.reconcile([], Date.now()), /nft|No such file/);
  fw.close();
});

test('nftables: aggregation prefixes go to hash sets, other CIDRs to interval sets; list maps them back', async () => {
  const fw = new NftablesBackend({ name: 'swsets', scope: 'ssh', ports: [22], exec: ['ip', 'netns', 'exec', srv.ns], ipv4Prefix: 24, ipv6Prefix: 64 });
  try {
    const now = Date.now();
    const until = now + 60_000;
    await fw.reconcile([{ target: '198.51.100.0/24', family: 4, until }], now);
    await fw.apply({ add: [{ target: '203.0.113.0/25', family: 4, until }, { target: '2001:db8:7::/64', family: 6, until }, { target: '2001:db8:8::/48', family: 6, until }], remove: [] }, now);
    const listed = (await fw.list()).sort();
    assert.deepEqual(listed, ['198.51.100.0/24', '2001:db8:7::/64', '2001:db8:8::/48', '203.0.113.0/25'].sort());
    const ruleset = srv.check('nft', ['list', 'table', 'inet', 'swsets']);
    assert.match(ruleset, /ip saddr & 255\.255\.255\.0 == @ban4p/);
    assert.match(ruleset, /ip6 saddr & ffff:ffff:ffff:ffff:: == @ban6p/);
    assert.match(ruleset, /set ban4p \{\s+type ipv4_addr\s+flags timeout/);
    await fw.apply({ add: [], remove: [{ target: '198.51.100.0/24', family: 4, until }] }, now);
    assert.ok(!(await fw.list()).includes('198.51.100.0/24'));
  } finally {
    await fw.uninstall();
    fw.close();
  }
});

test('nftables: the old ack set goes; a new ban is one create; a ban of an address already in the set gets the new timeout (longer or shorter)', async () => {
  const fw = new NftablesBackend({ name: 'swto', scope: 'ssh', ports: [22], exec: ['ip', 'netns', 'exec', srv.ns] });
  // The element's timeout as nft lists it, in seconds (`timeout 2m`, `1h30m`, `45s`), or null when absent.
  const timeoutOf = (addr: string): number | null => {
    const m = new RegExp(`${addr.replace(/\./g, '\\.')} timeout ((?:\\d+[hms])+)`).exec(srv.check('nft', ['list', 'set', 'inet', 'swto', 'ban4']));
    if (!m) return null;
    let s = 0;
    for (const [, n, u] of m[1].matchAll(/(\d+)([hms])/g)) s += Number(n) * (u === 'h' ? 3600 : u === 'm' ? 60 : 1);
    return s;
  };
  try {
    // A table an earlier guard made: it had an `ack` set, which the setup now removes.
    srv.check('nft', ['-f', '-'], { input: 'add table inet swto\nadd set inet swto ack { type inet_service; flags timeout; }\n' });
    const now = Date.now();
    await fw.reconcile([], now);
    assert.doesNotMatch(srv.check('nft', ['list', 'table', 'inet', 'swto']), /set ack/, 'the old ack set is gone');
    await fw.reconcile([], now);
    await fw.apply({ add: [{ target: '198.51.100.40', family: 4, until: now + 120_000 }], remove: [] }, now);
    assert.equal(timeoutOf('198.51.100.40'), 120);
    await fw.apply({ add: [{ target: '198.51.100.40', family: 4, until: now + 5_400_000 }], remove: [] }, now);
    assert.equal(timeoutOf('198.51.100.40'), 5400, 'extended: the create fails (File exists) and the idiom sets the new timeout');
    await fw.apply({ add: [{ target: '198.51.100.40', family: 4, until: now + 60_000 }, { target: '198.51.100.41', family: 4, until: now + 300_000 }], remove: [] }, now);
    assert.deepEqual([timeoutOf('198.51.100.40'), timeoutOf('198.51.100.41')], [60, 300], 'a batch with one present and one new element: both as asked');
    await fw.apply({ add: [], remove: [{ target: '198.51.100.40', family: 4, until: now + 60_000 }] }, now);
    assert.equal(timeoutOf('198.51.100.40'), null, 'removed');
    await fw.apply({ add: [{ target: '198.51.100.40', family: 4, until: now + 180_000 }], remove: [] }, now);
    assert.equal(timeoutOf('198.51.100.40'), 180, 'banned again after removal');
  } finally {
    await fw.uninstall();
    fw.close();
  }
});
