/**
 * The I/O edge of `audit`: reading config files, the local sshd binary (version, `sshd -t`,
 * `sshd -T -C`), the sockets the system listens on (`ss -ltn`) and systemd's ssh.socket.
 * Every external command runs through spawn/spawnSync with an argument array.
 */
import { readFileSync, globSync, mkdtempSync, rmSync, existsSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { readFileBounded, TooLargeError } from '../sources/bounded-read.ts';

/** Largest sshd_config (or included file) read: far above any real one, small enough for memory (/dev/zero never ends). */
const MAX_CONFIG_FILE = 16 * 1024 * 1024;
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigSource } from './parse.ts';
import type { AlgoKind } from './algorithms.ts';
import { normaliseVersion } from '../openssh-versions.ts';

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENOTDIR: 'Not a directory',
};

/** Files refused for their size: running `sshd -t` on them would make sshd itself read gigabytes. */
export function fsSource(): ConfigSource & { tooLarge: string[] } {
  const tooLarge: string[] = [];
  return {
    tooLarge,
    read(path) {
      try {
        // A FIFO or socket would block this read until a writer comes (a device is bounded below).
        const st = statSync(path);
        if (st.isFIFO() || st.isSocket()) return { error: `${st.isFIFO() ? 'a FIFO' : 'a socket'}, not a file: not read (sshd would wait on it too)` };
        return { text: readFileBounded(path, MAX_CONFIG_FILE).toString('latin1') };
      } catch (e) {
        if (e instanceof TooLargeError) {
          tooLarge.push(path);
          // Refused, not merely unread (issue 10): no sshd configuration is this large; /dev/zero never ends.
          return { error: `${e.message}: not an sshd configuration (read no further)`, tooLarge: true };
        }
        const code = (e as NodeJS.ErrnoException).code ?? '';
        // sshd fopen()s a directory fine and reads nothing from it: an empty file to sshd
        if (code === 'EISDIR') return { text: '' };
        // Not root: sshd (root) may read what this user may not. Not a reason for sshd to stop.
        if ((code === 'EACCES' || code === 'EPERM') && process.getuid?.() !== 0) return { error: `${ERRNO_TEXT[code] ?? (e as Error).message} (run as root to read it)`, onlyHere: true };
        return { error: ERRNO_TEXT[code] ?? (e as Error).message };
      }
    },
    glob(pattern) {
      try {
        if (!/[*?[]/.test(pattern)) return existsSync(pattern) ? [pattern] : [];
        return globSync(pattern).sort();
      } catch {
        return [];
      }
    },
  };
}

export const SSHD = '/usr/sbin/sshd';

export interface LocalSshd {
  path: string;
  version: string;
  flavour: 'debian' | 'upstream';
  banner: string;
}

export function localSshd(path = SSHD): LocalSshd | null {
  if (!existsSync(path)) return null;
  const r = spawnSync(path, ['-V'], { encoding: 'utf8', timeout: 5000 });
  const text = `${r.stderr ?? ''}${r.stdout ?? ''}`;
  const m = /OpenSSH_(\d+\.\d+)(p\d+)?/.exec(text);
  if (!m) return null;
  const c = spawnSync('ssh', ['-V'], { encoding: 'utf8', timeout: 5000 });
  const cv = `${c.stderr ?? ''}`;
  const debian = /Debian|Ubuntu/.test(cv) || existsSync('/etc/debian_version');
  return { path, version: normaliseVersion(m[1])!, flavour: debian ? 'debian' : 'upstream', banner: text.trim().split('\n')[0] };
}

/** Algorithm names the local OpenSSH build knows (`ssh -Q`), to extend the built-in table. */
export function localAlgorithms(): Partial<Record<AlgoKind, string[]>> {
  const q = (what: string) => {
    const r = spawnSync('ssh', ['-Q', what], { encoding: 'utf8', timeout: 5000 });
    return r.status === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
  };
  return { kex: q('kex'), cipher: q('cipher'), mac: q('mac'), key: q('key-sig') };
}

/** A throw-away ed25519 host key so `sshd -t/-T` can run on any config; remove with `cleanup()`. */
/**
 * A throw-away host key for `sshd -t` in a private directory (0700, named with our PID), removed
 * on every exit path: normal return, an exception, and SIGINT / SIGTERM / SIGHUP (the handler
 * removes it and exits 128+signal). A SIGKILL cannot be caught: the next audit removes the
 * directories of audits that are no longer running.
 */
export function tempHostKey(): { key: string; dir: string; cleanup: () => void } {
  removeStaleKeyDirs();
  const dir = mkdtempSync(join(tmpdir(), `sshwarden-audit-${process.pid}-`));
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  };
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [
    sig,
    () => {
      killRunningSshd();
      cleanup();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    },
  ]);
  for (const [sig, h] of handlers) process.once(sig, h);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'hostkey');
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key], { encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) {
    cleanup();
    throw new Error(`ssh-keygen failed: ${r.stderr}`);
  }
  return { key, dir, cleanup };
}

