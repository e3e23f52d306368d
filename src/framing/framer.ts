import type { FramedLine } from './framed-line.ts';

/** What a framer counted so far (one framer per input). */
export interface FramerCounts {
  /** Records handed to `frame` (physical lines; JSON records). */
  lines: number;
  /** Records from sshd-family programs, returned as FramedLine. */
  framed: number;
  /** Well-formed records from other programs (skipped). */
  skipped: number;
  /** Records whose envelope could not be read (skipped). */
  malformed: number;
  /** Of `skipped`: records from another program whose message reads like sshd's (sshd-like.ts). */
  sshdLike: number;
  /** The first of those: line number, program name as logged, the line's start (≤ 200 chars). */
  sshdLikeExample: { line: number; program: string; text: string } | null;
}

/**
 * Splits one record of a given format into envelope and message. Pure: no I/O, no clock.
 * `frame` never throws; it returns null for other programs' lines and for garbage (counted).
 */
export interface Framer {
  readonly counts: FramerCounts;
  /** Frames one line (without its trailing `\n`). */
  frame(text: string, lineNo: number): FramedLine | null;
  /**
   * Frames `text.slice(start, end)` without slicing first (the reader's fast path: a whole
   * decoded chunk, one line at a time).
   */
  frameRange(text: string, start: number, end: number, lineNo: number): FramedLine | null;
  /**
   * End of input: returns a record still held back (only `sshd-stderr`, which waits for a
   * record's CR LF end, see plain-framer.ts), or null.
   */
  flush(): FramedLine | null;
}

/**
 * Who may speak as sshd (the live guard): SYSLOG_IDENTIFIER is whatever the sender wrote
 * (`logger -t sshd '...'` by any local user), but journald adds trusted fields from the
 * sender's kernel credentials: `_COMM` / `_EXE` (the process) and `_UID`. With a trust rule a
 * record counts as sshd's only when its process is sshd, sshd-session or sshd-auth (or journald
 * could no longer read the process: it had exited) and its user is one of `uids` (root and sshd's
 * privilege-separation user); others are counted in `untrusted` and skipped.
 */
export interface JournalTrust {
  readonly uids: readonly number[];
}

export interface FramerOptions {
  /** Year of the first zone-less RFC 3164 timestamp; wins over `referenceTime`. */
  year?: number;
  /**
   * Reference time (ms epoch) for RFC 3164 year inference: the file's mtime, or now for
   * stdin; passed in by the source so the framer stays pure. A first month later than the
   * reference month means the previous year.
   */
  referenceTime?: number;
  /** IANA zone for zone-less timestamps; default: this machine's zone. */
  timezone?: string;
  /** Journal JSON: who may speak as sshd (the guard's rule, see JournalTrust); absent: SYSLOG_IDENTIFIER is believed. */
  journalTrust?: JournalTrust;
}

export function newCounts(): FramerCounts {
  return { lines: 0, framed: 0, skipped: 0, malformed: 0, sshdLike: 0, sshdLikeExample: null };
}
