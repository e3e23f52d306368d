/**
 * The incremental sshd log engine: one framed line in, updates out.
 *
 *   const a = new Analyzer({ keepConnections: false });
 *   for (const line of lines) for (const u of a.push(line)) …   // connection-closed, auth-*, server-event
 *   const result = a.finish();                                   // sources, events, summary, …
 *
 * Pure: no I/O and no clock. Time comes from the lines (`push`) or from the caller (`tick(now)`).
 * Memory is bounded by open connections and tracked sources when `keepConnections` is false.
 */
import { isoTime } from '../connections/iso-time.ts';
import type { FramedLine } from '../framing/framed-line.ts';
import { isSshdProgram, matchText, newScratchEvent, type SshdEvent } from '../events/index.ts';
import { ConnectionTracker, dropDetail, type OpenConnection, type TrackerSink } from '../connections/tracker.ts';
import type { ConnectionRecord, Evidence } from '../connections/types.ts';
import { SourceColumns } from '../classify/source-columns.ts';
import { OUTCOMES, SOURCE_CLASSES, type Outcome, type SourceClass } from '../vocabulary.ts';
import { LogTraits } from '../diagnosis/log-traits.ts';
import { buildSummary } from '../diagnosis/summary.ts';
import { ownString } from '../framing/own-string.ts';
import type { AnalysisResult, AnalyzerOptions, EngineUpdate, ServerEvent, ServerSettings, UnattributedSummary } from './types.ts';

export type * from './types.ts';

const SWEEP_EVERY_LINES = 4096;
/** Returned by push() for the (common) lines that change nothing visible: no allocation per line. */
const NO_UPDATES: EngineUpdate[] = Object.freeze([]) as unknown as EngineUpdate[];
const MAX_EVENTS = 10_000;
/**
 * Most sources given a record in `finish().sources` (the rest are counted in the summary and in
 * `sourcesOmitted`): a record is about 0.5 KB, so 100,000 stay near 50 MB whatever the log holds.
 */
export const MAX_SOURCE_RECORDS = 100_000;

export class Analyzer {
  private readonly keep: boolean;
  private readonly trackSources: boolean;
  private readonly graceMs: number;
  private readonly server: ServerSettings | null;
  private readonly maxExamples: number;
  private readonly maxSourceRecords: number;
  private readonly tracker: ConnectionTracker;
  private out: EngineUpdate[] = [];
  /** The event of the line being pushed: reused, because nothing keeps an event past push(). */
  private readonly scratch = newScratchEvent();
  private readonly connections: ConnectionRecord[] = [];
  /** Per-source accounting (classify/source-columns.ts), unless `trackSources` is false. */
  private readonly sources: SourceColumns;
  private readonly events: ServerEvent[] = [];
  private eventsOmitted = 0;
  private readonly traits = new LogTraits();
  private linesSinceSweep = 0;
  private finished = false;
  // counters
  private sshdLines = 0;
  private unrecognisedLines = 0;
  private debugLines = 0;
  private readonly unrecognisedExamples: { file: string; line: number; text: string }[] = [];
  private connectionCount = 0;
  private readonly outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  private kexLines = 0;
  private kexConnections = 0;
  private kexUnattributed = 0;
  private readonly kexOutcomes: Partial<Record<Outcome, number>> = {};
  private readonly kexDetails: Record<string, number> = {};
  private readonly unattributed: UnattributedSummary = { connections: 0, kexIdentification: 0, reasons: {} };
  private readonly dropsByReason: Record<string, number> = {};
  private dropsLogged = 0;
  private dropsReported = 0;
  private throttlingEpisodes = 0;
  private penalties = 0;
  private restarts = 0;
  private inferredTimeouts = 0;
  private readonly kexFailures: Record<string, number> = {};
  /** TCP-wrappers refusals per address (rare): not MaxStartups drops, so never "raise MaxStartups". */
  private readonly wrappersDrops = new Map<string, number>();

  constructor(opts: AnalyzerOptions = {}) {
    this.keep = opts.keepConnections !== false;
    this.trackSources = opts.trackSources !== false;
    this.server = opts.server ?? null;
    this.graceMs = (opts.loginGraceTime ?? this.server?.loginGraceTime ?? 120) * 1000;
    this.sources = new SourceColumns(this.graceMs);
    this.maxExamples = opts.unrecognisedExamples ?? 20;
    this.maxSourceRecords = opts.maxSourceRecords ?? MAX_SOURCE_RECORDS;
    const self = this;
    const sink: TrackerSink = {
      connectionClosed: (rec, state) => self.onClosed(rec, state),
      authSuccess: (address, port, user, method, ts, evidence) => {
        self.emitUpdate({ kind: 'auth-success', address, port, user, method, ts, evidence });
      },
      authFailure: (address, port, user, invalidUser, method, ts, evidence) => {
        self.emitUpdate({ kind: 'auth-failure', address, port, user, invalidUser, method, ts, evidence });
      },
      listenerLine: (line, ev, evidence) => self.onListener(line, ev, evidence),
      trailer: () => {},
    };
    this.tracker = new ConnectionTracker(sink, { graceMs: this.graceMs, evidenceText: opts.evidenceText === true, maxAuthTries: opts.maxAuthTries ?? this.server?.maxAuthTries, maxOpen: opts.maxOpenConnections });
  }

