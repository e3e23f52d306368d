/**
 * The sshd logs, through analyze's engine (analyzeLogs), restricted to the window and, for
 * `--client`, to that address and its /64: sshd's own refusals (MaxStartups, PerSourceMaxStartups,
 * PerSourcePenalties, TCP wrappers, AllowUsers/DenyUsers), LoginGraceTime expiries, failed key
 * exchanges, daemon errors (host keys, resources), who logged in, and how much is scanner noise.
 */
import type { CheckContext } from '../context.ts';
import { clientMatcher } from '../context.ts';
import type { CheckResult, ClientAuthFailure, Ev, Fact } from '../types.ts';
import { analyzeLogs, type AnalyzeLogsRun } from '../../analyze/analyze-logs.ts';
import type { ConnectionRecord } from '../../engine/types.ts';
import { ArrivalCollector, admissionSettings, recommend, SettingsError, type AdmissionValues } from '../../simulate/index.ts';
import { maxStartupsSimulationAdvice } from '../../advice/maxstartups-simulation.ts';
import { untrustedJournalClause } from '../../report/untrusted-journal.ts';
import { CLIENT_PASSWORD_PROMPTS } from '../../classify/source.ts';

const SAMPLES = 3;
/** Connections kept per outcome as examples of noise (scanners, guessers): their class is known only at the end. */
const NOISE_SAMPLES = 20;
/** Outcomes of what scanners and guessers do, and the line that shows it best. */
const NOISE_LINE: Readonly<Record<string, RegExp>> = {
  closed_before_ident: /kex_exchange_identification|Connection closed by/,
  reset_before_ident: /kex_exchange_identification|reset by peer/,
  non_ssh: /invalid protocol identifier|banner line contains invalid|bad protocol version|kex_exchange_identification/,
  closed_after_ident: /Connection closed by|Disconnected from/,
  kex_failed: /Unable to negotiate|no matching/,
  auth_failed: /Failed \S+ for|Invalid user|maximum authentication attempts/,
};

type Kind = 'maxstartups' | 'per_source' | 'penalty' | 'grace' | 'denied' | 'kex' | 'wrappers';

class Tally {
  /** per kind: per source count */
  readonly bySource = new Map<Kind, Map<string, number>>();
  readonly samples = new Map<Kind, Map<string, Ev[]>>();
  readonly users = new Set<string>();
  /** A few lines of what scanners and guessers do (per outcome, the first connections), for the "only noise" verdict's evidence. */
  readonly noise = new Map<string, { src: string; ev: Ev }[]>();
  /** Whether `outcome` still takes samples (checked before the line is looked for: every connection passes here). */
  wantsNoise(outcome: string): boolean {
    return (this.noise.get(outcome)?.length ?? 0) < NOISE_SAMPLES;
  }
  addNoise(outcome: string, src: string, ev: Ev | null): void {
    if (ev === null) return;
    const list = this.noise.get(outcome);
    if (!list) this.noise.set(outcome, [{ src, ev }]);
    else list.push({ src, ev });
  }
  add(kind: Kind, src: string, ev: Ev | null): void {
    let m = this.bySource.get(kind);
    if (!m) this.bySource.set(kind, (m = new Map()));
    m.set(src, (m.get(src) ?? 0) + 1);
    if (ev === null) return;
    let s = this.samples.get(kind);
    if (!s) this.samples.set(kind, (s = new Map()));
    const list = s.get(src);
    if (!list) s.set(src, [ev]);
    else if (list.length < SAMPLES) list.push(ev);
  }
}

function evOf(c: ConnectionRecord, re: RegExp | null): Ev | null {
  const e = (re ? c.evidence.find((x) => x.text !== undefined && re.test(x.text)) : undefined) ?? c.evidence[c.evidence.length - 1];
  return e ? { where: `${e.file}:${e.line}`, text: e.text ?? '' } : null;
}

/**
 * Pure: one closed connection into the tally. `maxStartupsBegin` is MaxStartups' first number when the
 * config is known (null: not known, so a low "#n" on a drop line says nothing about per-source limits).
 */
