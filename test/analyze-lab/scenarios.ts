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
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Outcome, SourceClass } from '../../src/vocabulary.ts';
import { runCurl, runKeyscan, runRaw, runSsh, spawnRaw, startSsh, type RawResult } from '../lab/clients.ts';
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
  | 'inject-ident'
  | 'root-password'
  | 'key-spray'
  | 'garbage'
  | 'no-method';

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
  /** Wrong passwords the client sent (each one refused). */
  passwordFailures?: number;
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
  /** Options a user of this server passes to `analyze` (its sshd_config's LoginGraceTime at the grace scenario). */
  analyzeArgs: string[];
  durationMs: number;
  /** The tcpdump capture, when `capture` was asked for. */
  pcapFile?: string;
  /** tcpdump's own count at its end ("N packets captured, N received by filter, N dropped by kernel"), when it printed one. */
  captureStats?: string;
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
  /** sshd's UsePAM (default yes, Debian's default; no: sshd checks passwords itself, no pam_* lines). */
  usePam?: boolean;
  /** Also capture the server's traffic with real tcpdump (`-i any`, port 22) into `outDir` (test/pcap/). */
  capture?: boolean;
}

const SCANNER: SourceClass[] = ['scanner', 'unknown'];

/** PIDs of the listener's per-connection children. */
function childPids(sshd: Sshd): number[] {
  const r = sshd.host.run('ps', ['--ppid', String(sshd.pid), '-o', 'pid=']);
  return (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number);
}

/** Per sshd, children that are long sessions kept open on purpose (waitIdle ignores them). */
const ignoredChildren = new WeakMap<Sshd, Set<number>>();

function waitIdle(sshd: Sshd, timeoutMs = 8000): Promise<void> {
  // No per-connection children left of our listener (so MaxStartups starts from an empty table).
  return (async () => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const pre = childPids(sshd).filter((p) => !ignoredChildren.get(sshd)?.has(p));
      if (pre.length === 0) return;
      if (Date.now() > end) throw new Error(`lab: sshd still has per-connection children: ${pre.join(', ')}`);
      await sleep(25);
    }
  })();
}

/** Fresh unauthorised client keys (for the key spray), in the run's output dir. */
function sprayKeys(dir: string, n: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = join(dir, `spray-${i}`);
    rmSync(k, { force: true });
    rmSync(`${k}.pub`, { force: true });
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', k], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lab: ssh-keygen: ${r.stderr}`);
    keys.push(k);
  }
  return keys;
}

function runRawAsync(host: Host, spec: Parameters<typeof spawnRaw>[1]): Promise<RawResult[]> {
  const s = spawnRaw(host, spec);
  s.ready.catch(() => undefined);
  return s.results;
}

function rawOne(r: RawResult[]): RawResult {
  if (r.length !== 1) throw new Error(`lab: expected one raw connection, got ${r.length}`);
  return r[0];
}

function must(cond: boolean, what: string): void {
  if (!cond) throw new Error(`lab ground truth: ${what}`);
}

