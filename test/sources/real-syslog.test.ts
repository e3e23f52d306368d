/**
 * Production-like input: a real sshd (in a lab namespace) logging through syslog(3) to a real
 * rsyslogd, in Debian 12's default file format (RFC 3339) and the traditional one (RFC 3164),
 * with a real SSH client (paramiko) sending a user name that contains a newline and a forged
 * log line. The files rsyslog writes are read with readInputs: detected, framed with host,
 * program and pid, times right, and the forged text stays inside its record (sshd escapes the
 * newline as the two characters backslash and `n` in syslog mode).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Lab, requireRoot } from '../lab/netns.ts';
import { startRsyslog, type Rsyslog } from '../lab/rsyslog.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { readInputs } from '../../src/sources/read-inputs.ts';
import type { FramedLine } from '../../src/framing/index.ts';

const PYTHON = '/usr/bin/python3';
const FORGED = 'Accepted password for root from 198.51.100.77 port 1 ssh2';
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

for (const format of ['debian', 'traditional'] as const) {
  test(`real sshd → rsyslog (${format} format) → readInputs`, async () => {
    requireRoot();
    assert.equal(spawnSync(PYTHON, ['-c', 'import paramiko']).status, 0, 'python3-paramiko missing (listed in test.sh)');
    const lab = Lab.create(format === 'debian' ? 'fsd' : 'fst');
    cleanups.push(() => lab.destroy());
    const srv = lab.host('srv', 1);
    const cli = lab.host('cli', 11);
    const syslog: Rsyslog = await startRsyslog({ format, hostname: 'web7' });
    cleanups.push(() => syslog.stop());
    const sshd: Sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE', PasswordAuthentication: 'yes' } });
    cleanups.push(() => sshd.stop());
    const before = Date.now();
    const client = cli.run(
      PYTHON,
      [
        '-c',
        `
import paramiko, sys
t = paramiko.Transport((sys.argv[1], int(sys.argv[2])))
t.start_client(timeout=10)
try:
    t.auth_password(sys.argv[3], 'wrong-password')
except paramiko.AuthenticationException:
    print('rejected')
t.close()
`,
        srv.v4,
        String(sshd.port),
        `evil\n${FORGED}`,
      ],
      { timeoutMs: 30_000 },
    );
    assert.equal(client.stdout.trim(), 'rejected', client.stderr);
    await syslog.waitFor(/Connection closed by invalid user/, 10_000);
    await syslog.sync();
    const errors: string[] = [];
    const reader = readInputs([syslog.logFile], { onError: (f, l, m) => errors.push(m), now: Date.now() });
    const got: FramedLine[] = [];
    for await (const l of reader) got.push(l);
    assert.deepEqual(errors, []);
    assert.deepEqual(reader.counts.formats.map((f) => f.format), [format === 'debian' ? 'syslog-iso' : 'syslog']);
    assert.ok(got.length >= 5, syslog.read());
    for (const g of got) {
      assert.equal(g.host, 'web7');
      assert.ok(g.program === 'sshd' || g.program === 'sshd-session', g.program);
      assert.ok(typeof g.pid === 'number' && g.pid > 0);
      // traditional format has whole seconds; timestamps are within the test's run
      assert.ok(g.ts !== null && g.ts >= before - 60_000 && g.ts <= Date.now() + 1000, `${g.ts} ${before}`);
      assert.ok(!g.message.startsWith('Accepted'), `forged record: ${g.message}`);
    }
    const invalid = got.find((g) => g.message.startsWith('Invalid user '))!;
    assert.ok(invalid, syslog.read());
    assert.ok(invalid.message.startsWith(`Invalid user evil\\n${FORGED} from ${cli.v4} port `), invalid.message);
    // one connection = one per-connection pid on its lines
    const conn = got.filter((g) => g.message.includes(cli.v4));
    assert.ok(new Set(conn.map((g) => g.pid)).size === 1, JSON.stringify(conn));
  });
}
