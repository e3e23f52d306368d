/**
 * Journal JSON in every layout a valid JSON object per line can have. journalctl of systemd
 * before v24x (RHEL/CentOS 7's 219, RHEL 8's 239) writes `-o json` with spaces:
 * `{ "__CURSOR" : "s=…", "MESSAGE" : "…" }`; today's writes `{"__CURSOR":"s=…",…}`. Both, and
 * any other spacing, frame the same; text that looks like fields inside MESSAGE (written by
 * whoever logs, and by the client through sshd) is never read as a field. Also the inputs that
 * cannot be read as made, each said in one error naming the file: `journalctl -o json-pretty`
 * (one record over many lines), and an export without journald's trusted fields
 * (`--output-fields` without _UID), which the trust rule rejects without calling it a forgery.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { JournalJsonFramer, type JournalTrust } from '../../src/framing/journal-json-framer.ts';
import { readInputs } from '../../src/sources/read-inputs.ts';
import { untrustedJournalClause } from '../../src/report/untrusted-journal.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';
import { MAIN } from '../guard/guard-lab.ts';

type Value = string | number[] | string[] | null;
type Rec = Record<string, Value>;

const TRUST: JournalTrust = { uids: [0, 74] };

/** A record as RHEL 7's journalctl writes it for sshd (its field order). */
const SSHD: Rec = {
  __CURSOR: 's=5b4c5e1a2d5a4a7e9a7b2b0c3d4e5f60;i=1f2;b=0a1b2c3d4e5f60718293a4b5c6d7e8f9;m=2a3b4c;t=661e00e50aa40;x=3c4d5e6f7a8b9c0d',
  __REALTIME_TIMESTAMP: '1796464801000000',
  __MONOTONIC_TIMESTAMP: '2768716',
  _BOOT_ID: '0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  PRIORITY: '6',
  _UID: '0',
  _GID: '0',
  _MACHINE_ID: 'fedcba9876543210fedcba9876543210',
  _HOSTNAME: 'rhel7',
  SYSLOG_FACILITY: '10',
  SYSLOG_IDENTIFIER: 'sshd',
  _TRANSPORT: 'syslog',
  _COMM: 'sshd',
  _EXE: '/usr/sbin/sshd',
  _CMDLINE: 'sshd: admin [priv]',
  _SYSTEMD_CGROUP: '/system.slice/sshd.service',
  _SYSTEMD_UNIT: 'sshd.service',
  SYSLOG_PID: '501',
  _PID: '501',
  _SOURCE_REALTIME_TIMESTAMP: '1796464800999991',
  MESSAGE: 'Failed password for invalid user admin from 203.0.113.20 port 1 ssh2',
};

const with_ = (r: Rec, fields: Rec, drop: string[] = []): Rec => {
  const out: Rec = { ...r, ...fields };
  for (const k of drop) delete out[k];
  return out;
};

/** Records covering what the framer reads: plain, bytes, stderr stream, repeated fields, escapes, other program, forged, null MESSAGE. */
const RECORDS: [string, Rec][] = [
  ['sshd', SSHD],
  ['MESSAGE as bytes (not UTF-8)', with_(SSHD, { MESSAGE: [73, 110, 118, 97, 108, 105, 100, 32, 117, 115, 101, 114, 32, 255, 254] })],
  ['stderr stream (pid null)', with_(SSHD, { _TRANSPORT: 'stdout', MESSAGE: 'Missing privilege separation directory: /var/empty/sshd' }, ['SYSLOG_IDENTIFIER', 'SYSLOG_PID'])],
  ['a field logged twice (an array)', with_(SSHD, { SYSLOG_IDENTIFIER: ['sshd', 'other'], MESSAGE: ['Accepted password for root from 192.0.2.4 port 2 ssh2', 'x'] })],
  ['quotes, backslashes, control characters in MESSAGE', with_(SSHD, { MESSAGE: 'Invalid user "a\\b"\t\u0001{} from 192.0.2.5 port 3' })],
  ['sshd-session, exited (no _COMM/_EXE)', with_(SSHD, { SYSLOG_IDENTIFIER: 'sshd-session', _UID: '74' }, ['_COMM', '_EXE'])],
  ['another program mentioning sshd', with_(SSHD, { SYSLOG_IDENTIFIER: 'systemd', _COMM: 'systemd', _EXE: '/usr/lib/systemd/systemd', MESSAGE: 'Started OpenSSH server daemon (sshd).' })],
  ['forged: logger -t sshd by uid 1000', with_(SSHD, { _COMM: 'logger', _EXE: '/usr/bin/logger', _UID: '1000', MESSAGE: 'Accepted password for root from 198.51.100.7 port 4 ssh2' })],
  ['MESSAGE null (over journalctl’s size limit)', with_(SSHD, { MESSAGE: null })],
];

