/**
 * `sshwarden explain-client` (the real CLI) on real `ssh -v`/`-vv` runs captured against
 * loopback listeners (fixtures/loopback/: a refused port, a listener that accepts then closes, a
 * name with two addresses, our own sshd offering no SHA-1 key exchange to a client that offers
 * only diffie-hellman-group1-sha1):
 * - the server-side fix for "no matching …" never has an empty example, and says so when the
 *   client offers nothing a current sshd can enable;
 * - several pasted runs: the last one is explained (cause, header and advice all from it), and one
 *   line says the earlier ones were ignored; one run that tries several addresses stays one run,
 *   and so does a ProxyJump (its bastion ssh prints a second version line);
 * - --help lists every exit code the command returns;
 * - --json prints a JSON document with `error` when the input is unreadable or not ssh output.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, 'fixtures');
const LOOPBACK = join(FIXTURES, 'loopback');
const SSHWARDEN = join(HERE, '..', '..', 'sshwarden');

function cli(args: string[], input?: string) {
  const r = spawnSync(SSHWARDEN, args, { input, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

const loopback = (name: string) => readFileSync(join(LOOPBACK, `${name}.txt`), 'utf8');
const lab = (name: string) => readFileSync(join(FIXTURES, name), 'utf8');

interface Json {
  target: { host: string; port: number | null } | null;
  stage: string;
  runs: { total: number; from: number };
  findings: { id: string; fix: string[]; meaning: string; evidence: { line: number; text: string }[] }[];
}

function explainJson(input: string): Json {
  const r = cli(['explain-client', '-', '--json'], input);
  assert.equal(r.status, 1, r.stderr);
  return JSON.parse(r.stdout) as Json;
}

test('no matching key exchange, the client offers only diffie-hellman-group1-sha1 (real run): the server fix names it as weak, never an empty example', () => {
  const j = explainJson(loopback('kex-client-offers-only-group1'));
  const f = j.findings[0];
  assert.equal(f.id, 'no_matching_algorithm');
  const server = f.fix.find((x) => x.startsWith('server:'))!;
  assert.doesNotMatch(server, /\(e\.g\.\s*\)/, server);
  assert.match(server, /KexAlgorithms \+diffie-hellman-group1-sha1/, server);
  assert.match(server, /weak/, server);
  assert.match(server, /upgrade the client/, server);
  const text = cli(['explain-client', join(LOOPBACK, 'kex-client-offers-only-group1.txt')]).stdout;
  assert.doesNotMatch(text, /e\.g\. \)/, text);
});

test('no matching algorithm, the client offers nothing a current sshd can enable (shape from source: OpenSSH < 7.0 message): the fix is on the client', () => {
  const j = explainJson('no matching cipher found: client arcfour256,blowfish-cbc server aes128-ctr,aes256-ctr\n');
  const server = j.findings[0].fix.find((x) => x.startsWith('server:'))!;
  assert.match(server, /none of the cipher algorithms your client offers \(arcfour256, blowfish-cbc\) is one a current sshd .* can enable/, server);
  assert.match(server, /upgrade it, or configure it/, server);
  assert.doesNotMatch(server, /e\.g\./, server);
  // A client with a strong offer still gets an example (the lab's kex case).
  const strong = explainJson(lab('08-no_matching_algorithm.txt')).findings[0].fix.find((x) => x.startsWith('server:'))!;
  assert.match(strong, /\(e\.g\. sntrup761x25519-sha512, /, strong);
});

test('two pasted runs (refused on port 1, then closed on another port): the last run is explained, one line says the earlier was ignored', () => {
  const refused = loopback('refused-port-1');
  const closed = loopback('closed-before-banner');
  const closedPort = Number(/port (\d+)\.$/m.exec(closed)![1]);
  const first = refused.split('\n').length; // the line the second run starts at (the first ends with a newline)

  const j = explainJson(refused + closed);
  assert.deepEqual(j.findings.map((f) => f.id), ['closed_before_banner']);
  assert.equal(j.target?.port, closedPort);
  assert.equal(j.stage, 'banner');
  assert.deepEqual(j.runs, { total: 2, from: first });
  assert.ok(j.findings[0].evidence.every((e) => e.line >= first), 'evidence from the last run, with the input\'s line numbers');
  assert.equal(j.findings[0].evidence.at(-1)!.text, 'kex_exchange_identification: Connection closed by remote host');
  assert.match(j.findings[0].fix.join('\n'), new RegExp(`sshwarden probe 127\\.0\\.0\\.1:${closedPort}\``));

  const t = cli(['explain-client', '-'], refused + closed);
  assert.equal(t.status, 1, t.stderr);
  const lines = t.stdout.split('\n');
  assert.match(lines[0], new RegExp(`to 127\\.0\\.0\\.1 port ${closedPort}, got as far as: banner$`));
  assert.equal(lines.filter((l) => /ignored/.test(l)).length, 1, t.stdout);
  assert.match(t.stdout, new RegExp(`^\\(2 ssh runs in this input: the last one, from line ${first}, is explained; the earlier one was ignored\\)$`, 'm'));
  assert.match(t.stdout, /^Cause: connected, then the server side closed before sending any SSH banner$/m);
  assert.doesNotMatch(t.stdout, /connection refused|\[connection_refused\]|port 1\b/, 'nothing from the first run');

  // The other order: the refusal (port 1) is the last run.
  const k = explainJson(closed + refused);
  assert.deepEqual(k.findings.map((f) => f.id), ['connection_refused']);
  assert.equal(k.target?.port, 1);
  assert.equal(k.stage, 'tcp');
  assert.match(k.findings[0].fix.join('\n'), /sshwarden probe 127\.0\.0\.1:1`/);
});

test('one run that tries several addresses is one run, alone or after another run', () => {
  const both = explainJson(loopback('one-run-two-addresses-refused'));
  assert.deepEqual(both.runs, { total: 1, from: 1 });
  assert.deepEqual(both.findings.map((f) => f.id), ['connection_refused']);
  assert.deepEqual(both.target, { host: 'twoaddr', address: '127.0.0.1', port: 1 });
  const mixed = loopback('one-run-two-addresses-refused-then-reset');
  const port = Number(/port (\d+)\.$/m.exec(mixed)![1]);
  for (const [input, total] of [[mixed, 1], [loopback('refused-port-1') + mixed, 2]] as const) {
    const j = explainJson(input);
    assert.equal(j.runs.total, total);
    assert.deepEqual(j.findings.map((f) => f.id), ['reset_before_banner']);
    assert.deepEqual(j.target, { host: 'twoaddr', address: '127.0.0.1', port });
  }
  const text = cli(['explain-client', '-'], mixed).stdout;
  assert.doesNotMatch(text, /ssh runs in this input/);
});

test('ProxyJump: the bastion ssh\'s own version line is not a new run; pasted with another run, the last one wins', () => {
  const jump = lab('18-proxyjump_failed.txt');
  assert.equal(jump.split('\n').filter((l) => l.startsWith('OpenSSH_')).length, 2, 'the fixture has the nested banner');
  const alone = explainJson(jump);
  assert.deepEqual(alone.runs, { total: 1, from: 1 });
  assert.deepEqual(alone.findings.map((f) => f.id), ['proxyjump_failed']);
  const after = explainJson(lab('05-connection_refused.txt') + jump);
  assert.equal(after.runs.total, 2);
  assert.deepEqual(after.findings.map((f) => f.id), ['proxyjump_failed']);
  const before = explainJson(jump + loopback('refused-port-1'));
  assert.equal(before.runs.total, 2);
  assert.deepEqual(before.findings.map((f) => f.id), ['connection_refused']);
  assert.equal(before.target?.port, 1);
});

test('--help lists every exit code the command returns (0 login, 1 failure, 2 not ssh output, 3 unreadable)', () => {
  const help = cli(['explain-client', '--help']);
  assert.equal(help.status, 0);
  const line = help.stdout.slice(help.stdout.indexOf('Exit codes:')).replace(/\s+/g, ' ');
  const seen = new Map<number, number>([
    [0, cli(['explain-client', join(FIXTURES, '19-success.txt')]).status!],
    [1, cli(['explain-client', join(FIXTURES, '05-connection_refused.txt')]).status!],
    [2, cli(['explain-client', '-'], 'not ssh\n').status!],
    [3, cli(['explain-client', '/nonexistent/ssh.txt']).status!],
  ]);
  for (const [expected, got] of seen) {
    assert.equal(got, expected);
    assert.match(line, new RegExp(`\\b${expected} [a-z]`), `exit ${expected} in the help: ${line}`);
  }
  assert.match(line, /3 the file cannot be read/);
});

test('--json on input that cannot be read or is not ssh output: a JSON document with error; the stderr line and the exit code stay', () => {
  for (const [args, input, code, what] of [
    [['explain-client', '/nonexistent/ssh.txt', '--json'], undefined, 3, /cannot read: no such file/],
    [['explain-client', HERE, '--json'], undefined, 3, /cannot read: is a directory/],
    [['explain-client', '-', '--json'], 'NAME="Debian GNU/Linux"\n', 2, /does not look like ssh output/],
    [['explain-client', '-', '--json'], '\0\x01\x02\x03'.repeat(100), 2, /binary data/],
  ] as Array<[string[], string | undefined, number, RegExp]>) {
    const r = cli(args, input);
    assert.equal(r.status, code, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^sshwarden: /);
    const j = JSON.parse(r.stdout) as { file: string; error: string };
    assert.equal(j.file, args[1]);
    assert.match(j.error, what);
    assert.equal(`sshwarden: ${j.error}`, lines[0]);
  }
});
