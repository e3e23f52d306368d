/**
 * Framing: splits a log record into envelope (time, host, program, pid) and message.
 * Pure (no I/O, no clock given `year` or `referenceTime`). Used by readInputs (analyze) and
 * directly by the guard's followers.
 */
import type { Framer, FramerOptions } from './framer.ts';
import type { LogFormat } from './log-format.ts';
import { SyslogFramer } from './syslog-framer.ts';
import { PlainFramer } from './plain-framer.ts';
import { JournalJsonFramer } from './journal-json-framer.ts';

export type { FramedLine } from './framed-line.ts';
export type { Framer, FramerCounts, FramerOptions } from './framer.ts';
export { LOG_FORMATS, isLogFormat, type LogFormat } from './log-format.ts';
export { detectFormat } from './detect-format.ts';
export { isValidTimeZone, localTimeZone } from './civil-time.ts';
export { isSshdProgram } from './program-name.ts';

/**
 * A framer for one input. `opts.timezone` must be a valid IANA name (check with
 * isValidTimeZone first: an unknown zone throws RangeError). Zone-less formats use
 * `opts.timezone`, else the machine's zone; RFC 3164's missing year comes from `opts.year`,
 * else `opts.referenceTime` (the file's mtime; now for stdin).
 */
export function createFramer(format: LogFormat, file: string, opts: FramerOptions = {}): Framer {
  switch (format) {
    case 'journal-json':
    case 'journal-json-seq':
      return new JournalJsonFramer(file, opts.journalTrust ?? null);
    case 'journal-cat':
      return new PlainFramer(file, false);
    case 'sshd-stderr':
      return new PlainFramer(file, true);
    default:
      // syslog, syslog-iso, rfc5424, journal-short*: one tolerant scanner (see syslog-framer.ts)
      return new SyslogFramer(file, opts);
  }
}