  /** Feeds one framed line; returns what changed because of it. Lines of non-sshd programs are ignored. */
  push(line: FramedLine): EngineUpdate[] {
    if (!isSshdProgram(line.program)) return NO_UPDATES;
    return this.pushMatched(line, matchText(line.message, this.scratch));
  }

  /**
   * push() for a line already matched (by the reader thread: analyze/reader-thread.ts): `ev` is what
   * matchText gives for its message. Neither is kept past the call (both may be scratch objects).
   */
  pushMatched(line: FramedLine, ev: SshdEvent): EngineUpdate[] {
    this.out = NO_UPDATES;
    this.sshdLines++;
    this.traits.observe(line, ev);
    if (ev.effect === 'unrecognised') {
      this.unrecognisedLines++;
      if (this.unrecognisedExamples.length < this.maxExamples) this.unrecognisedExamples.push({ file: line.file, line: line.line, text: ownString(line.message) });
    } else if (ev.effect === 'debug') this.debugLines++;
    if (ev.entry !== null && ev.entry.kexIdent) this.kexLines++;
    this.tracker.handle(line, ev);
    if (this.out.length === 0) return NO_UPDATES;
    if (++this.linesSinceSweep >= SWEEP_EVERY_LINES) {
      this.linesSinceSweep = 0;
      this.tracker.sweepAfterLines(SWEEP_EVERY_LINES);
    }
    return this.out;
  }

  /** Live use: closes connections whose silence past LoginGraceTime means they ended unlogged. */
  tick(nowMs: number): EngineUpdate[] {
    this.out = [];
    this.tracker.sweep(nowMs);
    return this.out;
  }

  /** Open connections let go past the memory bound (tracker.ts MAX_OPEN): their outcome is unknown. */
  get evictedConnections(): number {
    return this.tracker.evicted;
  }

  /** Number of connections currently open (for memory accounting and tests). */
  get openConnections(): number {
    return this.tracker.openCount;
  }

  /** Closes everything still open and returns the analysis. Call once. */
  finish(): AnalysisResult & { finalUpdates: EngineUpdate[] } {
    if (this.finished) throw new Error('Analyzer.finish() called twice');
    this.finished = true;
    this.out = [];
    this.tracker.finish();
    const finalUpdates = this.out;
    const all = this.sources.toBoundedRecords(this.maxSourceRecords, (a) => this.wrappersDrops.get(a) ?? 0);
    const { records: sources, kexSources, classes } = all;
    sources.sort((a, b) => b.connections - a.connections || (a.address < b.address ? -1 : 1));
    const droppedFromLegit = all.legitDropped.connections;
    const legitDropped = all.legitDropped.sources;
    const logLevel = this.traits.logLevel();
    const era = this.traits.era();
    const summary = buildSummary({
      lines: { sshd: this.sshdLines, recognised: this.sshdLines - this.unrecognisedLines, unrecognised: this.unrecognisedLines, debug: this.debugLines },
      connections: this.connectionCount,
      outcomes: this.outcomes,
      sources: all.total,
      classes,
      kexIdentification: {
        lines: this.kexLines,
        connections: this.kexConnections,
        sources: kexSources,
        unattributed: this.kexUnattributed,
        outcomes: this.kexOutcomes,
        details: this.kexDetails,
      },
      drops: {
        logged: this.dropsLogged,
        byReason: this.dropsByReason,
        reportedByThrottleLines: this.dropsReported,
        throttlingEpisodes: this.throttlingEpisodes,
        fromLegitSources: droppedFromLegit,
        legitSourcesAffected: legitDropped,
      },
      penalties: this.penalties,
      restarts: this.restarts,
      inferredTimeouts: this.inferredTimeouts,
      kexFailures: this.kexFailures,
      sourceDetails: all.details,
      topGuessers: all.topGuessers,
      logLevel,
      era,
      traits: this.traits,
      unattributed: this.unattributed,
      server: this.server,
    });
    const result: AnalysisResult & { finalUpdates: EngineUpdate[] } = {
      server: this.server,
      sources,
      events: this.events,
      eventsOmitted: this.eventsOmitted,
      summary,
      unattributed: this.unattributed,
      logLevel,
      era,
      unrecognised: { count: this.unrecognisedLines, examples: this.unrecognisedExamples },
      finalUpdates,
    };
    if (all.omitted > 0) result.sourcesOmitted = all.omitted;
    if (this.keep) result.connections = this.connections;
    return result;
  }

