/**
 * The sentence that says how many journal records claimed to be sshd's but failed the trust rule
 * (framing/journal-json-framer.ts), and the rule itself: `analyze`'s text and the HTML report say it
 * in these words, from read-inputs' counts (readCounts.untrusted, untrustedExample). Pure.
 */
import { plural } from '../diagnosis/summary.ts';
import type { ReadCounts } from '../sources/read-inputs.ts';

/** `2 journal records claimed to be sshd's but were not written by sshd (first: FILE:LINE, …): not counted` (no full stop, for a list such as doctor's "checked" note); null when there were none. */
export function untrustedJournalClause(count: number, first: ReadCounts['untrustedExample'] | undefined): string | null {
  if (count <= 0) return null;
  const where = first ? ` (first: ${first.file}:${first.line}, identifier ${JSON.stringify(first.identifier)}, process ${first.comm === null ? 'unknown' : JSON.stringify(first.comm)}, uid ${first.uid ?? 'none'})` : '';
  return `${plural(count, 'journal record')} claimed to be sshd's but ${count === 1 ? 'was' : 'were'} not written by sshd${where}: not counted`;
}

/** The clause as a sentence; null when there were none. */
export function untrustedJournalSentence(count: number, first: ReadCounts['untrustedExample'] | undefined): string | null {
  const clause = untrustedJournalClause(count, first);
  return clause === null ? null : `${clause}.`;
}

/** Which journal records are sshd's (the guard's rule, framing/journal-json-framer.ts). */
export const JOURNAL_TRUST_RULE =
  "A record is sshd's when journald's trusted fields say so: process (_COMM/_EXE) sshd, sshd-session or sshd-auth, and user (_UID) root or sshd's privilege-separation user, as the guard decides.";

/** The sentence and the rule, as the HTML report's header says them; null when there were none. */
export function untrustedJournalNote(count: number, first: ReadCounts['untrustedExample'] | undefined): string | null {
  const sentence = untrustedJournalSentence(count, first);
  return sentence === null ? null : `${sentence} ${JOURNAL_TRUST_RULE}`;
}
