/**
 * Prints real `sshwarden doctor` output from the lab for the README (not a test):
 * the server side (MaxStartups full of scanners, a user dropped) and the client side (a client
 * whose only key exchange the server does not offer).   node test/doctor/capture-examples.ts   (root)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, requireRoot } from '../lab/netns.ts';
import { startRsyslog } from '../lab/rsyslog.ts';
import { startSshd } from '../lab/sshd.ts';
import { runSsh, spawnRaw, setEphemeralRange } from '../lab/clients.ts';
import { SSHWARDEN, clientSshConfig } from './lab-helpers.ts';

requireRoot();
const lab = Lab.create('dx');
const tmp = mkdtempSync(join(tmpdir(), 'sshwarden-doctor-ex-'));
const syslog = await startRsyslog();
try {
  const srv = lab.host('srv', 1), cli = lab.host('cli', 11), scan = lab.host('scan', 66);
  const sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE', MaxStartups: '2:100:2', KexAlgorithms: 'curve25519-sha256,curve25519-sha256@libssh.org' } });
  runSsh(cli, { target: srv.v4, user: 'root', key: sshd.clientKey });
  const holders = spawnRaw(scan, { host: srv.v4, port: 22, count: 2, then: 'hold', holdMs: 60_000 });
  await holders.ready;
  runSsh(cli, { target: srv.v4, user: 'root', key: sshd.clientKey });
  await syslog.waitFor(/drop connection #\d+ from \[192\.0\.2\.11\]/, 10_000);
  const server = srv.run(SSHWARDEN, ['doctor', '--log', syslog.logFile, '--config', sshd.configPath, '--since', '30m'], { timeoutMs: 180_000 });
  holders.release();
  await holders.results.catch(() => []);
  setEphemeralRange(cli, 32768, 60999);
  const cfg = clientSshConfig(tmp, sshd.clientKey, sshd.knownHostsFile, ['KexAlgorithms diffie-hellman-group14-sha256']);
  const client = cli.run(SSHWARDEN, ['doctor', '-F', cfg, `root@${srv.v4}`, '--timeout', '3'], { timeoutMs: 120_000 });
  process.stdout.write(`== server: sshwarden doctor (exit ${server.status})\n${server.stdout}${server.stderr}\n== client: sshwarden doctor root@${srv.v4} (exit ${client.status})\n${client.stdout}${client.stderr}`);
  await sshd.stop();
} finally {
  await syslog.stop();
  await lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
}
