/**
 * `doctor --pcap` and `report --pcap` on a real capture + log pair from the namespace lab
 * (fixtures/wire-doctor.*, made by make-wire-fixture.ts: real sshd 9.2p1 at LogLevel INFO,
 * rsyslog, tcpdump, OpenSSH clients, nftables drop/reject rules). The truth is what each client
 * did (wire-doctor.json). Asserted: the causes the wire adds or confirms (an unlogged MaxStartups
 * drop of a user, an unanswered SYN, a SYN answered with a reset while sshd served others, no
 * common algorithm, non-SSH bytes), that each piece of wire evidence names the file and the frame
 * of that client's first packet (checked against tshark), the clock offset (also with a log
 * written on a clock 90 s ahead), --client, scanners left out, and bad capture input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const REPO = join(import.meta.dirname, '..', '..');
const FX = join(import.meta.dirname, 'fixtures');
const PCAP = join(FX, 'wire-doctor.pcap');
const LOG = join(FX, 'wire-doctor.log');
const TRUTH = JSON.parse(readFileSync(join(FX, 'wire-doctor.json'), 'utf8')) as { server: string; port: number; truth: { who: string; address: string; port: number; did: string; result: string }[] };

interface Cause { id: string; confidence: number; summary: string; affects: { addresses?: string[]; connections?: number; all?: boolean }; evidence: { where: string; text: string }[]; fix: { summary: string; commands: string[] }[] }
interface Doctor { verdict: string; causes: Cause[]; checked: { check: string; note: string }[]; unchecked: { check: string; reason: string }[] }

function sshwarden(args: string[]) {
  const r = spawnSync('./sshwarden', args, { cwd: REPO, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function doctor(extra: string[], log = LOG, pcap = PCAP): { status: number | null; d: Doctor } {
  const r = sshwarden(['doctor', '--offline', '--log', log, '--pcap', pcap, '--json', ...extra]);
  assert.equal(r.stderr, '');
  return { status: r.status, d: JSON.parse(r.stdout) as Doctor };
}

function truthOf(who: string, result: string) {
  const t = TRUTH.truth.find((x) => x.who === who && x.result === result);
  assert.ok(t, `truth has ${who} ${result}`);
  return t;
}

/** The wire evidence for one client connection: `FILE frame N` whose text names address:port. */
function frameOf(c: Cause, addr: string, port: number): number {
  const e = c.evidence.find((x) => x.where.startsWith(`${PCAP} frame `) && x.text.includes(` ${addr}:${port} → `));
  assert.ok(e, `${c.id} has wire evidence for ${addr}:${port}: ${JSON.stringify(c.evidence)}`);
  return Number(/frame (\d+)$/.exec(e.where)![1]);
}

