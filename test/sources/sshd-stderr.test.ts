/**
 * `sshd -E file` input, from a real sshd (Debian's 9.2p1) on loopback with its own config and
 * host key, and a real SSH client (paramiko, Debian's python3-paramiko) that sends a user name
 * containing a newline and a forged log line. sshd -E writes records as `message\r\n` and
 * leaves a client's `\n` raw, so the forged text lands on a physical line of its own; the
 * framer must keep it inside the record it belongs to.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { readInputs } from '../../src/sources/read-inputs.ts';
import { createFramer, detectFormat, type FramedLine } from '../../src/framing/index.ts';

const SSHD = '/usr/sbin/sshd';
const PYTHON = '/usr/bin/python3';
const FORGED = 'Accepted password for root from 198.51.100.77 port 1 ssh2';
let dir = '';
let sshd: ChildProcess | null = null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

let logFile = '';
before(async () => {
  assert.ok(existsSync(SSHD), 'openssh-server missing (listed in test.sh)');
  const py = spawnSync(PYTHON, ['-c', 'import paramiko'], { encoding: 'utf8' });
  assert.equal(py.status, 0, `python3-paramiko missing (listed in test.sh): ${py.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'sshwarden-stderr-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
  const port = await freePort();
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${join(dir, 'hostkey')}`, `PidFile ${join(dir, 'sshd.pid')}`, 'UsePAM no', 'PasswordAuthentication yes', 'LogLevel VERBOSE', ''].join('\n'),
  );
  execFileSync('mkdir', ['-p', '/run/sshd']);
  logFile = join(dir, 'sshd.log');
  sshd = spawn(SSHD, ['-D', '-f', cfg, '-E', logFile], { stdio: 'ignore' });
  await waitFor(() => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('Server listening'), 10_000);
  const client = spawnSync(
    PYTHON,
    [
      '-c',
      `
import paramiko, sys
t = paramiko.Transport(('127.0.0.1', ${port}))
t.start_client(timeout=10)
try:
    t.auth_password(sys.argv[1], 'wrong-password')
except paramiko.AuthenticationException:
    print('rejected')
t.close()
`,
      `evil\n${FORGED}`,
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  assert.equal(client.stdout.trim(), 'rejected', client.stderr);
  await waitFor(() => readFileSync(logFile, 'utf8').includes('Connection closed by invalid user'), 10_000);
  sshd.kill('SIGTERM');
  await waitFor(() => sshd!.exitCode !== null || sshd!.signalCode !== null, 10_000);
  sshd = null;
});

after(() => {
  if (sshd !== null && sshd.exitCode === null) sshd.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the raw file really has the forged text on a physical line of its own', () => {
  const raw = readFileSync(logFile, 'utf8');
  assert.ok(raw.split('\n').some((l) => l.startsWith(FORGED)), raw);
});

test('sshd -E: detected, every record envelope-less, the forged line never becomes a record', async () => {
  const raw = readFileSync(logFile, 'utf8');
  assert.equal(detectFormat(raw.split('\n').slice(0, 20)), 'sshd-stderr');
  const got: FramedLine[] = [];
  const errors: string[] = [];
  const reader = readInputs([logFile], { onError: (f, l, m) => errors.push(m) });
  for await (const l of reader) got.push(l);
  assert.deepEqual(errors, []);
  assert.ok(got.length >= 6, JSON.stringify(got));
  for (const g of got) {
    assert.equal(g.program, 'sshd');
    assert.equal(g.pid, null);
    assert.equal(g.host, null);
    assert.equal(g.ts, null);
    assert.ok(!g.message.endsWith('\r'));
    assert.ok(!g.message.startsWith('Accepted'), `forged record: ${JSON.stringify(g)}`);
  }
  const invalid = got.find((g) => g.message.startsWith('Invalid user evil'))!;
  assert.ok(invalid, 'Invalid user record');
  assert.equal(invalid.message, `Invalid user evil\n${FORGED} from 127.0.0.1 port ${/port (\d+)/.exec(got[1].message)![1]}`);
  assert.equal(reader.counts.framed, got.length);
  assert.ok(reader.counts.lines > got.length, 'physical lines outnumber records (the newlines inside)');
  // Line numbers: each record gets the number of its first physical line.
  const lines = raw.split('\n');
  for (const g of got) assert.ok(lines[g.line - 1].startsWith(g.message.split('\n')[0]), `line ${g.line}`);
});

test('sshd-stderr framer: CR LF records, joined continuations, LF-only fallback, flush', () => {
  const f = createFramer('sshd-stderr', 'x.log');
  assert.equal(f.frame('Server listening on 0.0.0.0 port 22.\r', 1)!.message, 'Server listening on 0.0.0.0 port 22.');
  assert.equal(f.frame('Invalid user a', 2), null);
  assert.equal(f.frame('b', 3), null);
  const joined = f.frame('c from 192.0.2.1 port 5\r', 4)!;
  assert.equal(joined.message, 'Invalid user a\nb\nc from 192.0.2.1 port 5');
  assert.equal(joined.line, 2);
  assert.equal(f.frame('cut off at the end', 5), null);
  assert.equal(f.flush()!.message, 'cut off at the end');
  // A converted file without any CR: one record per line after the bounded wait.
  const g = createFramer('sshd-stderr', 'y.log');
  const out: (FramedLine | null)[] = [];
  for (let i = 1; i <= 70; i++) out.push(g.frame(`line ${i}`, i));
  const first = out.find((r) => r !== null)!;
  assert.ok(first.message.startsWith('line 1\nline 2'));
  assert.equal(out[69]!.message, 'line 70');
});
