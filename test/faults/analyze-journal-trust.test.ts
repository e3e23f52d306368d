/**
 * Issue 10, "Local users can forge sshd in journal mode", for `analyze`: a journal JSON export
 * (`journalctl -o json`, committed sample test/faults/data/journal-forged.json) holds real sshd
 * records (journald's trusted fields _COMM sshd-session, _UID 0; one from a pre-auth child
 * journald could no longer read: uid alone) and two forged ones (`logger -t sshd` by uid 1000:
 * one with _COMM=logger, one whose process was gone). analyze applies the guard's trust rule
 * (framing/journal-json-framer.ts): the forged records are not sshd's, counted and said.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sshwarden } from './run-cli.ts';

const SAMPLE = join(import.meta.dirname, 'data', 'journal-forged.json');

test('issue 10 "local users can forge sshd in journal mode" (analyze): forged journal records are not counted as sshd, and are said', async () => {
  const r = await sshwarden(['analyze', SAMPLE, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as {
    inputs: { lines: number; sshdLines: number; otherPrograms: number; untrustedJournalRecords: number };
    sources: { address: string; class: string }[];
    connections: { src: string | null; outcome: string }[];
  };
  assert.equal(doc.inputs.lines, 9);
  assert.equal(doc.inputs.untrustedJournalRecords, 2);
  assert.equal(doc.inputs.sshdLines, 7);
  const addrs = doc.sources.map((s) => s.address).sort();
  // The forged "Accepted password … from 198.51.100.7" protects nobody; the forged failure of 192.0.2.77 accuses nobody.
  assert.deepEqual(addrs, ['198.51.100.20', '203.0.113.9']);
  assert.equal(doc.sources.find((s) => s.address === '198.51.100.20')?.class, 'bruteforce');
  assert.ok(!doc.connections.some((c) => c.outcome === 'authenticated'), 'no login from a forged record');

  const t = await sshwarden(['analyze', SAMPLE]);
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout.replace(/\s+/g, ' '), /2 journal records claimed to be sshd's but were not written by sshd \(first: \S*journal-forged\.json:8, identifier "sshd", process "logger", uid 1000\): not counted/);
  assert.doesNotMatch(t.stdout + t.stderr, /^\s+at /m);
});

test('doctor on the same export: the forged records are said in what it checked, and accuse or protect nobody', async () => {
  const r = await sshwarden(['doctor', '--offline', '--log', SAMPLE, '--json']);
  // 3: --offline without --config could not read a config (README, doctor's exit codes); never a usage or runtime error.
  assert.ok(r.status === 0 || r.status === 1 || r.status === 3, `exit ${r.status}: ${r.stderr}`);
  const text = r.stdout;
  const logs = (JSON.parse(text) as { checked: { check: string; note: string }[] }).checked.find((c) => c.check === 'logs');
  assert.match(logs?.note ?? '', /2 journal records claimed to be sshd's but were not written by sshd \(first: [^)]*journal-forged\.json:\d+, identifier "sshd", process "logger", uid 1000\): not counted/);
  assert.doesNotMatch(text, /192\.0\.2\.77/, 'the forged failure names nobody');
});