function removeStaleKeyDirs(): void {
  let names: string[] = [];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^sshwarden-audit-(\d+)-/.exec(n);
    if (!m || Number(m[1]) === process.pid) continue;
    try {
      process.kill(Number(m[1]), 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(tmpdir(), n), { recursive: true, force: true });
    }
  }
}

export interface SshdRun {
  ok: boolean;
  status: number | null;
  stdout: string;
  stderr: string;
}

function ensurePrivsepDir(): void {
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
}

/** `sshd -t/-T` children running now: a signal kills them by PID before the audit exits (tempHostKey). */
const runningSshd = new Set<ChildProcess>();
/** Most output kept from one `sshd -t/-T` (a real effective configuration is a few KB). */
const MAX_SSHD_OUTPUT = 4 << 20;
const SSHD_TIMEOUT_MS = 20_000;

function killRunningSshd(): void {
  for (const c of runningSshd) if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  runningSshd.clear();
}

/**
 * Runs sshd with `args` without blocking the event loop, so that SIGINT / SIGTERM during a slow
 * `sshd -t` are handled at once (a synchronous child would hold them until it ends): the handler
 * kills the child by its PID and removes the key directory. Bounded in time and output.
 */
function runSshd(sshd: string, args: string[]): Promise<SshdRun> {
  ensurePrivsepDir();
  return new Promise((resolve) => {
    const child = spawn(sshd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    runningSshd.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (list: Buffer[]) => (d: Buffer) => {
      if (size >= MAX_SSHD_OUTPUT) return;
      size += d.length;
      list.push(d);
    };
    child.stdout!.on('data', keep(out));
    child.stderr!.on('data', keep(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, SSHD_TIMEOUT_MS);
    const done = (status: number | null, error?: Error) => {
      clearTimeout(timer);
      runningSshd.delete(child);
      let stderr = Buffer.concat(err).toString('utf8') + (error ? `${error.message}\n` : '');
      if (timedOut) stderr += `sshd did not finish within ${SSHD_TIMEOUT_MS / 1000} s (killed)\n`;
      resolve({ ok: status === 0, status, stdout: Buffer.concat(out).toString('utf8'), stderr });
    };
    child.on('error', (e) => done(null, e));
    child.on('close', (code) => done(code));
  });
}

/** `sshd -t -f FILE -h KEY` (test mode). */
export function sshdTest(file: string, hostKey: string, sshd = SSHD): Promise<SshdRun> {
  return runSshd(sshd, ['-t', '-f', file, '-h', hostKey]);
}

/** `sshd -T -f FILE -h KEY [-C spec]` (extended test mode: the effective configuration). */
export function sshdDump(file: string, hostKey: string, spec: string | null, sshd = SSHD): Promise<SshdRun> {
  const args = ['-T', '-f', file, '-h', hostKey];
  if (spec) args.push('-C', spec);
  return runSshd(sshd, args);
}

/**
 * The local build's compiled-in defaults: `sshd -T` on an empty config. The empty file goes into
 * `workDir` when given (the audit passes its throw-away key's private directory, which the signal
 * handlers of tempHostKey remove: a SIGTERM during this `sshd -T` leaves nothing behind), else
 * into a temporary directory of its own.
 */
export async function localDefaults(hostKey: string, sshd = SSHD, workDir?: string): Promise<Map<string, string[]> | null> {
  const dir = workDir ?? mkdtempSync(join(tmpdir(), 'sshwarden-empty-'));
  const f = join(dir, 'empty-config');
  try {
    writeFileSync(f, '');
    const r = await sshdDump(f, hostKey, null, sshd);
    if (!r.ok) return null;
    const out = new Map<string, string[]>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+)\s+(.*)$/.exec(line.trim());
      if (!m) continue;
      out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
    }
    return out;
  } finally {
    rmSync(workDir === undefined ? dir : f, { recursive: true, force: true });
  }
}

