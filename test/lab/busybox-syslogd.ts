/**
 * A private busybox syslogd for lab tests (`Jun 20 02:18:39 web9 auth.info sshd[13482]: …`, the
 * facility.level after the host). busybox's syslogd has no option for its socket: it always
 * creates /dev/log. So it runs in its own mount (and UTS, for the host name) namespace where
 * /dev is a bind of its temp dir: the socket appears as `<dir>/log` on the host, which startSshd
 * binds as sshd's /dev/log. The host's /dev and host name are untouched; ended by its PID.
 * Same handle as ./rsyslog.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logDaemonHandle, type Rsyslog } from './rsyslog.ts';

export async function startBusyboxSyslogd(opts: { hostname?: string } = {}): Promise<Rsyslog> {
  if (spawnSync('busybox', ['syslogd', '--help'], { encoding: 'utf8' }).error) throw new Error('lab: busybox is missing (apt-get install busybox; test.sh installs it)');
  const hostname = opts.hostname ?? 'srv';
  if (!/^[A-Za-z0-9.-]{1,63}$/.test(hostname)) throw new Error(`lab: bad syslog host name ${JSON.stringify(hostname)}`);
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-busybox-'));
  const logFile = join(dir, 'auth.log');
  // Data only as positional parameters ($1, $2), never inside the script text.
  const script = 'hostname "$2" && mount --bind "$1" /dev && exec busybox syslogd -n -O "$1/auth.log"';
  const child = spawn('unshare', ['--mount', '--uts', '--propagation', 'private', 'sh', '-c', script, 'sh', dir, hostname], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Everything goes to one file: the sync marker too (another program's line, skipped by analyze).
  return logDaemonHandle({ child, name: 'busybox syslogd', dir, socketPath: join(dir, 'log'), logFile, markerFile: logFile, removeDir: true });
}
