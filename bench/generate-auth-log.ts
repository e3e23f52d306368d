/**
 * Generates a realistic, deterministic Debian 12 auth.log (OpenSSH 9.2p1 era, rsyslog's
 * default RFC 3339 high-precision timestamps, or classic BSD timestamps with `--format bsd`)
 * for the `analyze` benchmark. Same seed + same line count = byte-identical file.
 *
 *   node bench/generate-auth-log.ts --lines 1000000 --seed 42 --out /tmp/auth.log [--format iso|bsd]
 *
 * What is in it (interleaved in time through an event queue, like a real busy server):
 *  - other programs' lines: CRON sessions, sudo commands, systemd-logind, systemd user sessions, su;
 *  - silent scanners: `error: kex_exchange_identification: Connection closed by remote host`
 *    + `Connection closed by A port P` on the same sshd PID (the 8.3-9.4 pair), also in bursts;
 *  - resets (`read: Connection reset by peer` + `Connection reset by A port P`);
 *  - HTTP and TLS probes (`client sent invalid protocol identifier` / `banner line contains
 *    invalid characters` + `banner exchange: ... invalid format`);
 *  - key scans and banner grabs (`Connection closed by A port P [preauth]`, `Received disconnect ... 11: Bye Bye`);
 *  - `Unable to negotiate` (old clients offering ssh-rsa / group1);
 *  - invalid users and failed passwords with their PAM lines, root brute force up to
 *    `maximum authentication attempts exceeded` + `Disconnecting ...: Too many authentication failures`;
 *  - successful logins (publickey and password) with session open/close, logind and the
 *    post-auth user child's `Disconnected from user ...` on its own PID;
 *  - MaxStartups throttling episodes on the listener PID (begin / first drop / exited);
 *  - IPv4 (RFC 2544 benchmark range 198.18.0.0/15 and the documentation ranges) and IPv6
 *    (2001:db8::/32) sources; PIDs allocated like Linux (increasing, wrapping at 32768,
 *    never reusing a live one) so PIDs are reused during the file.
 * No real-world address appears: every address is from a documentation or benchmarking range.
 */
