/**
 * Connection records: the stable JSON of `analyze --json` `connections[]` (README "JSON output"),
 * and the mutable state the tracker keeps while a connection is open.
 */
import type { Outcome, Phase } from '../vocabulary.ts';

/** Where a fact came from: input name and 1-based line number (text only when asked for). */
export interface Evidence {
  file: string;
  line: number;
  text?: string;
}

export interface ConnectionRecord {
  /** Host name from the log envelope (several hosts in one stream stay apart), or null. */
  host: string | null;
  /** The per-connection sshd process id (the listener's pid for `dropped` connections), or null. */
  pid: number | null;
  /** Every process id whose lines belong to this connection (monitor, user child, listener). */
  pids: number[];
  /** Client address and port, taken only from trusted positions; null when the log never names them. */
  src: string | null;
  srcPort: number | null;
  /** The server's address and port (from `Connection from … on …` or `drop connection … on …`). */
  local: string | null;
  localPort: number | null;
  /** ISO-8601 UTC time of the first and last line, null when the log has no times. */
  start: string | null;
  end: string | null;
  /** How far it got: tcp, identification, kex, auth, session. */
  phase: Phase;
  outcome: Outcome;
  /** Finer outcome: `http`, `tls`, `binary`, `maxstartups`, `penalty`, `password`, `no_close_line`, … */
  detail: string;
  /** Human-readable reason (drop reason, disconnect, error text from sshd). */
  reason?: string;
  /** true when the outcome was inferred from what is missing (e.g. a silent LoginGraceTime expiry). */
  inferred?: boolean;
  /** The identification string the client sent, when the log shows it (client text, escaped as logged). */
  clientVersion?: string;
  /** User names tried (client text, at most 20), and methods tried. */
  users: string[];
  methods: string[];
  /** Authentication attempts that failed, and whether one succeeded. */
  failures: number;
  /** SSH disconnect sent by the client (code and client text). */
  disconnect?: { code: number | null; message: string };
  /** The lines this record was built from. */
  evidence: Evidence[];
  /** Evidence lines left out (more than the per-connection cap). */
  evidenceOmitted?: number;
  /**
   * `maximum authentication attempts exceeded` with fewer failures logged than that implies: the
   * connection made at least this many attempts (half of MaxAuthTries: sshd logs refused keys of
   * valid users at INFO only from then on).
   */
  attemptsAtLeast?: number;
}

export const MAX_USERS_PER_CONNECTION = 20;
export const MAX_EVIDENCE_PER_CONNECTION = 200;
