/**
 * Does a message that came from another program read like one of sshd's? Used on lines the
 * framers skip as another program's (e.g. sshd renamed by a wrapper, or logged under a tag
 * such as `ssh` or `openssh`), so that analyze can say they were skipped instead of reading
 * as nothing. A few prefixes only sshd writes; checked on character codes first (the skipped
 * lines are the majority of a busy syslog file), nothing allocated.
 */
const PREFIXES = [
  'Accepted password for ',
  'Accepted publickey for ',
  'Accepted keyboard-interactive',
  'Failed password for ',
  'Failed publickey for ',
  'Failed none for ',
  'Invalid user ',
  'Connection closed by ',
  'Connection reset by ',
  'Disconnected from ',
  'Received disconnect from ',
  'Disconnecting invalid user ',
  'Disconnecting authenticating user ',
  'kex_exchange_identification: ',
  'banner exchange: ',
  'Unable to negotiate with ',
  'Timeout before authentication',
  'Did not receive identification string',
  'error: kex_exchange_identification',
  'error: maximum authentication attempts',
  'Server listening on ',
];
/** First letters of PREFIXES, as a bit set over char codes 64..127. */
let FIRST = 0n;
for (const p of PREFIXES) FIRST |= 1n << BigInt(p.charCodeAt(0) - 64);
const FIRST_LO = Number(FIRST & 0xffffffffn), FIRST_HI = Number(FIRST >> 32n);

export function looksLikeSshdMessage(s: string, start: number, end: number): boolean {
  const c = s.charCodeAt(start) - 64;
  if (!(c >= 0 && c < 64)) return false;
  if (((c < 32 ? FIRST_LO >>> c : FIRST_HI >>> (c - 32)) & 1) === 0) return false;
  for (const p of PREFIXES) if (end - start >= p.length && s.startsWith(p, start)) return true;
  return false;
}
