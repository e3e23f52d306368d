/**
 * The `analyze` lab: a real Debian sshd (9.2p1) in a network namespace, logging through a real
 * rsyslogd, and real clients in other namespaces doing what scanners, brute-forcers, floods,
 * broken clients and real users do. Every connection's ground truth is what the CLIENT did and
 * saw (its own source address and port, what it sent, what came back), never the log.
 *
 *   const run = await runLab({ logLevel: 'INFO', outDir });   // ~30 s
 *   run.logFile       // the auth log rsyslog wrote (Debian 12 default file format)
 *   run.truth         // TruthConn[]: one per TCP connection the clients made
 *   run.sources       // TruthSource[]: per client address, the classes a correct tool may give it
 *
 * Addresses: server 192.0.2.1 / 2001:db8::1, one client host per scenario (192.0.2.11 …).
 * sshd_config: LogLevel as asked, LoginGraceTime 3, MaxStartups 2:100:2 (a small table so the
 * flood is deterministic), UsePAM yes (Debian's default), PermitRootLogin prohibit-password.
 * After the grace-time scenario sshd is reloaded (SIGHUP) with LoginGraceTime 30, because
 * pam_unix's 2 s failure delay makes password guessing slower than 3 s.
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Outcome, SourceClass } from '../../src/classify/vocabulary.ts';
import { runCurl, runKeyscan, runRaw, runSsh, spawnRaw, type RawResult } from '../lab/clients.ts';
import { Lab, type Host } from '../lab/netns.ts';
import { startRsyslog } from '../lab/rsyslog.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';

export type LogLevel = 'INFO' | 'VERBOSE';

export type Did =
  | 'silent-close'
  | 'rst'
  | 'http'
  | 'tls'
  | 'ident-close'
  | 'protocol-mismatch'
  | 'keyscan'
  | 'kex-mismatch'
  | 'flood'
  | 'flood-victim'
  | 'invalid-user'
  | 'failed-key'
  | 'login'
  | 'grace-timeout'
  | 'inject-user'
  | 'inject-ident';

/** One TCP connection a client made, as the client knows it. */
export interface TruthConn {
  scenario: string;
  did: Did;
  src: string;
  srcPort: number;
  /** What the client sent (summary). */
  sent: string;
  /** What the client saw (summary of its own observation). */
  saw: string;
  /** The outcome a correct analysis gives this connection. */
  expected: Outcome;
  /** Whether sshd 9.2 logs this connection at all at this LogLevel (documented sshd behaviour, see the catalog). */
  logged: boolean;
  /** User names the client sent, if any. */
  users?: string[];
}

export interface TruthSource {
  address: string;
  /** Classes a correct tool may give this source. */
  classes: SourceClass[];
  note: string;
}

export interface LabRun {
  logLevel: LogLevel;
  logFile: string;
  server: { v4: string; v6: string };
  truth: TruthConn[];
  sources: TruthSource[];
  durationMs: number;
}

export interface LabRunOptions {
  logLevel: LogLevel;
  /** Where to copy the log (the lab's own temp dirs are removed). */
  outDir: string;
  format?: 'debian' | 'traditional';
  /** Syslog host name, default `srv`. */
  hostname?: string;
  /** Prefix for namespace names (unique per test file). */
  prefix?: string;
}

const SCANNER: SourceClass[] = ['scanner', 'unknown'];

function waitIdle(sshd: Sshd, timeoutMs = 8000): Promise<void> {
  // No per-connection children left of our listener (so MaxStartups starts from an empty table).
  return (async () => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = sshd.host.run('ps', ['--ppid', String(sshd.pid), '-o', 'pid=,args=']);
      const pre = (r.stdout ?? '').split('\n').filter((l) => l.trim());
      if (pre.length === 0) return;
      if (Date.now() > end) throw new Error(`lab: sshd still has pre-auth children: ${pre.join('; ')}`);
      await sleep(25);
    }
  })();
}

function rawOne(r: RawResult[]): RawResult {
  if (r.length !== 1) throw new Error(`lab: expected one raw connection, got ${r.length}`);
  return r[0];
}

function must(cond: boolean, what: string): void {
  if (!cond) throw new Error(`lab ground truth: ${what}`);
}

