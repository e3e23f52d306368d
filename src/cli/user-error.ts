import { EXIT, type ExitCode } from './exit-codes.ts';

/**
 * An error caused by the user's input (a file, an option, a config value). The CLI prints
 * its message as one line, without a stack trace, and exits with `exitCode`.
 * Messages name the file and line (`auth.log:12: …`) or the option (`--since: …`).
 */
export class UserError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = EXIT.USAGE) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}