  private emitUpdate(u: EngineUpdate): void {
    if (this.out === NO_UPDATES) this.out = [u];
    else this.out.push(u);
  }

  private onClosed(rec: ConnectionRecord, state: OpenConnection): void {
    this.connectionCount++;
    this.outcomes[rec.outcome]++;
    if (rec.inferred && rec.outcome === 'timeout') this.inferredTimeouts++;
    if (rec.outcome === 'kex_failed') this.kexFailures[rec.detail] = (this.kexFailures[rec.detail] ?? 0) + 1;
    if (rec.outcome === 'dropped') {
      if (rec.detail === 'tcp_wrappers' && rec.src !== null) this.wrappersDrops.set(rec.src, (this.wrappersDrops.get(rec.src) ?? 0) + 1);
      this.dropsLogged++;
      this.dropsByReason[rec.detail] = (this.dropsByReason[rec.detail] ?? 0) + 1;
    }
    if (state.kexIdentLines > 0) {
      this.kexConnections++;
      this.kexOutcomes[rec.outcome] = (this.kexOutcomes[rec.outcome] ?? 0) + 1;
      this.kexDetails[rec.detail] = (this.kexDetails[rec.detail] ?? 0) + 1;
      if (rec.src !== null) this.traits.noteKexFollowUp();
      else this.kexUnattributed++;
    }
    if (rec.src !== null) {
      if (this.trackSources) this.sources.add(rec.src, rec, state.firstTs, state.lastTs, state.kexIdentLines > 0, state.secretFailures);
    } else {
      this.unattributed.connections++;
      if (state.kexIdentLines > 0) this.unattributed.kexIdentification++;
      const reason = this.traits.unattributedReason(state);
      this.unattributed.reasons[reason] = (this.unattributed.reasons[reason] ?? 0) + 1;
    }
    if (this.keep) this.connections.push(ownRecordStrings(rec));
    this.emitUpdate({ kind: 'connection-closed', connection: rec });
  }

  private onListener(line: FramedLine, ev: SshdEvent, evidence: Evidence): void {
    const entry = ev.entry;
    if (entry === null) return;
    let type: string;
    let count: number | undefined;
    let address: string | undefined;
    switch (ev.effect) {
      case 'throttle_begin':
        type = 'maxstartups_begin';
        this.throttlingEpisodes++;
        break;
      case 'throttle_in':
        type = 'maxstartups_status';
        count = ev.num ?? undefined;
        break;
      case 'throttle_exit':
        type = 'maxstartups_end';
        count = ev.num ?? undefined;
        if (count !== undefined) this.dropsReported += count;
        break;
      case 'drops_ratelimited':
        type = `drops_ratelimited_${entry.detail ?? 'other'}`;
        count = ev.num ?? undefined;
        if (count !== undefined) this.dropsReported += count;
        break;
      case 'penalty':
        type = 'penalty';
        this.penalties++;
        address = ev.addr === null ? undefined : ownString(ev.addr);
        break;
      case 'listener_timeout':
        return; // a connection record carries it
      case 'listener_child':
        type = 'session_crash';
        break;
      case 'daemon':
        type = entry.detail ?? 'resource';
        if (type === 'restart' || type === 'listening') this.restarts += type === 'restart' ? 1 : 0;
        break;
      default:
        type = entry.id;
    }
    const event: ServerEvent = {
      type,
      time: line.ts === null ? null : isoTime(line.ts),
      host: line.host,
      pid: line.pid,
      message: ownString(line.message), // kept: a flat copy, not a view into the reader's text
      evidence,
    };
    if (count !== undefined) event.count = count;
    if (address !== undefined) event.address = address;
    if (this.events.length < MAX_EVENTS) this.events.push(event);
    else this.eventsOmitted++;
    this.emitUpdate({ kind: 'server-event', event });
  }
}

export { dropDetail };

/**
 * A record kept for finish(): its client strings become flat copies. Lines are framed as views
 * into the reader's decoded text (framing/own-string.ts), so a kept view would keep that text alive.
 */
function ownRecordStrings(rec: ConnectionRecord): ConnectionRecord {
  if (rec.src !== null) rec.src = ownString(rec.src);
  if (rec.local !== null) rec.local = ownString(rec.local);
  for (let i = 0; i < rec.users.length; i++) rec.users[i] = ownString(rec.users[i]);
  for (let i = 0; i < rec.methods.length; i++) rec.methods[i] = ownString(rec.methods[i]);
  if (rec.reason !== undefined) rec.reason = ownString(rec.reason);
  if (rec.clientVersion !== undefined) rec.clientVersion = ownString(rec.clientVersion);
  if (rec.disconnect !== undefined) rec.disconnect = { code: rec.disconnect.code, message: ownString(rec.disconnect.message) };
  return rec;
}
