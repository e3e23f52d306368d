/**
 * sshd-family program names: `sshd`, `sshd-session` (9.8+), `sshd-auth` (10.x), and any
 * other `sshd-*`. Checked on character codes within a larger string so that other programs'
 * lines are rejected before anything is allocated.
 */

const S = 115, H = 104, D = 100, DASH = 45;

/** True when `text[start, end)` is `sshd` or `sshd-…`. */
export function isSshdProgramAt(text: string, start: number, end: number): boolean {
  const len = end - start;
  if (len < 4) return false;
  if (text.charCodeAt(start) !== S || text.charCodeAt(start + 1) !== S || text.charCodeAt(start + 2) !== H || text.charCodeAt(start + 3) !== D) return false;
  return len === 4 || (len > 5 && text.charCodeAt(start + 4) === DASH);
}

/** Shared strings for the common names, so millions of records share three strings. */
export function programNameAt(text: string, start: number, end: number): string {
  const len = end - start;
  if (len === 4) return 'sshd';
  if (len === 12 && text.startsWith('sshd-session', start)) return 'sshd-session';
  if (len === 9 && text.startsWith('sshd-auth', start)) return 'sshd-auth';
  return (' ' + text.slice(start, end)).slice(1); // own copy: see own-string.ts
}

export function isSshdProgram(name: string): boolean {
  return isSshdProgramAt(name, 0, name.length);
}