export interface Listener {
  address: string;
  port: number;
  process?: string;
  pid?: number;
  /** For sshd: the config file it was started with (-f), or the default. */
  config?: string;
}

function sshdConfigOf(pid: number): string | undefined {
  try {
    // the listener rewrites its title ("sshd: /usr/sbin/sshd -f FILE [listener] 0 of 10-100 startups"): one string
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter((w) => w !== '');
    const argv = raw.length === 1 ? raw[0].split(' ') : raw;
    const i = argv.indexOf('-f');
    return i >= 0 && argv[i + 1] ? argv[i + 1] : '/etc/ssh/sshd_config';
  } catch {
    return undefined;
  }
}

/** TCP listeners from `ss -ltnpH` (null when ss is missing). */
export function tcpListeners(): Listener[] | null {
  const r = spawnSync('ss', ['-ltnpH'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return null;
  return parseSsListeners(r.stdout, (pid) => sshdConfigOf(pid));
}

/** Pure: the listeners in `ss -ltnpH` output (`configOf` gives an sshd's -f file by pid). */
export function parseSsListeners(text: string, configOf: (pid: number) => string | undefined = () => undefined): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const local = f[3];
    const i = local.lastIndexOf(':');
    const addr = local.slice(0, i).replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const port = Number(local.slice(i + 1));
    const pm = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    const pid = pm ? Number(pm[2]) : undefined;
    out.push({ address: addr, port, process: pm?.[1], pid, config: pm?.[1] === 'sshd' && pid ? configOf(pid) : undefined });
  }
  return out;
}

export interface SocketActivation {
  enabled: boolean;
  active: boolean;
  listenStreams: string[];
}

/** Whether systemd's ssh.socket (Ubuntu 22.10+ style socket activation) is in use; null when systemd is not running. */
export function sshSocket(): SocketActivation | null {
  const en = spawnSync('systemctl', ['is-enabled', 'ssh.socket'], { encoding: 'utf8', timeout: 5000 });
  if (en.error || /not been booted|Failed to connect/.test(`${en.stderr}${en.stdout}`)) return null;
  const act = spawnSync('systemctl', ['is-active', 'ssh.socket'], { encoding: 'utf8', timeout: 5000 });
  const cat = spawnSync('systemctl', ['cat', 'ssh.socket'], { encoding: 'utf8', timeout: 5000 });
  const streams = [...(cat.stdout ?? '').matchAll(/^ListenStream=(.*)$/gm)].map((m) => m[1]).filter((s) => s !== '');
  return { enabled: en.stdout.trim() === 'enabled', active: act.stdout.trim() === 'active', listenStreams: streams };
}

/** getaddrinfo() through getent, for ListenAddress host names (as sshd resolves them). */
export function resolvesHost(name: string): boolean {
  const r = spawnSync('getent', ['ahosts', name], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 && r.stdout.trim() !== '';
}

/** Groups of a local user (for Match Group), from `id -Gn`. */
export function groupsOf(user: string): string[] {
  const r = spawnSync('id', ['-Gn', '--', user], { encoding: 'utf8', timeout: 5000 });
  return r.status === 0 ? r.stdout.trim().split(/\s+/) : [];
}
