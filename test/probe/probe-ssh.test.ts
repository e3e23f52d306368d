/**
 * `sshwarden probe` against a real OpenSSH sshd (Debian's 9.2p1) in a network namespace:
 * plain, with a restrictive KexAlgorithms, under MaxStartups pressure, and with the client's
 * address banned by an nft REJECT rule. Names resolve through a private hosts file for the
 * client namespace only. The real `ssh` client confirms the algorithm verdicts; Debian's
 * ssh-audit is run on the same servers for comparison.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnRaw } from '../lab/clients.ts';
import { Lab, type Host } from '../lab/netns.ts';
import { startSshd } from '../lab/sshd.ts';
import { comparison, nft, nftFlush, printComparison, privateHosts, probe, sshAudit, sshwarden } from './helpers.ts';

let lab: Lab;
let srv: Host;
let cli: Host;
/** Holds idle connections for the MaxStartups case (the lab's raw client narrows its namespace's ephemeral ports, so not in cli). */
let holder: Host;
let removeHosts: () => void = () => {};

before(() => {
  lab = Lab.create('ps');
  srv = lab.host('srv', 1);
  cli = lab.host('cli', 11);
  holder = lab.host('hold', 12);
  removeHosts = privateHosts(cli, [`${srv.v4} srv.test`, `${srv.v6} srv.test`]);
});
after(async () => {
  removeHosts();
  await lab?.destroy();
  printComparison('probe-ssh: our verdict beside ssh-audit');
});

function record(name: string, ours: string, address = srv.v4): string {
  const a = sshAudit(cli, address, 22);
  comparison.push({ case: name, ours, sshAudit: a.summary });
  return a.summary;
}

test('a real sshd: SSH on both addresses of the name, software, algorithms, Terrapin, compatible with the local ssh', async () => {
  const sshd = await startSshd(srv);
  try {
    const r = probe(cli, ['srv.test', '--timeout', '3']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json.verdict.id, 'ssh_ok');
    assert.deepEqual(r.json.dns.a, [srv.v4]);
    assert.deepEqual(r.json.dns.aaaa, [srv.v6]);
    assert.equal(r.json.addresses.length, 2);
    for (const a of r.json.addresses) {
      assert.equal(a.verdict, 'ssh_ok');
      assert.equal(a.ssh.identification.software, 'OpenSSH');
      assert.match(a.ssh.identification.version, /^9\.2p1$/);
      assert.match(a.ssh.identification.comments, /^Debian-/);
      assert.ok(a.ssh.algorithms.kex.includes('curve25519-sha256'));
      assert.ok(a.ssh.algorithms.hostKey.includes('ssh-ed25519'));
      assert.ok(a.ssh.compatibility.ok);
      assert.equal(a.ssh.compatibility.client.source, 'local-ssh');
      // Debian 12's 9.2p1 carries the Terrapin fix: the strict-kex marker must be seen, and then it is not "exposed".
      assert.equal(a.ssh.terrapin.strictKex, a.ssh.algorithms.markers.includes('kex-strict-s-v00@openssh.com'));
      assert.equal(a.ssh.terrapin.exposed, !a.ssh.terrapin.strictKex && a.ssh.terrapin.affectedModes.length > 0);
    }
    assert.equal(r.json.addresses[1].family, 6);
    record('real sshd 9.2p1', 'ssh_ok: OpenSSH 9.2p1, compatible with local ssh');
  } finally {
    await sshd.stop();
  }
});

