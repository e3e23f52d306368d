/** src/net: strict parsing, canonical forms, prefixes, network sets (with fast-check properties). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalAddress, NetworkSet, parseCidr, prefixOf } from '../../src/net/address.ts';

test('strict parsing: no partial or octal IPv4, mapped IPv6 unwrapped, zones dropped', () => {
  assert.equal(canonicalAddress('1.2.3'), null);
  assert.equal(canonicalAddress('010.1.1.1'), null);
  assert.equal(canonicalAddress('192.0.2.1 '), null);
  assert.equal(canonicalAddress('::ffff:192.0.2.5'), '192.0.2.5');
  assert.equal(canonicalAddress('2001:DB8:0::1'), '2001:db8::1');
  assert.equal(canonicalAddress('fe80::1%eth0'), 'fe80::1');
  assert.equal(parseCidr('192.0.2.77/24')?.text, '192.0.2.0/24');
  assert.equal(parseCidr('10.0.0.0/33'), null);
  assert.equal(prefixOf('2001:db8:1:2:3::4', 64), '2001:db8:1:2::/64');
});

test('property: every IPv4/IPv6 round-trips; its prefixes contain it', () => {
  fc.assert(
    fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 128 }), (ip, bits) => {
      const a = canonicalAddress(ip);
      assert.ok(a !== null, ip);
      assert.equal(canonicalAddress(a!), a);
      const max = a!.includes(':') ? 128 : 32;
      const b = Math.min(bits, max);
      const net = new NetworkSet([parseCidr(prefixOf(a!, b))!]);
      assert.ok(net.match(a!) !== null, `${a} in ${prefixOf(a!, b)}`);
    }),
    { numRuns: 500 },
  );
});

test('network sets: match and overlap', () => {
  const s = new NetworkSet(['198.51.100.0/24', '2001:db8:1::/48', '203.0.113.9'].map((x) => parseCidr(x)!));
  assert.equal(s.match('198.51.100.200'), '198.51.100.0/24');
  assert.equal(s.match('198.51.101.1'), null);
  assert.equal(s.match('2001:db8:1:ffff::1'), '2001:db8:1::/48');
  assert.equal(s.overlaps(parseCidr('203.0.113.0/24')!), '203.0.113.9');
  assert.equal(s.overlaps(parseCidr('198.51.100.7')!), '198.51.100.0/24');
  assert.equal(s.overlaps(parseCidr('2001:db8:2::/64')!), null);
});

test('allowlist host names resolve (localhost), failures are reported, not thrown', async () => {
  const { resolveNames } = await import('../../src/net/resolve-names.ts');
  const [local, bad] = await resolveNames(['localhost', 'no-such-host.invalid'], 3000);
  assert.ok(local.addresses.includes('127.0.0.1') || local.addresses.includes('::1'), JSON.stringify(local));
  assert.equal(bad.addresses.length, 0);
  assert.ok(bad.error);
});