/** Real tcpdump in the server's namespace (ended by the Lab on failure; by its PID). */
export async function startCapture(srv: Host, file: string): Promise<{ file: string; stop: () => Promise<string> }> {
  const child = srv.spawn('tcpdump', ['-i', 'any', '-n', '-U', '--immediate-mode', '-Z', 'root', '-w', file, 'tcp port 22']);
  let err = '';
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lab: tcpdump did not start: ${err}`)), 10_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`lab: tcpdump exited (${code}): ${err}`));
    });
  });
  await listening;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    file,
    stop: async () => {
      await sleep(1000); // the last packets (FINs, ACKs) of the last connections
      child.kill('SIGINT');
      await Promise.race([exited, sleep(5000)]);
      // its count at exit: "packets dropped by kernel" is capture loss the capture itself cannot show
      return [...err.matchAll(/^(\d+) packets? (captured|received by filter|dropped by kernel)$/gm)].map((m) => `${m[1]} ${m[2]}`).join(', ');
    },
  };
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
      spray: h('spray', 28),
      garbage: h('garbage', 29),
      session: h('session', 30),
      conc: [31, 32, 33, 34, 35].map((n) => h(`conc${n}`, n)),
      longuser: h('longuser', 36),
      nomethod: h('nomethod', 37),
    };
    const capture = opts.capture ? await startCapture(srv, join(opts.outDir, `ssh-${opts.logLevel.toLowerCase()}.pcap`)) : null;
    sshd = await startSshd(srv, {
      syslog,
      options: { LogLevel: opts.logLevel, LoginGraceTime: 3, MaxStartups: '2:100:2', MaxAuthTries: 6, UsePAM: opts.usePam === false ? 'no' : 'yes' },
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
      await waitIdle(sshd);
      // The server has no RSA host key: the scan for one fails in key exchange.
      const rsa = runKeyscan(hosts.keyscan, target, { port, type: 'rsa' });
      must(!rsa.stdout.includes('ssh-rsa'), 'the lab sshd has no RSA host key');
      add({ scenario: 'key scan', did: 'keyscan', src: rsa.src, srcPort: rsa.srcPort, sent: 'ssh-keyscan -t rsa', saw: 'no key', expected: 'kex_failed', logged: true });
      sources.push({ address: hosts.keyscan.v4, classes: SCANNER, note: 'ssh-keyscan for ed25519 and rsa' });
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
      await waitIdle(sshd);
      const b = rawOne(runRaw(hosts.ssh1, { host: target, port, send: 'SSH-2.0\r\n', afterSendMs: 500, then: 'close' }));
      add({ scenario: 'SSH-1 client', did: 'protocol-mismatch', src: hosts.ssh1.v4, srcPort: b.localPort, sent: 'SSH-2.0 (no software version)', saw: b.received.replace(/\r?\n/g, ' ').trim(), expected: 'protocol_mismatch', logged: true });
      sources.push({ address: hosts.ssh1.v4, classes: SCANNER, note: 'SSH-1 and malformed identifications' });
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
    // 11. Password guesses: two invalid users, then root (3 connections).
    {
      for (const [user, tries] of [['admin', 2], ['oracle', 1]] as const) {
        const r = runSsh(hosts.brute, { target, port, user, password: 'hunter2', tries });
        must(!r.loggedIn && /Permission denied/.test(r.stderr), `invalid-user client saw: ${r.stderr}`);
        add({ scenario: 'invalid users', did: 'invalid-user', src: r.src, srcPort: r.srcPort, sent: `user ${user}, ${tries} password(s)`, saw: 'Permission denied', expected: 'auth_failed', logged: true, users: [user], passwordFailures: tries });
        await waitIdle(sshd);
      }
      const root = runSsh(hosts.brute, { target, port, user: 'root', password: 'toor', tries: 1 });
      must(!root.loggedIn && /Permission denied/.test(root.stderr), `root password client saw: ${root.stderr}`);
      add({ scenario: 'invalid users', did: 'root-password', src: root.src, srcPort: root.srcPort, sent: 'user root, 1 password (PermitRootLogin prohibit-password)', saw: 'Permission denied', expected: 'auth_failed', logged: true, users: ['root'], passwordFailures: 1 });
      await waitIdle(sshd);
      sources.push({ address: hosts.brute.v4, classes: ['bruteforce'], note: '4 password guesses: 2 invalid users and root' });
    }
    // 12. A key the server does not accept.
    {
      const r = runSsh(hosts.badkey, { target, port, user: 'root', key: sshd.otherKey });
      must(!r.loggedIn && /Permission denied/.test(r.stderr), `failed-key client saw: ${r.stderr}`);
      add({ scenario: 'failed key', did: 'failed-key', src: r.src, srcPort: r.srcPort, sent: 'root, unauthorised ed25519 key', saw: 'Permission denied (publickey)', expected: 'auth_failed', logged: true, users: ['root'] });
      // One refused key is what a real user with the wrong key does: unknown until it repeats (README "Source classes").
      sources.push({ address: hosts.badkey.v4, classes: ['unknown'], note: 'one connection, one refused key (a user with the wrong key looks the same)' });
    }
    await waitIdle(sshd);
    // 12a. A client with no usable method (no key, passwords off): it sends a user name, learns
    // the methods and gives up (what a user with a missing key sees as "Permission denied").
    {
      const r = runSsh(hosts.nomethod, { target, port, user: 'root', options: ['PasswordAuthentication=no', 'KbdInteractiveAuthentication=no'] });
      must(!r.loggedIn && /Permission denied/.test(r.stderr), `no-method client saw: ${r.stderr}`);
      add({ scenario: 'no usable method', did: 'no-method', src: r.src, srcPort: r.srcPort, sent: 'user root, no key, no password', saw: r.stderr.trim().split('\n').at(-1) ?? '', expected: 'auth_failed', logged: true, users: ['root'] });
      sources.push({ address: hosts.nomethod.v4, classes: ['unknown'], note: 'one connection, gave up without a method (a misconfigured client, not brute force)' });
    }
    await waitIdle(sshd);
    // 12b. Key spray: seven unauthorised keys in one connection, past MaxAuthTries 6.
    {
      const keys = sprayKeys(opts.outDir, 7);
      const r = runSsh(hosts.spray, { target, port, user: 'root', key: keys });
      must(!r.loggedIn && /Too many authentication failures/.test(r.stderr), `key-spray client saw: ${r.stderr}`);
      add({ scenario: 'key spray', did: 'key-spray', src: r.src, srcPort: r.srcPort, sent: 'root, 7 unauthorised keys', saw: 'Too many authentication failures', expected: 'auth_failed', logged: true, users: ['root'] });
      sources.push({ address: hosts.spray.v4, classes: ['bruteforce', 'unknown'], note: 'MaxAuthTries exceeded with keys (an agent with many keys does the same)' });
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
      await waitIdle(sshd);
      const user = `x from ${hosts.rst.v6} port 22`;
      const f = runSsh(hosts.v6, { target: srv.v6, port, user, password: 'x', tries: 1 });
      must(!f.loggedIn && /Permission denied/.test(f.stderr), `IPv6 injection client saw: ${f.stderr}`);
      // sshd cuts a user name at the first ':' (BSD auth style, `user:style`), so it sees "x from 2001".
      add({ scenario: 'IPv6', did: 'inject-user', src: f.src, srcPort: f.srcPort, sent: `user "${user}", 1 password`, saw: 'Permission denied', expected: 'auth_failed', logged: true, users: [user.split(':')[0]], passwordFailures: 1 });
      await waitIdle(sshd);
      const ident = `SSH-2.0-x ${hosts.rst.v6} port 22`;
      const g = rawOne(runRaw(hosts.v6, { host: srv.v6, port, send: `${ident}\r\n`, afterSendMs: 500, then: 'close' }));
      must(g.gotBanner && g.localAddress === hosts.v6.v6, `IPv6 ident injection: ${JSON.stringify(g)}`);
      add({ scenario: 'IPv6', did: 'inject-ident', src: hosts.v6.v6, srcPort: g.localPort, sent: ident, saw: g.serverIdent ?? '', expected: 'closed_after_ident', logged: true });
      sources.push({ address: hosts.v6.v6, classes: ['legit'], note: 'IPv6 login, one silent close, a user name and an identification naming 2001:db8::c' });
    }
    await waitIdle(sshd);
    // 14b. Binary garbage after a valid identification (a broken or fuzzing client).
    {
      const r = rawOne(runRaw(hosts.garbage, { host: target, port, send: `SSH-2.0-fuzz\r\n${'A'.repeat(64)}`, afterSendMs: 1500, then: 'close' }));
      must(r.gotBanner, 'garbage client did not get the banner');
      add({ scenario: 'garbage after identification', did: 'garbage', src: hosts.garbage.v4, srcPort: r.localPort, sent: 'SSH-2.0-fuzz + 64 bytes of junk', saw: `${r.closedBy}`, expected: 'kex_failed', logged: true });
      sources.push({ address: hosts.garbage.v4, classes: SCANNER, note: 'junk packet after the identification' });
    }
    await waitIdle(sshd);
    // 14c. Many clients at once (lines of different connections interleave): a bigger
    // MaxStartups for this part, by another reload.
    await sshd.reconfigure({ LoginGraceTime: 30, MaxStartups: '10:30:100' });
    await waitIdle(sshd);
    {
      const [c1, c2, c3, c4, c5] = hosts.conc;
      const b1 = startSsh(c1, { target, port, user: 'test', password: 'test', tries: 2 });
      const b2 = startSsh(c2, { target, port, user: 'guest', password: 'guest', tries: 2 });
      const login = startSsh(c3, { target, port, user: 'root', key: sshd.clientKey, command: 'sleep 1' });
      const scans = runRawAsync(c4, { host: target, port, count: 3, then: 'close' });
      const ks = runKeyscan(c5, target, { port });
      must(ks.stdout.includes('ssh-ed25519'), `concurrent keyscan: ${ks.stderr}`);
      const [r1, r2, rl, rs] = await Promise.all([b1.done, b2.done, login.done, scans]);
      must(!r1.loggedIn && !r2.loggedIn && rl.loggedIn, `concurrent clients: ${r1.stderr} ${r2.stderr} ${rl.stderr}`);
      add({ scenario: 'concurrent clients', did: 'invalid-user', src: r1.src, srcPort: r1.srcPort, sent: 'user test, 2 passwords', saw: 'Permission denied', expected: 'auth_failed', logged: true, users: ['test'], passwordFailures: 2 });
      add({ scenario: 'concurrent clients', did: 'invalid-user', src: r2.src, srcPort: r2.srcPort, sent: 'user guest, 2 passwords', saw: 'Permission denied', expected: 'auth_failed', logged: true, users: ['guest'], passwordFailures: 2 });
      add({ scenario: 'concurrent clients', did: 'login', src: rl.src, srcPort: rl.srcPort, sent: 'root, authorised key, sleep 1', saw: 'logged in', expected: 'authenticated', logged: true, users: ['root'] });
      for (const r of rs) {
        must(r.gotBanner, 'concurrent silent client got no banner');
        add({ scenario: 'concurrent clients', did: 'silent-close', src: c4.v4, srcPort: r.localPort, sent: 'nothing (FIN)', saw: r.serverIdent ?? '', expected: 'closed_before_ident', logged: true });
      }
      add({ scenario: 'concurrent clients', did: 'keyscan', src: ks.src, srcPort: ks.srcPort, sent: 'ssh-keyscan -t ed25519', saw: 'host key', expected: 'closed_after_ident', logged: true });
      sources.push({ address: c1.v4, classes: ['bruteforce', 'unknown'], note: 'concurrent: 2 guesses, invalid user' });
      sources.push({ address: c2.v4, classes: ['bruteforce', 'unknown'], note: 'concurrent: 2 guesses, invalid user' });
      sources.push({ address: c3.v4, classes: ['legit'], note: 'concurrent: key login' });
      sources.push({ address: c4.v4, classes: SCANNER, note: 'concurrent: 3 silent connections' });
      sources.push({ address: c5.v4, classes: SCANNER, note: 'concurrent: ssh-keyscan' });
    }
    await waitIdle(sshd);
    // 14d. A session still open when the log ends (sshd is stopped under it).
    const openSession = startSsh(hosts.session, { target, port, user: 'root', key: sshd.clientKey, command: 'sleep 60', timeoutMs: 90_000 });
    await syslog.waitFor(new RegExp(`Accepted publickey for root from ${hosts.session.v4.replaceAll('.', '\\.')} port ${openSession.srcPort} `), 10_000);
    ignoredChildren.set(sshd, new Set(childPids(sshd)));
    add({ scenario: 'session open at end of log', did: 'login', src: openSession.src, srcPort: openSession.srcPort, sent: 'root, authorised key, sleep 60', saw: 'logged in, still running when sshd stopped', expected: 'authenticated', logged: true, users: ['root'] });
    sources.push({ address: hosts.session.v4, classes: ['legit'], note: 'one long session' });
    // 15. Injection: a user name that names another client's address.
    {
      const user = `x from ${hosts.rst.v4} port 22`;
      const r = runSsh(hosts.injuser, { target, port, user, password: 'x', tries: 1 });
      must(!r.loggedIn, 'injected user logged in?');
      add({ scenario: 'injection (user name)', did: 'inject-user', src: r.src, srcPort: r.srcPort, sent: `user "${user}", 1 password`, saw: r.stderr.trim(), expected: 'auth_failed', logged: true, users: [user], passwordFailures: 1 });
      await waitIdle(sshd);
      const user2 = `root ${hosts.rst.v4} port 22`;
      const r2 = runSsh(hosts.injuser, { target, port, user: user2, password: 'x', tries: 1 });
      must(!r2.loggedIn, 'injected user logged in?');
      add({ scenario: 'injection (user name)', did: 'inject-user', src: r2.src, srcPort: r2.srcPort, sent: `user "${user2}", 1 password`, saw: r2.stderr.trim(), expected: 'auth_failed', logged: true, users: [user2], passwordFailures: 1 });
      sources.push({ address: hosts.injuser.v4, classes: ['bruteforce', 'unknown'], note: 'user names naming 192.0.2.12' });
    }
    await waitIdle(sshd);
    // 15b. A user name of 100 non-ASCII characters (200 UTF-8 bytes): sshd escapes each byte as
    // \\ooo (twice in relayed [preauth] lines) and cuts lines at 500 characters, so lines lose the
    // client's address at their end; only the connection's PID ties them to the source.
    {
      const user = '\u00e9'.repeat(100);
      const r = runSsh(hosts.longuser, { target, port, user, password: 'x', tries: 1 });
      must(!r.loggedIn && /Permission denied/.test(r.stderr), `non-ASCII user client saw: ${r.stderr}`);
      add({ scenario: 'escaped user name past the 500-character cut', did: 'invalid-user', src: r.src, srcPort: r.srcPort, sent: 'user of 100 "é", 1 password', saw: 'Permission denied', expected: 'auth_failed', logged: true, passwordFailures: 1 });
      sources.push({ address: hosts.longuser.v4, classes: ['bruteforce', 'unknown'], note: 'user name of 200 non-ASCII bytes' });
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
    // Everything but the open session has ended.
    await sshd.stop();
    sshd = null;
    openSession.kill();
    await openSession.done.catch(() => undefined);
    const captureStats = capture ? await capture.stop() : '';
    await syslog.sync();
    const logFile = join(opts.outDir, `auth-${opts.logLevel.toLowerCase()}.log`);
    copyFileSync(syslog.logFile, logFile);
    const run: LabRun = { logLevel: opts.logLevel, logFile, server: { v4: srv.v4, v6: srv.v6 }, truth, sources, analyzeArgs: ['--login-grace-time', '3'], durationMs: Date.now() - t0 };
    if (capture) run.pcapFile = capture.file;
    if (captureStats) run.captureStats = captureStats;
    return run;
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
