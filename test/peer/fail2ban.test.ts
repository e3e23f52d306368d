/**
 * Peer suite: fail2ban's own annotated sshd sample logs, scored against sshwarden's engine.
 *
 * Corpus: ../shared/peer-corpus/fail2ban/ (read in place; fail2ban/tests/files/logs/ at
 * fail2ban commit deffcbcd, GPL-2.0-or-later, see PROVENANCE.md there). `sshd` (syslog forms,
 * ends with `# addFILE: "sshd-journal"`) and `sshd-journal` (journal text form, no times).
 * `zzz-sshd-obsolete-multiline` only re-includes `sshd` for an obsolete filter and is not read.
 *
 * Replay (test/peer/fail2ban-score.ts): like fail2ban's harness, each filter instance sees
 * only the blocks whose `# filterOptions:` list its option set, minus lines whose `constraint`
 * is false for it. We compare with the **aggressive** instance (`mode: aggressive`): every line
 * it processes is replayed in file order through ONE fresh `Analyzer` per file (the `sshd` file
 * through the syslog framer, `sshd-journal` through the journal-short framer), and each
 * annotated line is scored by the updates `push()` returned for that very line. The 36 lines
 * of blocks run only in normal mode (gh-2070 "forget on Accepted" cases, RFC 5424 samples) are
 * replayed the same way through their own Analyzer and scored separately ("normal-only").
 *
 * Mapping: "this line yielded a failure attributed to address X" when push() returned
 *  - an `auth-failure` for X — except `Failed publickey` for a valid user (method `publickey`,
 *    not `invalidUser`): fail2ban's default `publickey = nofail` (gh-1263), because clients
 *    offer several keys and a refused key is normal; the connection still counts if it ends
 *    without a login; or
 *  - a `connection-closed` whose connection's `src` is X and whose `outcome` is one of
 *    closed_before_ident, reset_before_ident, non_ssh, protocol_mismatch, closed_after_ident,
 *    kex_failed, timeout, auth_failed. That is fail2ban's aggressive mode = normal (auth
 *    failures) + ddos (no identification, kex/banner failures, pre-auth closes, resets,
 *    timeouts) + extra (no auth methods, algorithm negotiation failures, pre-auth disconnects):
 *    every connection that ended before logging in. Not failures: `authenticated`;
 *    `dropped` (our listener refused it before the client did anything; fail2ban matches no
 *    drop line in any mode); `unknown` (the log does not say what happened).
 * Addresses compare in canonical form (IPv4-mapped IPv6 as IPv4, RFC 5952 IPv6). An expected
 * `host` that is not an IP literal (`example.com`, `192.030.0.6`) can never be found: we never
 * take an address from a host name. A `match` without `host` is found by any failure.
 *
 * Score: expected matches found with the same address, expected no-matches that yielded
 * nothing, and each disagreement. The test asserts the score is at least what was measured
 * (FLOOR) and that every disagreement is one listed in KNOWN_DISAGREEMENTS below with our
 * judgement: `fail2ban-wrong`, `policy` (we deliberately differ) or `our-bug` (reported to the
 * engine / framing owners). A new disagreement fails the test; a listed one that now agrees
 * is printed as "now agrees" (remove it and raise the floor).
 * Run `node test/peer/fail2ban-score.ts` to print the table and every disagreement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { runAll, formatTable, CORPUS_DIR, type LineResult, type Mode, type Verdict } from './fail2ban-score.ts';

type Judgement = 'fail2ban-wrong' | 'policy' | 'our-bug';
interface Known {
  mode: Mode;
  file: 'sshd' | 'sshd-journal';
  line: number;
  verdict: Exclude<Verdict, 'found' | 'quiet'>;
  judgement: Judgement;
  reason: string;
}

// Reasons, one line each (shared by the syslog and journal copies of the same sample).
const R = {
  hostName:
    'policy: the `from <host>` of this shape is sshd\'s canonical host name (a PTR name under UseDNS yes, attacker-controlled); we take addresses only from socket-derived fields, and example.com / 192.030.0.6 are not IP literals',
} as const;

/** Every disagreement with fail2ban's aggressive (and normal-only) expectations, judged. */
export const KNOWN_DISAGREEMENTS: readonly Known[] = [];

/** Measured agreement; the test fails if sshwarden does worse. */
export const FLOOR: Record<Mode, { found: number; quiet: number }> = {
  aggressive: { found: 0, quiet: 0 },
  'normal-only': { found: 0, quiet: 0 },
};

const key = (r: { mode: string; file: string; line: number }) => `${r.mode} ${r.file}:${r.line}`;

test('fail2ban peer corpus is present (read in place from ../shared/peer-corpus/fail2ban/)', () => {
  assert.ok(existsSync(CORPUS_DIR), `fail2ban peer corpus missing at ${CORPUS_DIR}; it must be provided next to the repo (../shared/peer-corpus/fail2ban/)`);
});

test('fail2ban sshd samples: agreement with the aggressive-mode expectations', () => {
  const { files, results, scores } = runAll();
  // the corpus is the one described in PROVENANCE.md: 155 + 129 annotated lines
  const annotated = Object.fromEntries(files.map((f) => [f.name, f.lines.filter((l) => l.failJson).length]));
  assert.deepEqual(annotated, { sshd: 155, 'sshd-journal': 129 });

  console.log(`\nfail2ban peer suite (corpus ${CORPUS_DIR})\n${formatTable(scores)}\n`);

  const known = new Map(KNOWN_DISAGREEMENTS.map((k) => [key(k), k]));
  const disagreements = results.filter((r) => r.verdict !== 'found' && r.verdict !== 'quiet');
  const unlisted: LineResult[] = [];
  const byJudgement: Record<string, number> = {};
  for (const d of disagreements) {
    const k = known.get(key(d));
    if (!k || k.verdict !== d.verdict) unlisted.push(d);
    else byJudgement[k.judgement] = (byJudgement[k.judgement] ?? 0) + 1;
  }
  const seen = new Set(disagreements.map(key));
  const nowAgree = KNOWN_DISAGREEMENTS.filter((k) => !seen.has(key(k)));
  console.log(`disagreements: ${disagreements.length} (${Object.entries(byJudgement).map(([j, n]) => `${j} ${n}`).join(', ') || 'none judged'}), unlisted ${unlisted.length}`);
  for (const k of nowAgree) console.log(`now agrees (remove from KNOWN_DISAGREEMENTS, raise FLOOR): ${key(k)} [${k.judgement}]`);

  for (const mode of ['aggressive', 'normal-only'] as const) {
    const found = scores.filter((s) => s.mode === mode).reduce((a, s) => a + s.found, 0);
    const quiet = scores.filter((s) => s.mode === mode).reduce((a, s) => a + s.quiet, 0);
    assert.ok(found >= FLOOR[mode].found, `${mode}: ${found} expected matches found with the right address, floor ${FLOOR[mode].found}`);
    assert.ok(quiet >= FLOOR[mode].quiet, `${mode}: ${quiet} expected no-matches stayed quiet, floor ${FLOOR[mode].quiet}`);
  }
  assert.deepEqual(
    unlisted.map((d) => `${key(d)} ${d.verdict} expected=${d.expected ?? '-'} got=[${d.got.join(',')}]: ${d.text}`),
    [],
    'disagreements with fail2ban not judged in KNOWN_DISAGREEMENTS (a regression, or a new case to judge)',
  );
});
