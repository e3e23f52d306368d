/**
 * The doctor's data: what a check saw (facts with evidence), what it could not look at, and the
 * causes the ranking derives from the facts. JSON vocabulary (README "doctor"): add, never rename.
 */

/** One piece of evidence: where it was seen (`file:line`, or `$ command`) and the line itself. */
export interface Ev {
  where: string;
  text: string;
}

export type { BanSystem } from '../advice/bans.ts';
import type { ConfigChange } from '../advice/types.ts';
import type { SshdPlacement } from '../advice/sshd-drop-in.ts';
import type { BanFacts, BanSystem } from '../advice/bans.ts';

/** Where a ban lives, enough to lift it (every field comes from the system's own output, validated by the advice). */
export type BanPlace = Omit<BanFacts, 'by' | 'address'>;

export type Fact =
  // bans and firewall rules
  | { type: 'banned'; by: BanSystem; address: string; place: BanPlace; since: string | null; until: string | null; why: string | null; evidence: Ev[] }
  | { type: 'rate_limit_rule'; tool: 'nftables' | 'iptables' | 'ip6tables'; port: number | null; match: string; place: BanPlace; evidence: Ev[] }
  | { type: 'port_translation'; tool: 'nftables' | 'iptables' | 'ip6tables'; port: number; to: string; evidence: Ev[] }
  // the service
  | { type: 'sshd_not_running'; why: string; evidence: Ev[] }
  | { type: 'not_listening'; expected: string[]; listening: string[]; evidence: Ev[] }
  | { type: 'wrong_service'; port: number; process: string; evidence: Ev[] }
  | { type: 'address_family'; missing: 4 | 6; listening: string[]; evidence: Ev[] }
  | { type: 'socket_activation'; problem: string; evidence: Ev[] }
  | { type: 'host_keys'; problems: { file: string; problem: string }[]; evidence: Ev[] }
  | { type: 'privsep_dir_missing'; path: string; evidence: Ev[] }
  | { type: 'sshd_session_missing'; files: string[]; evidence: Ev[] }
  | { type: 'resources'; problem: string; evidence: Ev[] }
  | { type: 'mac_denial'; system: 'apparmor' | 'selinux'; evidence: Ev[] }
  | { type: 'tcp_wrappers'; file: string; evidence: Ev[] }
  // the config
  | { type: 'config'; file: string; version: string; maxStartups: string; perSourceMaxStartups: string | null; perSourcePenalties: string | null; penaltyExemptSet: boolean; loginGraceTime: number; ports: number[]; listenAddresses: string[]; addressFamily: string; hostKeys: string[]; algorithms: Record<string, string[]>; evidence: Ev[]; placement?: SshdPlacement }
  | { type: 'config_invalid'; message: string; evidence: Ev[] }
  | { type: 'config_not_reloaded'; configMtime: string; sshdStart: string; evidence: Ev[] }
  | { type: 'match_denies'; directive: string; user: string | null; evidence: Ev[] }
  // the logs
  | { type: 'log_overview'; lines: number; connections: number; kexLines: number; kexConnections: number; classes: Record<string, number>; legitAddresses: string[]; first: string | null; last: string | null; lastRestart: string | null; inputs: string[]; /** drops the throttling lines report beyond those logged one by one (whose sources the log does not name) */ unattributedDrops?: number; logLevel?: string; throttleEvidence?: Ev[]; /** lines of what the scanners and guessers did (one per kind) */ noiseEvidence?: Ev[] }
  | { type: 'log_drops'; kind: 'maxstartups' | 'per_source' | 'penalty'; total: number; fromLegit: number; legitSources: string[]; evidence: Ev[] }
  | { type: 'log_denied'; users: string[]; count: number; evidence: Ev[] }
  | { type: 'log_grace'; legitTimeouts: number; evidence: Ev[] }
  | { type: 'log_wrappers'; count: number; evidence: Ev[] }
  | { type: 'log_kex_failed'; count: number; fromLegit: number; evidence: Ev[] }
  | { type: 'log_daemon'; kind: 'host_key' | 'resource' | 'bind_failed' | 'privsep'; evidence: Ev[] }
  | { type: 'simulation'; status: string; advice: { id: string; summary: string; changes: ConfigChange[]; commands: string[]; verify: string[] } | null }
  | { type: 'log_client'; address: string; connections: number; authenticated: number; outcomes: Record<string, number>; evidence: Ev[]; lastFailure?: ClientAuthFailure | null; lastLogin?: string | null }
  // the wire (doctor --pcap): what a capture showed, joined with the log
  | { type: 'wire_overview'; file: string; connections: number; joined: boolean; clockOffsetMs: number | null; offsetPairs: number; both: number; wireOnly: number; logOnly: number; disagreements: number; legitAddresses: string[] }
  | { type: 'wire_finding'; kind: WireFindingKind; file: string; port: number; total: number; /** connections per client address (at most 1000 addresses) */ byAddress: Record<string, number>; /** of them, per address, how many the log has no line for (with a log joined) */ unlogged: Record<string, number>; /** syn_rejected: sshd completed handshakes on that port during the capture */ served?: boolean; /** no_common_algorithm: the categories and the client's first offers */ noCommon?: { category: string; clientOffers: string[] }[]; samples: { address: string; ev: Ev }[] }
  // the client side (doctor user@host)
  | { type: 'probe'; verdict: string; headline: string; address: string | null; port: number; evidence: Ev[] }
  | { type: 'ssh_client'; finding: string; title: string; fix: string[]; evidence: Ev[] };

