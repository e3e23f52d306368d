/**
 * Replays fail2ban's annotated sshd sample logs through sshwarden's engine and scores the
 * per-line verdicts against fail2ban's expectations (used by fail2ban.test.ts; kept apart so
 * the scoring can be run by hand: `node test/peer/fail2ban-score.ts` prints the table and
 * every disagreement).
 *
 * "Did this line yield a failure attributed to address X": the EngineUpdates that
 * `Analyzer.push()` returns for exactly this line (see fail2ban.test.ts header for the
 * mapping from fail2ban's aggressive mode).
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { Analyzer } from '../../src/engine/analyzer.ts';
import { createFramer, type Framer, type LogFormat } from '../../src/framing/index.ts';
import type { Outcome } from '../../src/vocabulary.ts';
import { readCorpus, optionSetWithMode, runsUnder, expectedHost, type CorpusFile, type CorpusLine, type FilterOptions } from './fail2ban-corpus.ts';

export type EngineUpdate = ReturnType<Analyzer['push']>[number];

/** Repo root → the corpus, read in place. */
export const CORPUS_DIR = resolve(import.meta.dirname, '../../../shared/peer-corpus/fail2ban');

/**
 * Connection outcomes that count as a failure in the sense of fail2ban's aggressive mode
 * (normal + ddos + extra: every pre-auth connection that ended without logging in).
 * Not failures: `authenticated`; `dropped` (sshd refused it before any SSH exchange:
 * MaxStartups, PerSourcePenalties, TCP wrappers); `unknown` (the log does not say what happened).
 */
export const FAILURE_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>([
  'closed_before_ident',
  'reset_before_ident',
  'non_ssh',
  'protocol_mismatch',
  'closed_after_ident',
  'kex_failed',
  'timeout',
  'auth_failed',
]);

/** Canonical form of an address for comparison; null when it is not an IP literal (host names). */
export function canonicalAddress(a: string): string | null {
  const v = isIP(a);
  if (v === 0) return null;
  if (v === 4) return a;
  const p = ipaddr.IPv6.parse(a);
  return p.isIPv4MappedAddress() ? p.toIPv4Address().toString() : p.toString();
}

/**
 * Whether an auth-failure update counts. fail2ban's default `publickey = nofail` (gh-1263): a
 * valid user's client offering keys the server does not accept is normal (agents hold several
 * keys), so `Failed publickey` for a valid user is not a failure by itself; the connection
 * still counts when it ends without logging in.
 */
export function countsAsAuthFailure(u: Extract<EngineUpdate, { kind: 'auth-failure' }>): boolean {
  return !(u.method === 'publickey' && !u.invalidUser);
}

/**
 * The addresses this line's updates mark as failing, canonical form. A `connection-closed`
 * counts for this line only when the line is part of that connection (in its evidence): when a
 * line starts a new connection on a reused PID, the previous connection closes as a side effect
 * and its failure belongs to the lines that made it, not to this one.
 */
export function failuresOf(updates: readonly EngineUpdate[], file: string, lineNo: number): Set<string> {
  const out = new Set<string>();
  for (const u of updates) {
    let addr: string | null | undefined = null;
    if (u.kind === 'auth-failure') addr = countsAsAuthFailure(u) ? u.address : null;
    else if (
      u.kind === 'connection-closed' &&
      FAILURE_OUTCOMES.has(u.connection.outcome as Outcome) &&
      u.connection.evidence.some((e) => e.line === lineNo && e.file === file)
    )
      addr = u.connection.src;
    if (addr) out.add(canonicalAddress(addr) ?? addr);
  }
  return out;
}

export type Verdict = 'found' | 'wrong-address' | 'missed' | 'quiet' | 'extra';

export interface LineResult {
  mode: Mode;
  file: string;
  line: number;
  text: string;
  expected: string | null; // expected address (match) or null (no match)
  got: string[];
  verdict: Verdict;
  /** Whether the framer accepted the line as an sshd record. */
  framed: boolean;
  desc?: string;
}

/** Which of fail2ban's filter instances we compare with: aggressive, or the blocks that are only run in normal mode. */
export type Mode = 'aggressive' | 'normal-only';

export interface Score {
  mode: Mode;
  file: string;
  expectMatch: number;
  found: number;
  wrongAddress: number;
  missed: number;
  expectNoMatch: number;
  quiet: number;
  extra: number;
}

function framerFor(file: CorpusFile, format: LogFormat): Framer {
  // year/timezone fixed: the corpus has no year (fail2ban's harness fixes one too); times do not matter for the verdicts
  return createFramer(format, file.name, { year: 2005, timezone: 'UTC' });
}

/**
 * Replays the lines of one file that the chosen fail2ban filter instance processes, in order,
 * through one fresh Analyzer, and scores every annotated line.
 */