export async function runLab(opts: LabRunOptions): Promise<LabRun> {
  const t0 = Date.now();
  const lab = Lab.create(opts.prefix ?? 'al');
  const syslog = await startRsyslog({ format: opts.format, hostname: opts.hostname ?? 'srv' });
  let sshd: Sshd | null = null;
  const truth: TruthConn[] = [];
  const sources: TruthSource[] = [];
  const verbose = opts.logLevel === 'VERBOSE';
  try {
    const srv = lab.host('srv', 1);
    const h = (name: string, n: number): Host => lab.host(name, n);
    const hosts = {
      silent: h('silent', 11),
      rst: h('rst', 12),
      http: h('http', 13),
      tls: h('tls', 14),
      ident: h('ident', 15),
      keyscan: h('keyscan', 16),
      kex: h('kex', 17),
      flooder: h('flooder', 18),
      victim: h('victim', 19),
      brute: h('brute', 20),
      badkey: h('badkey', 21),
      user: h('user', 22),
      grace: h('grace', 23),
      v6: h('v6', 24),
      injuser: h('injuser', 25),
      injident: h('injident', 26),
      ssh1: h('ssh1', 27),
    };
    sshd = await startSshd(srv, {
      syslog,
      options: { LogLevel: opts.logLevel, LoginGraceTime: 3, MaxStartups: '2:100:2', MaxAuthTries: 6 },
    });
    const target = srv.v4;
    const port = sshd.port;
    const add = (t: TruthConn) => truth.push(t);

    // 1. Silent connect-and-close: TCP connect, read the server's banner, FIN.
    {
      const r = rawOne(runRaw(hosts.silent, { host: target, port, then: 'close' }));
      must(r.gotBanner, 'silent-close client did not get the server banner');
      add({ scenario: 'silent connect-and-close', did: 'silent-close', src: hosts.silent.v4, srcPort: r.localPort, sent: 'nothing (FIN)', saw: r.serverIdent ?? '', expected: 'closed_before_ident', logged: true });
      sources.push({ address: hosts.silent.v4, classes: SCANNER, note: 'one silent connection' });
    }
    await waitIdle(sshd);
    // 2. RST before identification (after the server's banner arrived).
    {
      const r = rawOne(runRaw(hosts.rst, { host: target, port, then: 'reset' }));
      must(r.gotBanner, 'rst client did not get the banner');
      add({ scenario: 'RST before identification', did: 'rst', src: hosts.rst.v4, srcPort: r.localPort, sent: 'nothing (RST)', saw: r.serverIdent ?? '', expected: 'reset_before_ident', logged: true });
      sources.push({ address: hosts.rst.v4, classes: SCANNER, note: 'one reset connection; also the address the injection attempts name' });
    }
    await waitIdle(sshd);
    // 3. HTTP to port 22 (curl).
    {
      const r = runCurl(hosts.http, `http://${target}:${port}/`, target);
      must(r.status !== 0, 'curl to sshd succeeded?');
      add({ scenario: 'HTTP to port 22', did: 'http', src: r.src, srcPort: r.srcPort, sent: 'GET / HTTP/1.1', saw: r.stderr.trim(), expected: 'non_ssh', logged: true });
      sources.push({ address: hosts.http.v4, classes: SCANNER, note: 'HTTP request' });
    }
    await waitIdle(sshd);
    // 4. TLS ClientHello to port 22.
    {
      const r = rawOne(runRaw(hosts.tls, { host: target, port, tls: true, waitBanner: false, then: 'wait-server', holdMs: 5000 }));
      add({ scenario: 'TLS to port 22', did: 'tls', src: hosts.tls.v4, srcPort: r.localPort, sent: 'TLS ClientHello', saw: `${r.closedBy} ${r.error ?? ''}`.trim(), expected: 'non_ssh', logged: true });
      sources.push({ address: hosts.tls.v4, classes: SCANNER, note: 'TLS handshake' });
    }
    await waitIdle(sshd);
    // 5. Identification then close (banner grab).
    {
      const r = rawOne(runRaw(hosts.ident, { host: target, port, send: 'SSH-2.0-Go\r\n', afterSendMs: 500, then: 'close' }));
      must(r.gotBanner, 'ident client did not get the banner');
      add({ scenario: 'identification then close', did: 'ident-close', src: hosts.ident.v4, srcPort: r.localPort, sent: 'SSH-2.0-Go', saw: r.serverIdent ?? '', expected: 'closed_after_ident', logged: true });
      sources.push({ address: hosts.ident.v4, classes: SCANNER, note: 'banner grab' });
    }
    await waitIdle(sshd);
    // 6. ssh-keyscan (one key type = one connection).
    {
      const r = runKeyscan(hosts.keyscan, target, { port });
      must(r.stdout.includes('ssh-ed25519'), `ssh-keyscan got no key: ${r.stderr}`);
      add({ scenario: 'key scan', did: 'keyscan', src: r.src, srcPort: r.srcPort, sent: 'ssh-keyscan -t ed25519', saw: 'host key', expected: 'closed_after_ident', logged: true });
      sources.push({ address: hosts.keyscan.v4, classes: SCANNER, note: 'ssh-keyscan' });
    }
    await waitIdle(sshd);
    // 7. Algorithm mismatch: a key exchange the server does not offer.
    {
      const r = runSsh(hosts.kex, { target, port, user: 'root', options: ['KexAlgorithms=diffie-hellman-group1-sha1'] });
      must(/Unable to negotiate|no matching key exchange/.test(r.stderr), `kex mismatch client saw: ${r.stderr}`);
      add({ scenario: 'algorithm mismatch', did: 'kex-mismatch', src: r.src, srcPort: r.srcPort, sent: 'KexAlgorithms=diffie-hellman-group1-sha1', saw: r.stderr.trim(), expected: 'kex_failed', logged: true });
      sources.push({ address: hosts.kex.v4, classes: SCANNER, note: 'old client, no common kex' });
    }
    await waitIdle(sshd);
    // 8. SSH-1 identification.
    {
      const r = rawOne(runRaw(hosts.ssh1, { host: target, port, send: 'SSH-1.5-OldClient\r\n', afterSendMs: 500, then: 'close' }));
      add({ scenario: 'SSH-1 client', did: 'protocol-mismatch', src: hosts.ssh1.v4, srcPort: r.localPort, sent: 'SSH-1.5-OldClient', saw: r.received.replace(/\r?\n/g, ' ').trim(), expected: 'protocol_mismatch', logged: true });
      sources.push({ address: hosts.ssh1.v4, classes: SCANNER, note: 'SSH-1 identification' });
    }
    await waitIdle(sshd);
    // 9. LoginGraceTime expiry: identification sent, then silence until the server gives up.
    {
      const r = rawOne(runRaw(hosts.grace, { host: target, port, send: 'SSH-2.0-OpenSSH_9.2p1\r\n', afterSendMs: 100, then: 'wait-server', holdMs: 10_000 }));
      must(r.closedBy === 'server' || r.closedBy === 'reset', `grace client: connection not closed by the server (${r.closedBy})`);
      must(r.elapsedMs >= 2900, `grace client: server closed after ${r.elapsedMs} ms, before LoginGraceTime 3`);
      add({ scenario: 'LoginGraceTime expiry', did: 'grace-timeout', src: hosts.grace.v4, srcPort: r.localPort, sent: 'SSH-2.0-OpenSSH_9.2p1, then nothing', saw: `closed by server after ${r.elapsedMs} ms`, expected: 'timeout', logged: verbose }); // Debian 9.2p1's CVE-2024-6387 fix logs nothing on grace expiry: at INFO the connection leaves no line
      sources.push({ address: hosts.grace.v4, classes: SCANNER, note: 'held a connection until LoginGraceTime' });
    }
    await waitIdle(sshd);
    // Password guesses take ~2 s each here (pam_unix's failure delay), and the flood holds
    // connections while a user logs in: both need more than LoginGraceTime 3. Reload sshd
    // (SIGHUP, as an admin would) with a longer grace time for the rest.
    await sshd.reconfigure({ LoginGraceTime: 30 });
    await waitIdle(sshd);
    // 10. MaxStartups flood (2:100:2) while a legitimate user logs in.
    {
      const flood = spawnRaw(hosts.flooder, { host: target, port, count: 6, then: 'hold', holdMs: 2500, bannerTimeoutMs: 3000 });
      await flood.ready;
      const first = runSsh(hosts.victim, { target, port, user: 'root', key: sshd.clientKey, verbose: true });
      flood.release();
      const results = await flood.results;
      let firstDropSeen = false;
      for (const r of results) {
        const dropped = !r.gotBanner;
        const logged = dropped ? verbose || !firstDropSeen : true; // 8.4-9.7: only an episode's first drop is logged at INFO
        if (dropped) firstDropSeen = true;
        add({
          scenario: 'MaxStartups flood',
          did: 'flood',
          src: hosts.flooder.v4,
          srcPort: r.localPort,
          sent: 'nothing',
          saw: dropped ? `no banner: ${JSON.stringify(r.received.trim())}` : `banner, held until released`,
          expected: dropped ? 'dropped' : 'closed_before_ident',
          logged,
        });
      }
      must(results.filter((r) => r.gotBanner).length === 2 && results.filter((r) => !r.gotBanner).length === 4, `flood: expected 2 served + 4 dropped, got ${JSON.stringify(results.map((r) => r.gotBanner))}`);
      const victimDropped = !first.loggedIn && /Exceeded MaxStartups|Connection closed by remote host|Connection reset/.test(first.stderr);
      must(!first.loggedIn, `the user got in during the flood (MaxStartups 2:100:2 should have refused): ${first.stderr}`);
      must(victimDropped, `the user's first attempt failed for another reason: ${first.stderr}`);
      add({ scenario: 'MaxStartups flood', did: 'flood-victim', src: first.src, srcPort: first.srcPort, sent: 'ssh (key)', saw: first.stderr.split('\n').filter((l) => /MaxStartups|closed|reset/i.test(l)).join(' | '), expected: 'dropped', logged: verbose, users: [] });
      await waitIdle(sshd);
      const second = runSsh(hosts.victim, { target, port, user: 'root', key: sshd.clientKey });
      must(second.loggedIn, `the user's retry after the flood failed: ${second.stderr}`);
      add({ scenario: 'MaxStartups flood', did: 'login', src: second.src, srcPort: second.srcPort, sent: 'ssh (key)', saw: 'logged in', expected: 'authenticated', logged: true, users: ['root'] });
      sources.push({ address: hosts.flooder.v4, classes: SCANNER, note: '6 connections at once, 4 dropped' });
      sources.push({ address: hosts.victim.v4, classes: ['legit'], note: 'dropped during the flood, then logged in' });
    }
    await waitIdle(sshd);
    // 11. Invalid users with passwords (two connections, two guesses each).
    {
      for (const user of ['admin', 'oracle']) {
        const r = runSsh(hosts.brute, { target, port, user, password: 'hunter2', tries: 2 });
        must(!r.loggedIn && /Permission denied/.test(r.stderr), `invalid-user client saw: ${r.stderr}`);
        add({ scenario: 'invalid users', did: 'invalid-user', src: r.src, srcPort: r.srcPort, sent: `user ${user}, 2 passwords`, saw: 'Permission denied', expected: 'auth_failed', logged: true, users: [user] });
        await waitIdle(sshd);
      }
      sources.push({ address: hosts.brute.v4, classes: ['bruteforce'], note: '4 password guesses for 2 invalid users' });
    }
    // 12. A key the server does not accept.
    {
      const r = runSsh(hosts.badkey, { target, port, user: 'root', key: sshd.otherKey });
      must(!r.loggedIn && /Permission denied/.test(r.stderr), `failed-key client saw: ${r.stderr}`);
      add({ scenario: 'failed key', did: 'failed-key', src: r.src, srcPort: r.srcPort, sent: 'root, unauthorised ed25519 key', saw: 'Permission denied (publickey)', expected: 'auth_failed', logged: true, users: ['root'] });
      sources.push({ address: hosts.badkey.v4, classes: ['unknown', 'bruteforce'], note: 'one refused key' });
    }
    await waitIdle(sshd);
    // 13. Successful logins (twice).
    {
      for (let i = 0; i < 2; i++) {
        const r = runSsh(hosts.user, { target, port, user: 'root', key: sshd.clientKey });
        must(r.loggedIn, `login failed: ${r.stderr}`);
        add({ scenario: 'successful login', did: 'login', src: r.src, srcPort: r.srcPort, sent: 'root, authorised key', saw: 'logged in', expected: 'authenticated', logged: true, users: ['root'] });
      }
      sources.push({ address: hosts.user.v4, classes: ['legit'], note: 'two key logins' });
    }
    await waitIdle(sshd);
    // 14. IPv6: a login and a silent close from the same host.
    {
      const r = runSsh(hosts.v6, { target: srv.v6, port, user: 'root', key: sshd.clientKey });
      must(r.loggedIn, `IPv6 login failed: ${r.stderr}`);
      add({ scenario: 'IPv6', did: 'login', src: r.src, srcPort: r.srcPort, sent: 'root, authorised key', saw: 'logged in', expected: 'authenticated', logged: true, users: ['root'] });
      await waitIdle(sshd);
      const s = rawOne(runRaw(hosts.v6, { host: srv.v6, port, then: 'close' }));
      must(s.gotBanner && s.localAddress === hosts.v6.v6, `IPv6 silent close: ${JSON.stringify(s)}`);
      add({ scenario: 'IPv6', did: 'silent-close', src: hosts.v6.v6, srcPort: s.localPort, sent: 'nothing (FIN)', saw: s.serverIdent ?? '', expected: 'closed_before_ident', logged: true });
      sources.push({ address: hosts.v6.v6, classes: ['legit'], note: 'IPv6 login and one silent close' });
    }
    await waitIdle(sshd);
    // 15. Injection: a user name that names another client's address.
    {
      const user = `x from ${hosts.rst.v4} port 22`;
      const r = runSsh(hosts.injuser, { target, port, user, password: 'x', tries: 2 });
      must(!r.loggedIn, 'injected user logged in?');
      add({ scenario: 'injection (user name)', did: 'inject-user', src: r.src, srcPort: r.srcPort, sent: `user "${user}", 2 passwords`, saw: r.stderr.trim(), expected: 'auth_failed', logged: true, users: [user] });
      sources.push({ address: hosts.injuser.v4, classes: ['bruteforce', 'unknown'], note: 'user name naming 192.0.2.12' });
    }
    await waitIdle(sshd);
    // 16. Injection: identification strings that name another client's address.
    {
      const a = rawOne(runRaw(hosts.injident, { host: target, port, send: `SSH-2.0-x ${hosts.rst.v4}\r\n`, afterSendMs: 500, then: 'close' }));
      add({ scenario: 'injection (identification)', did: 'inject-ident', src: hosts.injident.v4, srcPort: a.localPort, sent: `SSH-2.0-x ${hosts.rst.v4}`, saw: a.serverIdent ?? '', expected: 'closed_after_ident', logged: true });
      await waitIdle(sshd);
      const b = rawOne(runRaw(hosts.injident, { host: target, port, send: `Connection closed by ${hosts.rst.v4} port 22\r\n`, afterSendMs: 500, then: 'close' }));
      add({ scenario: 'injection (identification)', did: 'inject-ident', src: hosts.injident.v4, srcPort: b.localPort, sent: `Connection closed by ${hosts.rst.v4} port 22`, saw: b.received.replace(/\r?\n/g, ' ').slice(0, 80), expected: 'non_ssh', logged: true });
      sources.push({ address: hosts.injident.v4, classes: SCANNER, note: 'identification strings naming 192.0.2.12' });
    }
    await waitIdle(sshd);
    await sshd.stop();
    sshd = null;
    await syslog.sync();
    const logFile = join(opts.outDir, `auth-${opts.logLevel.toLowerCase()}.log`);
    copyFileSync(syslog.logFile, logFile);
    return { logLevel: opts.logLevel, logFile, server: { v4: srv.v4, v6: srv.v6 }, truth, sources, durationMs: Date.now() - t0 };
  } catch (e) {
    // Keep what sshd logged so far next to the failure.
    if (sshd) await sshd.stop();
    sshd = null;
    copyFileSync(syslog.logFile, join(opts.outDir, `auth-${opts.logLevel.toLowerCase()}.failed.log`));
    throw e;
  } finally {
    if (sshd) await sshd.stop();
    await syslog.stop();
    await lab.destroy();
  }
}
