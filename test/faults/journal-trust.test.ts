/**
 * Issue 10, "Local users can forge sshd in journal mode": a private systemd-journald (its
 * sockets and journal on tmpfs in a private mount namespace; the host's /run is untouched)
 * receives the records of a REAL sshd (lab namespace, syslog(3) to /dev/log, which is bound to
 * journald's dev-log socket), so the records carry journald's real trusted fields (_COMM=sshd,
 * _UID=0). A non-root user forges sshd lines with `logger -t sshd` into the same journal. The
 * guard (`log.source: journal`, real nftables in the lab namespace) must ban from the real
 * records and ignore the forged ones (logged and counted).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Lab } from '../lab/netns.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { runRaw } from '../lab/clients.ts';
import type { Rsyslog } from '../lab/rsyslog.ts';
import { guardDir, nftElements, startGuard, until, writeConfig, type RunningGuard } from '../guard/guard-lab.ts';

const JOURNALD = '/lib/systemd/systemd-journald';
const lab = Lab.create('fjt');
const srv = lab.host('srv', 1);
const atkA = lab.host('a', 31);
const atkB = lab.host('b', 32);
let journald: ReturnType<typeof spawn> | null = null;
let sshd: Sshd | null = null;
let guard: RunningGuard | null = null;

after(async () => {
  await guard?.stop();
  await sshd?.stop();
  if (journald && journald.exitCode === null) journald.kill('SIGTERM');
  srv.run('nft', ['delete', 'table', 'inet', 'sshwarden']);
  await lab.destroy();
});

/** journald in its own mount namespace; seen from outside through /proc/PID/root. */
async function startJournald(): Promise<{ pid: number; inNs: string[]; syslog: Rsyslog }> {
  assert.ok(existsSync(JOURNALD), `${JOURNALD} missing (Debian package systemd)`);
  const script = 'mkdir -p /run/systemd /run/log && mount -t tmpfs tmpfs /run/systemd && mount -t tmpfs tmpfs /run/log && mkdir -p /run/systemd/journal && exec "$0"';
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, JOURNALD], { stdio: 'ignore' });
  journald = child;
  const pid = child.pid!;
  // As seen inside journald's mount namespace (sshd's setup runs there, see startSshd's prefix).
  const socketPath = '/run/systemd/journal/dev-log';
  await until(() => existsSync(`/proc/${pid}/root${socketPath}`), 10_000, 'private journald listening');
  const inNs = ['nsenter', '-t', String(pid), '-m', '--'];
  const read = (): string => spawnSync(inNs[0], [...inNs.slice(1), 'journalctl', '-o', 'cat', '--no-pager', '-q'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const syslog: Rsyslog = {
    pid,
    dir: '',
    socketPath,
    logFile: '',
    read,
    async waitFor(re, timeoutMs = 5000) {
      await until(() => re.test(read()), timeoutMs, `journal: ${re}`);
      return read();
    },
    async sync() {
      await new Promise((r) => setTimeout(r, 300));
    },
    async stop() {
      child.kill('SIGTERM');
    },
  };
  return { pid, inNs, syslog };
}

test('issue 10 "Local users can forge sshd in journal mode": logger -t sshd is ignored (logged, counted); real sshd records still ban', async () => {
  const j = await startJournald();
  // Warm up: journald creates its journal file with the first message.
  spawnSync(j.inNs[0], [...j.inNs.slice(1), 'logger', '--socket', '/run/systemd/journal/dev-log', '-t', 'warmup', 'journal ready']);
  sshd = await startSshd(srv, { syslog: j.syslog, prefix: j.inNs, options: { LogLevel: 'INFO', MaxStartups: '100:30:200' } });
  const dir = guardDir();
  const cfg = writeConfig(dir, `log:\n  source: journal\nstate:\n  database: ${JSON.stringify(join(dir, 'guard.db'))}\n  socket: ${JSON.stringify(join(dir, 'run', 'guard.sock'))}\nmetrics:\n  listen: 127.0.0.1:9687\n`);
  guard = await startGuard(srv, cfg, [], j.inNs);
  await new Promise((r) => setTimeout(r, 1500)); // journalctl -f has found the end
  // A local user (nobody) forges: a login for B (would protect B for 30 days) and a brute force from 198.51.100.8.
  const forge = (text: string) => {
    const r = spawnSync(j.inNs[0], [...j.inNs.slice(1), 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'logger', '--socket', '/run/systemd/journal/dev-log', '-t', 'sshd', '-i', text], { encoding: 'utf8' });
    assert.equal(r.status, 0, `logger as nobody: ${r.stderr}`);
  };
  forge(`Accepted password for x from ${atkB.v4} port 1 ssh2`);
  for (let i = 0; i < 8; i++) forge(`Failed password for root from 198.51.100.8 port ${40000 + i} ssh2`);
  await guard.waitLog((l) => l.msg === 'journal record claims to be sshd but is not from sshd: ignored', 10_000, 'forged record logged');
  const warn = guard.logs.find((l) => l.msg === 'journal record claims to be sshd but is not from sshd: ignored')!;
  // journald may no longer read a fast-exiting logger's name (comm null); its kernel uid is always there.
  assert.ok(warn.comm === 'logger' || warn.comm === null, JSON.stringify(warn));
  assert.equal(warn.uid, 65534);
  // The real sshd: silent connections from A and B are banned (B is not protected by the forged login).
  for (const h of [atkA, atkB]) {
    for (let i = 0; i < 30 && !guard.logs.some((l) => l.msg === 'ban' && l.target === h.v4); i++) {
      try {
        runRaw(h, { host: srv.v4, port: 22, waitBanner: false, then: 'close' }, 5000);
      } catch {
        // banned between the check and the connect: the SYN is dropped
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await until(() => nftElements(srv).includes(atkA.v4), 10_000, `A banned from real sshd records; logs: ${JSON.stringify(guard.logs.slice(-6))}`);
  await until(() => nftElements(srv).includes(atkB.v4), 20_000, `B banned despite the forged login; logs: ${JSON.stringify(guard.logs.filter((l) => /ban|refused/.test(l.msg)).slice(-4))}`);
  assert.ok(!nftElements(srv).includes('198.51.100.8'), 'the forged brute force banned nobody');
  assert.ok(!guard.logs.some((l) => l.msg === 'ban refused' && String(l.address) === atkB.v4), 'no refusal because of the forged login');
  const m = srv.run('curl', ['-s', '--max-time', '5', 'http://127.0.0.1:9687/metrics']).stdout;
  const rejected = guard.logs.filter((l) => l.msg === 'journal record claims to be sshd but is not from sshd: ignored');
  // Every rejected record is one of the 9 forgeries (none of the real sshd's); a follower restart under load may
  // read a record twice, so the counter is at least 9.
  assert.ok(rejected.length >= 9, `rejected: ${JSON.stringify(rejected.map((l) => [l.comm, l.uid]))}`);
  // journald may no longer read a fast-exiting logger's name (comm null); its uid is always there.
  for (const l of rejected) assert.ok(l.uid === 65534 && (l.comm === 'logger' || l.comm === null), JSON.stringify(l));
  const counted = Number(/sshwarden_guard_log_lines_total\{result="untrusted"\} (\d+)/.exec(m)?.[1] ?? 0);
  assert.ok(counted >= 9, `untrusted counter ${counted}`);
});
