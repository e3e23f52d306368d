/**
 * The guard's systemd unit under a real systemd: a Debian 12 root (debootstrap, cached) booted
 * with systemd-nspawn, with Debian's own sshd, rsyslog and journald. The project is installed
 * inside by the README's steps (the checkout is bind-mounted read-only at /opt/sshwarden, with
 * its .tools/ and node_modules/: the container has no network, so the first-run npm install is
 * already done). Clients are lab namespaces on a bridge joined to the container's eth1
 * (192.0.2.0/24 only). Checks: a clean start, a ban from /var/log/auth.log, a ban from journald,
 * a failing reload that keeps the daemon, a failing restart that keeps the kernel's bans and
 * does not loop, stop + table deleted + start restores the bans, and a dead log source that
 * makes the guard give up loudly instead of looking healthy.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Lab, requireRoot, type Host } from '../lab/netns.ts';
import { runRaw } from '../lab/clients.ts';
import { reaches } from '../guard/guard-lab.ts';
import { bootContainer, ensureBookwormRoot, type Container } from '../lab/nspawn.ts';

const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const UNIT = 'sshwarden-guard';
const CONFIG = '/etc/sshwarden/config.yaml';

let lab: Lab;
let c: Container;
let server: string;
let fileClient: Host;
let journalClient: Host;

requireRoot();

// The first run builds the Debian root (minutes): a 30 min hook timeout; every step inside is bounded.
before(async () => {
  const root = ensureBookwormRoot();
  lab = Lab.create('sd');
  fileClient = lab.host('cli', 11);
  journalClient = lab.host('jcli', 12);
  const t0 = Date.now();
  c = await bootContainer(root, { binds: [{ host: CHECKOUT, container: '/opt/sshwarden' }] });
  process.stderr.write(`systemd test: Debian 12 container booted in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  server = c.joinLab(lab, 1);
  // Container-only: a sandboxed service sees the kernel's boot id, journald the container's fake one.
  c.useKernelBootId();
}, { timeout: 30 * 60_000 });

after(async () => {
  await c?.stop();
  await lab?.destroy();
});

/** The inside of `sh -c` for the README's install steps (run as root: a minimal Debian has no sudo). */
const sh = (script: string, timeoutMs = 120_000) => c.run('sh', ['-euc', script], { timeoutMs });

function show(prop: string): string {
  return c.check('systemctl', ['show', UNIT, '-p', prop, '--value']).trim();
}

interface Log {
  msg: string;
  level?: string;
  [k: string]: unknown;
}

/** The guard's JSON log lines in the journal since `cursor` (all when null). */
function guardLogs(): Log[] {
  const out = c.check('journalctl', ['-u', UNIT, '-o', 'cat', '--no-pager', '-q']);
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Log);
}

