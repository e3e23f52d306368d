/**
 * The live checks on recorded command outputs: real outputs captured from nft 1.0.6, iptables
 * 1.8.9 (nf_tables), ipset 7.17, fail2ban 1.0.2 and ss in a lab namespace (fixtures/), plus the
 * outputs of tools that cannot run here (SELinux's ausearch, CrowdSec's cscli, a cgroup at its
 * pids.max, a libwrap sshd), as their documentation shows them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { recordedRunner, type Recording } from './recorded-runner.ts';
import type { CheckContext } from '../../src/doctor/context.ts';
import { parseClient } from '../../src/doctor/context.ts';
import { checkNftables } from '../../src/doctor/checks/nftables.ts';
import { checkIptables } from '../../src/doctor/checks/iptables.ts';
import { checkIpset } from '../../src/doctor/checks/ipset.ts';
import { checkFail2ban } from '../../src/doctor/checks/fail2ban.ts';
import { checkCrowdsec } from '../../src/doctor/checks/crowdsec.ts';
import { checkSshguard } from '../../src/doctor/checks/sshguard.ts';
import { checkListeners } from '../../src/doctor/checks/listeners.ts';
import { checkHostKeys, checkPrivsep, checkResources, checkMac, checkTcpWrappers, checkSshdSession } from '../../src/doctor/checks/host.ts';
import { checkGuard } from '../../src/doctor/checks/guard.ts';
import { bounded } from '../../src/doctor/run.ts';
import type { CheckResult, Fact } from '../../src/doctor/types.ts';

const fx = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

function ctx(rec: Recording, client: string | null = null): CheckContext {
  const c = client === null ? null : parseClient(client);
  if (typeof c === 'string') throw new Error(c);
  return { runner: recordedRunner(rec), client: c, window: { since: null, until: null }, config: '/etc/ssh/sshd_config', logs: [], ports: [22], listenAddresses: [], timeoutMs: 1000 };
}

function facts<T extends Fact['type']>(r: CheckResult, type: T): Extract<Fact, { type: T }>[] {
  return r.facts.filter((f): f is Extract<Fact, { type: T }> => f.type === type);
}

const nftRec: Recording = { commands: { 'nft -j list ruleset': { stdout: fx('nft-ruleset.json') }, 'nft -a list ruleset': { stdout: fx('nft-ruleset.txt') } } };

test('nftables: a fail2ban set, an IPv6 interval set, an address rule, a rate limit and a DNAT, from real nft output', async () => {
  const r = await checkNftables(ctx(nftRec, '198.51.100.7'));
  const b = facts(r, 'banned');
  assert.equal(b.length, 1);
  assert.equal(b[0].by, 'fail2ban');
  assert.deepEqual(b[0].place, { family: 'inet', table: 'f2b-table', set: 'addr-set-sshd' });
  const v6 = facts(await checkNftables(ctx(nftRec, '2001:db8:77::42')), 'banned');
  assert.equal(v6.length, 1, 'the /64 interval holds the address');
  assert.equal(v6[0].by, 'nftables');
  const rule = facts(await checkNftables(ctx(nftRec, '192.0.2.99')), 'banned');
  assert.equal(rule[0].place.handle, 4);
  assert.match(rule[0].evidence[0].text, /ip saddr 192\.0\.2\.99 drop # handle 4/);
  const other = await checkNftables(ctx(nftRec, '192.0.2.50'));
  assert.equal(facts(other, 'banned').length, 0);
  const rl = facts(other, 'rate_limit_rule');
  assert.equal(rl.length, 1);
  assert.match(rl[0].evidence[0].text, /limit rate over 3\/minute drop # handle 5/);
  const pt = facts(other, 'port_translation');
  assert.deepEqual(pt.map((p) => [p.port, p.to]), [[22, '192.0.2.1:2222']]);
  // server-wide: every banned element is listed (the ranking keeps those of your users)
  const all = facts(await checkNftables(ctx(nftRec)), 'banned').map((f) => f.address).sort();
  assert.deepEqual(all, ['192.0.2.99', '198.51.100.7', '2001:db8:77::/64', '203.0.113.9']);
});

test('nftables: not root, not installed, timed out: each says why it could not look', async () => {
  const notRoot = await checkNftables(ctx({ commands: { 'nft -j list ruleset': { status: 1, stderr: 'Error: Operation not permitted (you must be root)' } } }));
  assert.equal(notRoot.status, 'unchecked');
  assert.match(notRoot.reason!, /needs root/);
  const missing = await checkNftables(ctx({}));
  assert.match(missing.reason!, /nft is not installed/);
  const hung = await bounded('nftables', 100, () => checkNftables(ctx({ commands: { 'nft -j list ruleset': { delayMs: 2000, stdout: '{}' } } })));
  assert.equal(hung.status, 'unchecked');
  assert.match(hung.reason!, /timed out/);
});

test('iptables: recent rate limit (the --update rule, not --set), a REJECT for an address, a REDIRECT of port 22', async () => {
  const rec: Recording = { commands: { 'iptables -S': { stdout: fx('iptables-S.txt') }, 'iptables -t nat -S': { stdout: fx('iptables-nat-S.txt') }, 'ip6tables -S': { stdout: '-P INPUT ACCEPT\n' }, 'ip6tables -t nat -S': { stdout: '' } } };
  const r = await checkIptables(ctx(rec, '198.51.100.23'));
  assert.equal(r.status, 'looked');
  const rl = facts(r, 'rate_limit_rule');
  assert.equal(rl.length, 1);
  assert.equal(rl[0].match, 'recent');
  assert.match(rl[0].place.rule!, /--update --seconds 60 --hitcount 4/);
  const b = facts(r, 'banned');
  assert.equal(b.length, 1);
  assert.equal(b[0].by, 'iptables');
  assert.equal(b[0].place.rule, '-A INPUT -s 198.51.100.23/32 -j REJECT --reject-with icmp-port-unreachable');
  assert.deepEqual(facts(r, 'port_translation').map((p) => p.to), ['this host:8022']);
});

test('ipset: sshguard4 holds a /24 with the client; an own set with a timeout', async () => {
  const rec: Recording = { commands: { 'ipset save': { stdout: fx('ipset-save.txt') } } };
  const b = facts(await checkIpset(ctx(rec, '198.51.100.80')), 'banned');
  assert.equal(b.length, 1);
  assert.equal(b[0].by, 'sshguard');
  const own = facts(await checkIpset(ctx(rec, '203.0.113.5')), 'banned');
  assert.equal(own[0].by, 'ipset');
  assert.equal(own[0].until, 'in 299 s');
});

test('fail2ban: jails, banned with time, not running, no permission', async () => {
  const rec: Recording = {
    commands: {
      'fail2ban-client status': { stdout: 'Status\n|- Number of jail:\t2\n`- Jail list:\trecidive, sshd\n' },
      'fail2ban-client get sshd banip --with-time': { stdout: '198.51.100.7 \t2026-12-04 19:50:02 + 600 = 2026-12-04 20:00:02\n' },
      'fail2ban-client get recidive banip --with-time': { stdout: '' },
    },
  };
  const r = await checkFail2ban(ctx(rec, '198.51.100.7'));
  const b = facts(r, 'banned');
  assert.equal(b.length, 1);
  assert.deepEqual([b[0].place.jail, b[0].since, b[0].until], ['sshd', '2026-12-04 19:50:02', '2026-12-04 20:00:02']);
  assert.match(r.note!, /2 jails \(recidive, sshd\), 1 banned/);
  const down = await checkFail2ban(ctx({ commands: { 'fail2ban-client status': { status: 255, stderr: 'ERROR   Failed to access socket path: /var/run/fail2ban/fail2ban.sock. Is fail2ban running?' } } }));
  assert.equal(down.status, 'looked');
  assert.match(down.note!, /not running/);
  const perm = await checkFail2ban(ctx({ commands: { 'fail2ban-client status': { status: 255, stderr: 'ERROR   Permission denied to socket: /var/run/fail2ban/fail2ban.sock, (you must be root)' } } }));
  assert.equal(perm.status, 'unchecked');
  assert.match(perm.reason!, /needs root/);
});

test('CrowdSec (cannot run here): a ban decision on the client range, from cscli -o json', async () => {
  const json = JSON.stringify([{ id: 12, created_at: '2026-12-04T19:40:00Z', decisions: [{ id: 3, origin: 'crowdsec', scenario: 'crowdsecurity/ssh-bf', scope: 'Range', type: 'ban', value: '198.51.100.0/24', duration: '3h59m12s' }] }]);
  const r = await checkCrowdsec(ctx({ commands: { 'cscli decisions list -o json': { stdout: json } } }, '198.51.100.7'));
  const b = facts(r, 'banned');
  assert.equal(b.length, 1);
  assert.equal(b[0].by, 'crowdsec');
  assert.equal(b[0].why, 'crowdsecurity/ssh-bf');
  const none = await checkCrowdsec(ctx({ commands: { 'cscli decisions list -o json': { stdout: 'null' } } }, '198.51.100.7'));
  assert.equal(facts(none, 'banned').length, 0);
  assert.match((await checkCrowdsec(ctx({}))).reason!, /cscli is not installed/);
});

test('sshguard: its blocklist file', async () => {
  const r = await checkSshguard(ctx({ commands: { 'sshguard -v': { stdout: 'SSHGuard 2.4.2' } }, files: { '/var/lib/sshguard/blacklist.db': '1764876000|100|4|198.51.100.7\n1764876001|100|4|203.0.113.1\n' } }, '198.51.100.7'));
  const b = facts(r, 'banned');
  assert.equal(b.length, 1);
  assert.equal(b[0].evidence[0].where, '/var/lib/sshguard/blacklist.db:1');
});

test("sshwarden's guard: an active ban on the client", async () => {
  const r = await checkGuard(ctx({}, '198.51.100.7'), async () => ({ store: '/var/lib/sshwarden/state.db', bans: [{ target: '198.51.100.7', since: 1, until: 2, reason: '12 failed logins', evidence: '[]' }] }));
  assert.equal(facts(r, 'banned')[0].by, 'sshwarden');
  assert.equal((await checkGuard(ctx({}), async () => null)).note, 'not in use (no store)');
});

const SS = 'LISTEN 0 511 0.0.0.0:22 0.0.0.0:* users:(("nginx",pid=4711,fd=6))\nLISTEN 0 128 0.0.0.0:2222 0.0.0.0:* users:(("sshd",pid=812,fd=3))\n';

test('listeners: another program on the SSH port, sshd on another; an IPv4-only sshd on a dual-stack host', async () => {
  const ipj = JSON.stringify([{ addr_info: [{ family: 'inet', scope: 'global' }, { family: 'inet6', scope: 'global' }] }]);
  const rec: Recording = { commands: { 'ss -ltnpH': { stdout: SS }, 'ps -C sshd -o pid=': { stdout: '  812\n' }, 'ip -j addr': { stdout: ipj } }, links: { '/proc/self/ns/net': 'net:[1]', '/proc/812/ns/net': 'net:[1]' } };
  const c = ctx(rec);
  c.ports = [22, 2222];
  const r = await checkListeners(c);
  assert.deepEqual(facts(r, 'wrong_service').map((f) => [f.port, f.process]), [[22, 'nginx']]);
  assert.deepEqual(facts(r, 'address_family').map((f) => f.missing), [6]);
  // sshd's process lives in another network namespace (a container): not running here
  const gone: Recording = { commands: { 'ss -ltnpH': { stdout: '' }, 'ps -C sshd -o pid=': { stdout: '812\n' }, 'ip -j addr': { stdout: ipj } }, links: { '/proc/self/ns/net': 'net:[1]', '/proc/812/ns/net': 'net:[9]' } };
  assert.equal(facts(await checkListeners(ctx(gone)), 'sshd_not_running').length, 1);
  // a per-connection sshd child that exited between ps and the look at its namespace (ENOENT) ran
  // nowhere: still not running here. One we may not look into (EACCES) leaves it unknown.
  const exited: Recording = { ...gone, commands: { ...gone.commands, 'ps -C sshd -o pid=': { stdout: '812\n813\n' } } };
  assert.equal(facts(await checkListeners(ctx(exited)), 'sshd_not_running').length, 1);
  const hidden: Recording = { ...exited, links: { ...exited.links, '/proc/813/ns/net': 'error:EACCES' } };
  const unknown = await checkListeners(ctx(hidden));
  assert.equal(facts(unknown, 'sshd_not_running').length, 0);
  assert.equal(facts(unknown, 'not_listening').length, 1);
});

test('host: host keys missing or open to others, /run/sshd missing, sshd-session missing (9.8+)', async () => {
  const keys = await checkHostKeys(ctx({ stats: { '/etc/ssh/k1': { mode: 0o100644 } } }), ['/etc/ssh/k1', '/etc/ssh/k2']);
  const hk = facts(keys, 'host_keys')[0];
  assert.deepEqual(hk.problems.map((p) => p.file), ['/etc/ssh/k1', '/etc/ssh/k2']);
  assert.match(hk.problems[0].problem, /permissions 644/);
  assert.equal(facts(await checkPrivsep(ctx({})), 'privsep_dir_missing').length, 1);
  assert.equal(facts(await checkPrivsep(ctx({ stats: { '/run/sshd': { isDirectory: true } } })), 'privsep_dir_missing').length, 0);
  assert.equal(facts(await checkSshdSession(ctx({}), '9.9'), 'sshd_session_missing').length, 1);
  assert.equal(facts(await checkSshdSession(ctx({}), '9.2'), 'sshd_session_missing').length, 0);
});

test('resources (a container at its pids.max), SELinux denials (ausearch), TCP wrappers on a libwrap sshd', async () => {
  const res = await checkResources(ctx({ files: { '/proc/meminfo': 'MemTotal: 2048000 kB\nMemAvailable: 900000 kB\n', '/sys/fs/cgroup/pids.max': '64\n', '/sys/fs/cgroup/pids.current': '64\n' } }));
  assert.match(facts(res, 'resources')[0].problem, /pids\.max 64/);
  const avc = 'type=AVC msg=audit(1764876000.123:412): avc:  denied  { name_bind } for  pid=812 comm="sshd" src=2222 scontext=system_u:system_r:sshd_t:s0 tcontext=system_u:object_r:unreserved_port_t:s0 tclass=tcp_socket permissive=0';
  const mac = await checkMac(ctx({ commands: { 'ausearch -m avc -c sshd -ts recent': { stdout: `----\ntime->Thu Dec  4 20:00:00 2026\n${avc}\n` } } }));
  const d = facts(mac, 'mac_denial');
  assert.equal(d[0].system, 'selinux');
  assert.match(d[0].evidence[0].text, /name_bind/);
  assert.match(mac.note!, /SELinux: 1/);
  const wrap = await checkTcpWrappers(ctx({ commands: { 'ldd /usr/sbin/sshd': { stdout: '\tlibwrap.so.0 => /lib/x86_64-linux-gnu/libwrap.so.0\n' } }, files: { '/etc/hosts.deny': '# comment\nsshd: 198.51.100.7\n' } }, '198.51.100.7'));
  assert.equal(facts(wrap, 'tcp_wrappers')[0].evidence[0].where, '/etc/hosts.deny:2');
  const nowrap = await checkTcpWrappers(ctx({ commands: { 'ldd /usr/sbin/sshd': { stdout: '\tlibc.so.6\n' } } }));
  assert.match(nowrap.note!, /not built with TCP wrappers/);
});
