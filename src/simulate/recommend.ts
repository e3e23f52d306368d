/**
 * The smallest change of the admission settings that brings your users' drops to zero in every
 * simulated run, while keeping a cap (MaxStartups keeps a finite `full`, never more than
 * `maxFullFactor` × today's).
 *
 * "Smallest" orders the candidates by how much they open the door, least first:
 *   1. a per-source cap (PerSourceMaxStartups; lets one busy source no longer fill every slot,
 *      the total cap unchanged), loosest first; or, when today's per-source cap is what refuses
 *      your users, a looser one;
 *   2. PerSourcePenaltyExemptList with your users' addresses, when penalties refuse them;
 *   3. a larger MaxStartups, by its new `full` (the cap), then its `start`; the `rate` is kept;
 *   then the same with 2. added.
 * The first candidate whose runs all drop none of your users' connections wins.
 */
import { familyOf } from '../net/address.ts';
import { BlockCache, DEFAULT_RUNS, simulateRun, simulateSetting, type SimulateOptions } from './replay.ts';
import { runSeed } from './random.ts';
import { changedLines, defaultAdmission, maxStartupsText } from './settings.ts';
import type { AdmissionSettings, Arrival, SettingResult } from './types.ts';

export interface RecommendOptions extends SimulateOptions {
  /** The largest MaxStartups full tried, as a multiple of today's (default 10). */
  maxFullFactor?: number;
}

export interface Candidate {
  settings: AdmissionSettings;
  /** sshd_config lines that make it (the keywords that differ from today's). */
  lines: string[];
}

export type RecommendationStatus =
  /** Your users see no drops under today's settings. */
  | 'no_change_needed'
  /** `best` brings your users' drops to zero. */
  | 'change'
  /** No candidate does (`why` says what keeps refusing them). */
  | 'none_works'
  /** No source logged in during the window: there are no users to protect (nothing to recommend). */
  | 'no_users';

export interface Recommendation {
  status: RecommendationStatus;
  /** One or two sentences: the answer in words. */
  why: string;
  current: SettingResult;
  /** The recommended change and its simulated figures (status `change`). */
  best: (Candidate & { result: SettingResult }) | null;
  /** The simulation table: today's settings, sshd's defaults, the recommendation, the largest MaxStartups tried. */
  table: (Candidate & { label: string; result: SettingResult })[];
  /** How many candidates were simulated. */
  tried: number;
}

const FACTORS = [1.5, 2, 3, 5, 10];

/** The candidates in the order they are tried (see the header). */
export function candidateSettings(current: AdmissionSettings, arrivals: readonly Arrival[], opts: { maxFullFactor?: number; perSourceTooLow?: boolean; exemptUsers?: boolean } = {}): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (s: AdmissionSettings) => {
    const key = JSON.stringify(s);
    if (seen.has(key) || key === JSON.stringify(current)) return;
    seen.add(key);
    out.push({ settings: s, lines: changedLines(current, s) });
  };
  const ms = current.maxStartups;
  // 1. per-source caps
  if (current.perSource === null) {
    for (const k of [Math.floor(ms.start / 2), Math.floor(ms.start / 3), 3, 2]) if (k >= 1 && k < ms.full) add({ ...current, perSource: k });
  } else if (opts.perSourceTooLow) {
    for (const f of FACTORS) add({ ...current, perSource: Math.ceil(current.perSource * f) });
    add({ ...current, perSource: null });
  }
  // 2. exempt your users from penalties
  const exempted = opts.exemptUsers && current.penalties !== null ? withUsersExempt(current, arrivals) : null;
  if (exempted) add(exempted);
  // 3. larger MaxStartups (and the same with the exemption)
  const maxFull = Math.ceil(ms.full * (opts.maxFullFactor ?? 10));
  const fulls = [ms.full, ...FACTORS.map((f) => Math.ceil(ms.full * f))].filter((f) => f <= maxFull);
  const starts = [ms.start, ...FACTORS.map((f) => Math.ceil(ms.start * f))];
  const pairs: [number, number][] = [];
  for (const full of new Set(fulls)) {
    for (const start of new Set([...starts, full])) if (start <= full) pairs.push([full, start]);
  }
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const bases = exempted ? [current, exempted] : [current];
  for (const base of bases) for (const [full, start] of pairs) add({ ...base, maxStartups: { start, rate: ms.rate, full } });
  return out;
}

