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
 *    every connection that ended before logging in, counted on a line that belongs to that
 *    connection (in its evidence: a new connection on a reused PID closing the previous one
 *    is that previous connection's failure, not this line's). Not failures: `authenticated`;
 *    `dropped` (sshd refused it before any SSH exchange: MaxStartups, PerSourcePenalties, TCP
 *    wrappers; the client did nothing wrong yet, and fail2ban matches no MaxStartups or penalty
 *    line in any mode); `unknown` (the log does not say what happened).
 * Addresses compare in canonical form (IPv4-mapped IPv6 as IPv4, RFC 5952 IPv6). An expected
 * `host` that is not an IP literal (`example.com`, `192.030.0.6`) can never be found: we never
 * take an address from a host name. A `match` without `host` is found by any failure; the
 * expected address together with another one is a wrong address (a decoy was believed).
 *
 * Score: expected matches found with the same address, expected no-matches that yielded
 * nothing, and each disagreement. The test also asserts that every corpus line frames, and that
 * no failure is ever pinned on a wrong address (the injection samples), except listed engine
 * bugs, which it prints on every run. It asserts the score is at least what was measured
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
    "policy: this shape's `from <host>` is sshd's canonical host name (a PTR name under UseDNS yes, attacker-controlled): we take an address from it only when it is a plain IP literal, and example.com / 192.030.0.6 (leading-zero octet, octal to inet_aton) are not",
  wrappers:
    'policy: a TCP-wrappers refusal is sshd refusing a source hosts.deny already blocks; we record the connection as `dropped` (detail tcp_wrappers), a server refusal, not as a client failure',
  kernelPrefix:
    "policy: `kernel:[…]` inside sshd's MESSAGE is not an sshd message shape (fail2ban tests its prefix tolerance); we anchor on sshd's exact shapes and count the line as unrecognised",
  waitsDisconnected:
    'policy: a connection closes on its last line; after `Received disconnect … [preauth]` sshd 7.3+ always writes `Disconnected from …` (missing in this sample), so the failure fires there (or at tick()/finish()), not on this line',
  waitsFollowUp:
    'policy: a connection closes on its last line; the kex_exchange_identification line is followed on the same PID by the 8.3+ `Connection closed|reset by …`/`banner exchange:` line (or the close is inferred at tick()/finish()), so the failure fires there, even when `Connection from` already gave the address',
  shiftedByOne:
    'policy: same connection as the previous line (kex line + its 8.3+ follow-up); we emit the failure once, on the follow-up that ends the connection, fail2ban on the kex line',
  samePid:
    'policy: the sample reuses the PID (and address) of the test case just before, within the same second; a second final line of a process whose connection just ended is a trailer of that connection (Linux never reuses a PID that fast), so one connection = one failure',
  afterDisconnecting:
    'policy: the connection already ended at `Disconnecting: Too many authentication failures` two lines up (counted there); the close line after it is the same connection, not a second failure',
  scannerClose:
    'policy: a connection that opened and closed without trying to log in is scanner noise and counts in aggressive terms (fail2ban itself counts the 8.3+ `Connection closed by A port P` follow-up); fail2ban treats this legacy port-less form as a helper line only',
  normalCloseAfterFail:
    "normal-mode expectation: fail2ban's normal mode does not count the pre-auth disconnect after failures; its aggressive/extra mode does, and so does our (aggressive) mapping",
  rhost:
    'policy: PAM `rhost=` is the canonical host name (PTR under UseDNS yes) and the PAM line is not an sshd shape: never an address; fail2ban counts these retroactively (gh-2070)',
  acceptedIsLogin:
    'policy: `Accepted password` is a login: the connection is `authenticated` and its source `legit`; fail2ban (gh-2070) turns it into a failure when other user names were tried in the same connection, which we report as users tried, not as an attack',
} as const;

const k = (mode: Mode, file: Known['file'], lines: number[], verdict: Known['verdict'], judgement: Judgement, reason: string): Known[] =>
  lines.map((line) => ({ mode, file, line, verdict, judgement, reason }));

