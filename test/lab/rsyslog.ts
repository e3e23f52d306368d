/**
 * A private rsyslogd for lab tests: collects what a lab sshd sends through syslog(3) into a
 * file, in Debian 12's default rsyslog file format (or the traditional one). The host's own
 * syslog setup is never touched: this rsyslogd listens on a socket inside its own temp dir,
 * has no kernel input (no imklog), runs in the foreground as a child of the test and is ended
 * by its PID.
 *
 *   const syslog = await startRsyslog();            // or startRsyslog({ format: 'traditional', hostname: 'web1' })
 *   syslog.socketPath                                // bind this as /dev/log for sshd (startSshd does it)
 *   syslog.logFile                                   // auth,authpriv.* go here (like Debian's /var/log/auth.log)
 *   await syslog.waitFor(/Accepted publickey/);      // polls the file, bounded (default 5 s)
 *   await syslog.sync();                             // every message sent before this call is in the file
 *   syslog.read();                                   // the file's text
 *   await syslog.stop();                             // TERM by PID (KILL after 3 s), removes the temp dir unless keepDir
 *
 * Formats:
 *   'debian'      (default) rsyslog's built-in RSYSLOG_FileFormat, which Debian 12+ uses:
 *                 `2026-11-21T20:22:19.640245+00:00 srv sshd[7537]: Server listening on :: port 22.`
 *   'traditional' RSYSLOG_TraditionalFileFormat (Debian ≤ 11, Ubuntu): `Nov 21 20:22:19 srv sshd[7537]: …`
 *   template: 'RSYSLOG_SyslogProtocol23Format' (any rsyslog built-in template name) wins over `format`.
 *
 * More outputs of the same messages (one sshd run, every template at once):
 *   files:   [{ name: 'p23.log', template: 'RSYSLOG_SyslogProtocol23Format' }]  → `${dir}/p23.log`
 *   forward: [{ protocol: 'tcp', port, template: 'RSYSLOG_SyslogProtocol23Format' }] → omfwd to 127.0.0.1:port
 *   listen:  { protocol: 'tcp', port }   this rsyslogd receives forwarded messages (imtcp/imudp on
 *            127.0.0.1) and writes them, like its own, to logFile (and `files`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface RsyslogOptions {
  /** Host name written in each line (rsyslog's localHostName). Default `srv`. */
  hostname?: string;
  /** File format, see the header. Default `debian`. */
  format?: 'debian' | 'traditional';
  /** Directory to use (created by the caller); default a fresh temp dir that stop() removes. */
  dir?: string;
  /** Keep the directory on stop() (e.g. to copy the log). Default false for temp dirs. */
  keepDir?: boolean;
  /** rsyslog template for logFile (a built-in name such as RSYSLOG_SyslogProtocol23Format); wins over `format`. */
  template?: string;
  /** Further files in `dir` getting the same auth messages, each in its own template. */
  files?: { name: string; template: string }[];
  /** Forward auth messages to another rsyslogd on 127.0.0.1 (loopback only). */
  forward?: { protocol: 'tcp' | 'udp'; port: number; template: string }[];
  /** Receive forwarded messages on 127.0.0.1:port (loopback only); they go to logFile and `files`. */
  listen?: { protocol: 'tcp' | 'udp'; port: number };
}