/** The unit's own journal lines (systemd's and the guard's), as text. */
function unitJournal(): string {
  return c.check('journalctl', ['-u', UNIT, '--no-pager', '-q', '-o', 'short-monotonic']);
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}\n--- unit journal ---\n${unitJournal().slice(-6000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function banned(): string {
  const r = c.run('nft', ['list', 'set', 'inet', 'sshwarden', 'ban4']);
  return r.status === 0 ? r.stdout : '';
}

function inSet(addr: string): boolean {
  return new RegExp(`\\b${addr.replace(/\./g, '\\.')}\\b`).test(banned());
}

/** Silent connect-and-close probes (weight 3; threshold 30: 10 of them) until the source is in the kernel set. */
async function attackUntilBanned(client: Host, max = 20): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (inSet(client.v4)) return i;
    try {
      runRaw(client, { host: server, port: 22, waitBanner: false, then: 'close' });
    } catch {
      // banned between the check and the connect: the SYN is dropped and the client reports nothing
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return until(`ban of ${client.v4} in the nft set`, 30_000, () => inSet(client.v4) && max);
}

test('install by the README steps: the unit starts with no warnings', async () => {
  // README "Install and run with systemd", as root; the checkout is already at /opt/sshwarden.
  const r = sh(`cd /opt/sshwarden
./sshwarden --version
install -d -m 700 /etc/sshwarden
install -m 600 packaging/config.example.yaml ${CONFIG}
./sshwarden guard --check -c ${CONFIG}
install -m 644 packaging/sshwarden-guard.service /etc/systemd/system/
systemctl daemon-reload && systemctl enable --now ${UNIT}`);
  assert.equal(r.status, 0, `install steps failed: ${r.stderr}${r.stdout}`);
  const verify = c.run('systemd-analyze', ['verify', `/etc/systemd/system/${UNIT}.service`]);
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal(verify.stderr.trim(), '', `systemd-analyze verify warns: ${verify.stderr}`);
  await until('guard started (file mode: /var/log/auth.log exists)', 60_000, () => guardLogs().find((l) => l.msg === 'guard started'));
  assert.equal(show('ActiveState'), 'active');
  // Type=notify: ready was credited to the unit, and its status line says what it follows.
  assert.equal(show('StatusText'), 'following /var/log/auth.log');
  const started = guardLogs().find((l) => l.msg === 'guard started')!;
  assert.deepEqual(started.sources, ['/var/log/auth.log']);
  // No warning from systemd (e.g. "ConfigurationDirectory ... mode is different") nor from the guard.
  const warnings = c.check('journalctl', ['-u', UNIT, '-p', 'warning', '--no-pager', '-q', '-o', 'cat']).trim();
  assert.equal(warnings, '', `warnings at start: ${warnings}`);
  const guardWarns = guardLogs().filter((l) => l.level === 'warn' || l.level === 'error');
  assert.deepEqual(guardWarns, []);
  assert.equal(c.check('stat', ['-c', '%a', '/etc/sshwarden']).trim(), '700');
});

test('file mode: a silent-connection flood from a namespace is banned in the kernel', async () => {
  assert.ok(reaches(fileClient, server), 'the client reaches sshd before');
  await attackUntilBanned(fileClient);
  const ban = await until('ban logged', 10_000, () => guardLogs().find((l) => l.msg === 'ban' && l.target === fileClient.v4));
  assert.match(String(ban.reason), /closed_before_ident|silent/);
  assert.equal(reaches(fileClient, server), false, 'the banned client still reaches sshd');
  const status = c.check('/opt/sshwarden/sshwarden', ['status', '--json']);
  const st = JSON.parse(status) as { running: boolean; following: string[]; bans: { target: string }[] };
  assert.equal(st.running, true);
  assert.deepEqual(st.following, ['/var/log/auth.log']);
  assert.ok(st.bans.some((b) => b.target === fileClient.v4));
});

test('journald mode (log.source: journal, set by a reload): a flood is banned', async () => {
  const pid = show('MainPID');
  c.writeFile(CONFIG, 'log:\n  source: journal\n');
  const r = c.run('systemctl', ['reload', UNIT], { timeoutMs: 60_000 });
  assert.equal(r.status, 0, `reload failed: ${r.stderr}`);
  assert.equal(show('MainPID'), pid, 'reload kept the process');
  await until('journal follower started', 30_000, () => {
    const st = JSON.parse(c.check('/opt/sshwarden/sshwarden', ['status', '--json'])) as { following: string[] };
    return st.following.includes('journal');
  });
  await attackUntilBanned(journalClient);
  const logs = guardLogs();
  assert.ok(logs.some((l) => l.msg === 'ban' && l.target === journalClient.v4));
  assert.deepEqual(logs.filter((l) => /not following|follower|log source/.test(l.msg)), [], 'the journal follower never failed');
});

test('reload with a bad config fails visibly and keeps the daemon and its config', async () => {
  const pid = show('MainPID');
  c.writeFile(CONFIG, 'log:\n  source: journal\npolicy:\n  threshold: many\n');
  const r = c.run('systemctl', ['reload', UNIT], { timeoutMs: 60_000 });
  assert.equal(r.status, 1, 'systemctl reload did not fail (exit 1) for a bad config');
  assert.equal(show('ActiveState'), 'active');
  assert.equal(show('MainPID'), pid, 'the daemon was replaced');
  assert.match(unitJournal(), /config\.yaml:\d+.*threshold/, 'the journal names the file, line and key');
  // The same process for longer than WatchdogSec=60s: the watchdog pings arrive.
  const upSec = (): number => Number(c.check('cat', ['/proc/uptime']).split(' ')[0]) - Number(show('ExecMainStartTimestampMonotonic')) / 1e6;
  await until('the guard up for 70 s', 90_000, () => upSec() > 70);
  assert.equal(show('MainPID'), pid);
  assert.equal(show('NRestarts'), '0');
  assert.doesNotMatch(unitJournal(), /[Ww]atchdog timeout/);
  assert.equal(show('StatusText'), 'following journal');
  assert.deepEqual(guardLogs().filter((l) => l.msg === 'systemd notification failed'), []);
  // `status` reads the config for the socket path: give it a valid one (the default file is the bad one now).
  c.writeFile('/root/good.yaml', 'log:\n  source: journal\n');
  const st = JSON.parse(c.check('/opt/sshwarden/sshwarden', ['status', '--json', '-c', '/root/good.yaml'])) as { running: boolean; following: string[] };
  assert.equal(st.running, true);
  assert.deepEqual(st.following, ['journal']);
});

test('restart with a bad config: fails at once, no restart loop, the kernel keeps the bans', async () => {
  // The bad config from the previous test is still in place.
  const r = c.run('systemctl', ['restart', UNIT], { timeoutMs: 60_000 });
  assert.notEqual(r.status, 0, 'systemctl restart reported success for a bad config');
  // Longer than RestartSec (5 s): a loop would have restarted it by then.
  await new Promise((res) => setTimeout(res, 8000));
  assert.equal(show('ActiveState'), 'failed');
  assert.equal(show('NRestarts'), '0', 'systemd restarted a config error');
  assert.ok(inSet(fileClient.v4) && inSet(journalClient.v4), `bans gone from the kernel after the failed restart: ${banned()}`);
  assert.equal(reaches(journalClient, server), false, 'the banned client reaches sshd while the guard is down');
});

test('stop, table deleted, start: the bans come back from the store', async () => {
  c.writeFile(CONFIG, 'log:\n  source: journal\n');
  c.check('systemctl', ['reset-failed', UNIT]);
  c.check('systemctl', ['start', UNIT], { timeoutMs: 60_000 });
  c.check('systemctl', ['stop', UNIT], { timeoutMs: 60_000 });
  assert.ok(inSet(journalClient.v4), 'stop removed the bans');
  c.check('nft', ['delete', 'table', 'inet', 'sshwarden']);
  assert.ok(reaches(journalClient, server), 'without the table the client gets through');
  c.check('systemctl', ['start', UNIT], { timeoutMs: 60_000 });
  await until('bans back in the kernel', 30_000, () => inSet(fileClient.v4) && inSet(journalClient.v4));
  assert.equal(reaches(journalClient, server), false);
});

test('a dead log source is loud: status says so, metrics show 0, the guard exits non-zero, systemd restarts it, then the unit fails', async () => {
  // Re-create the shipped bug (ProcSubset=pid hides /proc/sys/kernel/random/boot_id from journalctl) in a test-only drop-in.
  c.writeFile(`/etc/systemd/system/${UNIT}.service.d/dead-source.conf`, '[Service]\nProcSubset=pid\n', '644');
  c.check('systemctl', ['daemon-reload']);
  c.check('systemctl', ['restart', UNIT], { timeoutMs: 60_000 });
  const st = await until('status reports no source', 30_000, () => {
    const r = c.run('/opt/sshwarden/sshwarden', ['status', '--json']);
    if (r.status !== 0) return null;
    const s = JSON.parse(r.stdout) as { running?: boolean; following: string[]; sourceStates: { state: string; lastError: string }[] };
    return s.running && s.sourceStates?.some((x) => x.state === 'failing') ? s : null;
  });
  assert.deepEqual(st.following, []);
  assert.match(st.sourceStates[0].lastError, /boot id/);
  const text = c.check('/opt/sshwarden/sshwarden', ['status']);
  assert.match(text, /not following anything/);
  assert.match(show('StatusText'), /^not following anything: journal: .*boot id/);
  const metrics = c.check('bash', ['-c', 'exec 3<>/dev/tcp/127.0.0.1/9687; printf "GET /metrics HTTP/1.0\\r\\n\\r\\n" >&3; cat <&3']);
  assert.match(metrics, /^sshwarden_guard_sources_following 0$/m);
  // 5 failures 5 s apart, then exit 4; RestartForceExitStatus=4 starts it again, RestartSec=5s later.
  const t0 = Date.now();
  await until('the guard gave up and systemd restarted it', 90_000, () => Number(show('NRestarts')) >= 1);
  const firstExit = (Date.now() - t0) / 1000;
  assert.match(unitJournal(), /not following anything: giving up/);
  assert.match(unitJournal(), /status=4/);
  // ... until the start limit (5 starts in 10 min): then the unit stays failed, not "active" forever.
  // (systemd 252 keeps Result=exit-code here; the journal says why it is not started again.)
  await until('the unit failed on its start limit', 300_000, () => show('ActiveState') === 'failed' && /Start request repeated too quickly/.test(unitJournal()));
  process.stderr.write(`dead source: first exit after ~${firstExit.toFixed(0)} s, unit failed (start limit) after ${((Date.now() - t0) / 1000).toFixed(0)} s, ${show('NRestarts')} restarts\n`);
  c.check('systemctl', ['reset-failed', UNIT]);
  c.check('rm', [`/etc/systemd/system/${UNIT}.service.d/dead-source.conf`]);
  c.check('systemctl', ['daemon-reload']);
  c.check('systemctl', ['stop', UNIT], { timeoutMs: 60_000 });
});
