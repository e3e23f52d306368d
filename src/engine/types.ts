/**
 * The engine contract (used by `analyze`, the lab tests, the benchmark and the guard).
 */
import type { SshdPlacement } from '../advice/sshd-drop-in.ts';
import type { ConnectionRecord, Evidence } from '../connections/types.ts';
import type { SourceRecord } from '../classify/source.ts';
import type { Outcome, SourceClass } from '../vocabulary.ts';
import type { Advice } from '../advice/types.ts';

export type { ConnectionRecord, Evidence } from '../connections/types.ts';
export type { SourceRecord } from '../classify/source.ts';

export interface AnalyzerOptions {
  /** Keep every closed connection for `finish().connections` (default true). `analyze --json` streams instead (false). */
  keepConnections?: boolean;
  /** sshd's LoginGraceTime in seconds (default 120): how long a silent pre-auth connection can live. */
  loginGraceTime?: number;
  /** sshd's MaxAuthTries (default 6): the floor of attempts a `maximum authentication attempts exceeded` implies. */
  maxAuthTries?: number;
  /** The sshd settings the log was written under (read from its sshd_config), for the advice; null/absent: defaults assumed. */
  server?: ServerSettings | null;
  /** Put the line text into evidence (default false: file and line number only). */
  evidenceText?: boolean;
  /** Most connections kept open at once (default: connections/tracker.ts MAX_OPEN); past it the oldest is evicted (outcome unknown, counted). */
  maxOpenConnections?: number;
  /** Most sources given a record in `finish().sources` (default MAX_SOURCE_RECORDS); the others are counted only (`sourcesOmitted`). */
  maxSourceRecords?: number;
  /** How many unrecognised sshd lines to keep as examples (default 20). */
  unrecognisedExamples?: number;
  /**
   * Keep a summary per source address for `finish().sources` (default true). A long-running
   * consumer that never calls finish() (the guard) passes false: memory then stays bounded by
   * open connections, and `finish()` returns no sources (summary counts of sources are 0).
   */
  trackSources?: boolean;
}

/** The sshd settings that shape what the log shows (from the sshd_config through the audit engine, or the defaults). */
export interface ServerSettings {
  /** The sshd_config they were read from, or `defaults`. */
  from: string;
  /** OpenSSH version the configuration was judged for (the local sshd's), or null. */
  version: string | null;
  /** Seconds; `loginGraceTimeFrom` says whether `--login-grace-time` overrode the configuration. */
  loginGraceTime: number;
  loginGraceTimeFrom: 'config' | 'option' | 'default';
  maxStartups: [number, number, number];
  maxAuthTries: number;
  /** `none` or a number, null before 8.5. */
  perSourceMaxStartups: string | null;
  logLevel: string;
  /** Where sshd lines take effect in that configuration (src/advice/sshd-drop-in.ts): the advice is placed with it. */
  placement?: SshdPlacement;
}

export type EngineUpdate =
  | { kind: 'connection-closed'; connection: ConnectionRecord }
  | { kind: 'auth-success'; address: string; port: number; user: string; method: string; ts: number | null; evidence: Evidence }
  | { kind: 'auth-failure'; address: string; port: number; user: string | null; invalidUser: boolean; method: string | null; ts: number | null; evidence: Evidence }
  | { kind: 'server-event'; event: ServerEvent };

/** A listener/daemon-level event. */
export interface ServerEvent {
  /** `maxstartups_begin`, `maxstartups_status`, `maxstartups_end`, `drops_ratelimited`, `penalty`, `listening`, `restart`, `stopped`, `bind_failed`, `host_key`, `resource`, `startup`, `session_crash`, … */
  type: string;
  time: string | null;
  host: string | null;
  pid: number | null;
  /** sshd's text for it (trusted shapes only; addresses in it come from trusted positions). */
  message: string;
  /** Connections dropped (MaxStartups lines), penalty seconds, … when the line says. */
  count?: number;
  /** Penalised address block (penalty lines). */
  address?: string;
  evidence: Evidence;
}

export interface LogLevelFinding {
  /** `DEBUG`, `VERBOSE`, `INFO`, or `unknown` (no sshd lines). */
  level: 'DEBUG' | 'VERBOSE' | 'INFO' | 'unknown';
  /** Why: the shapes that prove it. */
  why: string;
}

export interface EraFinding {
  /** OpenSSH version range consistent with the shapes seen, e.g. `8.3–9.4`, or `unknown`. */
  range: string;
  /** The observations behind it. */
  clues: string[];
}

export interface UnattributedSummary {
  /** Connections whose client address the log never gave. */
  connections: number;
  /** Of which had an address-less kex_exchange_identification line. */
  kexIdentification: number;
  reasons: Record<string, number>;
}

export interface Summary {
  lines: { sshd: number; recognised: number; unrecognised: number; debug: number };
  connections: number;
  outcomes: Record<Outcome, number>;
  sources: number;
  classes: Record<SourceClass, number>;
  /** The question most users come with: the kex_exchange_identification lines. */
  kexIdentification: {
    lines: number;
    connections: number;
    sources: number;
    unattributed: number;
    outcomes: Partial<Record<Outcome, number>>;
    details: Record<string, number>;
  };
  drops: {
    /** Connections dropped by the listener, as logged one by one. */
    logged: number;
    byReason: Record<string, number>;
    /** Drops the throttling / rate-limit lines report (may include drops not logged one by one). */
    reportedByThrottleLines: number;
    throttlingEpisodes: number;
    /** Dropped connections whose source also logged in successfully (own users turned away). */
    fromLegitSources: number;
    legitSourcesAffected: number;
  };
  penalties: number;
  restarts: number;
  inferredTimeouts: number;
  /** Failed key exchanges by detail (`cipher`, `host_key_type`, `mac_error`, …). */
  kexFailures: Record<string, number>;
  /** Plain-language findings, most important first. */
  findings: string[];
  /** What this log cannot tell, given its LogLevel and OpenSSH era. */
  blindSpots: string[];
  /** What to change, from src/advice/ (the same advice `audit`, `probe` and `explain-client` give). */
  advice: Advice[];
}

export interface AnalysisResult {
  /** The sshd settings used (null: none given, defaults assumed). */
  server: ServerSettings | null;
  /** Only when `keepConnections` is not false. */
  connections?: ConnectionRecord[];
  sources: SourceRecord[];
  /**
   * Sources past `maxSourceRecords`, counted in the summary but without a record (absent when
   * none): the ones kept are those that logged in, then the most active.
   */
  sourcesOmitted?: number;
  events: ServerEvent[];
  eventsOmitted: number;
  summary: Summary;
  unattributed: UnattributedSummary;
  logLevel: LogLevelFinding;
  era: EraFinding;
  unrecognised: { count: number; examples: { file: string; line: number; text: string }[] };
}