const ws = (v: Value, sp: string): string => (Array.isArray(v) ? `[${sp}${v.map((x) => JSON.stringify(x)).join(`${sp},${sp}`)}${sp}]` : JSON.stringify(v));

/** Layouts of one record per line; `compact` is today's journalctl. */
const LAYOUTS: Record<string, (r: Rec) => string> = {
  compact: (r) => JSON.stringify(r),
  'older systemd: { "KEY" : "value", … }': (r) => `{ ${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)} : ${ws(v, ' ')}`).join(', ')} }`,
  'tabs around everything': (r) => `{\t${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)}\t:\t${ws(v, '\t')}`).join('\t,\t')}\t}`,
  'a space before } only': (r) => `${JSON.stringify(r).slice(0, -1)} }`,
  'a tab before } only': (r) => `${JSON.stringify(r).slice(0, -1)}\t}`,
  'a space after { only': (r) => `{ ${JSON.stringify(r).slice(1)}`,
  'a space after each colon': (r) => `{${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)}: ${ws(v, '')}`).join(',')}}`,
  'a space before each colon': (r) => `{${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)} :${ws(v, '')}`).join(',')}}`,
  'a space after each comma': (r) => `{${Object.entries(r).map(([k, v]) => `${JSON.stringify(k)}:${ws(v, '')}`).join(', ')}}`,
  'compact but SYSLOG_IDENTIFIER written "KEY" :': (r) => JSON.stringify(r).replace('"SYSLOG_IDENTIFIER":', '"SYSLOG_IDENTIFIER" :'),
  'compact but _UID after ", "': (r) => JSON.stringify(r).replace(',"_UID":', ', "_UID":'),
  'compact but MESSAGE after ",\\t" and before ":\\t"': (r) => JSON.stringify(r).replace(',"MESSAGE":', ',\t"MESSAGE":\t'),
  'whitespace around the line, CR at the end': (r) => ` \t${JSON.stringify(r)} \t\r`,
  'json-seq (RS), older systemd spacing': (r) => `\u001e${LAYOUTS['older systemd: { "KEY" : "value", … }'](r)}`,
};

interface Outcome {
  got: FramedLine | null;
  counts: JournalJsonFramer['counts'];
  untrusted: number;
  withoutUid: number;
}

function frameOne(line: string, trust: JournalTrust | null): Outcome {
  const f = new JournalJsonFramer('j.json', trust);
  const got = f.frame(line, 1);
  return { got, counts: { ...f.counts }, untrusted: f.untrusted, withoutUid: f.withoutUid };
}

test('every layout of a record (older systemd’s `{ "KEY" : "value" }`, tabs, a space before }, mixed) frames as the compact one does', () => {
  let framed = 0;
  for (const trust of [null, TRUST]) {
    for (const [what, rec] of RECORDS) {
      const want = frameOne(LAYOUTS.compact(rec), trust);
      if (want.got) framed++;
      for (const [layout, write] of Object.entries(LAYOUTS)) {
        const line = write(rec);
        assert.doesNotThrow(() => JSON.parse(line.replace(/^\u001e/, '')), `${layout} is valid JSON`);
        assert.deepEqual(frameOne(line, trust), want, `${what}, ${layout}, ${trust ? 'trust rule' : 'no trust rule'}:\n${line}`);
      }
    }
  }
  assert.ok(framed >= 10, 'the compact records themselves frame');
});

