/**
 * One log record after framing: the envelope (time, host, program, pid) split from the
 * message text. Produced by every framer (syslog, journal text, journal JSON, sshd -E),
 * consumed by the sshd event matchers. Pure data.
 */
export interface FramedLine {
  /** Milliseconds since the epoch (UTC), or null when the record carries no time (journal `cat`, `sshd -E`). */
  readonly ts: number | null;
  /** Host name from the record, or null when the format has none. Several hosts in one stream stay apart by this. */
  readonly host: string | null;
  /** Program / syslog identifier, e.g. `sshd`, `sshd-session`, `sshd-auth`. Empty when unknown (sshd -E files). */
  readonly program: string;
  /** Process id from the record, or null when absent. */
  readonly pid: number | null;
  /** The message text, envelope removed, otherwise as logged (escapes kept). */
  readonly message: string;
  /** Which input this came from (path, `-` for stdin, `journal`), for evidence and errors. */
  readonly file: string;
  /** 1-based line number within that input (record number for JSON). */
  readonly line: number;
}
