/**
 * LogLevel: at INFO (the default) sshd does not log `Connection from`, so pre-auth disconnects
 * and drops cannot always be tied to an address. The next step is always the same: LogLevel
 * VERBOSE in the drop-in, `sshd -t`, reload. DEBUG in production: back to VERBOSE.
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';

const RANK = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'];

/** `log-level.verbose`, or null at VERBOSE. `why` says what the current level hides (one clause). */
export function logLevelAdvice(f: { current: string | null; why?: string }): Advice | null {
  const cur = (f.current ?? 'INFO').toUpperCase();
  const r = RANK.indexOf(cur);
  if (r === 4) return null;
  const summary = r > 4
    ? `LogLevel ${cur} logs too much for production (and may log sensitive data): use LogLevel VERBOSE`
    : `LogLevel ${cur}${f.current === null ? ' (the default)' : ''} ${f.why ?? 'hides `Connection from` and most drops'}: set LogLevel VERBOSE so every connection is logged with its address`;
  return sshdAdvice('log-level.verbose', summary, ['LogLevel VERBOSE'], ['LogLevel']);
}
