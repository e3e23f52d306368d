/**
 * A private syslog-ng for lab tests, writing sshd's auth messages in syslog-ng's default file
 * format (`Dec  4 20:11:55 web7 sshd[8883]: …`, the legacy template, as Debian's syslog-ng.conf
 * writes /var/log/auth.log). Debian's syslog-ng-core conflicts with rsyslog, so it is never
 * installed: scripts/install-test-deps.sh (run by test.sh) unpacks the .deb into
 * /var/cache/sshwarden-test/syslog-ng and installs its libraries; this runs that binary in the
 * foreground with a private config, socket and state in its own temp dir, ended by its PID.
 * Same handle as ./rsyslog.ts (startSshd takes either).
 *
 *   const syslog = await startSyslogNg({ hostname: 'web7' });
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logDaemonHandle, type Rsyslog } from './rsyslog.ts';

export const SYSLOG_NG_ROOT = `${process.env.SSHWARDEN_TEST_CACHE ?? '/var/cache/sshwarden-test'}/syslog-ng`;

export async function startSyslogNg(opts: { hostname?: string } = {}): Promise<Rsyslog> {
  const bin = join(SYSLOG_NG_ROOT, 'usr/sbin/syslog-ng');
  if (!existsSync(bin)) throw new Error(`lab: ${bin} is missing (scripts/install-test-deps.sh syslog-ng-core unpacks it; test.sh runs that)`);
  const lib = join(SYSLOG_NG_ROOT, 'usr/lib/syslog-ng');
  const version = readdirSync(lib).find((d) => /^\d+\.\d+$/.test(d));
  if (version === undefined) throw new Error(`lab: no module directory under ${lib}`);
  const hostname = opts.hostname ?? 'srv';
  if (!/^[A-Za-z0-9.-]{1,63}$/.test(hostname)) throw new Error(`lab: bad syslog host name ${JSON.stringify(hostname)}`);
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-syslog-ng-'));
  const socketPath = join(dir, 'log.sock');
  const logFile = join(dir, 'auth.log');
  const markerFile = join(dir, 'marker.log');
  const conf = join(dir, 'syslog-ng.conf');
  writeFileSync(
    conf,
    [
      `@version: ${version}`,
      'options { use-dns(no); dns-cache(no); chain-hostnames(no); keep-hostname(no); };',
      `source s_lab { unix-dgram("${socketPath}" host-override("${hostname}")); };`,
      'filter f_auth { facility(auth, authpriv); };',
      'filter f_marker { facility(local7); };',
      `destination d_auth { file("${logFile}"); };`,
      `destination d_marker { file("${markerFile}"); };`,
      'log { source(s_lab); filter(f_auth); destination(d_auth); };',
      'log { source(s_lab); filter(f_marker); destination(d_marker); };',
      '',
    ].join('\n'),
  );
  const child = spawn(
    bin,
    ['-F', '-f', conf, `--module-path=${join(lib, version)}`, '-p', join(dir, 'pid'), '-R', join(dir, 'persist'), '-c', join(dir, 'ctl')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, LD_LIBRARY_PATH: lib } },
  );
  return logDaemonHandle({ child, name: 'syslog-ng', dir, socketPath, logFile, markerFile, removeDir: true });
}
