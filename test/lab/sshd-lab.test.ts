/**
 * The lab launchers themselves (./rsyslog.ts, ./sshd.ts, ./clients.ts): a private rsyslogd,
 * a real sshd in a namespace logging through it, a real client, and clean-up by PID. Other lab
 * tests (analyze, probe, guard, audit) build on these.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runRaw, runSsh } from './clients.ts';
import { Lab } from './netns.ts';
import { startRsyslog } from './rsyslog.ts';
import { startSshd } from './sshd.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('a lab sshd logs through a private rsyslogd; clients report their own ports; stop() cleans up', { timeout: 60_000 }, async () => {
  const hostHadDevLog = existsSync('/dev/log');
  const lab = Lab.create('sl');
  const syslog = await startRsyslog({ hostname: 'labhost' });
  try {
    const srv = lab.host('srv', 1);
    const cli = lab.host('cli', 50);
    const sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE' } });
    assert.equal(readFileSync(`${sshd.dir}/sshd.pid`, 'utf8').trim(), String(sshd.pid), 'the PID we started is the listener');
    assert.equal(existsSync('/dev/log'), hostHadDevLog, "the host's /dev is untouched");

    const login = runSsh(cli, { target: srv.v4, user: 'root', key: sshd.clientKey });
    assert.ok(login.loggedIn, `key login failed: ${login.stderr}`);
    const refused = runSsh(cli, { target: srv.v4, user: 'root', key: sshd.otherKey });
    assert.ok(!refused.loggedIn, 'the other key must not be authorised');
    const [raw] = runRaw(cli, { host: srv.v6, port: 22, then: 'reset' });
    assert.equal(raw.localAddress, cli.v6);
    assert.ok(raw.gotBanner && raw.serverIdent?.startsWith('SSH-2.0-OpenSSH_9'), JSON.stringify(raw));

    const text = await syslog.waitFor(new RegExp(`Connection reset by ${cli.v6} port ${raw.localPort}`));
    // Debian 12's default rsyslog file format, our host name, sshd's ident and PID.
    assert.match(text, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+[+-]\\d\\d:\\d\\d labhost sshd\\[${sshd.pid}\\]: Server listening on`, 'm'));
    assert.match(text, new RegExp(`Connection from ${cli.v4.replaceAll('.', '\\.')} port ${login.srcPort} on ${srv.v4.replaceAll('.', '\\.')} port 22`));
    assert.match(text, new RegExp(`Accepted publickey for root from ${cli.v4.replaceAll('.', '\\.')} port ${login.srcPort} ssh2`));
    assert.match(text, new RegExp(`Failed publickey for root from ${cli.v4.replaceAll('.', '\\.')} port ${refused.srcPort} ssh2`));

    await sshd.reconfigure({ LogLevel: 'INFO' });
    assert.ok(alive(sshd.pid), 'SIGHUP keeps the same listener PID');
    await sshd.stop();
    assert.ok(!alive(sshd.pid), 'listener ended');
    assert.ok(!existsSync(sshd.dir), 'sshd dir removed');
    const left = spawnSync('ip', ['netns', 'pids', srv.ns], { encoding: 'utf8' }).stdout.trim();
    assert.equal(left, '', 'no process left in the server namespace');
  } finally {
    await syslog.stop();
    await lab.destroy();
  }
  assert.ok(!alive(syslog.pid), 'rsyslogd ended by PID');
  assert.ok(!existsSync(syslog.dir), 'rsyslog dir removed');
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.ok(!ns.includes(lab.id), 'namespaces removed');
});

test('without syslog, a lab sshd writes its own log with -E', { timeout: 30_000 }, async () => {
  const lab = Lab.create('se');
  try {
    const srv = lab.host('srv', 1);
    const cli = lab.host('cli', 51);
    const sshd = await startSshd(srv, { options: { LogLevel: 'INFO' } });
    const [raw] = runRaw(cli, { host: srv.v4, port: 22, then: 'close' });
    const end = Date.now() + 5000;
    let text = '';
    while (Date.now() < end && !text.includes(`port ${raw.localPort}`)) {
      text = existsSync(sshd.stderrLog!) ? readFileSync(sshd.stderrLog!, 'utf8') : '';
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(text, new RegExp(`Connection closed by ${cli.v4.replaceAll('.', '\\.')} port ${raw.localPort}`));
    await sshd.stop();
  } finally {
    await lab.destroy();
  }
});
