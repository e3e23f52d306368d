/**
 * The doctor scenario suite: one lab scenario per cause that can be built here (network
 * namespaces, the real sshd, the real fail2ban with its nftables action, real nftables, real
 * nginx, real clients; documentation addresses only). Each asserts that the right cause is ranked
 * first with the right evidence and fix, for `doctor` in the server namespace (server-wide and
 * `--client`) and, where the client can tell, `doctor user@host` from the client namespace.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, appendFileSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab, requireRoot, type Host } from '../lab/netns.ts';
import { startRsyslog, type Rsyslog } from '../lab/rsyslog.ts';
import { startSshd, type Sshd, type SshdOptions } from '../lab/sshd.ts';
import { runSsh, spawnRaw, setEphemeralRange } from '../lab/clients.ts';
import { doctor, causesText, nft, startFail2ban, startNginx, clientSshConfig, type DoctorRun } from './lab-helpers.ts';

requireRoot();
let lab: Lab;
let srv: Host;
let cli: Host;
let scan: Host;
let tmp: string;

before(() => {
  lab = Lab.create('dr');
  srv = lab.host('srv', 1);
  cli = lab.host('cli', 11);
  scan = lab.host('scan', 66);
  tmp = mkdtempSync(join(tmpdir(), 'sshwarden-doctor-'));
});
after(async () => {
  await lab.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

interface Scene {
  syslog: Rsyslog;
  sshd: Sshd;
}

/** A fresh rsyslog + sshd on srv for one scenario; the firewall of srv is emptied after it. */
async function scene(opts: SshdOptions, body: (s: Scene) => Promise<void>): Promise<void> {
  const syslog = await startRsyslog();
  let sshd: Sshd | null = null;
  try {
    sshd = await startSshd(srv, { syslog, ...opts, options: { LogLevel: 'VERBOSE', PasswordAuthentication: 'yes', ...(opts.options ?? {}) } });
    await body({ syslog, sshd });
  } finally {
    await sshd?.stop();
    await syslog.stop();
    srv.run('nft', ['flush', 'ruleset']);
  }
}

/** `doctor user@host` from cli: first free its ephemeral ports (the lab's clients pin one source port). */
function clientDoctor(args: string[]): DoctorRun {
  setEphemeralRange(cli, 32768, 60999);
  return doctor(cli, args);
}

function serverDoctor(s: Scene, extra: string[] = []): DoctorRun {
  return doctor(srv, ['--log', s.syslog.logFile, '--config', s.sshd.configPath, '--since', '30m', ...extra]);
}

function first(r: DoctorRun, id: string, by?: string): DoctorRun['json']['causes'][number] {
  const c = r.json.causes[0];
  assert.ok(c, `no cause at all:\n${causesText(r.json)}`);
  assert.equal(c.id, id, `first cause should be ${id}:\n${causesText(r.json)}`);
  if (by) assert.equal(c.by, by, causesText(r.json));
  return c;
}

function has(r: DoctorRun, id: string): DoctorRun['json']['causes'][number] {
  const c = r.json.causes.find((x) => x.id === id);
  assert.ok(c, `${id} should be among the causes:\n${causesText(r.json)}`);
  return c;
}

function evidenceMatches(c: { evidence: { where: string; text: string }[] }, re: RegExp): void {
  assert.ok(c.evidence.some((e) => re.test(`${e.where} ${e.text}`)), `evidence should match ${re}: ${JSON.stringify(c.evidence, null, 1)}`);
}

function fixMatches(c: { fix: { commands: string[]; changes: { text: string }[] }[] }, re: RegExp): void {
  const all = c.fix.flatMap((f) => [...f.commands, ...f.changes.map((x) => x.text)]).join('\n');
  assert.ok(re.test(all), `fix should match ${re}:\n${all}`);
}

function login(s: Scene, host: Host = cli): void {
  const r = runSsh(host, { target: srv.v4, user: 'root', key: s.sshd.clientKey });
  assert.ok(r.loggedIn, `legit login failed: ${r.stderr}`);
}

function report(t: { diagnostic(s: string): void }, name: string, runs: DoctorRun[]): void {
  t.diagnostic(`${name}: ${runs.map((r) => `${r.json.causes[0]?.id ?? 'none'} (${r.ms} ms, exit ${r.status})`).join(', ')}`);
}

