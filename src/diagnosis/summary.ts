/**
 * The plain-language diagnosis: turns the engine's counters into the sentences a sysadmin reads
 * first ("N kex_exchange_identification lines: M connections from K sources; X% silent scanners…"),
 * plus what this log cannot tell at its LogLevel and OpenSSH era. Pure.
 */
import type { Outcome, SourceClass } from '../vocabulary.ts';
import type { SourceRecord } from '../classify/source.ts';
import type { EraFinding, LogLevelFinding, ServerSettings, Summary, UnattributedSummary } from '../engine/types.ts';
import { versionText, type LogTraits } from './log-traits.ts';
import type { Advice } from '../advice/types.ts';
import { adviceLine, placeAdvice } from '../advice/sshd-drop-in.ts';
import { maxStartupsAdvice } from '../advice/maxstartups.ts';
import { perSourceMaxStartupsAdvice } from '../advice/per-source-maxstartups.ts';
import { loginGraceTimeAdvice } from '../advice/login-grace-time.ts';
import { logLevelAdvice } from '../advice/log-level.ts';

export interface SummaryInput extends Omit<Summary, 'findings' | 'blindSpots' | 'advice'> {
  /** Sources per `detail` word, over every source (the list may be bounded). */
  sourceDetails: Readonly<Record<string, number>>;
  /** The three brute-forcing sources with the most attempts, over every source. */
  topGuessers: readonly SourceRecord[];
  logLevel: LogLevelFinding;
  era: EraFinding;
  traits: LogTraits;
  unattributed: UnattributedSummary;
  server: ServerSettings | null;
}

type Counts = Omit<Summary, 'findings' | 'blindSpots' | 'advice'>;

/**
 * The advice this log calls for (src/advice/), with the server's settings when known: MaxStartups
 * raised only when your own users were dropped by it, per-source caps and a shorter LoginGraceTime
 * when sources held slots, LogLevel VERBOSE when the log is at INFO.
 */
function adviceFor(counts: Counts, details: Readonly<Record<string, number>>, level: LogLevelFinding, traits: LogTraits, server: ServerSettings | null): Advice[] {
  const out: Advice[] = [];
  const d = counts.drops;
  const range = traits.range();
  const version = server?.version ?? (range ? versionText(range[1]) : null);
  const ownDropped = d.fromLegitSources;
  const floods = details.slot_holding_flood ?? 0;
  const ms = maxStartupsAdvice({ current: server?.maxStartups ?? null, ownUsersDropped: ownDropped });
  if (ms) out.push(ms);
  if ((ownDropped > 0 || floods > 0) && version !== null) {
    const ps = perSourceMaxStartupsAdvice({ version, current: server?.perSourceMaxStartups ?? null, maxStartupsBegin: (server?.maxStartups ?? [10, 30, 100])[0], floodingSources: floods || undefined });
    if (ps) out.push(ps);
  }
  if (floods > 0) {
    const lg = loginGraceTimeAdvice({ current: server?.loginGraceTime ?? null, slotHolders: floods });
    if (lg) out.push(lg);
  }
  if (level.level === 'INFO') {
    const ll = logLevelAdvice({ current: server?.logLevel ?? 'INFO', why: 'does not log `Connection from`, so connections that were dropped or went silent cannot be tied to an address' });
    if (ll) out.push(ll);
  }
  return out;
}

