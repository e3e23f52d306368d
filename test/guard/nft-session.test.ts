/**
 * The guard's long-lived `nft -i` session against the real nft and kernel, in a lab namespace:
 * each transaction's answer is its own (the fence after each line keeps a failure with the line
 * that failed, also when many are queued), the process is replaced after `rotateAfter`
 * transactions without losing one, and no libedit history file is written into $HOME.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../lab/netns.ts';
import { NftSession } from '../../src/guard/firewall/nft-session.ts';

const lab = Lab.create('nfs');
const home = mkdtempSync(join(tmpdir(), 'sshwarden-nft-home-'));
const savedHome = process.env.HOME;
after(() => {
  process.env.HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
  lab.destroy();
});
const h = lab.host('fw', 1);
h.check('nft', ['-f', '-'], { input: 'add table inet nfs\nadd set inet nfs ban4 { type ipv4_addr; flags timeout; }\nadd set inet nfs ban6 { type ipv6_addr; flags timeout; }\n' });
const argv = ['ip', 'netns', 'exec', h.ns, 'nft'];

function elements(): string {
  return h.check('nft', ['list', 'table', 'inet', 'nfs']);
}

test('queued transactions: each gets its own answer; a failing one changes nothing and holds back nothing', async () => {
  const s = new NftSession(argv);
  try {
    const lines: string[][] = [];
    for (let i = 1; i <= 12; i++) {
      // Every third transaction fails in the kernel (no such set) or in the parser (an IPv6 address in an IPv4 set).
      if (i % 3 === 0) lines.push([`add element inet nfs ${i % 2 ? 'nosuch' : 'ban4'} { ${i % 2 ? '203.0.113.' + i : '2001:db8::' + i} timeout 60s }`]);
      else lines.push([`add element inet nfs ban4 { 203.0.113.${i} timeout 60s }`, `add element inet nfs ban6 { 2001:db8::${i} timeout 60s }`]);
    }
    const results = await Promise.allSettled(lines.map((l) => s.run(l)));
    for (let i = 1; i <= 12; i++) {
      const r = results[i - 1];
      if (i % 3 === 0) {
        assert.equal(r.status, 'rejected', `transaction ${i} must fail`);
        const msg = String((r as PromiseRejectedResult).reason.message);
        assert.match(msg, /^nft: Error: /, msg);
        assert.ok(msg.includes(i % 2 ? `203.0.113.${i}` : `2001:db8::${i}`), `the error names its own command: ${msg}`);
        assert.ok(!msg.includes('sshwarden-fence'), `the fence is not part of the error: ${msg}`);
      } else assert.equal(r.status, 'fulfilled', `transaction ${i}: ${r.status === 'rejected' ? r.reason : ''}`);
    }
    const listed = elements();
    for (let i = 1; i <= 12; i++) {
      if (i % 3 === 0) assert.ok(!listed.includes(`203.0.113.${i} `) && !listed.includes(`2001:db8::${i} `), `failed transaction ${i} changed nothing`);
      else assert.ok(listed.includes(`203.0.113.${i} `) && listed.includes(`2001:db8::${i} `), `transaction ${i} applied`);
    }
  } finally {
    s.close();
  }
});

test('the nft process is replaced after rotateAfter transactions, when idle; no transaction is lost; no history file in $HOME', async () => {
  process.env.HOME = home; // what the guard inherits; the session must not let nft write there
  const s = new NftSession(argv, 5000, 3);
  try {
    for (let i = 20; i < 30; i++) await s.run([`add element inet nfs ban4 { 198.51.100.${i} timeout 60s }`]);
    // 10 transactions one at a time: idle after each, so a fresh process after the 3rd, 6th and 9th.
    assert.equal(s.spawned, 4, `processes started: ${s.spawned}`);
    const listed = elements();
    for (let i = 20; i < 30; i++) assert.ok(listed.includes(`198.51.100.${i} `), `198.51.100.${i} applied`);
    await assert.rejects(s.run(['add element inet nfs nosuch { 198.51.100.1 }']), /nft: Error/);
    await s.run(['add element inet nfs ban4 { 198.51.100.99 timeout 60s }']);
  } finally {
    s.close();
  }
  // The rotated-out processes end on EOF; nft writes its history at exit, so wait for them.
  const inNamespace = () => spawnSync('ip', ['netns', 'pids', h.ns], { encoding: 'utf8' }).stdout.trim();
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && inNamespace() !== '') await new Promise((r) => setTimeout(r, 100));
  assert.equal(inNamespace(), '', 'every nft -i process has ended');
  assert.equal(existsSync(join(home, '.nft.history')), false, 'no libedit history written into $HOME');
});