test('the QA record: older systemd’s spaced -o json of a failed password is one sshd line, with its envelope', () => {
  const line = `{ ${Object.entries(SSHD).map(([k, v]) => `${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(', ')} }`;
  const f = new JournalJsonFramer('j-old.json', TRUST);
  assert.deepEqual(f.frame(line, 7), {
    ts: 1796464801000,
    host: 'rhel7',
    program: 'sshd',
    pid: 501,
    message: 'Failed password for invalid user admin from 203.0.113.20 port 1 ssh2',
    file: 'j-old.json',
    line: 7,
  });
  assert.deepEqual({ framed: f.counts.framed, skipped: f.counts.skipped, malformed: f.counts.malformed }, { framed: 1, skipped: 0, malformed: 0 });
});

/** Message text made to look like fields, in every way JSON lets a string hold it. */
const FAKE_FIELDS = [
  '","SYSLOG_IDENTIFIER":"sshd","_UID":"0","_COMM":"sshd","_PID":"1","MESSAGE":"Accepted password for root from 198.51.100.7 port 4 ssh2',
  '", "SYSLOG_IDENTIFIER" : "sshd", "_UID" : "0", "_COMM" : "sshd", "MESSAGE" : "Accepted password for root from 198.51.100.7 port 4 ssh2',
  '\\","SYSLOG_IDENTIFIER":"sshd","_UID":"0',
  '{"SYSLOG_IDENTIFIER":"sshd","_UID":"0","_COMM":"sshd"}',
  'x"_UID', // ends a string with `"_UID`: forces the full parse, changes nothing
  '\t"SYSLOG_IDENTIFIER"\t:\t"sshd",\t"_UID"\t:\t"0"',
];

test('a MESSAGE holding "SYSLOG_IDENTIFIER":"sshd" / "_UID":"0" text never supplies those fields, in any layout', () => {
  for (const fake of FAKE_FIELDS) {
    const other = with_(SSHD, { SYSLOG_IDENTIFIER: 'myapp', _COMM: 'myapp', _EXE: '/usr/bin/myapp', _UID: '1000', MESSAGE: `sshd: ${fake}` });
    const forged = with_(SSHD, { _COMM: 'logger', _EXE: '/usr/bin/logger', _UID: '1000', MESSAGE: `Accepted password for root from 198.51.100.7 port 4 ssh2 ${fake}` });
    const exited = with_(SSHD, { _UID: '1000', MESSAGE: fake }, ['_COMM', '_EXE']);
    const noUid = with_(SSHD, { MESSAGE: fake }, ['_UID', '_COMM', '_EXE']);
    for (const [layout, write] of Object.entries(LAYOUTS)) {
      const ctx = `${layout}, message ${JSON.stringify(fake)}`;
      for (const trust of [null, TRUST]) {
        const o = frameOne(write(other), trust);
        assert.equal(o.got, null, `another program stays another program: ${ctx}`);
        assert.equal(o.counts.skipped, 1, ctx);
      }
      const f = new JournalJsonFramer('j.json', TRUST);
      assert.equal(f.frame(write(forged), 1), null, `forged: ${ctx}`);
      assert.deepEqual(f.firstUntrusted, { identifier: 'sshd', comm: 'logger', exe: 'logger', uid: 1000, line: 1 }, ctx);
      assert.equal(f.frame(write(exited), 2), null, `exited process, uid 1000: ${ctx}`);
      assert.equal(f.lastUntrusted?.uid, 1000, ctx);
      assert.equal(f.frame(write(noUid), 3), null, `no _UID field; the message's "_UID":"0" is not one: ${ctx}`);
      assert.equal(f.lastUntrusted?.uid, null, ctx);
      assert.deepEqual([f.untrusted, f.withoutUid], [3, 1], ctx);
      // Without the trust rule SYSLOG_IDENTIFIER is believed, and the message is the message.
      const plain = frameOne(write(forged), null).got;
      assert.equal(plain?.message, forged.MESSAGE, ctx);
    }
  }
});

/** Fragments of message text: key names, JSON punctuation, escapes, whitespace. */
const FRAGMENT = fc.constantFrom(
  '"', '\\', ':', ',', '{', '}', '[', ']', ' ', '\t', '\n', 'null', 'sshd', '0', '1000', 'é',
  'SYSLOG_IDENTIFIER', '_UID', '_COMM', 'MESSAGE', '_PID', 'SYSLOG_PID', '__REALTIME_TIMESTAMP', '_HOSTNAME', '_TRANSPORT', '_EXE',
  '"SYSLOG_IDENTIFIER":"sshd"', '","_UID":"0', '", "_UID" : "0', '\\","_COMM":"sshd', '"_UID"', '"_UID" :',
);
const SPACE = fc.constantFrom('', '', '', ' ', '\t', ' \t');