test('banned by fail2ban (real fail2ban-server, nftables action): first cause, jail, lift and ignoreip', async (t) => {
  await scene({}, async (s) => {
    const f2b = await startFail2ban(srv, s.syslog.logFile);
    try {
      login(s);
      for (let i = 0; i < 3; i++) runSsh(cli, { target: srv.v4, user: 'root', password: 'wrong', tries: 1 });
      const deadline = Date.now() + 40_000;
      while (!/192\.0\.2\.11/.test(f2b.client(['status', 'sshd'])) && Date.now() < deadline) await sleep(500);
      assert.match(f2b.client(['status', 'sshd']), /192\.0\.2\.11/, 'fail2ban did not ban the client');
      assert.equal(runSsh(cli, { target: srv.v4, user: 'root', key: s.sshd.clientKey }).loggedIn, false, 'the ban does not bite');
      const sock = ['--fail2ban-socket', f2b.socket];
      const c1 = serverDoctor(s, [...sock, '--client', '192.0.2.11']);
      const b = first(c1, 'banned', 'fail2ban');
      evidenceMatches(b, /fail2ban-client.*get sshd banip|192\.0\.2\.11/);
      fixMatches(b, /fail2ban-client set sshd unbanip 192\.0\.2\.11/);
      fixMatches(b, /ignoreip = .*192\.0\.2\.11/);
      assert.equal(c1.status, 1);
      const s1 = serverDoctor(s, sock);
      first(s1, 'banned', 'fail2ban');
      const cfg = clientSshConfig(tmp, s.sshd.clientKey, s.sshd.knownHostsFile);
      const k1 = clientDoctor(['-F', cfg, `root@${srv.v4}`, '--timeout', '3']);
      has(k1, 'banned');
      report(t, 'banned/fail2ban', [c1, s1, k1]);
    } finally {
      await f2b.stop();
    }
  });
});

test('banned by an nftables set: first cause, set element as evidence, nft delete element', async (t) => {
  await scene({}, async (s) => {
    login(s);
    nft(srv, 'table inet filter {\n set blocked { type ipv4_addr; elements = { 192.0.2.11 }; }\n chain input { type filter hook input priority 0; policy accept; ip saddr @blocked drop; }\n}\n');
    const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
    const b = first(c1, 'banned', 'nftables');
    evidenceMatches(b, /set blocked: element 192\.0\.2\.11/);
    fixMatches(b, /nft delete element inet filter blocked '\{ 192\.0\.2\.11 \}'/);
    const s1 = serverDoctor(s);
    first(s1, 'banned', 'nftables');
    report(t, 'banned/nftables', [c1, s1]);
  });
});