export function tallyConnection(t: Tally, c: ConnectionRecord, maxStartupsBegin: number | null): void {
  const src = c.src;
  if (src === null) return;
  const noiseLine = NOISE_LINE[c.outcome];
  if (noiseLine !== undefined && t.wantsNoise(c.outcome)) t.addNoise(c.outcome, src, evOf(c, noiseLine));
  if (c.outcome === 'dropped') {
    if (c.detail === 'tcp_wrappers') return t.add('wrappers', src, evOf(c, /refused connect/));
    if (c.detail === 'penalty' || c.detail === 'penalty_table') return t.add('penalty', src, evOf(c, /drop connection/));
    if (c.detail === 'maxstartups') {
      const ev = evOf(c, /drop connection/);
      const n = ev ? /drop connection #(\d+)/.exec(ev.text) : null;
      // "#n" is how many unauthenticated connections sshd had: below MaxStartups' start, only the per-source limit drops
      const perSource = /per-source/i.test(c.reason ?? '') || (n !== null && maxStartupsBegin !== null && Number(n[1]) < maxStartupsBegin);
      return t.add(perSource ? 'per_source' : 'maxstartups', src, ev);
    }
  }
  if (c.outcome === 'timeout') t.add('grace', src, evOf(c, /Timeout before authentication|grace/i));
  if (c.outcome === 'kex_failed') t.add('kex', src, evOf(c, /no matching|Unable to negotiate/));
  const denied = c.evidence.find((e) => e.text !== undefined && / not allowed because /.test(e.text));
  if (denied) {
    t.add('denied', src, { where: `${denied.file}:${denied.line}`, text: denied.text ?? '' });
    for (const u of c.users) if (t.users.size < 20) t.users.add(u);
  }
}

/** Authentication lines of a connection (what the user needs to see to know why the login failed). */
const AUTH_LINE = /Failed \S+ for|Invalid user|maximum authentication attempts|Too many authentication failures|No supported authentication methods|authentication failure;|Disconnecting (?:authenticating|invalid) user|Connection closed by (?:authenticating|invalid) user/;

/**
 * Pure: the client's latest connection when it failed to authenticate (after any login), else null.
 * Its lines say how: a user name sshd does not know, refused passwords, keys it does not hold, too many tries.
 */
export function clientAuthFailure(conns: readonly ConnectionRecord[]): ClientAuthFailure | null {
  // The latest attempt by when it began (records come in the order they closed: a session still open
  // at the end of the log closes last, after a failed attempt made later).
  let last: ConnectionRecord | undefined;
  for (const c of conns) if (last === undefined || (c.start ?? '') >= (last.start ?? '')) last = c;
  if (last === undefined || last.outcome !== 'auth_failed') return null;
  const lines = last.evidence.filter((e) => e.text !== undefined && AUTH_LINE.test(e.text));
  const texts = lines.map((e) => e.text ?? '');
  const passwordFailures = texts.filter((t) => /Failed (?:password|keyboard-interactive)/.test(t)).length;
  const tooManyAttempts = last.detail === 'max_auth_tries' || texts.some((t) => /maximum authentication attempts|Too many authentication failures/.test(t));
  return {
    users: last.users,
    invalidUser: texts.some((t) => /Invalid user|for invalid user|invalid user \S+ \S+ port/.test(t)),
    passwordFailures,
    // At LogLevel INFO refused keys are not logged: MaxAuthTries reached with fewer logged passwords than ssh prompts for was spent on keys.
    publickey: last.methods.includes('publickey') || texts.some((t) => /Failed publickey/.test(t)) || (tooManyAttempts && passwordFailures < CLIENT_PASSWORD_PROMPTS),
    tooManyAttempts,
    noCommonMethod: texts.some((t) => /No supported authentication methods/.test(t)),
    end: last.end ?? last.start,
    evidence: lines.slice(-8).map((e) => ({ where: `${e.file}:${e.line}`, text: e.text ?? '' })),
  };
}

export function newTally(): Tally {
  return new Tally();
}