/** Every disagreement with fail2ban's aggressive (and normal-only) expectations, judged. */
export const KNOWN_DISAGREEMENTS: readonly Known[] = [
  // aggressive instance, `sshd` (syslog forms)
  ...k('aggressive', 'sshd', [5, 7, 45, 70, 107], 'missed', 'policy', R.hostName),
  ...k('aggressive', 'sshd', [49], 'missed', 'policy', R.wrappers),
  ...k('aggressive', 'sshd', [118, 192, 374, 376], 'missed', 'policy', R.waitsDisconnected),
  ...k('aggressive', 'sshd', [126, 187], 'extra', 'policy', R.scannerClose),
  ...k('aggressive', 'sshd', [177], 'missed', 'policy', R.afterDisconnecting),
  ...k('aggressive', 'sshd', [198, 283, 295, 315, 341, 390], 'missed', 'policy', R.samePid),
  ...k('aggressive', 'sshd', [322, 324], 'missed', 'policy', R.waitsFollowUp),
  ...k('aggressive', 'sshd', [359], 'missed', 'policy', R.shiftedByOne),
  ...k('aggressive', 'sshd', [361], 'extra', 'policy', R.shiftedByOne),
  // aggressive instance, `sshd-journal` (journal text form)
  ...k('aggressive', 'sshd-journal', [9, 11, 45, 72, 105], 'missed', 'policy', R.hostName),
  ...k('aggressive', 'sshd-journal', [49], 'missed', 'policy', R.wrappers),
  ...k('aggressive', 'sshd-journal', [64, 66, 68], 'missed', 'policy', R.kernelPrefix),
  ...k('aggressive', 'sshd-journal', [116, 190, 317], 'missed', 'policy', R.waitsDisconnected),
  ...k('aggressive', 'sshd-journal', [124, 185], 'extra', 'policy', R.scannerClose),
  ...k('aggressive', 'sshd-journal', [175], 'missed', 'policy', R.afterDisconnecting),
  ...k('aggressive', 'sshd-journal', [196, 283, 300, 307, 315, 331], 'missed', 'policy', R.samePid),
  // blocks fail2ban runs in normal mode only
  ...k('normal-only', 'sshd', [232, 271], 'extra', 'policy', R.normalCloseAfterFail),
  ...k('normal-only', 'sshd-journal', [263], 'extra', 'policy', R.normalCloseAfterFail),
  ...k('normal-only', 'sshd', [250], 'missed', 'policy', R.rhost),
  ...k('normal-only', 'sshd-journal', [242], 'missed', 'policy', R.rhost),
  ...k('normal-only', 'sshd', [252, 262], 'missed', 'policy', R.acceptedIsLogin),
  ...k('normal-only', 'sshd-journal', [244, 254], 'missed', 'policy', R.acceptedIsLogin),
];

/** Measured agreement; the test fails if sshwarden does worse. */
export const FLOOR: Record<Mode, { found: number; quiet: number }> = {
  aggressive: { found: 146, quiet: 56 }, // of 185 expected matches and 61 expected no-matches (measured 2026-11-21, after the `ssh2:` auth-info fix)
  'normal-only': { found: 7, quiet: 20 }, // of 13 and 23
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
  // every sample is an sshd line in a form our framers read (syslog, RFC 3339, RFC 5424, `[sshd]:`, journal text)
  assert.deepEqual(results.filter((r) => !r.framed).map((r) => `${key(r)}: ${r.text}`), [], 'corpus lines the framer rejected');

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

  // never a failure pinned on the wrong address (the injection samples put decoy addresses in
  // user names, identification strings, `ruser`, auth info), except the engine bugs listed above
  const bug = (r: LineResult) => known.get(key(r))?.judgement === 'our-bug';
  const wrong = results.filter((r) => r.verdict === 'wrong-address' && !bug(r));
  assert.deepEqual(wrong.map((r) => `${key(r)} expected=${r.expected} got=[${r.got.join(',')}]: ${r.text}`), [], 'failure attributed to the wrong address');
  const injections = results.filter((r) => /inject/i.test(r.desc ?? ''));
  assert.ok(injections.length >= 12, 'the injection samples are scored');
  for (const r of injections.filter((x) => !bug(x))) assert.ok(!r.got.some((a) => a !== r.expected), `injection sample ${key(r)} yielded ${r.got.join(',')}`);
  for (const r of results.filter(bug)) console.log(`KNOWN ENGINE BUG still present: ${key(r)} ${r.verdict} expected=${r.expected ?? '-'} got=[${r.got.join(',')}]: ${r.text}`);
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
