/**
 * The user ids allowed to log as sshd in the journal (see JournalTrust): root, and sshd's
 * privilege-separation user (`sshd` on Debian, Fedora and Arch; `sshd-auth` in 10.x packages
 * that split it), read from /etc/passwd (the I/O edge: the framer itself stays pure).
 */
import { readFileBounded } from '../sources/bounded-read.ts';

const PRIVSEP_USERS = ['sshd', 'sshd-auth'];

export function sshdUids(passwd = '/etc/passwd'): number[] {
  const uids = [0];
  let text = '';
  try {
    text = readFileBounded(passwd, 8 << 20).toString('utf8');
  } catch {
    return uids;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && PRIVSEP_USERS.includes(f[0]) && /^\d+$/.test(f[2])) uids.push(Number(f[2]));
  }
  return uids;
}