test('maxstartups: a user who logged in is dropped while scanners hold the slots', async (t) => {
  await scene({ options: { MaxStartups: '2:100:2', LoginGraceTime: 60 } }, async (s) => {
    login(s);
    const holders = spawnRaw(scan, { host: srv.v4, port: 22, count: 2, then: 'hold', holdMs: 90_000 });
    try {
      await holders.ready;
      const r = runSsh(cli, { target: srv.v4, user: 'root', key: s.sshd.clientKey });
      assert.equal(r.loggedIn, false, 'the user got in although MaxStartups is full');
      await s.syslog.waitFor(/drop connection #\d+ from \[192\.0\.2\.11\]/, 10_000);
      const s1 = serverDoctor(s);
      const m = first(s1, 'maxstartups');
      evidenceMatches(m, /drop connection #\d+ from \[192\.0\.2\.11\]/);
      fixMatches(m, /MaxStartups \d+|PerSourceMaxStartups \d+/);
      const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
      first(c1, 'maxstartups');
      report(t, 'maxstartups', [s1, c1]);
    } finally {
      holders.release();
      await holders.results.catch(() => []);
    }
  });
});

test('wrong_service: nginx holds port 22, sshd got only 2222', async (t) => {
  const nginx = await startNginx(srv, 22);
  try {
    await scene({ port: 2222, listen: ['0.0.0.0:2222', '[::]:2222', '0.0.0.0:22', '[::]:22'], startTimeoutMs: 15_000 }, async (s) => {
      await s.syslog.waitFor(/Bind to port 22 on 0\.0\.0\.0 failed/, 5000);
      const s1 = serverDoctor(s);
      const w = first(s1, 'wrong_service');
      evidenceMatches(w, /:22 nginx/);
      const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
      first(c1, 'wrong_service');
      const cfg = clientSshConfig(tmp, s.sshd.clientKey, s.sshd.knownHostsFile);
      const k1 = clientDoctor(['-F', cfg, `root@${srv.v4}`, '--timeout', '3']);
      first(k1, 'wrong_service');
      report(t, 'wrong_service', [s1, c1, k1]);
    });
  } finally {
    await nginx.stop();
  }
});

test('port_translation: an nftables redirect sends port 22 to nginx on 8080', async (t) => {
  const nginx = await startNginx(srv, 8080);
  try {
    await scene({}, async (s) => {
      nft(srv, 'table ip nat {\n chain prerouting { type nat hook prerouting priority dstnat; policy accept; tcp dport 22 redirect to :8080; }\n}\n');
      const s1 = serverDoctor(s);
      const p = first(s1, 'port_translation');
      evidenceMatches(p, /redirect to :8080/);
      const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
      first(c1, 'port_translation');
      const cfg = clientSshConfig(tmp, s.sshd.clientKey, s.sshd.knownHostsFile);
      const k1 = clientDoctor(['-F', cfg, `root@${srv.v4}`, '--timeout', '3']);
      first(k1, 'wrong_service');
      report(t, 'port_translation', [s1, c1, k1]);
    });
  } finally {
    await nginx.stop();
  }
});

test('address_family / not_listening: sshd listens on IPv4 only, the client comes over IPv6', async (t) => {
  await scene({ listen: ['0.0.0.0'] }, async (s) => {
    const r = runSsh(cli, { target: srv.v6, user: 'root', key: s.sshd.clientKey });
    assert.equal(r.loggedIn, false);
    const c1 = serverDoctor(s, ['--client', cli.v6]);
    const a = first(c1, 'address_family');
    evidenceMatches(a, /no IPv6 listener/);
    fixMatches(a, /AddressFamily any/);
    const s1 = serverDoctor(s);
    has(s1, 'address_family');
    const cfg = clientSshConfig(tmp, s.sshd.clientKey, s.sshd.knownHostsFile);
    const k1 = clientDoctor(['-F', cfg, `root@[${srv.v6}]`, '--timeout', '3']);
    first(k1, 'not_listening');
    report(t, 'address_family', [c1, s1, k1]);
  });
});

test('config_invalid: an edit sshd -t rejects', async (t) => {
  await scene({}, async (s) => {
    appendFileSync(s.sshd.configPath, 'MaxStartups banana\n');
    const s1 = serverDoctor(s);
    const c = first(s1, 'config_invalid');
    evidenceMatches(c, /sshd -t/);
    evidenceMatches(c, /banana|MaxStartups/i);
    fixMatches(c, /sshd -t/);
    report(t, 'config_invalid', [s1]);
  });
});

test('config_not_reloaded: Port changed in the file, sshd still on the old port', async (t) => {
  await scene({}, async (s) => {
    await sleep(1100);
    appendFileSync(s.sshd.configPath, '');
    const text = (await import('node:fs')).readFileSync(s.sshd.configPath, 'utf8').replace(/^Port 22$/m, 'Port 2222');
    (await import('node:fs')).writeFileSync(s.sshd.configPath, text);
    const now = new Date();
    utimesSync(s.sshd.configPath, now, now);
    const s1 = serverDoctor(s);
    const c = first(s1, 'config_not_reloaded');
    evidenceMatches(c, /ss -ltnp|modified/);
    fixMatches(c, /systemctl reload ssh/);
    const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
    first(c1, 'config_not_reloaded');
    report(t, 'config_not_reloaded', [s1, c1]);
  });
});

test('algorithm_mismatch: a client that offers only a key exchange this sshd does not', async (t) => {
  await scene({ options: { KexAlgorithms: 'curve25519-sha256,curve25519-sha256@libssh.org' } }, async (s) => {
    login(s);
    const r = runSsh(cli, { target: srv.v4, user: 'root', key: s.sshd.clientKey, options: ['KexAlgorithms=diffie-hellman-group14-sha256'] });
    assert.equal(r.loggedIn, false);
    await s.syslog.waitFor(/no matching key exchange method found/, 10_000);
    const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
    const a = first(c1, 'algorithm_mismatch');
    evidenceMatches(a, /no matching key exchange method found/);
    fixMatches(a, /KexAlgorithms .*diffie-hellman-group14-sha256/);
    const s1 = serverDoctor(s);
    first(s1, 'algorithm_mismatch');
    const cfg = clientSshConfig(tmp, s.sshd.clientKey, s.sshd.knownHostsFile, ['KexAlgorithms diffie-hellman-group14-sha256']);
    const k1 = clientDoctor(['-F', cfg, `root@${srv.v4}`, '--timeout', '3']);
    first(k1, 'algorithm_mismatch');
    report(t, 'algorithm_mismatch', [c1, s1, k1]);
  });
});

test('rate_limit_rule: an nftables limit on new SSH connections', async (t) => {
  await scene({}, async (s) => {
    nft(srv, 'table inet filter {\n chain input { type filter hook input priority 0; policy accept; tcp dport 22 ct state new limit rate over 2/minute burst 2 packets drop; }\n}\n');
    for (let i = 0; i < 2; i++) login(s);
    assert.equal(runSsh(cli, { target: srv.v4, user: 'root', key: s.sshd.clientKey, timeoutMs: 15_000 }).loggedIn, false, 'the limit does not bite');
    const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
    const r = first(c1, 'rate_limit_rule');
    evidenceMatches(r, /limit rate over 2\/minute/);
    const s1 = serverDoctor(s);
    first(s1, 'rate_limit_rule');
    report(t, 'rate_limit_rule', [c1, s1]);
  });
});

test('match_denies: AllowUsers leaves root out', async (t) => {
  await scene({ options: { AllowUsers: 'alice' } }, async (s) => {
    const r = runSsh(cli, { target: srv.v4, user: 'root', key: s.sshd.clientKey });
    assert.equal(r.loggedIn, false);
    await s.syslog.waitFor(/not allowed because/, 10_000);
    const c1 = serverDoctor(s, ['--client', 'root@192.0.2.11']);
    const m = first(c1, 'match_denies');
    evidenceMatches(m, /not allowed because not listed in AllowUsers|AllowUsers alice/);
    const s1 = serverDoctor(s);
    first(s1, 'match_denies');
    report(t, 'match_denies', [c1, s1]);
  });
});

test('scanners_only: a clean server with scanners and one user says nothing to fix (exit 0)', async (t) => {
  await scene({}, async (s) => {
    login(s);
    await import('../lab/clients.ts').then(({ runRaw }) => {
      runRaw(scan, { host: srv.v4, port: 22, count: 3, then: 'close' });
      runRaw(scan, { host: srv.v4, port: 22, count: 2, send: 'GET / HTTP/1.1\r\n\r\n', then: 'close' });
    });
    await sleep(1500);
    const s1 = serverDoctor(s);
    first(s1, 'scanners_only');
    assert.equal(s1.status, 0, causesText(s1.json));
    assert.match(s1.json.verdict, /^Nothing to fix/);
    assert.ok(s1.json.causes.every((c) => !c.action), causesText(s1.json));
    const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
    assert.equal(c1.status, 0, causesText(c1.json));
    report(t, 'scanners_only', [s1, c1]);
  });
});

test('two causes at once: a ban and a rate limit, the ban first', async (t) => {
  await scene({}, async (s) => {
    login(s);
    nft(srv, 'table inet filter {\n set blocked { type ipv4_addr; elements = { 192.0.2.11 }; }\n chain input { type filter hook input priority 0; policy accept; ip saddr @blocked drop; tcp dport 22 ct state new limit rate over 10/minute drop; }\n}\n');
    const c1 = serverDoctor(s, ['--client', '192.0.2.11']);
    first(c1, 'banned', 'nftables');
    assert.equal(c1.json.causes[1]?.id, 'rate_limit_rule', causesText(c1.json));
    assert.ok(c1.json.causes[0].confidence > c1.json.causes[1].confidence);
    report(t, 'two causes', [c1]);
  });
});

test('sshd_not_running: config says port 22, no sshd in this namespace', async (t) => {
  await scene({}, async (s) => {
    await s.sshd.stop({ keepDir: true });
    const s1 = serverDoctor(s);
    first(s1, 'sshd_not_running');
    report(t, 'sshd_not_running', [s1]);
  });
});