/** Pure: the tally and the engine result into facts. */
export function logFacts(t: Tally, legit: Set<string>, clientEvidence: Ev[] | null): Fact[] {
  const facts: Fact[] = [];
  const sum = (kind: Kind, only: Set<string> | null) => {
    let n = 0;
    for (const [s, c] of t.bySource.get(kind) ?? []) if (only === null || only.has(s)) n += c;
    return n;
  };
  const evidence = (kind: Kind): Ev[] => {
    const s = t.samples.get(kind);
    if (!s) return [];
    const own = [...s.entries()].filter(([a]) => legit.has(a)).flatMap(([, e]) => e);
    const rest = [...s.entries()].filter(([a]) => !legit.has(a)).flatMap(([, e]) => e);
    return [...own, ...rest].slice(0, 5);
  };
  const legitOf = (kind: Kind) => [...(t.bySource.get(kind)?.keys() ?? [])].filter((a) => legit.has(a));
  for (const kind of ['maxstartups', 'per_source', 'penalty'] as const) {
    const total = sum(kind, null);
    if (total) facts.push({ type: 'log_drops', kind, total, fromLegit: sum(kind, legit), legitSources: legitOf(kind).slice(0, 50), evidence: evidence(kind) });
  }
  const denied = sum('denied', null);
  if (denied) facts.push({ type: 'log_denied', users: [...t.users], count: denied, evidence: evidence('denied') });
  const grace = sum('grace', legit);
  if (grace) facts.push({ type: 'log_grace', legitTimeouts: grace, evidence: evidence('grace') });
  const wr = sum('wrappers', null);
  if (wr) facts.push({ type: 'log_wrappers', count: wr, evidence: evidence('wrappers') });
  const kex = sum('kex', null);
  if (kex) facts.push({ type: 'log_kex_failed', count: kex, fromLegit: sum('kex', legit), evidence: evidence('kex') });
  void clientEvidence;
  return facts;
}

/**
 * Pure: the facts of one analysis run (the tally of its connections, its server events and its
 * overview). Also used by `report`, which runs the engine once for its page and the ranking.
 */
export function runFacts(run: Pick<AnalyzeLogsRun, 'result' | 'readCounts' | 'timeRange' | 'inputs'>, tally: Tally): Fact[] {
  const r = run.result;
  const legit = new Set(r.sources.filter((s) => s.class === 'legit').map((s) => s.address));
  const facts = logFacts(tally, legit, null);
  let lastRestart: number | null = null;
  for (const e of r.events) {
    if ((e.type === 'restart' || e.type === 'listening' || e.type === 'startup') && e.time) {
      const t = Date.parse(e.time);
      if (lastRestart === null || t > lastRestart) lastRestart = t;
    }
    if (e.type === 'host_key' || e.type === 'resource' || e.type === 'bind_failed') {
      const last = facts.find((f) => f.type === 'log_daemon' && f.kind === e.type);
      const ev = { where: `${e.evidence.file}:${e.evidence.line}`, text: e.evidence.text ?? e.message };
      if (last && last.type === 'log_daemon') {
        if (last.evidence.length < 5) last.evidence.push(ev);
      } else facts.push({ type: 'log_daemon', kind: e.type, evidence: [ev] });
    }
  }
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  // Evidence for "only scanners and guessers": a line of each kind of noise, from sources classed so.
  const noisy = new Set(r.sources.filter((s) => s.class === 'scanner' || s.class === 'bruteforce').map((s) => s.address));
  const noiseEvidence: Ev[] = [];
  for (const list of tally.noise.values()) {
    const hit = list.find((x) => noisy.has(x.src));
    if (hit && noiseEvidence.length < 4) noiseEvidence.push(hit.ev);
  }
  facts.push({
    type: 'log_overview', lines: run.readCounts.lines, connections: r.summary.connections, kexLines: r.summary.kexIdentification.lines, kexConnections: r.summary.kexIdentification.connections,
    classes: { ...r.summary.classes }, legitAddresses: [...legit].slice(0, 1000), first: iso(run.timeRange.first), last: iso(run.timeRange.last), lastRestart: iso(lastRestart), inputs: run.inputs.map((i) => i.file),
    unattributedDrops: Math.max(0, r.summary.drops.reportedByThrottleLines - r.summary.drops.logged), logLevel: r.logLevel.level,
    noiseEvidence,
    throttleEvidence: r.events.filter((e) => e.type.startsWith('maxstartups_') || e.type === 'drops_ratelimited_maxstartups').slice(0, 3).map((e) => ({ where: `${e.evidence.file}:${e.evidence.line}`, text: e.evidence.text ?? e.message })),
  });
  return facts;
}

