/**
 * A real OpenSSH sshd (Debian's /usr/sbin/sshd) for lab tests, inside a lab Host (network
 * namespace), with its own directory (under /run/sshwarden-lab, see LAB_RUN_DIR), config, host keys, PID file and authorized_keys. Nothing
 * of the host's sshd setup is used or changed (only `/run/sshd`, sshd's compiled-in privsep
 * directory, is created when missing).
 *
 * Logging: with `syslog` (a private rsyslogd from ./rsyslog.ts) sshd logs exactly as in
 * production, through syslog(3) to /dev/log: it runs under `unshare --mount` in a private
 * mount namespace whose /dev is a small tmpfs holding bind mounts of the host's null, zero,
 * full, random, urandom, tty, ptmx and pts plus our rsyslog socket as `log`. The host's /dev is
 * untouched. Without `syslog`, sshd writes its log with `-E <dir>/sshd.log` (sshd's own
 * format: no time, no ident, no `error:` prefix).
 *
 *   const lab = Lab.create('x'); const srv = lab.host('srv', 1);
 *   const syslog = await startRsyslog();
 *   const sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE', MaxStartups: '2:100:2' } });
 *   // clients connect to srv.v4 / srv.v6 port sshd.port
 *   //   key login as root with sshd.clientKey (authorized), a refused key with sshd.otherKey
 *   await sshd.stop();  await syslog.stop();  await lab.destroy();
 *
 * `options` come first in the generated sshd_config, so they win over the defaults below
 * (sshd takes the first value it reads); `extra` lines (e.g. `Match` blocks) go last.
 * Defaults follow Debian 12's shipped sshd_config (UsePAM yes, KbdInteractiveAuthentication no,
 * X11Forwarding yes, PrintMotd no, AcceptEnv, sftp subsystem) plus what a lab needs
 * (PermitRootLogin prohibit-password, AuthorizedKeysFile in the temp dir).
 */
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from './netns.ts';
import type { Rsyslog } from './rsyslog.ts';

export const SSHD = '/usr/sbin/sshd';
/** Parent of every lab sshd's own directory (removed per sshd on stop). */
export const LAB_RUN_DIR = '/run/sshwarden-lab';

export interface SshdOptions {
  /** Private rsyslogd to log through (production-like). Without it: `-E <dir>/sshd.log`. */
  syslog?: Rsyslog;
  /** sshd_config keywords, written first so they win (`{ LogLevel: 'VERBOSE', LoginGraceTime: 3 }`). */
  options?: Record<string, string | number>;
  /** Raw lines appended at the end (Match blocks). */
  extra?: string[];
  /** Listening port, default 22. */
  port?: number;
  /** Listen on both 0.0.0.0 and :: (default) or only one family. */
  listen?: string[];
  /** How long to wait for the listening socket, default 10 s. */
  startTimeoutMs?: number;
  /** A command sshd's private-/dev setup runs under (e.g. `nsenter -t PID -m --`: inside a private journald's mount namespace, where its socket is). */
  prefix?: string[];
}

export interface Sshd {
  readonly host: Host;
  /** The listener's PID (the process we started). */
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  readonly configPath: string;
  /** Private key authorised for root (authorized_keys in dir). */
  readonly clientKey: string;
  /** Private key NOT authorised anywhere (for failed-key attempts). */
  readonly otherKey: string;
  /** Known-hosts line(s) for the server's host keys, for clients that check them. */
  readonly knownHostsFile: string;
  /** `-E` log file when no syslog was given, else null. */
  readonly stderrLog: string | null;
  readonly process: ChildProcess;
  /** Rewrites sshd_config with these options over the start options and sends SIGHUP (sshd re-executes itself, same PID); waits until it listens again. */
  reconfigure(options: Record<string, string | number>): Promise<void>;
  /** TERM the listener by PID, then end the per-connection sshd processes left in its namespace; removes dir. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
}

/** Runs in the sshd's private mount namespace: builds a minimal /dev with our syslog socket as /dev/log. */
const DEV_SCRIPT = `set -e
D="$1"; SOCK="$2"; shift 2
mount -t tmpfs -o mode=755,size=1m sshwarden-dev "$D"
for n in null zero full random urandom tty ptmx; do : > "$D/$n"; mount --bind "/dev/$n" "$D/$n"; done
mkdir "$D/pts" "$D/shm"
mount --bind /dev/pts "$D/pts"
ln -s /proc/self/fd "$D/fd"
: > "$D/log"
mount --bind "$SOCK" "$D/log"
mount --move "$D" /dev
exec "$@"
`;

function keygen(path: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sshwarden-lab', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lab: ssh-keygen failed: ${r.stderr}`);
}

export async function startSshd(host: Host, opts: SshdOptions = {}): Promise<Sshd> {
  if (!existsSync(SSHD)) throw new Error(`lab: ${SSHD} is missing (apt-get install openssh-server; test.sh installs it)`);
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // sshd's compiled-in privsep dir
  // Not under /tmp: with StrictModes (the default) sshd refuses an authorized_keys file below a
  // world-writable directory. /run/sshwarden-lab is root-owned 0755; each sshd gets its own dir in it.
  mkdirSync(LAB_RUN_DIR, { recursive: true, mode: 0o755 });
  chmodSync(LAB_RUN_DIR, 0o755);
  const dir = mkdtempSync(join(LAB_RUN_DIR, 'sshd-'));
  try {
    return await setUp(host, opts, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true }); // a config sshd -t rejects, a start that failed
    throw e;
  }
}

