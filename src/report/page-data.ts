/**
 * The data of the HTML report (`sshwarden report`): the analysis aggregated into compact JSON
 * (time buckets, server events, sources, your users' refused connections, findings), never every
 * line, so the page for a 1,000,000-line log stays small and opens fast. Pure: the caller feeds
 * closed connections as they stream (`connection`) and the finished analysis (`finish`).
 *
 * Times in the page data are epoch seconds (numbers); the page formats them.
 */
import type { Advice } from '../advice/types.ts';
import { OUTCOMES, SOURCE_CLASSES, type Outcome } from '../vocabulary.ts';
import type { AnalysisResult, ConnectionRecord, ServerEvent } from '../engine/types.ts';
import { flatCopy } from '../classify/source.ts';
import { cidrContains, parseCidr, type Cidr } from '../net/address.ts';
import { TimeBuckets, type BucketSeries } from './time-buckets.ts';
import type { WireSection } from './page-wire.ts';

/** Rows of the sources table at most (most connections first; every source that logged in is kept). */
export const MAX_SOURCE_ROWS = 5000;
/** Refused/failed connections kept per source before it has logged in, and after. */
export const PROBLEMS_BEFORE_LOGIN = 10;
export const PROBLEMS_AFTER_LOGIN = 200;
/** Sources that logged in shown under "Your users" at most (those with refused or failed connections first), and their refused/failed connections in all. */
export const MAX_USERS = 500;
export const MAX_USER_PROBLEMS = 5000;
/** Server events of one kind shown on the timeline at most. */
export const MAX_MARKS = 2000;

const OUTCOME_INDEX = new Map<string, number>(OUTCOMES.map((o, i) => [o, i]));
const CLASS_INDEX = new Map<string, number>(SOURCE_CLASSES.map((c, i) => [c, i]));

/** One connection of a source that logged in which was refused or failed: [time s|null, outcome, detail, reason]. */
export type Problem = [number | null, Outcome, string, string];

export interface PageData {
  version: 1;
  meta: {
    generated: number | null;
    command: string;
    inputs: { file: string; format: string }[];
    lines: number;
    sshdLines: number;
    otherPrograms: number;
    malformed: number;
    failedInputs: number;
    /** Journal records that claimed to be sshd's but failed the trust rule (analyze's inputs.untrustedJournalRecords), and what the page says of them (null when none). */
    untrustedJournalRecords: number;
    untrustedJournalNote: string | null;
    first: number | null;
    last: number | null;
  };
  /** The one-sentence answer and what follows, from `doctor` when given, else analyze's summary. */
  answer: { by: 'doctor' | 'analyze'; verdict: string; causes: PageCause[]; findings: string[] };
  totals: { connections: number; sources: number; outcomes: Record<Outcome, number>; classes: Record<string, number>; drops: AnalysisResult['summary']['drops']; penalties: number; restarts: number; inferredTimeouts: number };
  outcomes: readonly string[];
  classes: readonly string[];
  /** Connections per bucket per outcome (OUTCOMES order); connections without a time are counted in `untimed`. */
  timeline: BucketSeries & { untimed: number };
  /** Distinct sources active per bucket per class (SOURCE_CLASSES order). */
  classTimeline: BucketSeries;
  throttling: { host: string | null; start: number | null; end: number | null; drops: number | null }[];
  penalties: { t: number | null; address: string | null; message: string }[];
  restarts: { t: number | null; type: string; host: string | null; message: string }[];
  /** Connections refused (dropped) from sources that also logged in: [time s, address]. */
  userRefusals: [number, string][];
  kex: AnalysisResult['summary']['kexIdentification'];
  /** [address, class index, connections, outcome counts (OUTCOMES order), first s, last s, logged in, penalised, failures, users tried] */
  sources: { rows: SourceRow[]; total: number };
  users: { address: string; connections: number; logins: number; firstSeen: number | null; lastSeen: number | null; users: string[]; problems: Problem[]; problemsOmitted: number }[];
  /** Sources that logged in beyond MAX_USERS (not listed). */
  usersOmitted: number;
  audit: { root: string; version: string; sshd: { version: string; accepted: boolean; message: string } | null; findings: { severity: string; file: string | null; line: number | null; title: string; impact: string; fix: string }[] } | null;
  auditError: string | null;
  /** The MaxStartups simulation table (from the simulator) when --config is given: header and rows of text. */
  simulation: { title: string; columns: string[]; rows: string[][]; note: string; advice: Advice | null } | null;
  /** Why there is no simulation although --config was given (e.g. a setting the simulator cannot read). */
  simulationError: string | null;
  about: { logLevel: AnalysisResult['logLevel']; era: AnalysisResult['era']; blindSpots: string[]; unattributed: AnalysisResult['unattributed']; unrecognised: number; eventsOmitted: number };
  /** What a capture saw, joined with this log (`report --pcap`; ./page-wire.ts). */
  wire?: WireSection;
}