function pct(n: number, total: number): string {
  if (total === 0) return '0%';
  const p = (100 * n) / total;
  return p >= 10 || p === 0 ? `${Math.round(p)}%` : `${p.toFixed(1)}%`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

const NON_SSH_WORDS: Record<string, string> = {
  http: 'HTTP',
  tls: 'TLS',
  rdp: 'RDP',
  binary: 'TLS/RDP-like binary data',
  mglndd_probe: 'MGLNDD_ probes',
  too_long: 'overlong junk',
  invalid_format: 'not SSH',
  junk: 'other junk',
  empty_line: 'an empty line',
};

export function buildSummary(input: SummaryInput): Summary {
  const { sourceDetails, topGuessers, logLevel, era, traits, unattributed, server, ...counts } = input;
  // Placed where each line takes effect in the server's configuration, when it was read (else the drop-in).
  const advice = adviceFor(counts, sourceDetails, logLevel, traits, server).map((a) => placeAdvice(a, server?.placement));
  const said = (id: string) => advice.find((a) => a.id === id);
  const findings: string[] = [];
  const o = counts.outcomes;
  const k = counts.kexIdentification;

  // 1. The question people come with.
  const preIdent = o.closed_before_ident + o.reset_before_ident;
  if (k.lines > 0) {
    const parts: string[] = [];
    const ko = k.outcomes;
    const silent = (ko.closed_before_ident ?? 0);
    const reset = ko.reset_before_ident ?? 0;
    const nonSsh = ko.non_ssh ?? 0;
    if (silent) parts.push(`${pct(silent, k.connections)} connected and closed without sending anything (silent scanners, port checks, load-balancer health checks)`);
    if (reset) parts.push(`${pct(reset, k.connections)} reset the connection before identifying`);
    if (nonSsh) parts.push(`${pct(nonSsh, k.connections)} spoke something other than SSH to the port (${describeDetails(k.details)})`);
    if (ko.protocol_mismatch) parts.push(`${pct(ko.protocol_mismatch, k.connections)} sent an SSH identification sshd cannot accept`);
    const other = k.connections - silent - reset - nonSsh - (ko.protocol_mismatch ?? 0);
    if (other > 0) parts.push(`${other} ended otherwise`);
    let s = `${plural(k.lines, '`kex_exchange_identification` line')}: they belong to ${plural(k.connections, 'connection')} from ${plural(k.sources, 'source')}`;
    if (k.unattributed) s += ` (${k.unattributed} could not be tied to an address)`;
    s += parts.length ? `; ${parts.join(', ')}.` : '.';
    findings.push(s);
  } else if (preIdent > 0) {
    findings.push(
      `No \`kex_exchange_identification\` lines (this sshd logs them only at LogLevel VERBOSE, or not at all before 8.0), but ${plural(preIdent, 'connection')} closed or reset before sending an SSH identification — the same event, logged as \`Connection closed by <ip> port <port>\`.`,
    );
  }
  if (o.non_ssh > 0 && k.lines === 0) findings.push(`${plural(o.non_ssh, 'connection')} spoke something other than SSH to the port (HTTP, TLS, junk).`);

  // 2. Drops: who was turned away.
  const d = counts.drops;
  if (d.logged > 0 || d.reportedByThrottleLines > 0) {
    const reasons = Object.entries(d.byReason).map(([r, n]) => `${n} ${r === 'maxstartups' ? 'by MaxStartups' : r === 'penalty' ? 'by PerSourcePenalties' : r === 'tcp_wrappers' ? 'by TCP wrappers' : `(${r})`}`);
    let s = `${plural(d.logged, 'connection')} dropped by sshd before any SSH exchange${reasons.length ? ` (${reasons.join(', ')})` : ''}`;
    if (d.reportedByThrottleLines > d.logged) s += `; the throttling lines report ${d.reportedByThrottleLines} drops in all (most drops are not logged one by one)`;
    const raise = said('maxstartups.raise');
    if (d.fromLegitSources > 0) s += `. ${d.fromLegitSources} of them came from ${plural(d.legitSourcesAffected, 'source')} that also logged in successfully: your own users were turned away${raise ? ` — ${adviceLine(raise)}` : ''}.`;
    else s += '.';
    findings.push(s);
  }
  if (d.throttlingEpisodes > 0) findings.push(`sshd entered MaxStartups throttling ${plural(d.throttlingEpisodes, 'time')}: too many unauthenticated connections at once.`);

  // 3. Sources.
  const c = counts.classes;
  if (counts.sources > 0) {
    findings.push(
      `${plural(counts.sources, 'source address', 'source addresses')}: ${c.legit} legitimate (logged in), ${c.bruteforce} brute-forcing (tried to log in, never succeeded), ${c.scanner} scanners (never tried to log in), ${c.unknown} unclear.`,
    );
    const brute = topGuessers;
    if (brute.length) findings.push(`Most persistent guessers: ${brute.map((s) => `${s.address} (${s.attemptsAtLeast ? 'at least ' : ''}${plural(s.attempts, 'attempt')})`).join(', ')}.`);
    const wrong = sourceDetails.wrong_key_or_client ?? 0;
    const keys = sourceDetails.authorized_key ?? 0;
    if (wrong) findings.push(`${plural(wrong, 'source')} failed to log in only once or twice, with one user name: a wrong key or password or a misconfigured client until it repeats — not counted as brute force.`);
    if (keys) findings.push(`${plural(keys, 'source')} held a key sshd accepted (it is in authorized_keys) but did not finish logging in (a passphrase or agent prompt that outlasted LoginGraceTime?) — not brute force.`);
    const floods = sourceDetails.slot_holding_flood ?? 0;
    if (floods) findings.push(`${plural(floods, 'source')} held several unauthenticated slots at once until LoginGraceTime expired (slot-holding flood)${said('per-source-maxstartups.set') ? `: ${adviceLine(said('per-source-maxstartups.set')!)}` : ''}.`);
    const pre = sourceDetails.logged_in_before_log ?? 0;
    if (pre) findings.push(`${plural(pre, 'source')} logged in before this log starts: only their session ends are here (lines without [preauth], which since OpenSSH 7.5 only a logged-in session writes).`);
  }
  if (o.kex_failed > 0) findings.push(`${plural(o.kex_failed, 'connection')} failed key exchange (${describeKexFailures(counts.kexFailures)}).`);
  if (counts.inferredTimeouts > 0) findings.push(`${plural(counts.inferredTimeouts, 'connection')} went silent and were ended by LoginGraceTime (inferred: this sshd logs nothing when it happens).`);
  if (counts.lines.unrecognised > 0) findings.push(`${plural(counts.lines.unrecognised, 'sshd line')} not recognised (shown below, never dropped silently).`);
  if (counts.lines.sshd === 0) findings.push('No sshd lines found in the input (is it an sshd log? program names sshd, sshd-session, sshd-auth).');

  findings.unshift(verdict(counts, said('log-level.verbose') ?? null));
  return { ...counts, findings, blindSpots: blindSpots(counts, logLevel, traits, unattributed), advice };
}

const KEX_FAILURE_WORDS: Record<string, string> = {
  kex_algorithm: 'no key exchange method in common',
  host_key_type: 'no host key type in common',
  cipher: 'no cipher in common',
  mac: 'no MAC in common',
  compression: 'no compression method in common',
  no_matching_algorithm: 'no algorithm in common',
  mac_error: 'corrupted packets (message authentication code incorrect)',
  packet_error: 'protocol errors',
  privsep_failure: 'sshd could not set up its pre-auth process',
};

function describeKexFailures(details: Record<string, number>): string {
  const parts = Object.entries(details).sort((a, b) => b[1] - a[1]).map(([d, n]) => `${n} ${KEX_FAILURE_WORDS[d] ?? d.replace(/_/g, ' ')}`);
  return parts.length ? parts.join(', ') : 'see the connections';
}

/** The one-sentence answer, first. */
function verdict(counts: Counts, logLevel: Advice | null): string {
  const o = counts.outcomes;
  const d = counts.drops;
  if (counts.lines.sshd === 0) return 'In short: no sshd lines in this input.';
  if (d.fromLegitSources > 0)
    return `In short: sshd turned away ${plural(d.fromLegitSources, 'connection')} from addresses that also log in successfully (MaxStartups/penalties): that is what your own users see as "kex_exchange_identification: Connection closed by remote host" — see the drops below.`;
  const noise = o.closed_before_ident + o.reset_before_ident + o.non_ssh + o.protocol_mismatch + o.closed_after_ident + o.kex_failed + o.timeout;
  if (counts.kexIdentification.lines > 0 || noise > 0)
  {
    const dropped = Math.max(d.logged, d.reportedByThrottleLines);
    const caution = dropped > 0
      ? ` But sshd also refused ${plural(dropped, 'connection')} ${dropWhy(d.byReason)}; the log cannot tell whose, so your own users may have been among them.${logLevel ? ` Next step: ${adviceLine(logLevel)}.` : ''}`
      : '';
    return `In short: the pre-authentication disconnects are background noise — ${plural(noise, 'connection')} from scanners and probes that connected and left without logging in${o.auth_failed ? `, plus ${plural(o.auth_failed, 'failed login attempt')} (brute force)` : ''}. They do not mean sshd is broken${o.authenticated ? `; ${plural(o.authenticated, 'login')} succeeded` : ''}.${caution}`;
  }
  if (o.auth_failed > 0) return `In short: ${plural(o.auth_failed, 'connection')} tried to log in and failed; ${plural(o.authenticated, 'login')} succeeded.`;
  return `In short: ${plural(counts.connections, 'connection')}, nothing unusual.`;
}

function dropWhy(byReason: Record<string, number>): string {
  const wrappers = byReason.tcp_wrappers ?? 0;
  const total = Object.values(byReason).reduce((a, b) => a + b, 0);
  if (total > 0 && wrappers === total) return 'through TCP wrappers (hosts.deny)';
  return wrappers > 0 ? 'under load (MaxStartups/penalties) or through TCP wrappers (hosts.deny)' : 'under load (MaxStartups/penalties)';
}

function describeDetails(details: Record<string, number>): string {
  const parts = Object.entries(details)
    .filter(([d]) => d in NON_SSH_WORDS)
    .sort((a, b) => b[1] - a[1])
    .map(([d, n]) => `${n} ${NON_SSH_WORDS[d]}`);
  return parts.length ? parts.join(', ') : 'junk';
}

function blindSpots(counts: Counts, level: LogLevelFinding, traits: LogTraits, un: UnattributedSummary): string[] {
  const out: string[] = [];
  const info = level.level === 'INFO';
  if (info) {
    if (traits.mayBe(80, 82)) {
      out.push(
        `At LogLevel INFO, OpenSSH 8.0–8.2 writes no address on the \`kex_exchange_identification\` line and no follow-up line${un.kexIdentification ? ` (${plural(un.kexIdentification, 'connection')} here could not be attributed)` : ''}: set \`LogLevel VERBOSE\` to get \`Connection from <ip>\` for every connection.`,
      );
    }
    if (traits.mayBe(95, 105)) out.push('From OpenSSH 9.5 the `kex_exchange_identification` detail lines (closed, invalid characters, too long, not SSH) are VERBOSE: at INFO only `Connection closed by <ip> port <port>` / `banner exchange: … invalid format` remain, so HTTP vs TLS vs junk cannot be told apart.');
    if (traits.mayBe(70, 83)) out.push('OpenSSH ≤8.3 does not log MaxStartups drops at INFO at all: connections refused because of MaxStartups are invisible in this log.');
    else if (traits.mayBe(84, 99)) out.push('OpenSSH 8.4–9.9 logs only the first MaxStartups drop of an episode at INFO (the rest are VERBOSE); the throttling lines give totals.');
    if (traits.mayBe(98, 100)) out.push('PerSourcePenalties decisions (`srclimit_penalise`) are VERBOSE before 10.1: penalties that blocked sources are not visible at INFO.');
    out.push('`Connection from` lines are VERBOSE: connections that ended without any INFO line (e.g. a silent LoginGraceTime expiry on sshd ≤9.7) leave no trace at INFO.');
    out.push('`Failed publickey` for existing users is VERBOSE until half of MaxAuthTries: some key-only failures are not counted.');
  }
  if (traits.mayBe(70, 97)) out.push('sshd ≤9.7 on Linux (and builds patched for CVE-2024-6387) logs nothing when LoginGraceTime expires: such timeouts are inferred from silence (marked `inferred`).');
  if (traits.linesWithoutPid > 0) out.push(`${plural(traits.linesWithoutPid, 'line')} carry no process id (sshd -E / stderr logs): an address-less line is joined to the next addressed line of the stream, which is right for one connection at a time but can mix up concurrent ones.`);
  if (traits.mayBe(103, 105)) out.push('From OpenSSH 10.3 banner-phase closes also end in `[preauth]`: a silent scanner and a client that closed during key exchange look the same at INFO.');
  if (counts.lines.sshd === 0) return ['No sshd lines: nothing can be said.'];
  return out;
}

export type { Outcome, SourceClass };