test('property: any spacing of any record frames as JSON.parse reads it; message text never becomes a field', () => {
  const fields = fc.record({
    SYSLOG_IDENTIFIER: fc.option(fc.constantFrom('sshd', 'sshd-session', 'myapp'), { nil: undefined }),
    _COMM: fc.option(fc.constantFrom('sshd', 'logger', 'myapp'), { nil: undefined }),
    _UID: fc.option(fc.constantFrom('0', '74', '1000'), { nil: undefined }),
    SYSLOG_PID: fc.option(fc.constantFrom('501', '7'), { nil: undefined }),
    _PID: fc.constantFrom('501', '9'),
    _HOSTNAME: fc.constantFrom('rhel7', 'h'),
    __REALTIME_TIMESTAMP: fc.constantFrom('1796464801000000', '1'),
    MESSAGE: fc.array(FRAGMENT, { maxLength: 12 }).map((p) => `sshd ${p.join('')}`),
  });
  const layout = fc.array(fc.tuple(SPACE, SPACE, SPACE, SPACE), { minLength: 8, maxLength: 8 });
  fc.assert(
    fc.property(fields, layout, fc.boolean(), (raw, spaces, trusted) => {
      const rec: Rec = {};
      for (const [k, v] of Object.entries(raw)) if (v !== undefined) rec[k] = v;
      const entries = Object.entries(rec);
      const line = `{${entries.map(([k, v], i) => `${spaces[i][0]}${JSON.stringify(k)}${spaces[i][1]}:${spaces[i][2]}${JSON.stringify(v)}${spaces[i][3]}`).join(',')}}`;
      // The reference: the spaced layout, which the framer reads with JSON.parse.
      const reference = `{ ${entries.map(([k, v]) => `${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(', ')} }`;
      const trust = trusted ? TRUST : null;
      const got = frameOne(line, trust);
      assert.deepEqual(got, frameOne(reference, trust), line);
      const program = rec.SYSLOG_IDENTIFIER ?? rec._COMM;
      if (program !== 'sshd' && program !== 'sshd-session') assert.equal(got.got, null, line);
      if (trusted && (rec._UID === undefined || rec._UID === '1000' || rec._COMM === 'logger' || rec._COMM === 'myapp')) assert.equal(got.got, null, line);
      if (got.got) assert.equal(got.got.message, rec.MESSAGE);
    }),
    { numRuns: 3000 },
  );
});

// --- inputs that cannot be read as made ---------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'sshwarden-jlayout-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function read(file: string, trust: JournalTrust | null = TRUST) {
  const errors: string[] = [];
  const r = readInputs([file], { onError: (f, l, m) => errors.push(`${f}${l === null ? '' : `:${l}`}: ${m}`), journalTrust: trust ?? undefined });
  const got: FramedLine[] = [];
  for await (const b of r.batches()) got.push(...b);
  return { errors, got, counts: r.counts };
}

/** `journalctl -o json-pretty`: one field per line, tab-indented, `"KEY" : value`. */
function jsonPretty(recs: Rec[]): string {
  return recs.map((r) => `{\n${Object.entries(r).map(([k, v]) => `\t${JSON.stringify(k)} : ${JSON.stringify(v)}`).join(',\n')}\n}\n`).join('');
}

test('journalctl -o json-pretty input: one error naming the file, saying to use journalctl -o json', async () => {
  const file = join(dir, 'pretty.json');
  writeFileSync(file, jsonPretty([SSHD, with_(SSHD, { SYSLOG_PID: '502', _PID: '502' })]));
  const f = new JournalJsonFramer(file, TRUST);
  for (const [i, l] of jsonPretty([SSHD]).split('\n').entries()) assert.equal(f.frame(l, i + 1), null);
  assert.equal(f.jsonPretty, 1);

  const { errors, got, counts } = await read(file);
  assert.deepEqual(got, []);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: looks like journalctl -o json-pretty output .*2 records.*use journalctl -o json \\(one record per line\\)`));
  assert.equal(counts.failedInputs, 1);
  assert.equal(counts.framed, 0);
});