export interface Rsyslog {
  readonly pid: number;
  readonly dir: string;
  /** The unix datagram socket rsyslogd reads (what sshd must see as /dev/log). */
  readonly socketPath: string;
  /** auth and authpriv messages, like Debian's /var/log/auth.log. */
  readonly logFile: string;
  read(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  sync(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const RSYSLOGD = '/usr/sbin/rsyslogd';

export async function startRsyslog(opts: RsyslogOptions = {}): Promise<Rsyslog> {
  if (!existsSync(RSYSLOGD)) throw new Error(`lab: ${RSYSLOGD} is missing (apt-get install rsyslog; test.sh installs it)`);
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'sshwarden-rsyslog-'));
  const socketPath = join(dir, 'log.sock');
  const logFile = join(dir, 'auth.log');
  const markerFile = join(dir, 'marker.log');
  const pidFile = join(dir, 'rsyslogd.pid');
  const conf = join(dir, 'rsyslog.conf');
  const hostname = opts.hostname ?? 'srv';
  if (!/^[A-Za-z0-9.-]{1,63}$/.test(hostname)) throw new Error(`lab: bad syslog host name ${JSON.stringify(hostname)}`);
  const template = opts.template ?? (opts.format === 'traditional' ? 'RSYSLOG_TraditionalFileFormat' : 'RSYSLOG_FileFormat');
  const word = /^[A-Za-z0-9_.-]{1,64}$/;
  for (const t of [template, ...(opts.files ?? []).flatMap((f) => [f.template, f.name]), ...(opts.forward ?? []).map((f) => f.template)])
    if (!word.test(t)) throw new Error(`lab: bad rsyslog template or file name ${JSON.stringify(t)}`);
  const lines = [
    `global(workDirectory="${dir}" localHostName="${hostname}")`,
    // No rate limiting: floods must reach the file whole. No imklog: the kernel log is not ours.
    `module(load="imuxsock" SysSock.Name="${socketPath}" SysSock.RateLimit.Interval="0" SysSock.Unlink="on")`,
  ];
  if (opts.listen) {
    const mod = opts.listen.protocol === 'tcp' ? 'imtcp' : 'imudp';
    lines.push(`module(load="${mod}")`, `input(type="${mod}" address="127.0.0.1" port="${opts.listen.port}")`);
  }
  lines.push(`auth,authpriv.* action(type="omfile" file="${logFile}" template="${template}")`);
  for (const f of opts.files ?? []) lines.push(`auth,authpriv.* action(type="omfile" file="${join(dir, f.name)}" template="${f.template}")`);
  for (const f of opts.forward ?? [])
    lines.push(`auth,authpriv.* action(type="omfwd" target="127.0.0.1" port="${f.port}" protocol="${f.protocol}" template="${f.template}")`);
  lines.push(`local7.* action(type="omfile" file="${markerFile}" template="${template}")`, '');
  writeFileSync(conf, lines.join('\n'));
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', pidFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  const handle = await logDaemonHandle({ child, name: 'rsyslogd', dir, socketPath, logFile, markerFile, removeDir: ownDir && !opts.keepDir });
  if (opts.listen) await waitListening(handle, opts.listen);
  return handle;
}

/** Waits until this daemon listens on 127.0.0.1:port (ss), bounded (5 s). */
async function waitListening(h: Rsyslog, l: { protocol: 'tcp' | 'udp'; port: number }): Promise<void> {
  const end = Date.now() + 5000;
  for (;;) {
    const r = spawnSync('ss', ['-Hn', l.protocol === 'tcp' ? '-lt' : '-lu', 'sport', '=', `:${l.port}`], { encoding: 'utf8', timeout: 5000 });
    if (r.stdout.trim().length > 0) return;
    if (Date.now() > end) {
      await h.stop();
      throw new Error(`lab: rsyslogd does not listen on 127.0.0.1:${l.port}/${l.protocol} after 5 s`);
    }
    await sleep(25);
  }
}

/**
 * The handle of a private syslog daemon already spawned (rsyslogd here, syslog-ng in
 * ./syslog-ng.ts): waits (bounded, 5 s) for its socket, then read / waitFor / sync / stop.
 * sync() needs local7 routed to `markerFile`.
 */
export async function logDaemonHandle(o: {
  child: ChildProcess;
  name: string;
  dir: string;
  socketPath: string;
  logFile: string;
  markerFile: string;
  removeDir: boolean;
}): Promise<Rsyslog> {
  const { child, name, dir, socketPath, logFile, markerFile } = o;
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 5000;
  while (!existsSync(socketPath)) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`lab: ${name} exited (${child.exitCode ?? child.signalCode}): ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`lab: ${name} did not create ${socketPath} within 5 s: ${stderr}`);
    }
    await sleep(20);
  }
  if (!child.pid) throw new Error(`lab: ${name} has no pid`);
  const pid = child.pid;
  let markerSeq = 0;

  const read = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  async function waitFor(re: RegExp, timeoutMs = 5000): Promise<string> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const text = read();
      if (re.test(text)) return text;
      if (Date.now() > end) throw new Error(`lab: ${re} did not appear in ${logFile} within ${timeoutMs} ms`);
      await sleep(25);
    }
  }

  /** Sends a marker on local7 (another file, so the auth log stays clean) and waits for it. */
  async function sync(timeoutMs = 5000): Promise<void> {
    const tag = `sshwarden-sync-${process.pid}-${++markerSeq}`;
    const r = spawnSync('logger', ['-u', socketPath, '-p', 'local7.info', '-t', 'labsync', tag], { encoding: 'utf8', timeout: 5000 });
    if (r.status !== 0) throw new Error(`lab: logger failed: ${r.stderr}`);
    const end = Date.now() + timeoutMs;
    while (!(existsSync(markerFile) && readFileSync(markerFile, 'utf8').includes(tag))) {
      if (Date.now() > end) throw new Error(`lab: ${name} did not write the sync marker within ${timeoutMs} ms`);
      await sleep(20);
    }
    await sleep(50); // the main queue may hand messages to the two actions in parallel
  }

  async function stop(): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const end = Date.now() + 3000;
      while (child.exitCode === null && child.signalCode === null && Date.now() < end) await sleep(20);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (o.removeDir) rmSync(dir, { recursive: true, force: true });
  }

  return { pid, dir, socketPath, logFile, read, waitFor, sync, stop };
}