/** One ranked cause, as `doctor` gives it (src/doctor/types.ts Cause), for the page. */
export interface PageCause {
  id: string;
  by?: string;
  confidence: number;
  action: boolean;
  summary: string;
  evidence: { where: string; text: string }[];
  fix: { summary: string; changes: { file: string; text: string }[]; commands: string[] }[];
  verify: string[];
}

export type SourceRow = [string, number, number, number[], number | null, number | null, boolean, boolean, number, string[]];

interface SourceTrack {
  id: number;
  loggedIn: boolean;
  problems: Problem[];
  omitted: number;
}

function seconds(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : Math.round(ms / 100) / 10;
}

export class PageDataBuilder {
  private readonly buckets = new TimeBuckets(OUTCOMES.length, { trackKeys: true });
  private readonly tracks = new Map<string, SourceTrack>();
  private readonly ids: string[] = [];
  private untimed = 0;

  /** Feeds one closed connection (in any order). */
  connection(c: ConnectionRecord): void {
    const oi = OUTCOME_INDEX.get(c.outcome) ?? OUTCOME_INDEX.get('unknown')!;
    let track: SourceTrack | undefined;
    if (c.src !== null) {
      track = this.tracks.get(c.src);
      if (track === undefined) {
        track = { id: this.ids.length, loggedIn: false, problems: [], omitted: 0 };
        // A flat copy: the record's strings are views into the reader's text, which a kept view would pin.
        const address = flatCopy(c.src);
        this.ids.push(address);
        this.tracks.set(address, track);
      }
    }
    const t = seconds(c.start ?? c.end);
    if (t === null) this.untimed++;
    else this.buckets.add(t, oi, track?.id);
    if (track === undefined) return;
    if (c.outcome === 'authenticated') {
      track.loggedIn = true;
      return;
    }
    if (c.outcome === 'closed_after_ident') return; // a banner grab or key scan is not a failure
    const cap = track.loggedIn ? PROBLEMS_AFTER_LOGIN : PROBLEMS_BEFORE_LOGIN;
    if (track.problems.length < cap) track.problems.push([t, c.outcome, flatCopy(c.detail), flatCopy(c.reason ?? c.disconnect?.message ?? '')]);
    else track.omitted++;
  }

