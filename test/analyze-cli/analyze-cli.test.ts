/**
 * `sshwarden analyze` run as a user runs it (the real CLI, spawned), on small logs written to a
 * temp dir: text report, streamed JSON, --source, stdin, .gz, bad inputs and exit codes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OUTCOMES, PHASES, SOURCE_CLASSES } from '../../src/vocabulary.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';

const LOG = [
  '2026-11-21T10:00:00.000000+00:00 srv sshd[100]: Server listening on 0.0.0.0 port 22.',
  '2026-11-21T10:00:01.000000+00:00 srv sshd[201]: error: kex_exchange_identification: Connection closed by remote host',
  '2026-11-21T10:00:01.000100+00:00 srv sshd[201]: Connection closed by 203.0.113.7 port 40001',
  '2026-11-21T10:00:02.000000+00:00 srv sshd[202]: error: kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"',
  '2026-11-21T10:00:02.000100+00:00 srv sshd[202]: banner exchange: Connection from 203.0.113.8 port 40002: invalid format',
  '2026-11-21T10:00:03.000000+00:00 srv sshd[100]: error: beginning MaxStartups throttling',
  '2026-11-21T10:00:03.000100+00:00 srv sshd[100]: drop connection #10 from [198.51.100.5]:50001 on [192.0.2.1]:22 past MaxStartups',
  '2026-11-21T10:00:04.000000+00:00 srv sshd[203]: Invalid user admin from 203.0.113.9 port 40003',
  '2026-11-21T10:00:05.000000+00:00 srv sshd[203]: Failed password for invalid user admin from 203.0.113.9 port 40003 ssh2',
  '2026-11-21T10:00:06.000000+00:00 srv sshd[203]: Connection closed by invalid user admin 203.0.113.9 port 40003 [preauth]',
  '2026-11-21T10:00:07.000000+00:00 srv sshd[204]: Accepted publickey for alice from 198.51.100.5 port 50002 ssh2: ED25519 SHA256:abc',
  '2026-11-21T10:00:08.000000+00:00 srv sshd[205]: Received disconnect from 198.51.100.5 port 50002:11: disconnected by user',
  '2026-11-21T10:00:08.000100+00:00 srv sshd[205]: Disconnected from user alice 198.51.100.5 port 50002',
  '2026-11-21T10:00:09.000000+00:00 srv sshd[206]: a line sshd never writes',
  '2026-11-21T10:00:09.000000+00:00 srv CRON[7]: pam_unix(cron:session): session opened for user root',
  '2026-11-21T10:00:10.000000+00:00 srv sshd[100]: exited MaxStartups throttling after 00:00:07, 3 connections dropped',
].join('\n');

function sshwarden(args: string[], input?: string) {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', input, timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } });
  if (r.error) throw r.error;
  return r;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'sw-analyze-cli-'));
  writeFileSync(join(dir, 'auth.log'), `${LOG}\n`);
  writeFileSync(join(dir, 'auth.log.2.gz'), gzipSync(`${LOG.replaceAll('2026-11-21T10', '2026-11-20T10')}\n`));
  mkdirSync(join(dir, 'adir'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('analyze FILE: a plain-language diagnosis first, then connections, sources, log level and blind spots', () => {
  const r = sshwarden(['analyze', join(dir, 'auth.log')]);
  assert.equal(r.status, 0, r.stderr);
  const out = r.stdout.replace(/\s+/g, ' ');
  assert.match(out, /What happened/);
  assert.match(out, /2 `kex_exchange_identification` lines: they belong to 2 connections from 2 sources/);
  assert.match(out, /1 of them came from 1 source that also logged in successfully: your own users were turned away/);
  assert.match(out, /closed_before_ident 1 /);
  // One invalid user, one failed password, nothing else: not brute force until it repeats (README "Source classes").
  assert.match(out, /203\.0\.113\.9 unknown/);
  assert.match(out, /198\.51\.100\.5 legit/);
  assert.match(out, /LogLevel: INFO/);
  assert.match(out, /What this log cannot tell/);
  assert.match(out, /Unrecognised sshd lines: 1/);
  assert.match(out, /auth\.log:14: a line sshd never writes/);
  assert.doesNotMatch(out, /\x1b\[/, 'no colour when stdout is not a TTY');
});

test('analyze --json: one streamed document with the stable fields and vocabulary', () => {
  const r = sshwarden(['analyze', join(dir, 'auth.log'), '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith('{"connections":['));
  const doc = JSON.parse(r.stdout);
  for (const k of ['connections', 'sources', 'events', 'summary', 'unattributed', 'logLevel', 'era', 'unrecognised', 'inputs']) assert.ok(k in doc, k);
  assert.equal(doc.connections.length, 5);
  for (const c of doc.connections) {
    for (const k of ['host', 'pid', 'pids', 'src', 'srcPort', 'local', 'localPort', 'start', 'end', 'phase', 'outcome', 'detail', 'users', 'methods', 'evidence']) assert.ok(k in c, `connection.${k}`);
    assert.ok((OUTCOMES as readonly string[]).includes(c.outcome), c.outcome);
    assert.ok((PHASES as readonly string[]).includes(c.phase), c.phase);
    assert.ok(c.evidence.every((e: { file: string; line: number }) => e.file.endsWith('auth.log') && e.line > 0));
  }
  for (const s of doc.sources) {
    for (const k of ['address', 'class', 'why', 'connections', 'outcomes', 'firstSeen', 'lastSeen', 'users']) assert.ok(k in s, `source.${k}`);
    assert.ok((SOURCE_CLASSES as readonly string[]).includes(s.class));
  }
  const byPair = Object.fromEntries(doc.connections.map((c: { src: string; srcPort: number; outcome: string }) => [`${c.src}:${c.srcPort}`, c.outcome]));
  assert.deepEqual(byPair, {
    '203.0.113.7:40001': 'closed_before_ident',
    '203.0.113.8:40002': 'non_ssh',
    '198.51.100.5:50001': 'dropped',
    '203.0.113.9:40003': 'auth_failed',
    '198.51.100.5:50002': 'authenticated',
  });
  assert.equal(doc.summary.drops.fromLegitSources, 1);
  assert.equal(doc.inputs.files[0].format, 'syslog-iso');
});

test('analyze --source: one source, connection by connection (text and JSON)', () => {
  const t = sshwarden(['analyze', join(dir, 'auth.log'), '--source', '198.51.100.5']);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /Source 198\.51\.100\.5: legit/);
  assert.match(t.stdout, /dropped/);
  assert.match(t.stdout, /authenticated/);
  assert.doesNotMatch(t.stdout, /203\.0\.113\.7/);
  const j = JSON.parse(sshwarden(['analyze', join(dir, 'auth.log'), '--source', '198.51.100.5', '--json']).stdout);
  assert.deepEqual(j.connections.map((c: { outcome: string }) => c.outcome), ['dropped', 'authenticated']);
  assert.deepEqual(j.sources.map((s: { address: string }) => s.address), ['198.51.100.5']);
  const bad = sshwarden(['analyze', join(dir, 'auth.log'), '--source', 'not-an-ip']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--source: "not-an-ip" is not an IP address/);
});

test('analyze -: reads stdin; rotated .gz files are read oldest first', () => {
  const r = sshwarden(['analyze', '-', '--json'], `${LOG}\n`);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).connections.length, 5);
  const both = JSON.parse(sshwarden(['analyze', join(dir, 'auth.log'), join(dir, 'auth.log.2.gz'), '--json']).stdout);
  assert.equal(both.connections.length, 10);
  assert.ok(both.connections[0].start.startsWith('2026-11-20'), 'the .2.gz rotation comes first');
});

test('bad input: each failing input is one line on stderr, the others are analysed, exit code 3', () => {
  const r = sshwarden(['analyze', join(dir, 'missing.log'), join(dir, 'adir'), join(dir, 'auth.log'), '--json']);
  assert.equal(r.status, 3);
  const errs = r.stderr.trim().split('\n');
  assert.ok(errs.some((l) => l.startsWith(`sshwarden: ${join(dir, 'missing.log')}`)), r.stderr);
  assert.ok(errs.some((l) => l.startsWith(`sshwarden: ${join(dir, 'adir')}`)), r.stderr);
  assert.ok(!/\n\s+at /.test(r.stderr), 'no stack trace');
  assert.equal(JSON.parse(r.stdout).connections.length, 5);
});

test('usage errors: options are checked before reading, exit code 2', () => {
  const tz = sshwarden(['analyze', join(dir, 'auth.log'), '--timezone', 'Mars/Olympus']);
  assert.equal(tz.status, 2);
  assert.match(tz.stderr, /--timezone/);
  const since = sshwarden(['analyze', join(dir, 'auth.log'), '--since', 'yesterday']);
  assert.equal(since.status, 2);
  assert.match(since.stderr, /need --journal/);
  const help = sshwarden(['analyze', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /Examples:/);
});

test('the fast connection serializer writes exactly what JSON.stringify writes', async () => {
  const { connectionJson } = await import('../../src/report/json-stream.ts');
  const { Analyzer } = await import('../../src/engine/analyzer.ts');
  const a = new Analyzer({ evidenceText: true });
  LOG.split('\n').forEach((message, i) => {
    const m = /^(\S+) (\S+) ([\w-]+)\[(\d+)\]: (.*)$/.exec(message)!;
    a.push({ ts: Date.parse(m[1]), host: m[2], program: m[3], pid: Number(m[4]), message: m[5], file: 'a "quoted" \\ file', line: i + 1 });
  });
  a.push({ ts: null, host: null, program: 'sshd', pid: null, message: 'Invalid user "\\\u0001x from 203.0.113.50 port 1', file: 'f', line: 99 });
  const recs = a.finish().connections!;
  assert.ok(recs.length >= 6);
  for (const r of recs) assert.equal(connectionJson(r), JSON.stringify(r));
});

test('the byte encoder matches JSON.stringify on arbitrary text (connections, sources, streamed document)', async () => {
  const fc = (await import('fast-check')).default;
  const { connectionJson, sourceJson, JsonStream } = await import('../../src/report/json-stream.ts');
  const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('', '"', '\\', '\u2028', '\ud800', 'a\u0000b'));
  const num = fc.oneof(fc.nat(), fc.integer(), fc.constantFrom(0, -0, 2 ** 31, 2 ** 53, 1.5, Number.NaN));
  const conn = fc.record({
    host: fc.option(text), pid: fc.option(num), pids: fc.array(num), src: fc.option(text), srcPort: fc.option(num), local: fc.option(text), localPort: fc.option(num),
    start: fc.option(text), end: fc.option(text), phase: text, outcome: text, detail: text, users: fc.array(text), methods: fc.array(text), failures: num,
    evidence: fc.array(fc.record({ file: text, line: num, text: text }, { requiredKeys: ['file', 'line'] })),
    reason: text, inferred: fc.boolean(), clientVersion: text, disconnect: fc.record({ code: fc.option(num), message: text }), evidenceOmitted: num, attemptsAtLeast: num,
  }, { requiredKeys: ['host', 'pid', 'pids', 'src', 'srcPort', 'local', 'localPort', 'start', 'end', 'phase', 'outcome', 'detail', 'users', 'methods', 'failures', 'evidence'] });
  const source = fc.record({
    address: text, class: text, why: text, connections: num, outcomes: fc.dictionary(fc.constantFrom('dropped', 'timeout', 'authenticated', 'non_ssh'), num),
    firstSeen: fc.option(text), lastSeen: fc.option(text), users: fc.array(text), failures: num, attempts: num, attemptsAtLeast: fc.boolean(), detail: fc.option(text),
  });
  fc.assert(fc.property(conn, (r) => connectionJson(r as never) === JSON.stringify(r)), { numRuns: 2000 });
  fc.assert(fc.property(source, (r) => sourceJson(r as never) === JSON.stringify(r)), { numRuns: 2000 });
  // The stream (buffer reuse, flushes at the chunk boundary, oversized records) gives one valid document.
  fc.assert(
    fc.property(fc.array(conn, { maxLength: 30 }), fc.array(source, { maxLength: 30 }), fc.boolean(), (conns, sources, sync) => {
      const chunks: Buffer[] = [];
      const s = new JsonStream({ consumesSynchronously: sync, write: (c) => (chunks.push(Buffer.from(c)), true) });
      for (const c of conns) s.connection(c as never);
      s.end({ sources: sources as never, events: [], eventsOmitted: 0 } as never);
      const want = `{"connections":[${conns.map((c) => `\n${JSON.stringify(c)}`).join(',')}${conns.length ? '\n' : ''}],\n"sources":${JSON.stringify(sources)},\n"events":[],\n"eventsOmitted":0\n}\n`;
      return Buffer.concat(chunks).toString('utf8') === want;
    }),
    { numRuns: 300 },
  );
  // A record larger than the stream's 1 MiB buffer.
  const huge = { host: null, pid: 1, pids: [1], src: null, srcPort: null, local: null, localPort: null, start: null, end: null, phase: 'tcp', outcome: 'timeout', detail: 'x', users: ['é'.repeat(400_000)], methods: [], failures: 0, evidence: [] };
  const chunks: Buffer[] = [];
  const s = new JsonStream({ consumesSynchronously: true, write: (c) => (chunks.push(Buffer.from(c)), true) });
  s.connection(huge as never);
  s.connection(huge as never);
  s.end({ sources: [] } as never);
  assert.equal(Buffer.concat(chunks).toString('utf8'), `{"connections":[\n${JSON.stringify(huge)},\n${JSON.stringify(huge)}\n],\n"sources":[]\n}\n`);
});

test('a reader that stops early (| head) ends analyze quietly with exit code 0', () => {
  const big = join(dir, 'big.log');
  writeFileSync(big, `${Array.from({ length: 400 }, () => LOG).join('\n')}\n`);
  for (const mode of [['--json'], ['--connections']]) {
    const r = spawnSync('bash', ['-c', `./sshwarden analyze "$1" ${mode[0]} | head -c 20 >/dev/null; echo "rc=\${PIPESTATUS[0]}"`, 'sh', big], { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
    assert.match(r.stdout, /rc=0/, `${mode}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /EPIPE|Error/, mode[0]);
  }
});
