/** src/net/address-words.ts: addresses as four 32-bit words give exactly the answers of address.ts (fast-check against it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canonicalAddress, prefixOf } from '../../src/net/address.ts';
import { addressWords, formatNetwork, formatWords, maskWords } from '../../src/net/address-words.ts';

const w = new Uint32Array(4);

function canonicalViaWords(s: string): string | null {
  const f = addressWords(s, w);
  return f === 0 ? null : formatWords(f, w);
}

function prefixViaWords(s: string, bits: number): string | null {
  const f = addressWords(s, w);
  if (f === 0) return null;
  maskWords(f, w, bits);
  return formatNetwork(f, w, bits);
}

test('plain and odd forms: same canonical text as canonicalAddress, null for non-addresses', () => {
  const cases = [
    '192.0.2.1', '0.0.0.0', '255.255.255.255', '1.2.3', '010.1.1.1', '192.0.2.1 ', '256.1.1.1', '1.2.3.4.5', '',
    '2001:db8::1', '2001:DB8:0::1', '::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1:::2', '1:', '12345::', 'g::1', '::ffff:192.0.2.5', '::ffff:c000:205',
    '::192.0.2.5', '64:ff9b::192.0.2.5', 'fe80::1%eth0', '2001:db8:0:0:1:0:0:1', '2001:0:0:1:0:0:0:1', '0:0:1:0:0:1:0:0',
    '2001:db8::1.2.3', '2001:db8::01.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:1.2.3.4:5',
  ];
  for (const c of cases) assert.equal(canonicalViaWords(c), canonicalAddress(c), JSON.stringify(c));
});

test('property: canonical text and prefixes equal address.ts for any IPv4/IPv6 text', () => {
  // Addresses in their usual forms, in upper case and fully written out, and near-misses.
  const v6Full = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16).padStart(Math.random() < 0.5 ? 4 : 1, '0')).join(':'));
  const text = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV6().map((s) => s.toUpperCase()), v6Full, fc.ipV4Extended(), fc.string({ maxLength: 12 }), fc.ipV6().map((s) => `${s}:`), fc.ipV4().map((s) => `::ffff:${s}`));
  fc.assert(
    fc.property(text, fc.integer({ min: 0, max: 128 }), (s, bits) => {
      const c = canonicalAddress(s);
      assert.equal(canonicalViaWords(s), c, s);
      if (c !== null) {
        const b = Math.min(bits, c.includes(':') ? 128 : 32);
        assert.equal(prefixViaWords(s, b), prefixOf(c, b), `${s}/${b}`);
      }
    }),
    { numRuns: 3000 },
  );
});
