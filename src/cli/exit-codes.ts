/** Exit codes shared by every command (documented in README "Exit codes"). */
export const EXIT = {
  /** Ran; nothing that needs attention. */
  OK: 0,
  /** Ran; found something that needs attention (audit errors, probe could not reach SSH, doctor findings). */
  FINDINGS: 1,
  /** The command line or a config file is wrong; nothing was done. */
  USAGE: 2,
  /** Some input could not be read (named on stderr); the rest was analysed and reported. */
  INPUT: 3,
  /** An operation failed at run time (firewall, store, daemon); the message says which. */
  RUNTIME: 4,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