test('restrictive KexAlgorithms: no common key exchange, with both offers and a fix per side; the real ssh agrees', async () => {
  const sshd = await startSshd(srv, { options: { KexAlgorithms: 'diffie-hellman-group14-sha1' } });
  try {
    const r = probe(cli, [srv.v4, '--timeout', '3']);
    assert.equal(r.status, 1);
    assert.equal(r.json.verdict.id, 'ssh_no_common_algorithm');
    const c = r.json.addresses[0].ssh.compatibility;
    assert.deepEqual(c.mismatched, ['kex']);
    const kex = c.categories.find((x: { category: string }) => x.category === 'kex');
    assert.deepEqual(kex.server, ['diffie-hellman-group14-sha1']);
    assert.ok(kex.client.includes('curve25519-sha256'));
    assert.match(kex.fix.client, /-o KexAlgorithms=\+diffie-hellman-group14-sha1/);
    assert.match(kex.fix.server, /KexAlgorithms/);
    assert.ok(r.json.addresses[0].ssh.weak.some((w: { algorithm: string }) => w.algorithm === 'diffie-hellman-group14-sha1'));
    const text = sshwarden(cli, ['probe', srv.v4, '--timeout', '3']);
    assert.equal(text.status, 1);
    assert.match(text.stdout, /^Verdict: .*no common key exchange algorithm/m);
    assert.match(text.stdout, /no matching key exchange method\n\s+client offers: .*curve25519-sha256/);
    assert.match(text.stdout, /fix on the client: .*KexAlgorithms=\+diffie-hellman-group14-sha1/);
    assert.match(text.stdout, /fix on the server: /);
    assert.match(text.stdout, /weak key exchange diffie-hellman-group14-sha1/);
    // Ground truth from the real client.
    const ssh = cli.run('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `root@${srv.v4}`, 'true'], { timeoutMs: 20_000 });
    assert.match(ssh.stderr, /no matching key exchange method found/);
    // A named profile: OpenSSH 7.4 offers group14-sha1, so it is compatible.
    const old = probe(cli, [srv.v4, '--client', 'openssh-7.4', '--timeout', '3']);
    assert.equal(old.json.verdict.id, 'ssh_ok', JSON.stringify(old.json.verdict));
    assert.equal(old.json.client.source, 'profile');
    record('sshd with KexAlgorithms diffie-hellman-group14-sha1', 'ssh_no_common_algorithm: kex; client fix -o KexAlgorithms=+diffie-hellman-group14-sha1');
  } finally {
    await sshd.stop();
  }
});

test('a named old client profile against a modern-only server: no common algorithm for that client', async () => {
  const sshd = await startSshd(srv, { options: { KexAlgorithms: 'sntrup761x25519-sha512@openssh.com', Ciphers: 'chacha20-poly1305@openssh.com' } });
  try {
    const r = probe(cli, [srv.v4, '--client', 'openssh-7.2', '--timeout', '3']);
    assert.equal(r.json.verdict.id, 'ssh_no_common_algorithm');
    assert.ok(r.json.addresses[0].ssh.compatibility.mismatched.includes('kex'));
    const local = probe(cli, [srv.v4, '--timeout', '3']);
    assert.equal(local.json.verdict.id, 'ssh_ok', 'the local 9.2 client has sntrup761');
  } finally {
    await sshd.stop();
  }
});

test('MaxStartups pressure: --repeat measures the share refused, with sshd\'s own refusal text as evidence', async () => {
  const sshd = await startSshd(srv, { options: { MaxStartups: '2:50:4' } });
  const hold = spawnRaw(holder, { host: srv.v4, port: 22, count: 2, then: 'hold', holdMs: 60_000 });
  try {
    await hold.ready;
    const r = probe(cli, [srv.v4, '--repeat', '20', '--concurrency', '1', '--timeout', '3'], 120_000);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.json.verdict.id, 'ssh_throttled');
    const a = r.json.addresses[0];
    assert.equal(a.attempts, 20);
    const refused = a.counts.ssh_refused ?? 0;
    assert.ok(refused > 0 && refused < 20, `MaxStartups 2:50:4 with 2 idle connections drops about half: ${JSON.stringify(a.counts)}`);
    assert.equal(a.refusalTexts['Exceeded MaxStartups'], refused);
    assert.equal(refused + (a.counts.ssh ?? 0), 20);
    assert.equal(r.json.verdict.causes[0].id, 'maxstartups');
    assert.ok(!r.json.verdict.causes.some((c: { id: string }) => c.id === 'per_source_penalties'), '8.2-9.7 text: not penalties');
    assert.match(r.json.verdict.headline, /refused \d+\/20 \(\d+%\) .*"Exceeded MaxStartups"/);
    // ssh-audit: a few tries, keep the first that did not get a banner (it is random early drop).
    let audit = '';
    for (let i = 0; i < 6 && !/did not receive banner/.test(audit); i++) audit = sshAudit(cli, srv.v4, 22).summary;
    comparison.push({ case: 'sshd under MaxStartups 2:50:4 (2 idle connections held)', ours: `ssh_throttled: ${refused}/20 refused with "Exceeded MaxStartups"`, sshAudit: audit });
  } finally {
    hold.release();
    await hold.results.catch(() => undefined);
    await sshd.stop();
  }
});

test('the client\'s IPv4 address banned with an nft REJECT rule: refused on IPv4 while IPv6 answers SSH', async () => {
  const sshd = await startSshd(srv);
  try {
    nft(srv, `table inet ban {\n  chain in {\n    type filter hook input priority 0;\n    ip saddr ${cli.v4} tcp dport 22 reject\n  }\n}\n`);
    const r = probe(cli, ['srv.test', '--timeout', '3']);
    assert.equal(r.status, 1);
    assert.equal(r.json.verdict.id, 'address_specific');
    const v4 = r.json.addresses.find((a: { family: number }) => a.family === 4);
    const v6 = r.json.addresses.find((a: { family: number }) => a.family === 6);
    assert.equal(v4.verdict, 'refused');
    assert.equal(v6.verdict, 'ssh_ok');
    assert.equal(r.json.verdict.causes[0].id, 'per_address_block');
    assert.ok(r.json.verdict.causes.some((c: { id: string }) => c.id === 'ban_reject'));
    record('client address banned (nft REJECT, IPv4 only)', 'address_specific: IPv4 refused, IPv6 SSH ok → per-address ban');
    // Only IPv4 asked for: plain refused, the ban among its causes.
    const only4 = probe(cli, ['srv.test', '-4', '--timeout', '3']);
    assert.equal(only4.json.verdict.id, 'refused');
    assert.equal(only4.json.addresses.length, 1);
  } finally {
    nftFlush(srv);
    await sshd.stop();
  }
});
