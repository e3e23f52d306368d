/**
 * Small things a new user tripped on, through the real CLI: FORCE_COLOR forces colour through a
 * pipe (NO_COLOR wins; FORCE_COLOR=0 is off); plain `sshwarden` exits 2 with the usage on stderr;
 * an unreadable file gets the same one line from every command (`FILE: cannot read: no such
 * file`); the text report nests no parentheses; a source seen once says "1 connection".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { colourWanted } from '../../src/cli/terminal.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ESC = '\u001b[';

function run(args: string[], env: Record<string, string | undefined> = {}) {
  const e: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete e[k];
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: e });
  if (r.error) throw r.error;
  return r;
}

test('FORCE_COLOR forces colour when piped; NO_COLOR and FORCE_COLOR=0 turn it off; a pipe alone has none', () => {
  const args = ['analyze', 'samples/auth.log'];
  assert.ok(run(args, { FORCE_COLOR: '1', NO_COLOR: undefined }).stdout.includes(ESC), 'FORCE_COLOR=1 through a pipe');
  assert.ok(!run(args, { FORCE_COLOR: undefined, NO_COLOR: undefined }).stdout.includes(ESC), 'plain pipe');
  assert.ok(!run(args, { FORCE_COLOR: '0', NO_COLOR: undefined }).stdout.includes(ESC), 'FORCE_COLOR=0');
  assert.ok(!run(args, { FORCE_COLOR: undefined, NO_COLOR: '1' }).stdout.includes(ESC), 'NO_COLOR');
  assert.equal(colourWanted({ NO_COLOR: '1', FORCE_COLOR: '1' }, true, true), false);
  assert.equal(colourWanted({ NO_COLOR: '' }, true, true), true);
  assert.equal(colourWanted({}, false, true), false);
});

test('plain `sshwarden` with no command: usage on stderr, exit 2', () => {
  const r = run([]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^Usage: sshwarden /);
});

test('an unreadable file: the same one line from analyze, audit, explain-client and guard', () => {
  const missing = '/nonexistent/sshwarden-test-file';
  for (const args of [['analyze', missing], ['audit', missing], ['explain-client', missing], ['guard', '--check', '-c', missing]]) {
    const r = run(args);
    assert.equal(r.stderr, `sshwarden: ${missing}: cannot read: no such file\n`, args.join(' '));
    assert.equal(r.stdout, '', args.join(' '));
    assert.ok(r.status === 3 || (args[0] === 'guard' && r.status === 2), `${args.join(' ')}: ${r.status}`);
  }
});

test('the text report nests no parentheses; one connection is "1 connection"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-small-'));
  try {
    writeFileSync(join(dir, 'one.log'), '2026-11-21T10:00:04.000000+00:00 srv sshd[203]: Invalid user admin from 203.0.113.9 port 40003\n2026-11-21T10:00:06.000000+00:00 srv sshd[203]: Connection closed by invalid user admin 203.0.113.9 port 40003 [preauth]\n');
    const outs = [run(['analyze', 'samples/auth.log'], { NO_COLOR: '1' }).stdout, run(['analyze', 'samples/auth-verbose.log'], { NO_COLOR: '1' }).stdout];
    const one = run(['analyze', '--source', '203.0.113.9', join(dir, 'one.log')], { NO_COLOR: '1' }).stdout;
    assert.match(one, /\b1 connection, first /);
    assert.doesNotMatch(one, /\b1 connections\b/);
    for (const out of [...outs, one]) {
      for (const line of out.split('\n')) {
        let depth = 0, max = 0;
        for (const ch of line) {
          if (ch === '(') max = Math.max(max, ++depth);
          else if (ch === ')') depth--;
        }
        assert.ok(max <= 1, `nested parentheses: ${line}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a throttling episode of sshd\'s "00:00:00" reads "less than a second"; without times in the log, no bare duration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-small-'));
  try {
    const lines = ['error: beginning MaxStartups throttling', 'drop connection #10 from [198.51.100.5]:50001 on [192.0.2.1]:22 past MaxStartups', 'exited MaxStartups throttling after 00:00:00, 5 connections dropped'];
    writeFileSync(join(dir, 'cat.log'), `${lines.join('\n')}\n`); // journalctl -o cat: no times
    const out = run(['analyze', join(dir, 'cat.log')], { NO_COLOR: '1' }).stdout;
    assert.match(out, /time not in this log: exited MaxStartups throttling after less than a second, 5 connections dropped/);
    assert.doesNotMatch(out, /00:00:00/);
    const withTimes = run(['analyze', 'samples/auth.log'], { NO_COLOR: '1' }).stdout;
    assert.match(withTimes, /\d\dZ exited MaxStartups throttling after less than a second/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a reader that closes the pipe early (`sshwarden … --help | head -1`) ends the output quietly: no stack trace, exit 0', () => {
  for (const args of [['analyze', '--help'], ['doctor', '--help'], ['analyze', 'samples/auth.log', '--json']]) {
    // The pipe's reader is `head -c 1`; the arguments are fixed strings of this test, not data.
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$@" | head -c 1 >/dev/null', 'pipe', './sshwarden', ...args], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `${args.join(' ')}: exit ${r.status}, stderr: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /Unhandled|node:events|at .*\.js:\d+/, `${args.join(' ')}: ${r.stderr}`);
  }
});

test('past the bound on source records (a spoofed-source flood) the text report counts every source, and says how many it kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-many-sources-'));
  try {
    const file = join(dir, 'auth.log');
    const n = 100_050;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(`Dec  5 10:${String(Math.floor(i / 6000) % 60).padStart(2, '0')}:${String(Math.floor(i / 100) % 60).padStart(2, '0')} host sshd[${1000 + i}]: Connection closed by 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} port ${1024 + (i % 60000)} [preauth]`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = run(['analyze', file]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Sources: 100050 \(top 20 by connections; --limit N for more, up to 100000 kept\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file name with control characters reaches the terminal escaped, never as an escape sequence', () => {
  const r = run(['analyze', '/nonexistent/evil\u001b]0;owned\u0007.log']);
  assert.equal(r.status, 3);
  assert.ok(!r.stderr.includes('\u001b') && !r.stderr.includes('\u0007'), JSON.stringify(r.stderr));
  assert.match(r.stderr, /evil\\x1b\]0;owned\\x07\.log: cannot read: no such file/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('--year outside 1970–9999 is a usage error with one line (it printed +099999 dates)', () => {
  for (const y of ['99999', '1969', '0']) {
    const r = run(['analyze', '--year', y, 'samples/auth.log']);
    assert.equal(r.status, 2, y);
    assert.equal(r.stderr.trim(), `sshwarden: --year: must be a year from 1970 to 9999, got "${y}"`);
  }
  assert.equal(run(['analyze', '--year', '2026', 'samples/auth.log']).status, 0);
});
