/**
 * Makes the committed real capture + log pair behind the `doctor --pcap` and `report --pcap` tests
 * (test/pcap/fixtures/wire-doctor.{pcap,log,json}): a namespace lab with real sshd 9.2p1 (LogLevel
 * INFO, MaxStartups 2:100:2) logging through real rsyslog, real tcpdump in the server's namespace,
 * real OpenSSH clients and nftables rules inside the server's namespace. Run by hand, as root:
 *
 *   node test/pcap/make-wire-fixture.ts [OUTDIR]     # default test/pcap/fixtures
 *
 * What the clients do (the truth, also written to wire-doctor.json):
 *   alice  (.41)  logs in; is dropped by MaxStartups during a flood (unlogged at INFO), logs in
 *                 again; then offers only diffie-hellman-group1-sha1 (no common kex algorithm)
 *   bob    (.42)  logs in; then an nftables `drop` for his address: his SYNs go unanswered
 *   carol  (.43)  logs in; then an nftables `reject with tcp reset`: RST to her SYN
 *   flood  (.44)  6 connections held at once (4 dropped by MaxStartups)
 *   http   (.45)  curl http:// to port 22 (non-SSH traffic on the port)
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCurl, runSsh, spawnRaw } from '../lab/clients.ts';
import { serverLab } from '../lab/server-lab.ts';
import { startCapture } from '../analyze-lab/scenarios.ts';

const out = resolve(process.argv[2] ?? join(import.meta.dirname, 'fixtures'));
mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'sshwarden-wire-fixture-'));
const L = serverLab('wf', { alice: 41, bob: 42, carol: 43, flood: 44, http: 45 });
const truth: { who: string; address: string; port: number; did: string; result: string }[] = [];
try {
  const { srv } = L;
  const { alice, bob, carol, flood: flooder, http } = L.hosts;
  const capture = await startCapture(srv, join(work, 'wire.pcap'));
  const { syslog, sshd } = await L.start({ rsyslog: { hostname: 'srv' }, sshd: { LogLevel: 'INFO', LoginGraceTime: 30, MaxStartups: '2:100:2' } });
  const target = srv.v4;
  const port = sshd.port;
  const login = (h: typeof alice, who: string) => {
    const r = runSsh(h, { target, port, user: 'root', key: sshd.clientKey });
    if (!r.loggedIn) throw new Error(`${who}: login failed: ${r.stderr}`);
    truth.push({ who, address: r.src, port: r.srcPort, did: 'login', result: 'authenticated' });
  };
  login(alice, 'alice');
  login(bob, 'bob');
  login(carol, 'carol');

  // MaxStartups flood while alice connects: she is dropped (INFO logs only the episode's first drop).
  const flood = spawnRaw(flooder, { host: target, port, count: 6, then: 'hold', holdMs: 2500, bannerTimeoutMs: 3000 });
  await flood.ready;
  const dropped = runSsh(alice, { target, port, user: 'root', key: sshd.clientKey });
  flood.release();
  const fr = await flood.results;
  if (dropped.loggedIn) throw new Error('alice got in during the flood');
  truth.push({ who: 'alice', address: dropped.src, port: dropped.srcPort, did: 'ssh during a MaxStartups flood', result: 'dropped' });
  for (const r of fr) truth.push({ who: 'flood', address: flooder.v4, port: r.localPort, did: 'held', result: r.gotBanner ? 'closed_before_ident' : 'dropped' });
  await sleep(3000);
  login(alice, 'alice');

  // alice's old client: no common key exchange algorithm.
  const kex = runSsh(alice, { target, port, user: 'root', key: sshd.clientKey, options: ['KexAlgorithms=diffie-hellman-group1-sha1'] });
  truth.push({ who: 'alice', address: kex.src, port: kex.srcPort, did: 'KexAlgorithms=diffie-hellman-group1-sha1', result: 'kex_failed' });

  // nftables inside the server's namespace: bob dropped, carol rejected with a TCP reset.
  srv.check('nft', ['-f', '-'], {
    input: `table inet wirefixture {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ip saddr ${bob.v4} tcp dport ${port} drop\n  ip saddr ${carol.v4} tcp dport ${port} reject with tcp reset\n }\n}\n`,
  });
  const b = runSsh(bob, { target, port, user: 'root', key: sshd.clientKey, options: ['ConnectTimeout=3'] });
  truth.push({ who: 'bob', address: b.src, port: b.srcPort, did: 'ssh while an nftables rule drops his address', result: 'syn_unanswered' });
  const c = runSsh(carol, { target, port, user: 'root', key: sshd.clientKey });
  truth.push({ who: 'carol', address: c.src, port: c.srcPort, did: 'ssh while an nftables rule rejects her address with a TCP reset', result: 'syn_rejected' });
  srv.check('nft', ['delete', 'table', 'inet', 'wirefixture']);

  const h = runCurl(http, `http://${target}:${port}/`, target);
  truth.push({ who: 'http', address: h.src, port: h.srcPort, did: 'curl http:// to the SSH port', result: 'non_ssh' });

  await syslog.sync();
  await capture.stop();
  copyFileSync(join(work, 'wire.pcap'), join(out, 'wire-doctor.pcap'));
  copyFileSync(syslog.logFile, join(out, 'wire-doctor.log'));
  writeFileSync(join(out, 'wire-doctor.json'), `${JSON.stringify({ server: srv.v4, port, truth }, null, 1)}\n`);
  console.log(`wrote ${out}/wire-doctor.{pcap,log,json}: ${truth.length} client connections`);
} finally {
  await L.stop();
  rmSync(work, { recursive: true, force: true });
}
