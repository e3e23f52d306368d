/** The inotify file follower: from the end, partial lines, rotation (rename+create, copytruncate), deletion, late creation, resume. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFollower, type FileFollowerOptions } from '../../src/sources/follow-file.ts';

function setup(start: FileFollowerOptions['start'] = 'end', create = true) {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-follow-'));
  const file = join(dir, 'auth.log');
  if (create) writeFileSync(file, 'old 1\nold 2\n');
  const got: { text: string; line: number }[] = [];
  const notices: string[] = [];
  const f = new FileFollower(file, {
    start,
    onLines: (lines, first) => lines.forEach((text, i) => got.push({ text, line: first + i })),
    onNotice: (m) => notices.push(m),
    retireAfterMs: 300,
  });
  f.start();
  return { dir, file, got, notices, f, done: () => { f.close(); rmSync(dir, { recursive: true, force: true }); } };
}

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('starts at the end, numbers lines from the file start, joins partial lines, reacts within milliseconds', async () => {
  const s = setup();
  try {
    const t0 = performance.now();
    appendFileSync(s.file, 'new 3\n');
    await until(() => s.got.length === 1);
    assert.ok(performance.now() - t0 < 200, 'inotify, not polling');
    assert.deepEqual(s.got[0], { text: 'new 3', line: 3 });
    appendFileSync(s.file, 'par');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(s.got.length, 1, 'partial line held');
    appendFileSync(s.file, 'tial 4\r\n');
    await until(() => s.got.length === 2);
    // The CR is kept: framers strip it, and sshd -E detection needs it (a raw client newline must not split a record).
    assert.deepEqual(s.got[1], { text: 'partial 4\r', line: 4 });
  } finally {
    s.done();
  }
});

test('rename-and-create rotation: the old file is drained (late writes too), then the new one read from its start', async () => {
  const s = setup();
  try {
    appendFileSync(s.file, 'a\n');
    await until(() => s.got.length === 1);
    renameSync(s.file, `${s.file}.1`);
    appendFileSync(`${s.file}.1`, 'late write to the old file\n'); // the writer has not reopened yet
    writeFileSync(s.file, 'b\n');
    await until(() => s.got.length === 3);
    assert.deepEqual(s.got.map((g) => g.text), ['a', 'late write to the old file', 'b']);
    assert.equal(s.got[2].line, 1);
    assert.ok(s.notices.some((n) => /rotated|moved/.test(n)));
  } finally {
    s.done();
  }
});

test('copytruncate: reading restarts at 0', async () => {
  const s = setup();
  try {
    appendFileSync(s.file, 'x\n');
    await until(() => s.got.length === 1);
    truncateSync(s.file, 0);
    await new Promise((r) => setTimeout(r, 30));
    appendFileSync(s.file, 'after truncate\n');
    await until(() => s.got.length === 2);
    assert.deepEqual(s.got[1], { text: 'after truncate', line: 1 });
  } finally {
    s.done();
  }
});

test('a file that does not exist yet, and one that is deleted and comes back', async () => {
  const s = setup('end', false);
  try {
    assert.ok(s.notices.some((n) => /does not exist yet/.test(n)));
    writeFileSync(s.file, 'first\n');
    await until(() => s.got.length === 1);
    rmSync(s.file);
    await new Promise((r) => setTimeout(r, 30));
    writeFileSync(s.file, 'again\n');
    await until(() => s.got.length === 2);
    assert.deepEqual(s.got.map((g) => g.text), ['first', 'again']);
  } finally {
    s.done();
  }
});

test('resume from a saved position (same inode) loses and repeats nothing; --replay reads everything', async () => {
  const s = setup();
  appendFileSync(s.file, 'p3\np4\n');
  await until(() => s.got.length === 2);
  const pos = s.f.position()!;
  s.f.close();
  appendFileSync(s.file, 'while down 5\n');
  const got: string[] = [];
  const f2 = new FileFollower(s.file, { start: pos, onLines: (l) => got.push(...l) });
  f2.start();
  const all: string[] = [];
  const f3 = new FileFollower(s.file, { start: 'beginning', onLines: (l) => all.push(...l) });
  f3.start();
  try {
    assert.deepEqual(got, ['while down 5']);
    assert.deepEqual(all, ['old 1', 'old 2', 'p3', 'p4', 'while down 5']);
  } finally {
    f2.close();
    f3.close();
    rmSync(s.dir, { recursive: true, force: true });
  }
});