test('an export without _UID (journalctl --output-fields): rejected, and said to lack the trusted fields, not to be forged', async () => {
  const trimmed = (r: Rec) => with_(r, {}, ['_UID', '_GID', '_COMM', '_EXE', '_CMDLINE', '_SYSTEMD_CGROUP', '_SYSTEMD_UNIT']);
  const file = join(dir, 'fields.json');
  const forged = with_(SSHD, { _COMM: 'logger', _EXE: '/usr/bin/logger', _UID: '1000' });
  writeFileSync(file, [trimmed(SSHD), trimmed(with_(SSHD, { SYSLOG_PID: '502' })), JSON.stringify(forged)].map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n');

  const f = new JournalJsonFramer(file, TRUST);
  assert.equal(f.frame(JSON.stringify(trimmed(SSHD)), 1), null, 'still rejected: the rule cannot be applied');
  assert.deepEqual([f.untrusted, f.withoutUid, f.firstWithoutUid?.line, f.firstUntrusted], [1, 1, 1, null]);
  // _UID left out but the process is known not to be sshd's: that one is a forgery.
  assert.equal(f.frame(JSON.stringify(with_(trimmed(SSHD), { _COMM: 'logger' })), 2), null);
  assert.deepEqual([f.untrusted, f.withoutUid, f.firstUntrusted?.line], [2, 1, 2]);

  const { errors, got, counts } = await read(file);
  assert.deepEqual(got, []);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: 2 journal records name sshd but have no _UID \\(first: line 1\\)`));
  assert.match(errors[0], /this export lacks journald's trusted fields _UID, _COMM and _EXE \(left out by journalctl --output-fields\?\)/);
  assert.doesNotMatch(errors[0], /not written by sshd|forg/);
  assert.equal(counts.journalWithoutUid, 2);
  assert.equal(counts.untrusted, 1, 'the forged record is still counted and said as before');
  assert.equal(counts.untrustedExample?.line, 3);
  assert.equal(counts.failedInputs, 1);

  // Only the trimmed records: no "claimed to be sshd's but was not written by sshd" sentence at all.
  const only = join(dir, 'fields-only.json');
  writeFileSync(only, `${JSON.stringify(trimmed(SSHD))}\n`);
  const o = await read(only);
  assert.equal(untrustedJournalClause(o.counts.untrusted, o.counts.untrustedExample), null);
  assert.equal(o.errors.length, 1);
  assert.match(o.errors[0], /1 journal record names sshd but has no _UID/);
  // _COMM kept, _UID left out: only _UID is named.
  writeFileSync(only, `${JSON.stringify(with_(SSHD, {}, ['_UID']))}\n`);
  const c = await read(only);
  assert.deepEqual([c.counts.untrusted, c.counts.journalWithoutUid], [0, 1]);
  assert.match(c.errors[0], /has no _UID \(first: line 1\): this export lacks journald's trusted field _UID \(left out by journalctl --output-fields\?\)/);

  // Without the trust rule SYSLOG_IDENTIFIER is believed (the existing option): read, no error.
  const plain = await read(file, null);
  assert.deepEqual(plain.errors, []);
  assert.equal(plain.got.length, 3);
});

const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';

test('real journalctl output: -o json-pretty is said, --output-fields without _UID is said, -o json of the same journal reads', async () => {
  assert.ok(existsSync(JOURNAL_REMOTE), `${JOURNAL_REMOTE} missing: apt-get install systemd-journal-remote (listed in test.sh)`);
  // Journal export format in, a journal file out (systemd-journal-remote), printed by the real journalctl.
  const entry = (i: number, fields: [string, string][]) =>
    [['__REALTIME_TIMESTAMP', String(1796464801000000 + i * 1000000)], ['__MONOTONIC_TIMESTAMP', String(1000 + i)], ['_BOOT_ID', '0123456789abcdef0123456789abcdef'], ['_HOSTNAME', 'web1'], ...fields]
      .map(([k, v]) => `${k}=${v}\n`)
      .join('') + '\n';
  const stream = [
    entry(0, [['SYSLOG_IDENTIFIER', 'sshd'], ['SYSLOG_PID', '501'], ['_PID', '501'], ['_UID', '0'], ['_COMM', 'sshd'], ['_EXE', '/usr/sbin/sshd'], ['MESSAGE', 'Failed password for invalid user admin from 203.0.113.20 port 1 ssh2']]),
    entry(1, [['SYSLOG_IDENTIFIER', 'sshd'], ['SYSLOG_PID', '502'], ['_PID', '502'], ['_UID', '0'], ['_COMM', 'sshd'], ['MESSAGE', 'Invalid user test from 203.0.113.21 port 2']]),
    entry(2, [['SYSLOG_IDENTIFIER', 'CRON'], ['SYSLOG_PID', '55'], ['_UID', '0'], ['_COMM', 'cron'], ['MESSAGE', 'pam_unix(cron:session): session opened for user root']]),
  ].join('');
  const journal = join(dir, 'real.journal');
  execFileSync(JOURNAL_REMOTE, ['-o', journal, '-'], { input: stream, stdio: ['pipe', 'ignore', 'pipe'] });
  const journalctl = (...args: string[]) => {
    const file = join(dir, `real-${args.join('').replace(/[^a-z]/gi, '')}.json`);
    writeFileSync(file, execFileSync('journalctl', ['--file', journal, ...args], { encoding: 'utf8' }));
    return file;
  };

  const json = await read(journalctl('-o', 'json'));
  assert.deepEqual(json.errors, []);
  assert.deepEqual(json.got.map((g) => [g.program, g.pid, g.message.slice(0, 14)]), [['sshd', 501, 'Failed passwor'], ['sshd', 502, 'Invalid user t']]);

  const prettyFile = journalctl('-o', 'json-pretty');
  const pretty = await read(prettyFile);
  assert.deepEqual(pretty.got, []);
  assert.equal(pretty.errors.length, 1, pretty.errors.join('\n'));
  assert.ok(pretty.errors[0].startsWith(`${prettyFile}: looks like journalctl -o json-pretty output`), pretty.errors[0]);
  assert.match(pretty.errors[0], /3 records.*use journalctl -o json/);

  const fields = await read(journalctl('-o', 'json', '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_HOSTNAME'));
  assert.deepEqual(fields.got, []);
  assert.equal(fields.errors.length, 1, fields.errors.join('\n'));
  assert.match(fields.errors[0], /2 journal records name sshd but have no _UID .*--output-fields/);
  assert.equal(fields.counts.untrusted, 0);
  assert.equal(fields.counts.journalWithoutUid, 2);
});

test('sshwarden analyze (the real CLI): the QA repro reads 1 sshd line; json-pretty and a trimmed export exit 3 with one line on stderr', () => {
  const cli = (file: string) => spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, 'analyze', '--json', file], { encoding: 'utf8', timeout: 60_000 });
  const spaced = join(dir, 'j-old.json');
  writeFileSync(spaced, `${LAYOUTS['older systemd: { "KEY" : "value", … }'](SSHD)}\n`);
  const r = cli(spaced);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const doc = JSON.parse(r.stdout) as { inputs: { lines: number; sshdLines: number; otherPrograms: number; untrustedJournalRecords: number } };
  assert.deepEqual([doc.inputs.lines, doc.inputs.sshdLines, doc.inputs.otherPrograms, doc.inputs.untrustedJournalRecords], [1, 1, 0, 0]);

  const pretty = join(dir, 'j-pretty.json');
  writeFileSync(pretty, jsonPretty([SSHD]));
  const p = cli(pretty);
  assert.equal(p.status, 3, p.stderr);
  assert.deepEqual(p.stderr.trim().split('\n'), [`sshwarden: ${pretty}: looks like journalctl -o json-pretty output (each record over many lines; 1 record), which is not read; use journalctl -o json (one record per line) or -o short-iso`]);

  const trimmed = join(dir, 'j-fields.json');
  writeFileSync(trimmed, `${JSON.stringify(with_(SSHD, {}, ['_UID', '_COMM', '_EXE']))}\n`);
  const t = cli(trimmed);
  assert.equal(t.status, 3, t.stderr);
  assert.equal(t.stderr.trim().split('\n').length, 1, t.stderr);
  assert.match(t.stderr, /^sshwarden: \S+j-fields\.json: 1 journal record names sshd but has no _UID \(first: line 1\): this export lacks journald's trusted fields/);
  assert.equal((JSON.parse(t.stdout) as { inputs: { untrustedJournalRecords: number } }).inputs.untrustedJournalRecords, 0);
});
