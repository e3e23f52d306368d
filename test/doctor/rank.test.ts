/** The ranking on plain data: facts in, causes out (which, in which order, with which fix). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rank } from '../../src/doctor/rank.ts';
import type { Fact } from '../../src/doctor/types.ts';

const overview = (legit: string[], classes = { legit: legit.length, scanner: 40, bruteforce: 9, unknown: 1 }): Fact => ({
  type: 'log_overview', lines: 5000, connections: 900, kexLines: 700, kexConnections: 700, classes, legitAddresses: legit, first: null, last: null, lastRestart: null, inputs: ['auth.log'],
});
const config: Fact = {
  type: 'config', file: '/etc/ssh/sshd_config', version: '9.2', maxStartups: '10:30:100', perSourceMaxStartups: 'none', perSourcePenalties: null, penaltyExemptSet: false,
  loginGraceTime: 120, ports: [22], listenAddresses: [], addressFamily: 'any', hostKeys: [], algorithms: { kexalgorithms: ['curve25519-sha256'] }, evidence: [],
};
const ban = (address: string, by: 'fail2ban' | 'nftables' = 'fail2ban'): Fact => ({
  type: 'banned', by, address, place: by === 'fail2ban' ? { jail: 'sshd' } : { family: 'inet', table: 'filter', set: 'blocked' }, since: '2026-12-04 19:50:02', until: '2026-12-04 20:00:02', why: null,
  evidence: [{ where: '$ fail2ban-client get sshd banip --with-time', text: `${address} \t2026-12-04 19:50:02 + 600 = 2026-12-04 20:00:02` }],
});
const W = 'in the last 24 h';

test('a server with only scanners: nothing to fix, even with scanners banned and dropped by MaxStartups', () => {
  const r = rank({
    facts: [config, overview(['192.0.2.5']), ban('203.0.113.9'), { type: 'log_drops', kind: 'maxstartups', total: 41, fromLegit: 0, legitSources: [], evidence: [] }],
    client: null, side: 'server', windowText: W,
  });
  assert.deepEqual(r.causes.map((c) => c.id), ['scanners_only']);
  assert.equal(r.causes[0].action, false);
  assert.match(r.verdict, /^Nothing to fix: 96 % of the 51 sources .* harmless; 41 refused connections were theirs, not your users'; 1 address logged in/);
});

test('drops the log only counts (LogLevel INFO) while users logged in: maxstartups, low confidence, with the LogLevel VERBOSE step; no connection at all is not "only scanners"', () => {
  const ov = { ...(overview(['192.0.2.5']) as Extract<Fact, { type: 'log_overview' }>), unattributedDrops: 4, logLevel: 'INFO', throttleEvidence: [{ where: 'auth.log:24', text: 'error: beginning MaxStartups throttling' }] };
  const r = rank({ facts: [config, ov], client: null, side: 'server', windowText: W });
  assert.equal(r.causes[0].id, 'maxstartups');
  assert.equal(r.causes[0].confidence, 0.4);
  assert.match(r.causes[0].summary, /refused 4 more connections .* does not say whose/);
  assert.deepEqual(r.causes[0].evidence.map((e) => e.where), ['auth.log:24']);
  assert.ok(r.causes[0].fix.flatMap((f) => f.changes.map((c) => c.text)).includes('LogLevel VERBOSE'));
  const empty = rank({ facts: [config, { ...(overview([]) as Extract<Fact, { type: 'log_overview' }>), connections: 0, classes: {} }], client: null, side: 'server', windowText: W });
  assert.deepEqual(empty.causes.map((c) => c.id), []);
  assert.match(empty.verdict, /^Nothing to judge: the logs read show no sshd connection/);
});

test('a user banned by fail2ban on the server: the ban, with lift and ignoreip', () => {
  const r = rank({ facts: [config, overview(['192.0.2.5']), ban('192.0.2.5'), ban('203.0.113.9')], client: null, side: 'server', windowText: W });
  assert.equal(r.causes[0].id, 'banned');
  assert.equal(r.causes[0].by, 'fail2ban');
  assert.deepEqual(r.causes[0].affects.addresses, ['192.0.2.5']);
  const cmds = r.causes[0].fix.flatMap((f) => f.commands);
  assert.ok(cmds.includes('fail2ban-client set sshd unbanip 192.0.2.5'), cmds.join('\n'));
  assert.match(r.causes[0].fix[0].changes[0].text, /\[sshd\]\nignoreip = 127\.0\.0\.1\/8 ::1 192\.0\.2\.5/);
  assert.match(r.verdict, /^1 address that logged in in the last 24 h is banned by fail2ban \(jail sshd\): 192\.0\.2\.5\.$/);
});

test('MaxStartups drops of your users: maxstartups with the raise from src/advice, and the per-source cap', () => {
  const r = rank({ facts: [config, overview(['192.0.2.5', '192.0.2.6', '192.0.2.7']), { type: 'log_drops', kind: 'maxstartups', total: 300, fromLegit: 41, legitSources: ['192.0.2.5', '192.0.2.6', '192.0.2.7'], evidence: [{ where: 'auth.log:12', text: 'drop connection #10 from [192.0.2.5]:50000 on [192.0.2.1]:22 past MaxStartups' }] }], client: null, side: 'server', windowText: W });
  assert.equal(r.causes[0].id, 'maxstartups');
  assert.match(r.causes[0].summary, /^3 addresses of your users were refused by MaxStartups 41 times in the last 24 h/);
  const lines = r.causes[0].fix.flatMap((f) => f.changes.map((c) => c.text));
  assert.ok(lines.includes('MaxStartups 30:30:200'), lines.join('\n'));
  assert.ok(lines.some((l) => /^PerSourceMaxStartups \d+$/.test(l)), lines.join('\n'));
});

test('two causes for one client: both reported, the stronger first', () => {
  const r = rank({
    facts: [config, ban('198.51.100.7', 'nftables'), { type: 'rate_limit_rule', tool: 'nftables', port: 22, match: 'limit', place: { family: 'inet', table: 'filter', chain: 'input', handle: 5 }, evidence: [{ where: '$ nft -a list ruleset', text: 'tcp dport 22 ct state new limit rate over 3/minute drop # handle 5' }] }],
    client: { address: '198.51.100.7', user: null }, side: 'server', windowText: W,
  });
  assert.deepEqual(r.causes.map((c) => c.id), ['banned', 'rate_limit_rule']);
  assert.ok(r.causes[0].confidence > r.causes[1].confidence);
  assert.match(r.verdict, /^198\.51\.100\.7 is banned by an nftables rule\/set \(set filter blocked\).* \(and 1 more cause below\)\.$/);
  assert.ok(r.causes[1].fix[0].commands.some((c) => c.startsWith('nft insert rule inet filter input position 5 ip saddr 198.51.100.7 accept')), JSON.stringify(r.causes[1].fix));
});

test('an iptables-nft rule seen by both iptables and nft is one ban, not two', () => {
  const ipt: Fact = { type: 'banned', by: 'iptables', address: '198.51.100.23', place: { tool: 'iptables', rule: '-A INPUT -s 198.51.100.23/32 -j DROP', chain: 'INPUT' }, since: null, until: null, why: null, evidence: [] };
  const nft: Fact = { type: 'banned', by: 'nftables', address: '198.51.100.23', place: { family: 'ip', table: 'filter', chain: 'INPUT', handle: 4 }, since: null, until: null, why: null, evidence: [] };
  const r = rank({ facts: [ipt, nft], client: { address: '198.51.100.23', user: null }, side: 'server', windowText: W });
  assert.deepEqual(r.causes.map((c) => `${c.id}/${c.by}`), ['banned/iptables']);
  assert.deepEqual(r.causes[0].fix[0].commands[0], 'iptables -D INPUT -s 198.51.100.23/32 -j DROP');
});

test('config edited after sshd started: weak alone, gone when the log shows a reload after the edit, strong with a port sshd does not listen on', () => {
  const nr: Fact = { type: 'config_not_reloaded', configMtime: '2026-12-04T10:00:00.000Z', sshdStart: '2026-12-01T00:00:00.000Z', evidence: [] };
  const weak = rank({ facts: [nr], client: null, side: 'server', windowText: W });
  assert.equal(weak.causes[0].confidence, 0.45);
  const reloaded = rank({ facts: [nr, { ...(overview([]) as Extract<Fact, { type: 'log_overview' }>), lastRestart: '2026-12-04T11:00:00.000Z' }], client: null, side: 'server', windowText: W });
  assert.ok(!reloaded.causes.some((c) => c.id === 'config_not_reloaded'));
  const strong = rank({ facts: [nr, { type: 'not_listening', expected: ['port 2222'], listening: ['0.0.0.0:22 sshd'], evidence: [] }], client: null, side: 'server', windowText: W });
  assert.deepEqual(strong.causes.map((c) => c.id), ['config_not_reloaded', 'not_listening']);
});

test('address family: a cause for an IPv6 client when sshd has no IPv6 listener, not for an IPv4 one', () => {
  const af: Fact = { type: 'address_family', missing: 6, listening: ['0.0.0.0:22 sshd'], evidence: [] };
  assert.equal(rank({ facts: [af], client: { address: '2001:db8::11', user: null }, side: 'server', windowText: W }).causes[0].id, 'address_family');
  assert.equal(rank({ facts: [af], client: { address: '192.0.2.11', user: null }, side: 'server', windowText: W }).causes.filter((c) => c.action).length, 0);
});

test('a client the log never saw, and nothing else found: unknown, with why', () => {
  const r = rank({ facts: [config, overview([]), { type: 'log_client', address: '198.51.100.7', connections: 0, authenticated: 0, outcomes: {}, evidence: [] }], client: { address: '198.51.100.7', user: null }, side: 'server', windowText: W });
  assert.equal(r.causes[0].id, 'unknown');
  assert.match(r.causes[0].summary, /never reached sshd/);
});

test('every cause the ranking emits is in the documented vocabulary', async () => {
  const { CAUSE_IDS } = await import('../../src/doctor/types.ts');
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  for (const id of CAUSE_IDS) assert.ok(readme.includes(`\`${id}\``), `README does not document ${id}`);
});

test('PerSourceMaxStartups dropped a user: the fix raises the per-source cap (twice it), not MaxStartups; no value is claimed without a config', () => {
  const drops: Fact = { type: 'log_drops', kind: 'per_source', total: 3, fromLegit: 3, legitSources: ['192.0.2.5'], evidence: [{ where: 'auth.log:40', text: 'drop connection #2 from [192.0.2.5]:40000 on [192.0.2.1]:22 past MaxStartups' }] };
  const withCfg = rank({ facts: [{ ...(config as Extract<Fact, { type: 'config' }>), perSourceMaxStartups: '3' }, overview(['192.0.2.5']), drops], client: null, side: 'server', windowText: W });
  const c = withCfg.causes[0];
  assert.equal(c.id, 'per_source_maxstartups');
  assert.match(c.summary, /refused by PerSourceMaxStartups 3 3 times/);
  assert.deepEqual(c.fix.flatMap((f) => f.changes.map((x) => x.text)), ['PerSourceMaxStartups 6']);
  const noCfg = rank({ facts: [overview(['192.0.2.5']), drops], client: null, side: 'server', windowText: W });
  assert.match(noCfg.causes[0].summary, /refused by PerSourceMaxStartups 3 times/, 'no doubled space, no value');
  const fixText = noCfg.causes[0].fix.map((f) => f.summary).join(' ');
  assert.match(fixText, /^PerSourceMaxStartups turned away 3 connections/);
  assert.doesNotMatch(fixText, /(^|[^e])MaxStartups turned away/, 'not the MaxStartups advice');
});
