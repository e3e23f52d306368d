/** The decision core (pure): weights, window, escalation, protections, prefix aggregation. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfig } from '../../src/guard/config.ts';
import { Decider, type Decision } from '../../src/guard/decide.ts';
import { NetworkSet, parseCidr } from '../../src/net/address.ts';
import type { GuardUpdate } from '../../src/guard/updates.ts';

function setup(yaml = '', opts: { own?: string[]; allow?: string[]; prior?: number } = {}) {
  const cfg = parseConfig(yaml, 't.yaml');
  const activeBans = new Map<string, number>();
  const d = new Decider(cfg, {
    priorOffences: () => opts.prior ?? 0,
    activeBans,
    own: new NetworkSet((opts.own ?? ['192.0.2.1', '2001:db8::1']).map((s) => parseCidr(s)!)),
    allow: new NetworkSet((opts.allow ?? []).map((s) => parseCidr(s)!)),
  });
  return { d, cfg, activeBans };
}

const closed = (src: string, outcome: string, line = 1): GuardUpdate =>
  ({ kind: 'connection-closed', connection: { src, srcPort: 1000 + line, outcome, evidence: [{ file: 'auth.log', line }] } }) as GuardUpdate;
const fail = (address: string, port: number, invalidUser = false, method: string | null = 'password'): GuardUpdate => ({
  kind: 'auth-failure', address, port, user: 'root', invalidUser, method, ts: null, evidence: { file: 'auth.log', line: port },
});
const ok = (address: string): GuardUpdate => ({ kind: 'auth-success', address, port: 1, user: 'alice', method: 'publickey', ts: null, evidence: { file: 'auth.log', line: 1 } });

function feed(d: Decider, updates: GuardUpdate[], now = 1_000_000): Decision[] {
  return updates.flatMap((u) => d.onUpdate(u, now));
}

test('silent connections weigh less than failed passwords: 10 vs 5 to reach the default threshold', () => {
  const { d } = setup();
  const silent = Array.from({ length: 10 }, (_, i) => closed('198.51.100.7', 'closed_before_ident', i));
  assert.equal(feed(d, silent.slice(0, 9)).length, 0);
  const bans = feed(d, silent.slice(9));
  assert.equal(bans.length, 1);
  assert.equal(bans[0].type, 'ban');
  const { d: d2 } = setup();
  const fails = Array.from({ length: 5 }, (_, i) => fail('198.51.100.8', i + 1));
  assert.equal(feed(d2, fails.slice(0, 4)).length, 0);
  assert.equal(feed(d2, fails.slice(4))[0].type, 'ban');
});

test('a closed connection whose failures were counted does not count again', () => {
  const { d } = setup();
  feed(d, [fail('198.51.100.9', 5), fail('198.51.100.9', 5), fail('198.51.100.9', 5), fail('198.51.100.9', 5)]);
  const r = d.onUpdate({ kind: 'connection-closed', connection: { src: '198.51.100.9', srcPort: 5, outcome: 'auth_failed', evidence: [] } }, 1_000_000);
  assert.equal(r.length, 0, 'score stays 24');
});

test('the window: events spread beyond it do not add up', () => {
  const { d, cfg } = setup('policy:\n  window: 60s\n');
  for (let i = 0; i < 9; i++) assert.equal(d.onUpdate(closed('203.0.113.5', 'closed_before_ident', i), i * 1000).length, 0);
  // 61 s after the first event the window restarts: the 10th event does not ban.
  assert.equal(d.onUpdate(closed('203.0.113.5', 'closed_before_ident', 10), 61_000).length, 0);
  assert.equal(cfg.policy.window, 60_000);
});

test('escalation: duration × escalation^prior, capped at max_duration', () => {
  for (const [prior, expect] of [[0, 600_000], [1, 2_400_000], [2, 9_600_000], [10, 7 * 86_400_000]] as const) {
    const { d } = setup('', { prior });
    const b = feed(d, Array.from({ length: 5 }, (_, i) => fail('198.51.100.20', i + 1)), 0)[0];
    assert.equal(b.type, 'ban');
    if (b.type === 'ban') {
      assert.equal(b.until, expect, `prior ${prior}`);
      assert.equal(b.offence, prior + 1);
    }
  }
});

test('never banned: loopback, own addresses, allowlist, recently authenticated (refused instead)', () => {
  const { d } = setup('', { allow: ['198.51.100.0/24'] });
  feed(d, [ok('203.0.113.31')]);
  for (const a of ['127.0.0.1', '::1', '192.0.2.1', '198.51.100.77', '203.0.113.31', '::ffff:127.0.0.1']) {
    const out = feed(d, Array.from({ length: 10 }, (_, i) => fail(a, i + 1)));
    assert.ok(out.length > 0 && out.every((x) => x.type === 'refused'), `${a}: ${JSON.stringify(out)}`);
  }
});

test('a login is remembered only for authenticated_for', () => {
  const { d } = setup('never_ban:\n  authenticated_for: 1h\n');
  d.onUpdate(ok('203.0.113.40'), 0);
  assert.equal(d.protectedReason('203.0.113.40', 3_599_000)?.startsWith('logged in'), true);
  assert.equal(d.protectedReason('203.0.113.40', 3_601_000), null);
});

test('IPv6: scored and banned by /64; narrowed to the address when the /64 holds a protected one', () => {
  const { d } = setup('', { own: [] });
  const out = feed(d, Array.from({ length: 10 }, (_, i) => closed(`2001:db8:5::${i + 1}`, 'closed_before_ident', i)));
  assert.equal(out.length, 1);
  assert.equal(out[0].type === 'ban' && out[0].target, '2001:db8:5::/64');
  const { d: d2 } = setup();
  const out2 = feed(d2, Array.from({ length: 10 }, (_, i) => closed('2001:db8::66', 'closed_before_ident', i)));
  assert.equal(out2[0].type === 'ban' && out2[0].target, '2001:db8::66');
  assert.match(out2[0].type === 'ban' ? out2[0].reason : '', /narrowed from 2001:db8::\/64: it covers own address 2001:db8::1/);
});

test('IPv4 /24 after N banned addresses (ipv4_subnet_after), never over a protected address', () => {
  const { d, activeBans } = setup('aggregate:\n  ipv4_subnet_after: 3\n', { own: [] });
  const banAll = (a: string) => {
    const out = feed(d, Array.from({ length: 5 }, (_, i) => fail(a, i + 1)));
    for (const x of out) if (x.type === 'ban') activeBans.set(x.target, x.until);
    return out;
  };
  banAll('203.0.113.1');
  banAll('203.0.113.2');
  const third = banAll('203.0.113.3');
  assert.deepEqual(third.map((x) => x.type === 'ban' && x.target), ['203.0.113.3', '203.0.113.0/24']);
  const net = third[1];
  assert.ok(net.type === 'ban' && net.replaces.length === 3);
  // Protected address inside: no /24.
  const p = setup('aggregate:\n  ipv4_subnet_after: 2\n', { own: ['198.51.100.1'] });
  const b1 = feed(p.d, Array.from({ length: 5 }, (_, i) => fail('198.51.100.2', i + 1)));
  for (const x of b1) if (x.type === 'ban') p.activeBans.set(x.target, x.until);
  const b2 = feed(p.d, Array.from({ length: 5 }, (_, i) => fail('198.51.100.3', i + 1)));
  assert.deepEqual(b2.map((x) => x.type === 'ban' && x.target), ['198.51.100.3']);
});

test('already banned sources are not re-decided; garbage addresses are ignored', () => {
  const { d, activeBans } = setup();
  activeBans.set('198.51.100.50', Number.MAX_SAFE_INTEGER);
  assert.equal(feed(d, Array.from({ length: 10 }, (_, i) => fail('198.51.100.50', i + 1))).length, 0);
  assert.equal(feed(d, [fail('not-an-ip', 1), fail('1.2.3', 1), fail('010.1.1.1', 1)]).length, 0);
});

test('IPv6 sources by prefix (binary keys): /64 by default, any prefix length, IPv4-mapped is IPv4; a reload that changes the key width starts over', () => {
  const { d } = setup();
  // Five different addresses of one /64 (written in different forms) are one source; a neighbour /64 is another.
  const addrs = ['2001:db8:5:6::1', '2001:DB8:5:6::2', '2001:0db8:0005:0006:0:0:0:3', '2001:db8:5:6:ffff::4', '2001:db8:5:6::5'];
  assert.equal(feed(d, [fail('2001:db8:5:7::1', 1)]).length, 0);
  assert.equal(feed(d, addrs.slice(0, 4).map((a, i) => fail(a, 10 + i))).length, 0);
  const ban = feed(d, [fail(addrs[4], 20)]);
  assert.equal(ban[0].type, 'ban');
  assert.equal((ban[0] as { target: string }).target, '2001:db8:5:6::/64');
  assert.equal(d.trackedSources, 1, 'the neighbour /64 is still tracked, the banned one is gone');
  // ::ffff:a.b.c.d scores as a.b.c.d.
  const { d: d4 } = setup();
  feed(d4, [1, 2, 3, 4].map((p) => fail('::ffff:198.51.100.44', p)));
  assert.equal((feed(d4, [fail('198.51.100.44', 5)])[0] as { target: string }).target, '198.51.100.44');
  // /128: every address its own source (four-word keys).
  const { d: d128, cfg } = setup('aggregate:\n  ipv6_prefix: 128\n');
  assert.equal(feed(d128, addrs.map((a, i) => fail(a, 30 + i))).length, 0);
  assert.equal(d128.trackedSources, 5);
  // Reload to /64: the keys no longer fit the table's width, the windows start over.
  d128.setConfig(parseConfig('aggregate:\n  ipv6_prefix: 64\n', 't.yaml'));
  assert.equal(d128.trackedSources, 0);
  d128.setConfig(cfg);
  feed(d128, [fail(addrs[0], 40)]);
  d128.setConfig(parseConfig('aggregate:\n  ipv6_prefix: 96\n', 't.yaml'));
  assert.equal(d128.trackedSources, 1, 'same width (four words): windows kept');
});