export interface LogCheckOptions {
  /** MaxStartups' first number from the config, null when no config was read. */
  maxStartupsBegin: number | null;
  loginGraceTime: number;
  /** sshd's admission settings and version, for the MaxStartups/PerSourcePenalties simulation (server-wide runs). */
  admission?: { values: AdmissionValues; version: string | null };
}

/** Replays the log's connections under today's settings and candidates (src/simulate/) when your users were refused. */
function simulation(collector: ArrivalCollector, admission: NonNullable<LogCheckOptions['admission']>): Fact {
  const set = collector.finish();
  try {
    const rec = recommend(set.arrivals, admissionSettings(admission.values, admission.version), { runs: 20, seed: 1 });
    return { type: 'simulation', status: rec.status, advice: maxStartupsSimulationAdvice(rec) };
  } catch (e) {
    if (e instanceof SettingsError) return { type: 'simulation', status: 'settings_error', advice: null };
    throw e;
  }
}

export async function checkLogs(ctx: CheckContext, o: LogCheckOptions): Promise<CheckResult> {
  const check = 'logs';
  if (ctx.logs.length === 0) return { check, status: 'unchecked', notAsked: true, reason: 'no log to read', facts: [] };
  const errors: string[] = [];
  const tally = newTally();
  const matcher = ctx.client ? clientMatcher(ctx.client) : undefined;
  const clientConns: ConnectionRecord[] = [];
  const collector = !ctx.client && o.admission ? new ArrivalCollector({ loginGraceTime: o.loginGraceTime }) : null;
  const run = await analyzeLogs({
    inputs: ctx.logs,
    window: ctx.window,
    loginGraceTime: o.loginGraceTime,
    evidenceText: true,
    readerThread: ctx.readerThread === true,
    sourceFilter: matcher,
    onAuthSuccess: collector ? (address, port, ts) => ts !== null && collector.authSuccess(address, port, ts) : undefined,
    onConnection: (c) => {
      tallyConnection(tally, c, o.maxStartupsBegin);
      collector?.add(c);
      if (matcher) {
        clientConns.push(c);
        if (clientConns.length > 200) clientConns.shift();
      }
    },
    onError: (file, line, message) => {
      if (errors.length < 5) errors.push(`${file}${line === null ? '' : `:${line}`}: ${message}`);
    },
  });
  const r = run.result;
  if (run.readCounts.framed === 0 && run.inputFailed) return { check, status: 'unchecked', reason: errors.join('; ') || 'the logs could not be read', facts: [] };
  const facts = runFacts(run, tally);
  let simulated = '';
  if (collector && o.admission && facts.some((f) => f.type === 'log_drops' && f.fromLegit > 0)) {
    const sim = simulation(collector, o.admission);
    facts.push(sim);
    if (sim.type === 'simulation') simulated = `; MaxStartups simulation: ${sim.status}`;
  }
  if (ctx.client) {
    const outcomes: Record<string, number> = {};
    for (const c of clientConns) outcomes[c.outcome] = (outcomes[c.outcome] ?? 0) + 1;
    const ev = clientConns.slice(-3).flatMap((c) => c.evidence.slice(-2).map((e) => ({ where: `${e.file}:${e.line}`, text: e.text ?? '' })));
    const lastLogin = clientConns.findLast((c) => c.outcome === 'authenticated');
    facts.push({ type: 'log_client', address: ctx.client.address, connections: run.connectionsMatched, authenticated: outcomes.authenticated ?? 0, outcomes, evidence: ev, lastFailure: clientAuthFailure(clientConns), lastLogin: lastLogin ? (lastLogin.start ?? lastLogin.end) : null });
  }
  // Journal records that named sshd but were not sshd's (a local `logger -t sshd`): not read, and said.
  // The same words as `analyze` and the report (report/untrusted-journal.ts).
  const clause = untrustedJournalClause(run.readCounts.untrusted, run.readCounts.untrustedExample);
  const untrusted = clause === null ? '' : `; ${clause}`;
  const read = [...run.inputs.map((i) => i.file), ...run.readCounts.empty.map((f) => `the empty file ${f}`)];
  const note = `${run.readCounts.lines} lines from ${read.join(', ') || 'no input'}, ${r.summary.connections} connections${simulated}${untrusted}${errors.length ? ` (${errors.join('; ')})` : ''}`;
  return { check, status: 'looked', note, facts, inputFailed: run.inputFailed };
}
