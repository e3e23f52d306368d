/**
 * The stable vocabulary of sshwarden's JSON output (documented in README "JSON output").
 * Other tools script against these strings: add new values, never rename.
 */

/** How far a connection got. */
export const PHASES = ['tcp', 'identification', 'kex', 'auth', 'session'] as const;
export type Phase = (typeof PHASES)[number];

/** What happened to one connection. */
export const OUTCOMES = [
  'dropped', // refused by the listener: MaxStartups, PerSourceMaxStartups or PerSourcePenalties (see `reason`)
  'closed_before_ident', // TCP connected, closed (FIN) before sending an identification string
  'reset_before_ident', // TCP connected, reset (RST) before sending an identification string
  'non_ssh', // spoke HTTP, TLS or other junk instead of SSH
  'protocol_mismatch', // an SSH identification sshd cannot accept (SSH-1, malformed)
  'closed_after_ident', // identification or kex done, no authentication tried (banner grabs, key scans)
  'kex_failed', // no matching algorithm, or a fatal kex error
  'timeout', // LoginGraceTime expired (inferred where the version logs nothing: `inferred: true`)
  'auth_failed', // tried to authenticate, never succeeded
  'authenticated', // logged in
  'unknown', // the log does not tell
  'authenticated_or_failed', // from the wire (sshwarden pcap): key exchange completed, the rest is encrypted; the log tells which
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** What kind of source an address is, judged over all its connections. */
export const SOURCE_CLASSES = ['legit', 'bruteforce', 'scanner', 'unknown'] as const;
export type SourceClass = (typeof SOURCE_CLASSES)[number];

/** Each outcome in a few plain words (the text reports of analyze and pcap). */
export const OUTCOME_WORDS: Record<Outcome, string> = {
  dropped: 'refused by sshd (MaxStartups, penalties or TCP wrappers) before any exchange',
  closed_before_ident: 'closed before sending an SSH identification',
  reset_before_ident: 'reset before sending an SSH identification',
  non_ssh: 'spoke HTTP, TLS or other non-SSH data',
  protocol_mismatch: 'sent an unacceptable SSH identification',
  closed_after_ident: 'identified / exchanged keys, never tried to log in',
  kex_failed: 'key exchange failed (see the reason: no common algorithm, corrupted packets, protocol errors)',
  timeout: 'LoginGraceTime expired',
  auth_failed: 'tried to log in and failed',
  authenticated: 'logged in',
  unknown: 'the log does not tell',
  authenticated_or_failed: 'completed key exchange; logged in or failed (encrypted: only the log tells)',
};
