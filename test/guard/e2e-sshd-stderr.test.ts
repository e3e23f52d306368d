/**
 * End to end: the guard follows a real sshd's `-E` log file (sshd's own format: records end in
 * CR LF and a client's newline is written raw). An attacker puts a forged
 * `Accepted password for root from <its own address> …` line into its user name, hoping the
 * guard will count it as a successful login and so never ban it. The forged text must stay
 * inside the attacker's record: the attacker is banned like any other brute-forcer.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Lab } from '../lab/netns.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { attackUntilBanned, baseConfig, guardDir, nftElements, reaches, startGuard, writeConfig, type RunningGuard } from './guard-lab.ts';

const PYTHON = '/usr/bin/python3';
const lab = Lab.create('gse');
const srv = lab.host('srv', 1);
const attacker = lab.host('att', 41);
let sshd: Sshd;
let guard: RunningGuard;
const dir = guardDir();

const PARAMIKO_LOGIN = `
import paramiko, sys
t = paramiko.Transport((sys.argv[2], 22))
t.start_client(timeout=10)
try:
    t.auth_password(sys.argv[1], 'wrong-password')
    print('accepted')
except paramiko.AuthenticationException:
    print('rejected')
t.close()
`;

before(async () => {
  const py = spawnSync(PYTHON, ['-c', 'import paramiko'], { encoding: 'utf8' });
  assert.equal(py.status, 0, `python3-paramiko missing (listed in test.sh): ${py.stderr}`);
  sshd = await startSshd(srv, { options: { LogLevel: 'INFO', PasswordAuthentication: 'yes', UsePAM: 'no' } });
  assert.ok(sshd.stderrLog, 'sshd logs with -E');
  guard = await startGuard(srv, writeConfig(dir, baseConfig(dir, sshd.stderrLog!)));
});

after(async () => {
  await guard?.stop();
  await sshd?.stop();
  await lab.destroy();
});

test('sshd -E: a forged "Accepted" line in a user name does not make the attacker a trusted user', async () => {
  const forged = `evil\nAccepted password for root from ${attacker.v4} port 1 ssh2`;
  const steps = await attackUntilBanned(
    guard,
    attacker.v4,
    () => {
      const r = attacker.run(PYTHON, ['-c', PARAMIKO_LOGIN, forged, srv.v4], { timeoutMs: 20_000 });
      assert.equal(r.stdout.trim(), 'rejected', `paramiko: ${r.stderr}`);
    },
    8,
  );
  assert.ok(steps < 8, `attacker never banned after ${steps} forged-login attempts`);
  assert.ok(
    !guard.logs.some((l) => /refus/i.test(l.msg) && JSON.stringify(l).includes(attacker.v4)),
    'the guard refused to ban the attacker: the forged Accepted line was believed',
  );
  assert.ok(nftElements(srv).includes(attacker.v4), 'attacker in the nft set');
  assert.equal(reaches(attacker, srv.v4), false, 'attacker next SYN dropped');
});
