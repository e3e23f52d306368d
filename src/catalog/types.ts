/**
 * Types of the sshd message catalog: one entry per message shape, kept as data
 * (see entries.ts). The engine never matches text itself; it only reads these entries.
 */
import type { Outcome, Phase } from '../vocabulary.ts';

export interface FieldSpec {
  /** `addr`, `port`, `laddr`, `lport`, `user`, `banner`, `msg`, … */
  readonly name: string;
  /** false: the client chose this text (user name, identification string, disconnect message, offer…). */
  readonly trusted: boolean;
  /** A trusted field printed after client text: not trusted on a line that may have been cut at 500 chars. */
  readonly afterClientText?: boolean;
}

/** What a shape means for the connection it belongs to (interpreted by src/connections). */
export type Effect =
  | 'connect' // Connection from: first line of a connection (VERBOSE)
  | 'ident_closed' // closed before a complete identification line (needs the 8.3+ follow-up for an address)
  | 'ident_reset' // reset / read error before identification
  | 'ident_invalid' // junk instead of an SSH identification (HTTP, TLS, binary)
  | 'ident_mismatch' // an SSH identification sshd cannot accept (SSH-1, malformed SSH-)
  | 'ident_write' // sshd could not write its own identification (peer gone)
  | 'ident_final' // 7.x single-line identification failures that name the address
  | 'probe' // `probed from … Don't panic` (client identification matched a probe pattern)
  | 'banner_exchange' // 8.3+ `banner exchange: Connection from <ip> port <p>: <err>`
  | 'closed' // Connection closed by …
  | 'reset' // Connection reset by …
  | 'kex_fail' // Unable to negotiate / no matching algorithm
  | 'kex_error' // protocol error during kex (not final by itself)
  | 'packet_fatal' // ssh_dispatch_run_fatal & co: final packet-level error
  | 'conn_fatal' // other final `fatal:` lines of a connection
  | 'auth_invalid_user' // Invalid user …
  | 'auth_not_allowed' // User … not allowed because …
  | 'auth_fail' // Failed <method> for …
  | 'auth_pam_fail' // error: PAM: <error> for … from <host> (sshd's own PAM message; not counted as an extra attempt)
  | 'auth_ok' // Accepted <method> for …
  | 'auth_partial' // Postponed / Partial
  | 'auth_max' // maximum authentication attempts exceeded
  | 'auth_refused' // ROOT LOGIN REFUSED, administratively prohibited
  | 'auth_info' // other auth-phase lines (key type not accepted, PAM messages)
  | 'recv_disconnect' // Received disconnect from … (followed by Disconnected)
  | 'disconnected' // Disconnected from …
  | 'disconnecting' // Disconnecting …: reason (sshd ends the connection)
  | 'grace_timeout' // fatal: Timeout before authentication for <ip> port <p> (8.5–9.7)
  | 'session_start' // Starting session / pam session opened
  | 'session_child' // User child is on pid N
  | 'session_end' // Closing connection / Timeout, client not responding / terminating inactive …
  | 'session_info' // post-auth lines without effect (pam session closed, Transferred, …)
  | 'listener_drop' // drop connection #n … (MaxStartups, penalties)
  | 'listener_timeout' // Timeout before authentication for <id>, pid = N (9.8+)
  | 'listener_child' // session process crash / abnormal exit (9.8+)
  | 'throttle_begin'
  | 'throttle_in'
  | 'throttle_exit'
  | 'drops_ratelimited'
  | 'penalty' // srclimit_penalise: …
  | 'refused_wrappers' // distro TCP wrappers `refused connect from`
  | 'daemon' // listener start/stop, bind and host key errors, resource errors
  | 'debug' // a recognised debug line with no effect
  | 'info'; // recognised, no effect on state

export type Level = 'INFO' | 'VERBOSE' | 'ERROR' | 'FATAL' | 'DEBUG';

export type Scope =
  /** a per-connection process line, keyed by (host, pid) */
  | 'connection'
  /** a listener line about the whole daemon or about another process/connection */
  | 'listener';

export interface CatalogEntry {
  readonly id: string;
  /** Human-readable shape; `{name}` placeholders, `*` marks client-controlled text. */
  readonly template: string;
  /** Anchored pattern compiled from the template, matched against the message body (prefixes and suffix removed). */
  readonly pattern: RegExp;
  /**
   * The same shape matched against the whole message: an optional `error: `/`fatal: `/`debugN: `
   * prefix and an optional ` [preauth]`/` [postauth]` suffix around the body, same capture groups.
   * Used on the hot path because running a regex on a sliced body string costs V8 far more than
   * running it on the message itself.
   */
  readonly fullPattern: RegExp;
  /** Shapes that repeat the user name (`{sameuser}`): the lazy reading, which must agree with `fullPattern`'s (template.ts). */
  readonly lazyPattern: RegExp | null;
  /** The literal text before the first placeholder: a cheap `startsWith` filter before any regex. */
  readonly head: string;
  /** Offset and char code of the head's first character after the first word (0/-1: none): a one-compare filter. */
  readonly probeAt: number;
  readonly probeChar: number;
  /** `phase` as an index into PHASES (-1 for none): precomputed so the engine does no string work per line. */
  readonly phaseIndex: number;
  /** One of the address-less `kex_exchange_identification: …` lines (the ones the summary counts). */
  readonly kexIdent: boolean;
  /** An identification-phase effect (ident_*, probe, banner_exchange): a `[preauth]` suffix does not imply kex (10.3+). */
  readonly identPhase: boolean;
  /** The longest literal after the head (or ''): must occur in the line, checked with indexOf before the regex. */
  readonly needle: string;
  /** Every placeholder's field, in template order (documentation and tests). */
  readonly fields: readonly FieldSpec[];
  /** The fields with a capture group, in group order: what the matcher reads. */
  readonly captures: readonly FieldSpec[];
  /** First word of the body: the dispatch key. */
  readonly key: string;
  readonly effect: Effect;
  readonly scope: Scope;
  /** The phase a connection has at least reached when this line appears (null: not a connection line). */
  readonly phase: Phase | null;
  /** Lowest LogLevel at which sshd writes the line (as the catalog says for the newest version). */
  readonly level: Level;
  readonly versions: string;
  readonly meaning: string;
  /** The outcome this line settles (final lines), if any. */
  readonly outcome?: Outcome;
  /** A finer outcome detail (non_ssh: `http`, `tls`, …). */
  readonly detail?: string;
  /** true: this line ends its connection (nothing more is logged for it, except trailers). */
  readonly final?: boolean;
  /** true: this line may follow the final line of its connection on the same process (PAM session close, …). */
  readonly trailer?: boolean;
  /** Marks a shape that only exists at LogLevel VERBOSE or DEBUG: evidence for the log level. */
  readonly verboseOnly?: boolean;
}

/** How the catalog is written in entries.ts: the compiled parts are added by index.ts. */
export type CatalogEntrySpec = Omit<CatalogEntry, 'pattern' | 'fullPattern' | 'lazyPattern' | 'head' | 'probeAt' | 'probeChar' | 'needle' | 'fields' | 'captures' | 'phaseIndex' | 'kexIdent' | 'identPhase' | 'key' | 'scope'> & { scope?: Scope };
