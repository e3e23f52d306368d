/**
 * Reaction-time benchmark of `sshwarden guard` against fail2ban (nftables action, pyinotify
 * backend) and sshguard (nft-sets backend), in ONE run on the SAME lines: one log file that all
 * three follow, each tool in its own lab network namespace (so each has its own nftables ruleset;
 * the host's is never touched). For each attacker we append 3 `Failed password for invalid user`
 * lines (every tool is configured to ban on the 3rd: fail2ban maxretry=3, sshguard's default
 * threshold 30 with 10 points per failure, sshwarden threshold 18 with weight 6) and measure the
 * time from the 3rd line's write to the address appearing in that tool's nft set, observed with
 * `nft monitor` in each namespace.
 *
 *   sudo node bench/guard-reaction.ts [attackers=40] [gapMs=600] [bans=0] [--turns]
 *
 * `--turns`: the same lines, but each tool follows its own copy of the log and the tools take
 * turns: an attacker's lines go to sshwarden's copy, then (gapMs later) to sshguard's, then to
 * fail2ban's, and the next attacker comes a second after that. Each tool then reacts on an
 * otherwise idle machine. Without it, all three follow one file and react to each line at the
 * same moment, competing for the CPUs (on 2 cores, a tool's tail is mostly the others' work).
 *
 * `bans`: that many bans already in sshwarden's sets before the first attacker (IPv6 addresses
 * of 2001:db8:ffff::/48 in its `ban6` set), as on a server that has been up for a while: each
 * change must not cost more with a full set (nft's `--echo` made it load every element).
 *
 * Prints p50/p90/p99/max per tool and the ratios. Needs root, nftables, fail2ban, sshguard,
 * python3-pyinotify (fail2ban's inotify backend).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type Host } from '../test/lab/netns.ts';
import { startGuard } from '../test/guard/guard-lab.ts';

const TURNS = process.argv.includes('--turns');
const args = process.argv.slice(2).filter((a) => a !== '--turns');
const ATTACKERS = Number(args[0] ?? 40);
const GAP_MS = Number(args[1] ?? 600);
const PREFILL = Number(args[2] ?? 0);
const SSHG = '/usr/libexec/sshguard';

const dir = mkdtempSync(join(tmpdir(), 'sshwarden-bench-reaction-'));
const log = join(dir, 'auth.log');
writeFileSync(log, '');
// --turns: one copy of the log per tool (the same lines, written at different moments).
const logOf = (tool: 'sshwarden' | 'fail2ban' | 'sshguard') => (TURNS ? join(dir, `auth-${tool}.log`) : log);
if (TURNS) for (const t of ['sshwarden', 'fail2ban', 'sshguard'] as const) writeFileSync(logOf(t), '');
const lab = Lab.create('brx');
const hosts = { sshwarden: lab.host('sw', 1), fail2ban: lab.host('f2b', 2), sshguard: lab.host('sg', 3) };
type Tool = keyof typeof hosts;
const seen: Record<Tool, Map<string, number>> = { sshwarden: new Map(), fail2ban: new Map(), sshguard: new Map() };

function monitor(tool: Tool): ChildProcess {
  const child = hosts[tool].spawn('nft', ['monitor', 'elements'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let buf = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    const t = performance.now();
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) {
      if (!l.startsWith('add element') && !l.startsWith('create element')) continue; // sshwarden creates new elements
      for (const m of l.matchAll(/\b(203\.0\.113\.\d+|198\.51\.100\.\d+)\b/g)) if (!seen[tool].has(m[1])) seen[tool].set(m[1], t);
    }
  });
  return child;
}

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function syslogTs(d = new Date()): string {
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${mon} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function startFail2ban(h: Host): Promise<void> {
  const conf = join(dir, 'fail2ban');
  cpSync('/etc/fail2ban', conf, { recursive: true });
  rmSync(join(conf, 'jail.d'), { recursive: true, force: true });
  writeFileSync(
    join(conf, 'jail.local'),
    `[DEFAULT]\nbanaction = nftables[type=multiport]\nbanaction_allports = nftables[type=allports]\n\n[sshd]\nenabled = true\nbackend = pyinotify\nlogpath = ${logOf('fail2ban')}\nport = 22\nmaxretry = 3\nfindtime = 600\nbantime = 600\n`,
  );
  writeFileSync(join(conf, 'fail2ban.local'), `[Definition]\nloglevel = INFO\nlogtarget = ${join(dir, 'fail2ban.log')}\ndbfile = :memory:\nsocket = ${join(dir, 'f2b.sock')}\npidfile = ${join(dir, 'f2b.pid')}\n`);
  h.spawn('/usr/bin/fail2ban-server', ['-f', '-x', '-c', conf, '-s', join(dir, 'f2b.sock'), '-p', join(dir, 'f2b.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitFor(() => {
    try {
      return /Jail 'sshd' started/.test(readFileSync(join(dir, 'fail2ban.log'), 'utf8'));
    } catch {
      return false;
    }
  }, 20_000, 'fail2ban jail started');
}

function startSshguard(h: Host): void {
  // The same pipeline /usr/sbin/sshguard builds (tail -F | sshg-parser | sshg-blocker | sshg-fw-nft-sets), wired without a shell.
  const tail = h.spawn('tail', ['-F', '-n', '0', logOf('sshguard')], { stdio: ['ignore', 'pipe', 'ignore'] });
  const parser = h.spawn(`${SSHG}/sshg-parser`, [], { stdio: [tail.stdout!, 'pipe', 'ignore'] });
  const blocker = h.spawn(`${SSHG}/sshg-blocker`, ['-a', '30', '-p', '600', '-s', '1800', '-w', '127.0.0.0/8'], { stdio: [parser.stdout!, 'pipe', 'ignore'] });
  h.spawn(`${SSHG}/sshg-fw-nft-sets`, [], { stdio: [blocker.stdout!, 'ignore', 'ignore'] });
}

function stats(xs: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
  return { n: s.length, p50: q(50), p90: q(90), p99: q(99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / s.length };
}

async function main(): Promise<void> {
  const cfg = join(dir, 'sshwarden.yaml');
  writeFileSync(
    cfg,
    `log:\n  source: files\n  files: [${JSON.stringify(logOf('sshwarden'))}]\n  format: syslog\npolicy:\n  threshold: 18\nstate:\n  database: ${JSON.stringify(join(dir, 'sw.db'))}\n  socket: ${JSON.stringify(join(dir, 'sw.sock'))}\nmetrics:\n  enabled: false\n`,
  );
  for (const t of Object.keys(hosts) as Tool[]) monitor(t);
  const guard = await startGuard(hosts.sshwarden, cfg);
  for (let i = 0; i < PREFILL; i += 5000) {
    const els: string[] = [];
    for (let j = i; j < Math.min(PREFILL, i + 5000); j++) els.push(`2001:db8:ffff::${(j >> 16).toString(16)}:${(j & 0xffff).toString(16)} timeout 3600s`);
    hosts.sshwarden.check('nft', ['-f', '-'], { input: `add element inet sshwarden ban6 { ${els.join(', ')} }\n`, timeoutMs: 60_000 });
  }
  await startFail2ban(hosts.fail2ban);
  startSshguard(hosts.sshguard);
  await new Promise((r) => setTimeout(r, 1500));

  // Per tool: address → when its deciding line was written (one map for all when they share the file).
  const written: Record<Tool, Map<string, number>> = { sshwarden: new Map(), fail2ban: new Map(), sshguard: new Map() };
  const turns: Tool[][] = TURNS ? [['sshwarden'], ['sshguard'], ['fail2ban']] : [['sshwarden', 'sshguard', 'fail2ban']];
  let pid = 20000;
  for (let i = 0; i <= ATTACKERS; i++) {
    const addr = i < 200 ? `203.0.113.${i + 10}` : `198.51.100.${i - 190}`;
    pid++;
    for (const tools of turns) {
      const file = logOf(tools[0]);
      for (let j = 0; j < 3; j++) {
        appendFileSync(file, `${syslogTs()} bench sshd[${pid}]: Failed password for invalid user u${i}x${j} from ${addr} port ${40000 + j} ssh2\n`);
        if (j === 2) for (const t of tools) written[t].set(addr, performance.now());
        else await new Promise((r) => setTimeout(r, 30));
      }
      await new Promise((r) => setTimeout(r, GAP_MS));
    }
    if (TURNS) await new Promise((r) => setTimeout(r, 1000));
  }
  await new Promise((r) => setTimeout(r, 2500));

  const results: Record<string, ReturnType<typeof stats> & { missed: number }> = {};
  for (const t of Object.keys(hosts) as Tool[]) {
    const xs: number[] = [];
    let missed = 0;
    let first = true;
    for (const [addr, t0] of written[t]) {
      if (first) {
        first = false; // warm-up attacker: fail2ban creates its table on the first ban
        continue;
      }
      const t1 = seen[t].get(addr);
      if (t1 === undefined) missed++;
      else xs.push(t1 - t0);
    }
    results[t] = { ...stats(xs.length ? xs : [NaN]), missed };
  }
  const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
  process.stdout.write(`Reaction time (ms) from writing the deciding line to the address in the nft set; ${ATTACKERS} attackers, same lines, one run, ${TURNS ? 'tools in turns (each reacts alone)' : 'all tools at once (competing for the CPUs)'}${PREFILL ? `; ${PREFILL} bans already in sshwarden's set` : ''}\n`);
  process.stdout.write(`tool        n   missed  p50     p90     p99     max     mean\n`);
  for (const [t, r] of Object.entries(results)) {
    process.stdout.write(`${t.padEnd(10)} ${String(r.n).padStart(3)} ${String(r.missed).padStart(6)}  ${fmt(r.p50).padStart(6)}  ${fmt(r.p90).padStart(6)}  ${fmt(r.p99).padStart(6)}  ${fmt(r.max).padStart(6)}  ${fmt(r.mean).padStart(6)}\n`);
  }
  const sw = results.sshwarden;
  process.stdout.write(`ratios (median): sshguard/sshwarden = ${(results.sshguard.p50 / sw.p50).toFixed(1)}x, fail2ban/sshwarden = ${(results.fail2ban.p50 / sw.p50).toFixed(1)}x\n`);
  process.stdout.write(`${JSON.stringify({ attackers: ATTACKERS, prefilledBans: PREFILL, mode: TURNS ? 'turns' : 'together', results })}\n`);
  await guard.stop();
}

try {
  await main();
} finally {
  await lab.destroy();
  spawnSync('rm', ['-rf', dir]);
  void spawn;
}