export type FactType = Fact['type'];

/** The client's latest connection, when it reached authentication and failed (doctor --client). */
export interface ClientAuthFailure {
  users: string[];
  invalidUser: boolean;
  passwordFailures: number;
  publickey: boolean;
  tooManyAttempts: boolean;
  noCommonMethod: boolean;
  /** When it ended (ISO), null when the log has no time. */
  end: string | null;
  /** Its authentication lines (Failed …, Invalid user, maximum authentication attempts, …). */
  evidence: Ev[];
}

/** What `doctor --pcap` turns into evidence (src/doctor/checks/capture.ts). */
export type WireFindingKind = 'dropped' | 'syn_unanswered' | 'syn_rejected' | 'no_common_algorithm' | 'non_ssh' | 'timeout';

/** What one check returned. */
export interface CheckResult {
  check: string;
  /** `looked`: it ran (its facts may be empty: nothing wrong); `unchecked`: it could not look. */
  status: 'looked' | 'unchecked';
  /** Why it could not look (not root, tool missing, timed out, ...). */
  reason?: string;
  /** `unchecked` because the options left it out (`--offline` without `--config`): not a failure, no exit 3. */
  notAsked?: boolean;
  /** `looked`, but part of its input could not be read (a missing log beside readable ones, a truncated .gz): exit 3 unless a cause needs action. */
  inputFailed?: boolean;
  /** One short line for "checked and fine" when nothing was found. */
  note?: string;
  facts: Fact[];
  /** How long it took (set by the orchestrator). */
  ms?: number;
}

/** The closed vocabulary of causes (README "doctor"). */
export const CAUSE_IDS = [
  'banned', 'maxstartups', 'per_source_maxstartups', 'per_source_penalties', 'tcp_wrappers', 'match_denies', 'login_grace_time',
  'config_invalid', 'config_not_reloaded', 'sshd_not_running', 'not_listening', 'socket_activation', 'host_keys', 'privsep_dir_missing',
  'resources', 'mac_denial', 'rate_limit_rule', 'wrong_service', 'port_translation', 'address_family', 'algorithm_mismatch', 'syn_unanswered', 'syn_rejected', 'non_ssh_client', 'auth_failed', 'scanners_only', 'unknown',
] as const;
export type CauseId = (typeof CAUSE_IDS)[number];

export interface FixStep {
  summary: string;
  /** Lines to write: added (to a file, or `above` a line), or replacing line `line` (its text today `was`). */
  changes: ConfigChange[];
  commands: string[];
}

export interface Cause {
  id: CauseId;
  /** For `banned`: which system. */
  by?: BanSystem;
  /** 0..1 */
  confidence: number;
  /** Needs action (every cause but scanners_only). */
  action: boolean;
  summary: string;
  affects: { addresses?: string[]; users?: string[]; connections?: number; all?: boolean };
  evidence: Ev[];
  fix: FixStep[];
  verify: string[];
}

export interface DoctorReport {
  side: 'server' | 'client';
  verdict: string;
  /** Exit status: action needed. */
  action: boolean;
  /** A log, the config or the capture given could not be read, in full or in part (exit 3 when nothing else needs action). */
  inputFailed?: boolean;
  causes: Cause[];
  checked: { check: string; note: string; ms: number | null }[];
  unchecked: { check: string; reason: string; ms: number | null }[];
  window: { since: string | null; until: string | null } | null;
  client: { address: string | null; user: string | null; target?: string } | null;
}
