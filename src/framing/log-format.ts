/**
 * The log formats sshwarden can frame. One framer per family (see index.ts); the names are
 * stable (CLI `--format`, JSON output).
 */
export const LOG_FORMATS = [
  'syslog', // RFC 3164: `Nov 21 20:18:06 host sshd[123]: msg` (year inferred)
  'syslog-iso', // rsyslog high precision (Debian 12 default): `2026-11-21T20:18:06.123456+00:00 host sshd[123]: msg`
  'rfc5424', // `<38>1 2026-11-21T20:18:06.123Z host sshd 123 - - msg`
  'journal-short', // journalctl -o short (same envelope as RFC 3164)
  'journal-short-iso', // journalctl -o short-iso / short-iso-precise: `2026-11-21T20:18:06+0000 host sshd[123]: msg`
  'journal-short-precise', // journalctl -o short-precise: `Nov 21 20:18:06.123456 host sshd[123]: msg`
  'journal-short-full', // journalctl -o short-full: `Sat 2026-11-21 20:18:06 UTC host sshd[123]: msg`
  'journal-cat', // journalctl -o cat: the message only
  'journal-json', // journalctl -o json: one JSON object per line
  'journal-json-seq', // journalctl -o json-seq: RS (0x1e) + JSON object per line
  'sshd-stderr', // sshd -E file / sshd -e: message only, records end with CR LF
] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}