async function setUp(host: Host, opts: SshdOptions, dir: string): Promise<Sshd> {
  chmodSync(dir, 0o755);
  const port = opts.port ?? 22;
  const hostKeys = ['ssh_host_ed25519_key', 'ssh_host_ecdsa_key'].map((k) => join(dir, k));
  keygen(hostKeys[0]);
  {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', hostKeys[1]], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lab: ssh-keygen failed: ${r.stderr}`);
  }
  const clientKey = join(dir, 'client_ed25519');
  const otherKey = join(dir, 'other_ed25519');
  keygen(clientKey);
  keygen(otherKey);
  const authorizedKeys = join(dir, 'authorized_keys');
  copyFileSync(`${clientKey}.pub`, authorizedKeys);
  chmodSync(authorizedKeys, 0o600);
  const knownHostsFile = join(dir, 'known_hosts');
  const hostNames = [host.v4, `[${host.v4}]:${port}`, host.v6, `[${host.v6}]:${port}`].join(',');
  writeFileSync(knownHostsFile, hostKeys.map((k) => `${hostNames} ${readFileSync(`${k}.pub`, 'utf8').trim()}\n`).join(''));

  const configPath = join(dir, 'sshd_config');
  const writeConfig = (options: Record<string, string | number>): void => {
    const defaults: Record<string, string | number> = {
      Port: port,
      PidFile: join(dir, 'sshd.pid'),
      PermitRootLogin: 'prohibit-password',
      AuthorizedKeysFile: authorizedKeys,
      KbdInteractiveAuthentication: 'no',
      UsePAM: 'yes',
      X11Forwarding: 'yes',
      PrintMotd: 'no',
      AcceptEnv: 'LANG LC_*',
      Subsystem: 'sftp /usr/lib/openssh/sftp-server',
    };
    const lines: string[] = ['# generated by test/lab/sshd.ts'];
    const seen = new Set<string>();
    for (const [k, v] of [...Object.entries(options), ...Object.entries(defaults)]) {
      if (seen.has(k.toLowerCase())) continue;
      seen.add(k.toLowerCase());
      lines.push(`${k} ${v}`);
    }
    for (const a of opts.listen ?? ['0.0.0.0', '::']) lines.push(`ListenAddress ${a}`);
    for (const k of hostKeys) lines.push(`HostKey ${k}`);
    lines.push(...(opts.extra ?? []));
    writeFileSync(configPath, `${lines.join('\n')}\n`);
    const t = spawnSync(SSHD, ['-t', '-f', configPath], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`lab: sshd -t rejected ${configPath}: ${t.stderr.trim()}`);
  };
  writeConfig(opts.options ?? {});

  let child: ChildProcess;
  let stderrLog: string | null = null;
  if (opts.syslog) {
    const devScript = join(dir, 'private-dev.sh');
    const staging = join(dir, 'dev');
    writeFileSync(devScript, DEV_SCRIPT);
    mkdirSync(staging);
    const argv = [...(opts.prefix ?? []), 'unshare', '--mount', '--propagation', 'private', 'sh', devScript, staging, opts.syslog.socketPath, SSHD, '-D', '-f', configPath];
    child = host.spawn(argv[0], argv.slice(1));
  } else {
    stderrLog = join(dir, 'sshd.log');
    child = host.spawn(SSHD, ['-D', '-f', configPath, '-E', stderrLog]);
  }
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.stdout?.resume();

  const deadline = Date.now() + (opts.startTimeoutMs ?? 10_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`lab: sshd exited at start (${child.exitCode ?? child.signalCode}): ${stderr.trim()}`);
    }
    const ss = host.run('ss', ['-ltnH', `sport = :${port}`], { timeoutMs: 5000 });
    if (ss.stdout.includes('LISTEN') && existsSync(join(dir, 'sshd.pid'))) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`lab: sshd did not listen on port ${port} in ${host.name} in time: ${stderr.trim()}`);
    }
    await sleep(25);
  }
  const pid = Number(readFileSync(join(dir, 'sshd.pid'), 'utf8').trim());
  try {
    if (pid !== child.pid) throw new Error(`lab: sshd pid file says ${pid}, started ${child.pid}`);
    if (opts.syslog) await opts.syslog.waitFor(/Server listening on/, 5000);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }

  async function reconfigure(options: Record<string, string | number>): Promise<void> {
    writeConfig({ ...(opts.options ?? {}), ...options });
    const before = opts.syslog ? (opts.syslog.read().match(/Server listening on/g) ?? []).length : 0;
    process.kill(pid, 'SIGHUP');
    if (opts.syslog) {
      const end = Date.now() + 10_000;
      while ((opts.syslog.read().match(/Server listening on/g) ?? []).length <= before) {
        if (Date.now() > end) throw new Error('lab: sshd did not come back after SIGHUP');
        await sleep(25);
      }
    } else await sleep(500);
    const end = Date.now() + 10_000;
    while (!host.run('ss', ['-ltnH', `sport = :${port}`], { timeoutMs: 5000 }).stdout.includes('LISTEN')) {
      if (Date.now() > end) throw new Error('lab: sshd not listening after SIGHUP');
      await sleep(25);
    }
  }

  async function stop(stopOpts: { keepDir?: boolean } = {}): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const end = Date.now() + 3000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(20);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Per-connection sshd processes (forked by our listener) that are still alive in our namespace.
    const r = spawnSync('ip', ['netns', 'pids', host.ns], { encoding: 'utf8' });
    for (const p of (r.stdout ?? '').split(/\s+/).filter(Boolean).map(Number)) {
      let comm = '';
      try {
        comm = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      } catch {
        continue;
      }
      if (comm.startsWith('sshd')) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (!stopOpts.keepDir) rmSync(dir, { recursive: true, force: true });
  }

  return { host, pid, port, dir, configPath, clientKey, otherKey, knownHostsFile, stderrLog, process: child, reconfigure, stop };
}