import { openSync, writeSync, closeSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** mulberry32: small, fast, deterministic PRNG (quality is ample for synthetic logs). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type TimeFormat = 'iso' | 'bsd';

export interface GenerateOptions {
  lines: number;
  seed: number;
  format: TimeFormat;
  /** Start of the log (ms since epoch, UTC). */
  startMs?: number;
}

export interface GenerateStats {
  lines: number;
  sshdLines: number;
  connections: number;
  scenarios: Record<string, number>;
  /** Connections by what they were (vocabulary.ts outcomes), counted at their last line written. */
  outcomes: Record<string, number>;
  firstTs: string;
  lastTs: string;
}

const HOST = 'bastion';
const LISTENER_PID = 712;
const LOGIND_PID = 598;
const LOCAL4 = '192.0.2.1';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const INVALID_USERS = [
  'admin', 'test', 'user', 'oracle', 'postgres', 'ubuntu', 'guest', 'ftpuser', 'git', 'support',
  'pi', 'dev', 'hadoop', 'nagios', 'minecraft', 'es', 'steam', 'ts3', 'administrator', 'debian',
  'centos', 'jenkins', 'mysql', 'www', 'user1', 'test1', 'sol', 'validator', 'admin1', 'demo',
  '', 'support 1', 'Admin',
];
const VALID_TARGETS = ['root', 'root', 'root', 'root', 'www-data', 'backup', 'daemon'];
const LEGIT = [
  { user: 'alice', uid: 1000, addrs: ['203.0.113.10', '2001:db8:10::a'], method: 'publickey' },
  { user: 'bob', uid: 1001, addrs: ['203.0.113.11', '203.0.113.12'], method: 'password' },
  { user: 'deploy', uid: 1002, addrs: ['198.51.100.20', '198.51.100.21'], method: 'publickey' },
  { user: 'backup', uid: 34, addrs: ['198.51.100.30'], method: 'publickey' },
];
const FINGERPRINTS = [
  'ED25519 SHA256:4mGk0xq8e2bN1m0pRrH6dXvS3b2tq7cWc2cY1m8oG2E',
  'RSA SHA256:Z0m9yVq1kJc3HcP7g8QkR2b6pX5uY3iA0dN4wS1tE7M',
  'ECDSA SHA256:pK2n8Yq4rTz6uV1wX3yZ5aB7cD9eF0gH2iJ4kL6mN8o',
];
const HTTP_PROBES = [
  'GET / HTTP/1.1', 'GET /favicon.ico HTTP/1.1', 'POST /cgi-bin/.%2e/.%2e/bin/sh HTTP/1.1',
  'MGLNDD_192.0.2.1_22', 'GET /.env HTTP/1.1', '\\026\\003\\001', 'OPTIONS / RTSP/1.0', 'SSTP_DUPLEX_POST /sra_{BA195980-CD49-458b-9E23-C84EE0ADCD75}/ HTTP/1.1',
];
const NEGOTIATE = [
  'no matching host key type found. Their offer: ssh-rsa,ssh-dss',
  'no matching key exchange method found. Their offer: diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1',
  'no matching cipher found. Their offer: aes128-cbc,3des-cbc,aes192-cbc,aes256-cbc',
  'no matching MAC found. Their offer: hmac-sha1,hmac-md5',
];
const SUDO_CMDS = [
  '/usr/bin/apt update', '/usr/bin/systemctl status ssh', '/usr/bin/journalctl -u ssh', '/usr/sbin/nft list ruleset',
  '/usr/bin/tail -f /var/log/auth.log', '/usr/bin/systemctl restart nginx',
];

/** One entry of the event queue: at time t, `gen` writes `step` (or, with step null, a new arrival is due). */
interface Pending {
  t: number;
  seq: number;
  gen: Gen;
  step: Step | null;
}
/** One line to write; `outcome` marks a connection's last line with what it was (the ground truth). */
type Step = { dt: number; prog: string; pid: number | null; msg: string; outcome?: string } | { dt: number; end: true };
type Gen = Iterator<Step, void, void>;

/** Binary min-heap on (t, seq). */
class Queue {
  private readonly a: Pending[] = [];
  get size(): number {
    return this.a.length;
  }
  push(p: Pending): void {
    const a = this.a;
    a.push(p);
    let i = a.length - 1;
    while (i > 0) {
      const j = (i - 1) >> 1;
      if (less(a[j], a[i])) break;
      [a[i], a[j]] = [a[j], a[i]];
      i = j;
    }
  }
  pop(): Pending | undefined {
    const a = this.a;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}
function less(x: Pending, y: Pending): boolean {
  return x.t < y.t || (x.t === y.t && x.seq < y.seq);
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

export function formatTs(ms: number, format: TimeFormat): string {
  const d = new Date(ms);
  if (format === 'bsd') {
    const day = d.getUTCDate();
    return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ` ${day}` : day} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
  }
  const micros = String((ms % 1000) * 1000 + Math.floor((ms * 7919) % 1000)).padStart(6, '0');
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${micros}+00:00`;
}

/**
 * Generates the log and hands it out in chunks of text (each ending in a newline), so a caller
 * can write it to a file or a stream without holding the whole file.
 */
export function generateAuthLog(opts: GenerateOptions, sink: (chunk: string) => void): GenerateStats {
  const rnd = prng(opts.seed);
  const int = (lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const expo = (mean: number): number => -Math.log(1 - rnd()) * mean;

  // --- addresses: a heavy-tailed population of sources (a few very busy, many seen once) ---
  const v4pool: string[] = [];
  for (let i = 0; i < 30000; i++) v4pool.push(`198.${18 + int(0, 1)}.${int(0, 255)}.${int(1, 254)}`);
  const v6pool: string[] = [];
  for (let i = 0; i < 3000; i++) v6pool.push(`2001:db8:${int(0x100, 0xffff).toString(16)}::${int(1, 0xffff).toString(16)}`);
  const attacker = (): string => {
    const pool = rnd() < 0.1 ? v6pool : v4pool;
    // Zipf-like: square the uniform draw so low indices (busy sources) come up far more often.
    const u = rnd();
    return pool[Math.floor(u * u * u * pool.length)];
  };
  const port = (): number => int(32768, 60999);

  // --- PIDs like Linux: increasing, wrapping at pid_max 32768, never a live one ---
  const live = new Set<number>([LISTENER_PID, LOGIND_PID]);
  let nextPid = 1200;
  const allocPid = (): number => {
    for (;;) {
      nextPid += rnd() < 0.7 ? 1 : int(2, 9); // other processes take PIDs in between
      if (nextPid >= 32768) nextPid = 300 + int(0, 50);
      if (!live.has(nextPid)) {
        live.add(nextPid);
        return nextPid;
      }
    }
  };
  const freePid = (pid: number): void => {
    live.delete(pid);
  };
  let sessionNo = 100;
  const userSessionsOpen = new Map<string, number>();

  const stats: GenerateStats = { lines: 0, sshdLines: 0, connections: 0, scenarios: {}, outcomes: {}, firstTs: '', lastTs: '' };
  const count = (name: string): void => {
    stats.scenarios[name] = (stats.scenarios[name] ?? 0) + 1;
  };

  // --- scenario scripts: generators of (delay, program, pid, message) ---
  const S = (dt: number, prog: string, pid: number | null, msg: string, outcome?: string): Step => ({ dt, prog, pid, msg, outcome });

  function* silentScanner(addr: string): Gen {
    const pid = allocPid();
    yield S(0, 'sshd', pid, 'error: kex_exchange_identification: Connection closed by remote host');
    yield S(expo(2), 'sshd', pid, `Connection closed by ${addr} port ${port()}`, 'closed_before_ident');
    freePid(pid);
  }
  function* resetScanner(addr: string): Gen {
    const pid = allocPid();
    yield S(0, 'sshd', pid, 'error: kex_exchange_identification: read: Connection reset by peer');
    yield S(expo(2), 'sshd', pid, `Connection reset by ${addr} port ${port()}`, 'reset_before_ident');
    freePid(pid);
  }
  function* httpProbe(addr: string): Gen {
    const pid = allocPid();
    if (rnd() < 0.65) yield S(0, 'sshd', pid, `error: kex_exchange_identification: client sent invalid protocol identifier "${pick(HTTP_PROBES)}"`);
    else yield S(0, 'sshd', pid, 'error: kex_exchange_identification: banner line contains invalid characters');
    yield S(expo(1), 'sshd', pid, `banner exchange: Connection from ${addr} port ${port()}: invalid format`, 'non_ssh');
    freePid(pid);
  }
  function* keyScan(addr: string): Gen {
    const pid = allocPid();
    const p = port();
    if (rnd() < 0.6) yield S(expo(300), 'sshd', pid, `Connection closed by ${addr} port ${p} [preauth]`, 'closed_after_ident');
    else {
      yield S(expo(300), 'sshd', pid, `Received disconnect from ${addr} port ${p}:11: Bye Bye [preauth]`);
      yield S(0, 'sshd', pid, `Disconnected from ${addr} port ${p} [preauth]`, 'closed_after_ident');
    }
    freePid(pid);
  }
  function* negotiate(addr: string): Gen {
    const pid = allocPid();
    yield S(expo(100), 'sshd', pid, `Unable to negotiate with ${addr} port ${port()}: ${pick(NEGOTIATE)} [preauth]`, 'kex_failed');
    freePid(pid);
  }
  function* invalidUser(addr: string): Gen {
    const pid = allocPid();
    const p = port();
    const user = pick(INVALID_USERS);
    yield S(expo(500), 'sshd', pid, `Invalid user ${user} from ${addr} port ${p}`);
    const tries = rnd() < 0.8 ? 1 : int(2, 3);
    for (let i = 0; i < tries; i++) {
      yield S(expo(300), 'sshd', pid, 'pam_unix(sshd:auth): check pass; user unknown');
      yield S(0, 'sshd', pid, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr} `);
      yield S(expo(2000), 'sshd', pid, `Failed password for invalid user ${user} from ${addr} port ${p} ssh2`);
    }
    const r = rnd();
    if (r < 0.7) {
      yield S(expo(200), 'sshd', pid, `Received disconnect from ${addr} port ${p}:11: Bye Bye [preauth]`);
      yield S(0, 'sshd', pid, `Disconnected from invalid user ${user} ${addr} port ${p} [preauth]`, 'auth_failed');
    } else if (r < 0.95) {
      yield S(expo(200), 'sshd', pid, `Connection closed by invalid user ${user} ${addr} port ${p} [preauth]`, 'auth_failed');
    } else {
      yield S(expo(200), 'sshd', pid, `Connection reset by invalid user ${user} ${addr} port ${p} [preauth]`, 'auth_failed');
    }
    freePid(pid);
  }
  function* validUserBrute(addr: string): Gen {
    const pid = allocPid();
    const p = port();
    const user = pick(VALID_TARGETS);
    const uid = user === 'root' ? 0 : int(1, 40);
    yield S(expo(800), 'sshd', pid, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr}  user=${user}`);
    const tries = rnd() < 0.6 ? 1 : int(2, 6);
    for (let i = 0; i < tries; i++) {
      if (i > 0) yield S(expo(1500), 'sshd', pid, `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr}  user=${user}`);
      yield S(expo(2000), 'sshd', pid, `Failed password for ${user} from ${addr} port ${p} ssh2`);
    }
    if (tries === 6) {
      yield S(expo(100), 'sshd', pid, `error: maximum authentication attempts exceeded for ${user} from ${addr} port ${p} ssh2 [preauth]`);
      yield S(0, 'sshd', pid, `Disconnecting authenticating user ${user} ${addr} port ${p}: Too many authentication failures [preauth]`);
      yield S(0, 'sshd', pid, `PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr}  user=${user}`, 'auth_failed');
    } else if (rnd() < 0.7) {
      yield S(expo(200), 'sshd', pid, `Received disconnect from ${addr} port ${p}:11: Bye Bye [preauth]`);
      const last = `Disconnected from authenticating user ${user} ${addr} port ${p} [preauth]`;
      if (tries > 1) {
        yield S(0, 'sshd', pid, last);
        yield S(0, 'sshd', pid, `PAM ${tries - 1} more authentication failure${tries > 2 ? 's' : ''}; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr}  user=${user}`, 'auth_failed');
      } else yield S(0, 'sshd', pid, last, 'auth_failed');
    } else {
      yield S(expo(200), 'sshd', pid, `Connection closed by authenticating user ${user} ${addr} port ${p} [preauth]`, 'auth_failed');
    }
    void uid;
    freePid(pid);
  }
  function* login(): Gen {
    const who = pick(LEGIT);
    const addr = pick(who.addrs);
    const pid = allocPid();
    const p = port();
    if (who.method === 'password') {
      yield S(expo(1500), 'sshd', pid, `Accepted password for ${who.user} from ${addr} port ${p} ssh2`);
    } else {
      if (rnd() < 0.2) yield S(expo(300), 'sshd', pid, `Failed publickey for ${who.user} from ${addr} port ${p} ssh2: ${FINGERPRINTS[1]}`);
      yield S(expo(300), 'sshd', pid, `Accepted publickey for ${who.user} from ${addr} port ${p} ssh2: ${pick(FINGERPRINTS)}`);
    }
    yield S(expo(20), 'sshd', pid, `pam_unix(sshd:session): session opened for user ${who.user}(uid=${who.uid}) by (uid=0)`);
    const sess = ++sessionNo;
    yield S(expo(15), 'systemd-logind', LOGIND_PID, `New session ${sess} of user ${who.user}.`);
    const open = userSessionsOpen.get(who.user) ?? 0;
    let userMgr = 0;
    if (open === 0) {
      userMgr = allocPid();
      yield S(expo(20), 'systemd', userMgr, `pam_unix(systemd-user:session): session opened for user ${who.user}(uid=${who.uid}) by (uid=0)`);
    }
    userSessionsOpen.set(who.user, open + 1);
    const child = allocPid();
    // the session lasts minutes to hours
    const dur = who.user === 'backup' ? expo(300_000) : expo(1_800_000);
    if (rnd() < 0.85) {
      yield S(dur, 'sshd', child, `Received disconnect from ${addr} port ${p}:11: disconnected by user`);
      yield S(1, 'sshd', child, `Disconnected from user ${who.user} ${addr} port ${p}`);
    } else {
      yield S(dur, 'sshd', child, `Connection closed by ${addr} port ${p}`);
    }
    freePid(child);
    yield S(3, 'sshd', pid, `pam_unix(sshd:session): session closed for user ${who.user}`, 'authenticated');
    freePid(pid);
    yield S(5, 'systemd-logind', LOGIND_PID, `Session ${sess} logged out. Waiting for processes to exit.`);
    yield S(10, 'systemd-logind', LOGIND_PID, `Removed session ${sess}.`);
    const still = (userSessionsOpen.get(who.user) ?? 1) - 1;
    userSessionsOpen.set(who.user, still);
    if (userMgr !== 0) freePid(userMgr);
  }
  function* maxStartupsEpisode(): Gen {
    const dropped = int(3, 80);
    const secs = int(5, 200);
    yield S(0, 'sshd', LISTENER_PID, 'error: beginning MaxStartups throttling');
    const a = attacker();
    const lb = `[${a}]`;
    yield S(expo(200), 'sshd', LISTENER_PID, `drop connection #${int(10, 30)} from ${lb}:${port()} on [${LOCAL4}]:22 past MaxStartups`, 'dropped');
    yield S(secs * 1000, 'sshd', LISTENER_PID, `exited MaxStartups throttling after 00:${pad2(Math.floor(secs / 60))}:${pad2(secs % 60)}, ${dropped} connections dropped`);
  }
  function* scannerBurst(): Gen {
    // one source opening many connections within seconds (masscan / zgrab style)
    const addr = attacker();
    const n = int(5, 40);
    for (let i = 0; i < n; i++) {
      const pid = allocPid();
      const pidB = pid;
      yield S(expo(80), 'sshd', pidB, 'error: kex_exchange_identification: Connection closed by remote host');
      yield S(expo(3), 'sshd', pidB, `Connection closed by ${addr} port ${port()}`, 'closed_before_ident');
      freePid(pid);
    }
  }
  function* cron(): Gen {
    const pid = allocPid();
    const user = rnd() < 0.8 ? 'root' : 'www-data';
    const uid = user === 'root' ? 0 : 33;
    yield S(0, 'CRON', pid, `pam_unix(cron:session): session opened for user ${user}(uid=${uid}) by (uid=0)`);
    yield S(expo(800), 'CRON', pid, `pam_unix(cron:session): session closed for user ${user}`);
    freePid(pid);
  }
  function* sudo(): Gen {
    const who = pick(LEGIT.slice(0, 2));
    yield S(0, 'sudo', null, `   ${who.user} : TTY=pts/${int(0, 4)} ; PWD=/home/${who.user} ; USER=root ; COMMAND=${pick(SUDO_CMDS)}`);
    yield S(3, 'sudo', null, `pam_unix(sudo:session): session opened for user root(uid=0) by ${who.user}(uid=${who.uid})`);
    yield S(expo(5000), 'sudo', null, 'pam_unix(sudo:session): session closed for user root');
  }
  function* su(): Gen {
    const pid = allocPid();
    yield S(0, 'su', pid, '(to postgres) root on pts/1');
    yield S(2, 'su', pid, 'pam_unix(su-l:session): session opened for user postgres(uid=112) by alice(uid=0)');
    yield S(expo(60000), 'su', pid, 'pam_unix(su-l:session): session closed for user postgres');
    freePid(pid);
  }

  // Weights per arrival (a busy internet-facing host): tuned so sshd lines are ~85% of the file.
  const SCENARIOS: Array<[string, number, () => Gen]> = [
    ['silent-scanner', 27, () => silentScanner(attacker())],
    ['scanner-burst', 0.6, () => scannerBurst()],
    ['reset', 6, () => resetScanner(attacker())],
    ['http-tls-probe', 5, () => httpProbe(attacker())],
    ['keyscan-bannergrab', 6, () => keyScan(attacker())],
    ['unable-to-negotiate', 3, () => negotiate(attacker())],
    ['invalid-user', 22, () => invalidUser(attacker())],
    ['valid-user-brute', 10, () => validUserBrute(attacker())],
    ['login', 2, () => login()],
    ['maxstartups', 0.15, () => maxStartupsEpisode()],
    ['cron', 12, () => cron()],
    ['sudo', 1.2, () => sudo()],
    ['su', 0.2, () => su()],
  ];
  const totalW = SCENARIOS.reduce((s, x) => s + x[1], 0);
  const chooseScenario = (): [string, () => Gen] => {
    let r = rnd() * totalW;
    for (const [name, w, f] of SCENARIOS) {
      r -= w;
      if (r < 0) return [name, f];
    }
    const last = SCENARIOS[SCENARIOS.length - 1];
    return [last[0], last[2]];
  };

  // --- the event loop: arrivals are a Poisson process; each scenario schedules its own lines ---
  const q = new Queue();
  let seq = 0;
  function* arrivals(): Gen {
    for (;;) {
      yield { dt: expo(900), end: true }; // marker step: spawns one scenario
    }
  }
  const arrivalGen = arrivals();
  const start = opts.startMs ?? Date.UTC(2026, 10, 1, 0, 0, 0);
  q.push({ t: start, seq: seq++, gen: arrivalGen, step: null });

  let buf: string[] = [];
  const flush = (): void => {
    if (buf.length) sink(buf.join(''));
    buf = [];
  };
  let lastT = start;
  while (stats.lines < opts.lines) {
    const ev = q.pop();
    if (!ev) break;
    const step = ev.step;
    if (step === null) {
      const [name, make] = chooseScenario();
      count(name);
      if (!['cron', 'sudo', 'su', 'maxstartups'].includes(name)) stats.connections++;
      const g = make();
      const first = g.next();
      if (!first.done) q.push({ t: ev.t + first.value.dt, seq: seq++, gen: g, step: first.value });
      const next = arrivalGen.next();
      if (!next.done) q.push({ t: ev.t + next.value.dt, seq: seq++, gen: arrivalGen, step: null });
      continue;
    }
    if (!('end' in step)) {
      const t = Math.max(ev.t, lastT);
      lastT = t;
      const ts = formatTs(Math.floor(t), opts.format);
      const tag = step.pid === null ? `${step.prog}:` : `${step.prog}[${step.pid}]:`;
      buf.push(`${ts} ${HOST} ${tag} ${step.msg}\n`);
      if (stats.lines === 0) stats.firstTs = ts;
      stats.lastTs = ts;
      stats.lines++;
      if (step.prog === 'sshd') stats.sshdLines++;
      if (step.outcome) stats.outcomes[step.outcome] = (stats.outcomes[step.outcome] ?? 0) + 1;
      if (buf.length >= 8192) flush();
    }
    const nx = ev.gen.next();
    if (!nx.done) q.push({ t: ev.t + nx.value.dt, seq: seq++, gen: ev.gen, step: nx.value });
  }
  flush();
  return stats;
}

/** CLI: writes the file and prints its stats as JSON on stdout. */
async function cli(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '42' },
      out: { type: 'string' },
      format: { type: 'string', default: 'iso' },
    },
  });
  const lines = Number(values.lines);
  const seed = Number(values.seed);
  const format = values.format as TimeFormat;
  if (!Number.isInteger(lines) || lines <= 0) throw new Error('--lines: a positive integer');
  if (format !== 'iso' && format !== 'bsd') throw new Error('--format: iso or bsd');
  if (!values.out) throw new Error('--out FILE is required');
  const fd = openSync(values.out, 'w');
  try {
    const stats = generateAuthLog({ lines, seed, format }, (chunk) => {
      writeSync(fd, chunk);
    });
    process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
}

if (import.meta.filename === process.argv[1]) {
  cli().catch((e: unknown) => {
    process.stderr.write(`generate-auth-log: ${(e as Error).message}\n`);
    process.exitCode = 2;
  });
}