export function replay(file: CorpusFile, mode: Mode): LineResult[] {
  const journal = file.lines.some((l) => l.optionSets.some((o) => o.logtype === 'journal'));
  // One framer per input, as analyze does: the syslog framer for `sshd` (it recognises the
  // RFC 3164 / RFC 3339 / RFC 5424 envelopes per line), journalctl's short form for `sshd-journal`.
  const framer = framerFor(file, journal ? 'journal-short' : 'syslog');
  const analyzer = new Analyzer({ keepConnections: false });
  const results: LineResult[] = [];
  for (const line of file.lines) {
    const opts = optsFor(line, mode);
    if (!opts) continue;
    if (!runsUnder(line, opts)) continue;
    const framed = framer.frame(line.text, line.lineNo);
    const updates = framed ? analyzer.push(framed) : [];
    const got = failuresOf(updates, file.name, line.lineNo);
    const exp = expectedHost(line.failJson);
    let verdict: Verdict;
    if (line.failJson?.match) {
      const want = exp === null ? null : (canonicalAddress(exp) ?? exp);
      // a match without `host` (fail2ban checks only the keys given) is found by any failure;
      // the right address plus another one is a wrong address (a decoy was believed too)
      verdict = got.size === 0 ? 'missed' : want === null || (got.has(want) && got.size === 1) ? 'found' : 'wrong-address';
    } else {
      verdict = got.size === 0 ? 'quiet' : 'extra';
    }
    results.push({ mode, file: file.name, line: line.lineNo, text: line.text, expected: exp, got: [...got], verdict, framed: framed !== null, desc: line.failJson?.desc });
  }
  analyzer.finish();
  return results;
}

/** The option set a line runs under for the mode, or null when that fail2ban instance never sees the line. */
function optsFor(line: CorpusLine, mode: Mode): FilterOptions | null {
  const agg = optionSetWithMode(line, 'aggressive');
  if (mode === 'aggressive') return agg;
  if (agg) return null; // scored under aggressive
  return optionSetWithMode(line, undefined);
}

export function score(results: readonly LineResult[], mode: Mode, file: string): Score {
  const r = results.filter((x) => x.mode === mode && x.file === file);
  const n = (v: Verdict) => r.filter((x) => x.verdict === v).length;
  return {
    mode,
    file,
    expectMatch: n('found') + n('wrong-address') + n('missed'),
    found: n('found'),
    wrongAddress: n('wrong-address'),
    missed: n('missed'),
    expectNoMatch: n('quiet') + n('extra'),
    quiet: n('quiet'),
    extra: n('extra'),
  };
}

export function runAll(dir = CORPUS_DIR): { files: CorpusFile[]; results: LineResult[]; scores: Score[] } {
  const files = readCorpus(dir);
  const results: LineResult[] = [];
  const scores: Score[] = [];
  for (const mode of ['aggressive', 'normal-only'] as const) {
    for (const f of files) {
      if (f.lines.length === 0) continue;
      results.push(...replay(f, mode));
      scores.push(score(results, mode, f.name));
    }
  }
  return { files, results, scores };
}

export function formatTable(scores: readonly Score[]): string {
  const rows = [
    '| fail2ban instance | file | expected match | found (same addr) | wrong addr | missed | expected no match | quiet | extra | agreement |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const tot = (k: keyof Score, m: Mode) => scores.filter((s) => s.mode === m).reduce((a, s) => a + (s[k] as number), 0);
  const pct = (a: number, b: number) => (b === 0 ? '-' : `${((a / b) * 100).toFixed(1)}%`);
  for (const s of scores) {
    rows.push(`| ${s.mode} | ${s.file} | ${s.expectMatch} | ${s.found} | ${s.wrongAddress} | ${s.missed} | ${s.expectNoMatch} | ${s.quiet} | ${s.extra} | ${pct(s.found + s.quiet, s.expectMatch + s.expectNoMatch)} |`);
  }
  for (const m of ['aggressive', 'normal-only'] as const) {
    const all = tot('expectMatch', m) + tot('expectNoMatch', m);
    rows.push(`| ${m} | **total** | ${tot('expectMatch', m)} | ${tot('found', m)} | ${tot('wrongAddress', m)} | ${tot('missed', m)} | ${tot('expectNoMatch', m)} | ${tot('quiet', m)} | ${tot('extra', m)} | ${pct(tot('found', m) + tot('quiet', m), all)} |`);
  }
  return rows.join('\n');
}

if (import.meta.filename === process.argv[1]) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0); // `| head`
    throw e;
  });
  const { results, scores } = runAll();
  process.stdout.write(`${formatTable(scores)}\n\nDisagreements:\n`);
  for (const r of results) {
    if (r.verdict === 'found' || r.verdict === 'quiet') continue;
    process.stdout.write(`  ${r.mode} ${r.file}:${r.line} ${r.verdict} expected=${r.expected ?? '-'} got=[${r.got.join(',')}]\n      ${r.text}\n`);
  }
}