  finish(result: Omit<AnalysisResult, 'connections'>, context: { meta: PageData['meta']; doctor?: { verdict: string; causes: PageCause[] } | null; audit?: PageData['audit']; auditError?: string | null; simulation?: PageData['simulation']; simulationError?: string | null }): PageData {
    const s = result.summary;
    const penalised = penaltyBlocks(result.events);
    const classOf = new Map<string, number>();
    const rows: SourceRow[] = [];
    const users: PageData['users'] = [];
    const userRefusals: [number, string][] = [];
    for (const src of result.sources) {
      const ci = CLASS_INDEX.get(src.class) ?? CLASS_INDEX.get('unknown')!;
      classOf.set(src.address, ci);
      const loggedIn = (src.outcomes.authenticated ?? 0) > 0;
      if (rows.length < MAX_SOURCE_ROWS || (loggedIn && rows.length < MAX_SOURCE_ROWS + MAX_USERS)) {
        rows.push([
          src.address,
          ci,
          src.connections,
          OUTCOMES.map((o) => src.outcomes[o] ?? 0),
          seconds(src.firstSeen),
          seconds(src.lastSeen),
          loggedIn,
          penalised.some((b) => cidrContains(b, src.address)),
          src.failures,
          src.users.slice(0, 5),
        ]);
      }
      if (!loggedIn) continue;
      const track = this.tracks.get(src.address);
      const problems = track?.problems ?? [];
      problems.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
      for (const p of problems) if (p[1] === 'dropped' && p[0] !== null && userRefusals.length < MAX_MARKS) userRefusals.push([p[0], src.address]);
      users.push({ address: src.address, connections: src.connections, logins: src.outcomes.authenticated ?? 0, firstSeen: seconds(src.firstSeen), lastSeen: seconds(src.lastSeen), users: src.users, problems, problemsOmitted: track?.omitted ?? 0 });
    }
    users.sort((a, b) => b.problems.length + b.problemsOmitted - (a.problems.length + a.problemsOmitted) || b.connections - a.connections);
    const usersOmitted = Math.max(0, users.length - MAX_USERS);
    users.length = Math.min(users.length, MAX_USERS);
    let problemBudget = MAX_USER_PROBLEMS;
    for (const u of users) {
      const keep = Math.min(u.problems.length, problemBudget);
      u.problemsOmitted += u.problems.length - keep;
      u.problems = u.problems.slice(0, keep);
      problemBudget -= keep;
    }
    const classById = new Int8Array(this.ids.length);
    for (let id = 0; id < this.ids.length; id++) classById[id] = classOf.get(this.ids[id]) ?? -1;
    const idClass = (id: number) => classById[id];
    const series = this.buckets.series();
    return {
      version: 1,
      meta: context.meta,
      answer: context.doctor
        ? { by: 'doctor', verdict: context.doctor.verdict, causes: context.doctor.causes, findings: s.findings.slice(1) }
        : { by: 'analyze', verdict: s.findings[0] ?? '', causes: [], findings: s.findings.slice(1) },
      totals: { connections: s.connections, sources: s.sources, outcomes: s.outcomes, classes: s.classes, drops: s.drops, penalties: s.penalties, restarts: s.restarts, inferredTimeouts: s.inferredTimeouts },
      outcomes: OUTCOMES,
      classes: SOURCE_CLASSES,
      timeline: { ...series, untimed: this.untimed },
      classTimeline: this.buckets.keySeries(SOURCE_CLASSES.length, idClass),
      throttling: throttlingEpisodes(result.events),
      penalties: result.events.filter((e) => e.type === 'penalty').slice(0, MAX_MARKS).map((e) => ({ t: seconds(e.time), address: e.address ?? null, message: e.message })),
      restarts: result.events.filter((e) => e.type === 'restart' || e.type === 'stopped' || e.type === 'restart_failed').slice(0, MAX_MARKS).map((e) => ({ t: seconds(e.time), type: e.type, host: e.host, message: e.message })),
      userRefusals,
      kex: s.kexIdentification,
      sources: { rows, total: result.sources.length },
      users,
      usersOmitted,
      audit: context.audit ?? null,
      auditError: context.auditError ?? null,
      simulation: context.simulation ?? null,
      simulationError: context.simulationError ?? null,
      about: { logLevel: result.logLevel, era: result.era, blindSpots: s.blindSpots, unattributed: result.unattributed, unrecognised: result.unrecognised.count, eventsOmitted: result.eventsOmitted },
    };
  }
}

/** MaxStartups throttling episodes: a begin line up to the exit line of the same host. */
function throttlingEpisodes(events: readonly ServerEvent[]): PageData['throttling'] {
  const open = new Map<string, { host: string | null; start: number | null; end: number | null; drops: number | null }>();
  const out: PageData['throttling'] = [];
  for (const e of events) {
    const key = e.host ?? '';
    if (e.type === 'maxstartups_begin') {
      const prev = open.get(key);
      if (prev !== undefined) out.push(prev);
      open.set(key, { host: e.host, start: seconds(e.time), end: null, drops: null });
    } else if (e.type === 'maxstartups_end') {
      const ep = open.get(key) ?? { host: e.host, start: null, end: null, drops: null };
      ep.end = seconds(e.time);
      ep.drops = e.count ?? null;
      open.delete(key);
      out.push(ep);
    }
    if (out.length >= MAX_MARKS) return out;
  }
  for (const ep of open.values()) out.push(ep);
  return out.slice(0, MAX_MARKS);
}

/** The address blocks PerSourcePenalties penalised (`srclimit_penalise: … 192.0.2.0/24 …`). */
function penaltyBlocks(events: readonly ServerEvent[]): Cidr[] {
  const blocks = new Map<string, Cidr>();
  for (const e of events) {
    if (e.type !== 'penalty' || e.address === undefined || e.message.includes('table full')) continue;
    const at = e.message.indexOf(`${e.address}/`);
    const bits = at >= 0 ? /^\/(\d{1,3})/.exec(e.message.slice(at + e.address.length)) : null;
    const text = `${e.address}/${bits ? bits[1] : e.address.includes(':') ? '128' : '32'}`;
    if (blocks.has(text)) continue;
    const cidr = parseCidr(text);
    if (cidr !== null) blocks.set(text, cidr);
    if (blocks.size >= MAX_MARKS) break;
  }
  return [...blocks.values()];
}