/** tshark's own reading of a frame: source, source port, SYN flag. */
function tsharkFrame(n: number): { src: string; port: number; syn: boolean } {
  const r = spawnSync('tshark', ['-n', '-r', PCAP, '-Y', `frame.number==${n}`, '-T', 'fields', '-e', 'ip.src', '-e', 'tcp.srcport', '-e', 'tcp.flags.syn'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `tshark is needed (test.sh installs it): ${r.stderr}`);
  const [src, port, syn] = r.stdout.trim().split('\t');
  return { src, port: Number(port), syn: syn === '1' || syn === 'True' };
}

test('doctor --pcap: what the wire saw and the log could not becomes ranked causes with file + frame + time evidence', () => {
  const { status, d } = doctor([]);
  assert.equal(status, 1, 'causes need action');
  const by = (id: string) => {
    const c = d.causes.find((x) => x.id === id);
    assert.ok(c, `cause ${id} in ${d.causes.map((x) => x.id).join(', ')}`);
    return c;
  };
  // alice was dropped by MaxStartups during the flood; at INFO the log has no line for her drop.
  const drop = truthOf('alice', 'dropped');
  const ms = by('maxstartups');
  assert.deepEqual(ms.affects.addresses, [drop.address]);
  assert.match(ms.summary, /on the wire .*the log has no line for it/);
  assert.ok(ms.fix.some((f) => /LogLevel/.test(f.summary)), 'advice: LogLevel VERBOSE (the log hid the drop)');
  assert.equal(d.causes[0].id, 'maxstartups', 'the unlogged drop of a user ranks first');
  // bob: nftables drop → SYN unanswered; carol: reject with tcp reset while sshd served others.
  const bob = truthOf('bob', 'syn_unanswered');
  const su = by('syn_unanswered');
  assert.deepEqual(su.affects.addresses, [bob.address]);
  assert.ok(su.fix[0].commands.some((c) => c.includes(bob.address)), 'the advice names the address to look for');
  const carol = truthOf('carol', 'syn_rejected');
  const sr = by('syn_rejected');
  assert.deepEqual(sr.affects.addresses, [carol.address]);
  assert.match(sr.summary, /while sshd accepted other clients .*REJECT/);
  // alice's old client: the log's "Unable to negotiate" and the wire's KEXINITs agree.
  const kex = truthOf('alice', 'kex_failed');
  const am = by('algorithm_mismatch');
  assert.ok(am.evidence.some((e) => e.where.startsWith(LOG)), 'the log line');
  // Each frame named is that client's first packet (its SYN), as tshark reads the capture.
  for (const [c, t] of [[ms, drop], [su, bob], [sr, carol], [am, kex]] as const) {
    const f = tsharkFrame(frameOf(c, t.address, t.port));
    assert.deepEqual(f, { src: t.address, port: t.port, syn: true }, `${c.id}: frame of ${t.address}:${t.port}`);
  }
  // The evidence carries the time; the clock offset of the join is said.
  assert.match(su.evidence[0].text, /^2026-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z /);
  assert.ok(su.evidence.some((e) => /^clock: log time − capture time = [+-]0\.\d{3} s/.test(e.text)));
  const note = d.checked.find((c) => c.check === 'capture')?.note ?? '';
  assert.match(note, /15 connections; joined with the log: 9 both saw, 6 only the wire, 0 only the log, 0 disagreements; clock offset \(log − capture\) [+-]0\.\d{3} s from 9 connections/);
  // The flooder and the HTTP client are not your users: no cause about them.
  const flood = TRUTH.truth.find((t) => t.who === 'flood')!.address;
  const http = truthOf('http', 'non_ssh').address;
  for (const c of d.causes) for (const a of c.affects.addresses ?? []) assert.ok(a !== flood && a !== http, `${c.id} names ${a}`);
});

test('doctor --pcap --client: that client\'s own flows', () => {
  const bob = doctor(['--client', truthOf('bob', 'syn_unanswered').address]).d;
  assert.equal(bob.causes[0].id, 'syn_unanswered');
  assert.match(bob.verdict, /got no answer to its SYN/);
  const carol = doctor(['--client', truthOf('carol', 'syn_rejected').address]).d;
  assert.equal(carol.causes[0].id, 'syn_rejected');
  const http = doctor(['--client', truthOf('http', 'non_ssh').address]).d;
  assert.deepEqual(http.causes.map((c) => c.id), ['non_ssh_client']);
  assert.match(http.causes[0].summary, /sent HTTP to the SSH port/);
  const alice = doctor(['--client', truthOf('alice', 'dropped').address]).d;
  assert.deepEqual(alice.causes.map((c) => c.id).sort(), ['algorithm_mismatch', 'maxstartups']);
  const a = truthOf('alice', 'dropped').address;
  const n = TRUTH.truth.filter((t) => t.address === a).length;
  assert.ok(alice.checked.find((c) => c.check === 'capture')!.note.includes(`${n} connections of ${a}; joined with the log: ${n - 1} both saw, 1 only the wire`));
});

test('doctor --pcap: a log written on a clock 90 s ahead is still joined, and the offset is reported', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-doctor-pcap-'));
  try {
    const shifted = readFileSync(LOG, 'utf8').replace(/^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)(\+00:00)/gm, (_m, t: string, z: string) => new Date(Date.parse(`${t.slice(0, 23)}Z`) + 90_000).toISOString().slice(0, 23) + t.slice(23) + z);
    assert.notEqual(shifted, readFileSync(LOG, 'utf8'));
    const log = join(dir, 'ahead.log');
    writeFileSync(log, shifted);
    const { d } = doctor([], log);
    assert.match(d.checked.find((c) => c.check === 'capture')!.note, /9 both saw, 6 only the wire.*clock offset \(log − capture\) \+(89|90)\.\d{3} s/);
    assert.ok(d.causes.some((c) => c.id === 'maxstartups' && c.affects.addresses?.[0] === truthOf('alice', 'dropped').address));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('doctor --pcap: a missing file or one that is no capture is a check that could not look, naming the file', () => {
  const missing = doctor([], LOG, join(FX, 'no-such.pcap'));
  assert.match(missing.d.unchecked.find((u) => u.check === 'capture')?.reason ?? '', /no-such\.pcap: .*(not found|ENOENT|No such file)/i);
  const notCapture = doctor([], LOG, LOG);
  assert.match(notCapture.d.unchecked.find((u) => u.check === 'capture')?.reason ?? '', /wire-doctor\.log: /);
  // the log check still ran
  assert.ok(notCapture.d.checked.some((c) => c.check === 'logs'));
  const r = sshwarden(['doctor', 'root@192.0.2.1', '--pcap', PCAP]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--pcap .*server side/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('report --pcap --json: the wire section (counts by outcome and Zeek state, wire-only with why, clock offset) and the ranking uses it', () => {
  const r = sshwarden(['report', LOG, '--pcap', PCAP, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const data = JSON.parse(r.stdout);
  const p = sshwarden(['pcap', PCAP, '--log', LOG, '--json']);
  const pj = JSON.parse(p.stdout);
  const w = data.wire;
  assert.equal(w.connections, pj.summary.connections);
  assert.deepEqual(w.outcomes, pj.summary.outcomes);
  assert.deepEqual(w.connStates, pj.summary.connStates);
  assert.equal(w.clockOffsetMs, pj.join.clockOffsetMs);
  assert.equal(w.wireOnly.total, pj.join.wireOnly.length);
  const only = new Set(w.wireOnly.rows.map((x: [number, string, number]) => `${x[1]}:${x[2]}`));
  for (const t of [truthOf('alice', 'dropped'), truthOf('bob', 'syn_unanswered'), truthOf('carol', 'syn_rejected')]) assert.ok(only.has(`${t.address}:${t.port}`), `${t.who} ${t.result} is wire-only`);
  assert.ok(w.wireOnly.rows.every((x: unknown[]) => typeof x[6] === 'string' && (x[6] as string).length > 10), 'each says why the log has no line');
  assert.equal(data.answer.by, 'doctor');
  assert.equal(data.answer.causes[0].id, 'maxstartups');
  assert.ok(data.answer.causes.some((c: Cause) => c.id === 'syn_unanswered'));
  const bad = sshwarden(['report', LOG, '--pcap', join(FX, 'no-such.pcap'), '--json']);
  assert.equal(bad.status, 3);
  assert.match(bad.stderr, /no-such\.pcap/);
  assert.doesNotMatch(bad.stderr, /\n\s+at /);
});
