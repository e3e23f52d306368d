/**
 * The reader thread (src/analyze/reader-thread.ts: reading, framing and matching on a second
 * thread) must not change the answer: the real CLI, run on the same inputs with the thread forced
 * on and off (SSHWARDEN_ANALYZE_READER_THREAD), must print the same bytes on stdout and stderr and
 * exit the same. Inputs: random generated logs (seeded, both timestamp formats, one of them
 * gzipped), several files at once, the samples, fail2ban's annotated sshd logs (the peer corpus),
 * a file with malformed and over-long lines, a missing file among good ones, and stdin from a pipe
 * (plain, gzipped, cut short, beside a file). And the bound: the worker stays at most 16 batches
 * ahead of the engine; and which stdin goes to the thread.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAuthLog, prng } from '../../bench/generate-auth-log.ts';
import { ReaderThread } from '../../src/analyze/reader-thread.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const PEER = join(REPO, '..', 'shared', 'peer-corpus', 'fail2ban');
let dir = '';

function run(args: string[], thread: 'always' | 'never', input?: Buffer) {
  const r = spawnSync('./sshwarden', args, {
    cwd: REPO,
    input,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1', SSHWARDEN_ANALYZE_READER_THREAD: thread },
  });
  if (r.error) throw r.error;
  return r;
}

function same(args: string[], input?: Buffer): { status: number | null; stdout: string; stderr: string } {
  const a = run(args, 'always', input);
  const b = run(args, 'never', input);
  assert.equal(a.status, b.status, `exit code of ${args.join(' ')}`);
  assert.equal(a.stderr, b.stderr, `stderr of ${args.join(' ')}`);
  assert.ok(a.stdout === b.stdout, `stdout of ${args.join(' ')} differs (${a.stdout.length} against ${b.stdout.length} bytes)`);
  return { status: a.status, stdout: a.stdout, stderr: a.stderr };
}

function generated(seed: number, lines: number, format: 'iso' | 'bsd'): string {
  const parts: string[] = [];
  generateAuthLog({ lines, seed, format }, (c) => parts.push(c));
  return parts.join('');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sw-reader-thread-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('random generated logs: the same JSON and text with and without the reader thread', () => {
  const rnd = prng(20261205);
  for (let i = 0; i < 4; i++) {
    const seed = Math.floor(rnd() * 1e9);
    const lines = 3000 + Math.floor(rnd() * 9000);
    const format = i % 2 === 0 ? 'iso' : 'bsd';
    const file = join(dir, `gen-${i}.log`);
    writeFileSync(file, generated(seed, lines, format));
    const r = same(['analyze', '--json', '--year', '2026', file]);
    assert.equal(r.status, 0);
    const doc = JSON.parse(r.stdout) as { connections: unknown[]; summary: { connections: number } };
    assert.ok(doc.connections.length > 100, `seed ${seed}: ${doc.connections.length} connections`);
    same(['analyze', '--year', '2026', file]);
  }
});

test('several files, one gzipped, and a missing one: the same output, errors and exit code', () => {
  const a = join(dir, 'multi-a.log');
  const b = join(dir, 'multi-b.log.gz');
  writeFileSync(a, generated(7, 4000, 'iso'));
  writeFileSync(b, gzipSync(generated(8, 4000, 'iso')));
  assert.equal(same(['analyze', '--json', a, b]).status, 0);
  const r = same(['analyze', '--json', a, join(dir, 'missing.log'), b]);
  assert.equal(r.status, 3, 'an input that cannot be read exits 3');
});

test('malformed and over-long lines are reported the same way', () => {
  const file = join(dir, 'bad.log');
  const good = generated(9, 2000, 'iso').split('\n');
  good.splice(100, 0, 'not a syslog line at all', `2026-11-01T00:00:01.000000+00:00 bastion sshd[77]: ${'x'.repeat(70_000)}`, '\u0000\u0001binary');
  writeFileSync(file, good.join('\n'));
  same(['analyze', '--json', file]);
});

test('the samples, the lab fixture and the peer corpus', () => {
  const files = readdirSync(join(REPO, 'samples')).filter((f) => f.endsWith('.log')).map((f) => join(REPO, 'samples', f));
  files.push(join(REPO, 'test', 'pcap', 'fixtures', 'wire-doctor.log'));
  assert.ok(existsSync(PEER), `the peer corpus is missing: ${PEER} (../shared/ beside the checkout)`);
  for (const f of readdirSync(PEER)) files.push(join(PEER, f));
  for (const f of files) same(['analyze', '--json', '--year', '2026', f]);
});

test('stdin from a pipe (plain, gzipped, cut short, beside a file) and a file on stdin are read on the thread with the same answer', () => {
  const text = Buffer.from(generated(14, 6000, 'bsd'));
  const gz = gzipSync(text);
  const plain = same(['analyze', '--json', '--year', '2026', '-'], text);
  assert.equal(plain.status, 0);
  assert.ok((JSON.parse(plain.stdout) as { connections: unknown[] }).connections.length > 100);
  assert.equal(same(['analyze', '--json', '--year', '2026', '-'], gz).stdout, plain.stdout, 'gzip on stdin reads as its text');
  const cut = same(['analyze', '--json', '--year', '2026', '-'], gz.subarray(0, gz.length >> 1));
  assert.equal(cut.status, 3, 'a cut gzip exits 3');
  assert.match(cut.stderr, /^sshwarden: -:\d+: truncated gzip data/m, 'the cut is named on stdin, with its line');
  const file = join(dir, 'beside-stdin.log');
  writeFileSync(file, generated(15, 3000, 'bsd'));
  assert.equal(same(['analyze', '--json', '--year', '2026', file, '-'], text).status, 0);
  // A regular file on stdin (`< FILE`), read from where the descriptor stands.
  const redirected = join(dir, 'redirected.log');
  writeFileSync(redirected, text);
  const fromFile = (thread: 'always' | 'never') => {
    const fd = openSync(redirected, 'r');
    try {
      const r = spawnSync('./sshwarden', ['analyze', '--json', '--year', '2026', '-'], { cwd: REPO, encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000, stdio: [fd, 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', SSHWARDEN_ANALYZE_READER_THREAD: thread } });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    } finally {
      closeSync(fd);
    }
  };
  assert.equal(fromFile('always'), plain.stdout, 'a file on stdin reads like the same text through a pipe');
  assert.equal(fromFile('never'), plain.stdout);
});

test('a stdin pipe left non-blocking by the program that started us (EAGAIN) is read to the end on the thread', () => {
  // python3 (installed with python3-paramiko by test.sh) makes the pipe, sets O_NONBLOCK on the
  // read end, starts the CLI on it and writes in pieces with pauses: the thread meets EAGAIN and waits.
  const log = join(dir, 'nonblocking.log');
  writeFileSync(log, generated(17, 4000, 'iso'));
  const out = join(dir, 'nonblocking.json');
  const py = [
    'import os, subprocess, sys, time',
    'r, w = os.pipe()',
    'os.set_blocking(r, False)',
    'data = open(sys.argv[1], "rb").read()',
    'with open(sys.argv[2], "wb") as out:',
    '    p = subprocess.Popen(["./sshwarden", "analyze", "--json", "-"], stdin=r, stdout=out, env=dict(os.environ, SSHWARDEN_ANALYZE_READER_THREAD="always"))',
    '    os.close(r)',
    '    time.sleep(0.3)',
    '    for i in range(0, len(data), 50000):',
    '        os.write(w, data[i:i + 50000])',
    '        time.sleep(0.02)',
    '    os.close(w)',
    '    sys.exit(p.wait(timeout=60))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, log, out], { cwd: REPO, encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.error, undefined, 'python3 is needed (test.sh installs it)');
  assert.equal(r.status, 0, r.stderr);
  const fromFile = run(['analyze', '--json', log], 'never');
  assert.equal(readFileSync(out, 'utf8').replaceAll('"file":"-"', `"file":${JSON.stringify(log)}`), fromFile.stdout);
});

test('which stdin is read on the thread: a pipe is; /dev/null and a small redirected file are not', () => {
  const probe = `import('./src/cli/reader-thread-choice.ts').then((m) => console.log(m.readerThreadWanted(['-'])))`;
  const node = process.execPath;
  const ask = (stdin: 'pipe' | 'ignore' | number) => {
    const r = spawnSync(node, ['--disable-warning=ExperimentalWarning', '--input-type=module', '-e', probe], { cwd: REPO, encoding: 'utf8', stdio: [stdin, 'pipe', 'pipe'], input: stdin === 'pipe' ? 'x\n' : undefined, env: { ...process.env, SSHWARDEN_ANALYZE_READER_THREAD: '' }, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(ask('pipe'), 'true');
  assert.equal(ask('ignore'), 'false');
  const small = join(dir, 'small-stdin.log');
  writeFileSync(small, generated(16, 100, 'iso'));
  const fd = openSync(small, 'r');
  try {
    assert.equal(ask(fd), 'false', 'a small file on stdin stays on the main thread');
  } finally {
    closeSync(fd);
  }
});

test('the reading thread stays at most 16 batches ahead of the engine', async () => {
  const file = join(dir, 'ahead.log');
  writeFileSync(file, generated(12, 60_000, 'iso'));
  const thread = new ReaderThread([file], { withMessages: false, year: 2026 });
  const it = thread.batches()[Symbol.asyncIterator]();
  try {
    // None consumed: the worker sends 16 batches and waits.
    for (let i = 0; i < 16; i++) assert.equal((await it.next()).done, false, `batch ${i + 1}`);
    const next = it.next();
    const first = await Promise.race([next.then(() => 'batch 17'), new Promise((r) => setTimeout(() => r('waiting'), 1500))]);
    assert.equal(first, 'waiting', 'the 17th batch came before any was consumed');
    thread.consumed();
    assert.equal((await next).done, false, 'one consumed: the 17th comes');
  } finally {
    await it.return?.(undefined);
  }
});

test('doctor on a large log: the same answer with and without the reader thread', () => {
  const file = join(dir, 'doctor.log');
  writeFileSync(file, generated(13, 20_000, 'iso'));
  const r = same(['doctor', '--offline', '--log', file, '--since', '2000-01-01 00:00Z', '--until', '2100-01-01 00:00Z']);
  assert.ok(r.stdout.includes('doctor.log:'), 'the answer cites the log as evidence');
});
