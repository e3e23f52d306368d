/**
 * What a server may send instead of (or before) an SSH identification, as data. Each rule
 * recognises one kind of greeting from the first bytes received; `classifyGreeting` applies
 * them in order. Texts are OpenSSH's own (sshd.c / kex.c) or the other protocol's fixed shape.
 */

/** The stable kinds of non-SSH greeting (JSON vocabulary: add, never rename). */
export type GreetingKind =
  | 'openssh_maxstartups' // `Exceeded MaxStartups` (OpenSSH 8.2–9.7)
  | 'openssh_not_allowed' // `Not allowed at this time` (OpenSSH 9.8+: MaxStartups or PerSourcePenalties)
  | 'openssh_invalid_ident' // `Invalid SSH identification string.` (sshd did not like what we sent)
  | 'openssh_protocol_mismatch' // `Protocol major versions differ.` / `Protocol mismatch.`
  | 'http'
  | 'tls'
  | 'smtp'
  | 'ftp'
  | 'pop3'
  | 'imap'
  | 'vnc'
  | 'mysql'
  | 'other_text'
  | 'binary';

export interface TextRule {
  readonly kind: GreetingKind;
  /** Anchored on one whole line (CR/LF removed). */
  readonly line: RegExp;
  readonly label: string;
}

/** OpenSSH's refusal notices: one line sent before close. */
export const OPENSSH_REFUSALS: readonly TextRule[] = [
  { kind: 'openssh_maxstartups', line: /^Exceeded MaxStartups$/, label: 'OpenSSH refused the connection: Exceeded MaxStartups (too many unauthenticated connections; OpenSSH 8.2–9.7)' },
  { kind: 'openssh_not_allowed', line: /^Not allowed at this time$/, label: 'OpenSSH refused the connection: "Not allowed at this time" (MaxStartups or PerSourcePenalties; OpenSSH 9.8+)' },
  { kind: 'openssh_invalid_ident', line: /^Invalid SSH identification string\.$/, label: 'OpenSSH rejected our identification string ("Invalid SSH identification string.")' },
  { kind: 'openssh_protocol_mismatch', line: /^Protocol major versions differ\.$|^Protocol mismatch\.$/, label: 'OpenSSH rejected our protocol version' },
];

/** Text greetings of other services, by their first line. */
export const SERVICE_GREETINGS: readonly TextRule[] = [
  { kind: 'http', line: /^HTTP\/[0-9.]+ [0-9]{3}\b/, label: 'an HTTP server' },
  { kind: 'smtp', line: /^220[ -].*\b(E?SMTP|Postfix|Exim|Sendmail|mail)\b/i, label: 'an SMTP mail server' },
  { kind: 'ftp', line: /^220[ -]/, label: 'an FTP server (or another 220-greeting service)' },
  { kind: 'pop3', line: /^\+OK\b/, label: 'a POP3 server' },
  { kind: 'imap', line: /^\* (OK|PREAUTH|BYE)\b/, label: 'an IMAP server' },
  { kind: 'vnc', line: /^RFB [0-9]{3}\.[0-9]{3}$/, label: 'a VNC (RFB) server' },
];

/** TLS record content types (first byte) with a 0x03 major version byte after them. */
export const TLS_RECORD_TYPES: Readonly<Record<number, string>> = { 0x15: 'alert', 0x16: 'handshake' };

/** TLS alert descriptions we name (RFC 8446 §6). */
export const TLS_ALERTS: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  40: 'handshake_failure',
  47: 'illegal_parameter',
  50: 'decode_error',
  70: 'protocol_version',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  109: 'missing_extension',
  112: 'unrecognized_name',
  120: 'no_application_protocol',
};