/** `current` with every user source added to PerSourcePenaltyExemptList. */
function withUsersExempt(current: AdmissionSettings, arrivals: readonly Arrival[]): AdmissionSettings | null {
  if (current.penalties === null) return null;
  const users = new Set<string>();
  for (const a of arrivals) if (a.user && a.source !== null) users.add(a.source);
  if (users.size === 0) return null;
  const exempt = [...new Set([...current.penalties.exempt, ...[...users].sort().map((u) => (familyOf(u) === 6 ? `${u}/128` : `${u}/32`))])];
  return { ...current, penalties: { ...current.penalties, exempt } };
}

/** True when no run of `settings` drops one of your users' connections (stops at the first run that does). */
function protectsUsers(arrivals: readonly Arrival[], settings: AdmissionSettings, runs: number, base: number, cache: BlockCache): boolean {
  for (let i = 0; i < runs; i++) if (simulateRun(arrivals, settings, runSeed(base, i), cache).droppedUsers > 0) return false;
  return true;
}

/** Simulates today's settings and the candidates; returns the smallest change that protects your users, or why none does. */
export function recommend(arrivals: readonly Arrival[], current: AdmissionSettings, opts: RecommendOptions = {}): Recommendation {
  const runs = opts.runs ?? DEFAULT_RUNS;
  const seed = opts.seed ?? 1;
  const cache = new BlockCache(arrivals);
  const sim = (s: AdmissionSettings) => simulateSetting(arrivals, s, { runs, seed }, cache);
  const cur = sim(current);
  const table: Recommendation['table'] = [{ label: 'current', settings: current, lines: [], result: cur }];
  const defaults = { ...defaultAdmission(null), penalties: current.penalties };
  if (JSON.stringify(defaults) !== JSON.stringify(current)) table.push({ label: 'sshd default', settings: defaults, lines: changedLines(current, defaults), result: sim(defaults) });
  const hasUsers = arrivals.some((a) => a.user);
  if (!hasUsers) return { status: 'no_users', why: 'No source logged in during this window, so there are no users of yours to protect; the simulation only shows what the settings would refuse.', current: cur, best: null, table, tried: 1 };
  if (cur.droppedUsers.max === 0) return { status: 'no_change_needed', why: `Under today's settings (MaxStartups ${maxStartupsText(current.maxStartups)}) none of your users' connections is dropped in any of ${runs} runs.`, current: cur, best: null, table, tried: 1 };

  const candidates = candidateSettings(current, arrivals, {
    maxFullFactor: opts.maxFullFactor,
    perSourceTooLow: cur.byReason.per_source.max > 0,
    exemptUsers: cur.byReason.penalty.max > 0,
  });
  let tried = 1;
  for (const c of candidates) {
    tried++;
    if (!protectsUsers(arrivals, c.settings, runs, seed, cache)) continue;
    const result = sim(c.settings);
    const best = { ...c, result };
    table.push({ label: 'recommended', ...best });
    return { status: 'change', why: `${c.lines.join(', ')}: none of your users' connections is dropped in any of ${runs} runs (today: ${fmt(cur.droppedUsers)} of theirs dropped).`, current: cur, best, table, tried };
  }
  // None works: show the largest MaxStartups tried and say what still refuses them.
  const last = candidates[candidates.length - 1];
  const lastResult = last ? sim(last.settings) : cur;
  if (last) table.push({ label: 'largest tried', ...last, result: lastResult });
  const r = lastResult.byReason;
  const what = r.penalty.max > 0 ? 'PerSourcePenalties' : r.per_source.max > 0 ? 'PerSourceMaxStartups' : 'MaxStartups';
  return {
    status: 'none_works',
    why: `No candidate up to MaxStartups ${last ? maxStartupsText(last.settings.maxStartups) : maxStartupsText(current.maxStartups)} keeps all of your users' connections: ${fmt(lastResult.droppedUsers)} are still refused (by ${what}); the load peaks at ${fmt(lastResult.peak)} pre-auth connections at once. Cut the load first (block the flooding sources, or shorten LoginGraceTime) rather than opening the cap further.`,
    current: cur,
    best: null,
    table,
    tried,
  };
}

function fmt(s: { mean: number; min: number; max: number }): string {
  return s.min === s.max ? String(s.min) : `${s.min}–${s.max} (mean ${Math.round(s.mean * 10) / 10})`;
}
