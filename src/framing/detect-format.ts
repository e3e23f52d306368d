import type { LogFormat } from './log-format.ts';

/**
 * Recognises an input's format from its first lines (not the hot path: regexes are fine here).
 * Each non-empty line votes; the most common format wins. Returns null when no line looks
 * like any supported format (the caller reports "cannot detect the format" for that input).
 */

const MONTHS = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const RE_5424 = /^<\d{1,3}>1 /;
const RE_3164_PRI = new RegExp(`^<\\d{1,3}>${MONTHS} `);
const RE_3164 = new RegExp(`^${MONTHS} [ \\d]?\\d \\d\\d:\\d\\d:\\d\\d `);
const RE_PRECISE = new RegExp(`^${MONTHS} [ \\d]?\\d \\d\\d:\\d\\d:\\d\\d\\.\\d+ `);
const RE_ISO_COLON = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)? /;
const RE_ISO_NOCOLON = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?[+-]\d{4} /;
/** macOS syslog: `2018-12-20 10:09:05.180218+0000 localhost sshd[67566]: …` (a space, not `T`). */
const RE_ISO_SPACE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d) \S+ /;
/** rsyslog's RSYSLOG_ForwardFormat: `<38>2026-11-21T20:18:06.123456+00:00 host sshd[1]: …`. */
const RE_PRI_ISO = /^<\d{1,3}>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/;
/** socklog (`auth.info: May 27 04:31:28 sshd[1]: …`), optionally after svlogd's `@4000…` TAI64N label. */
const RE_SOCKLOG = new RegExp(`^(?:@[0-9a-f]{24} )?[a-z][a-z0-9-]*\\.[a-z*]+: ${MONTHS} `);
const RE_FULL = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ /;
/** fail2ban's journal form and other timestamp-less syslog: `[host ]prog[pid]: msg`. */
const RE_NO_TS = /^(?:[^\s\[\]:]+ )?(?:[\w.\/-]+\[\d+\]|\[[\w.\/-]+\]):? /;
/** Start of a message sshd logs (for envelope-less inputs). */
const RE_SSHD_TEXT =
  /^(?:error: |fatal: |debug\d: |Server listening |Accepted |Failed |Invalid user |Connection (?:from|closed|reset) |Disconnected |Received disconnect|kex_exchange_identification|banner exchange|Unable to negotiate|Timeout before|drop connection|Received signal|Starting session|pam_unix|PAM |User |ssh_dispatch_run_fatal|Bad protocol|Did not receive|Protocol major|Close session|Postponed |Connection from|Exiting on signal|Authentication refused|Unable to load host key|Could not load host key|Missing privilege|Server listening|srclimit_|Timeout|Read error|Transferred|Bad remote)/;

export function detectFormat(sample: string[]): LogFormat | null {
  const votes = new Map<LogFormat, number>();
  const vote = (f: LogFormat) => votes.set(f, (votes.get(f) ?? 0) + 1);
  let journalMarker = false;
  let plainCr = 0, plainLf = 0, plainSshd = 0;
  for (let raw of sample) {
    const hasCr = raw.endsWith('\r');
    if (hasCr) raw = raw.slice(0, -1);
    if (raw.trim().length === 0) continue;
    if (raw.startsWith('-- ')) {
      journalMarker = true;
      continue;
    }
    const c = raw.charCodeAt(0);
    if (c === 0x1e) vote('journal-json-seq');
    else if (c === 123 /* { */) vote('journal-json');
    else if (RE_5424.test(raw)) vote('rfc5424');
    else if (RE_3164_PRI.test(raw)) vote('syslog');
    else if (RE_PRI_ISO.test(raw)) vote('syslog-iso');
    else if (RE_ISO_SPACE.test(raw)) vote('syslog-iso');
    else if (RE_SOCKLOG.test(raw)) vote('syslog');
    else if (RE_ISO_NOCOLON.test(raw)) vote('journal-short-iso');
    else if (RE_ISO_COLON.test(raw)) vote('syslog-iso');
    else if (RE_FULL.test(raw)) vote('journal-short-full');
    else if (RE_PRECISE.test(raw)) vote('journal-short-precise');
    else if (RE_3164.test(raw)) vote('syslog');
    else if (RE_NO_TS.test(raw)) vote('syslog');
    else if (raw.charCodeAt(0) === 32 || raw.charCodeAt(0) === 9) continue; // continuation
    else {
      if (hasCr) plainCr++;
      else plainLf++;
      if (RE_SSHD_TEXT.test(raw)) plainSshd++;
    }
  }
  let best: LogFormat | null = null;
  let bestN = 0;
  for (const [f, n] of votes) {
    if (n > bestN) {
      best = f;
      bestN = n;
    }
  }
  const plain = plainCr + plainLf;
  if (best !== null && bestN >= plain) {
    if (best === 'syslog' && journalMarker) return 'journal-short';
    return best;
  }
  if (plain > 0) {
    if (plainCr > 0 && plainCr >= plainLf / 2) return 'sshd-stderr';
    if (plainSshd > 0) return 'journal-cat';
  }
  return best;
}
