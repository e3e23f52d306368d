/**
 * What the guard's config loaders share without loading the validator (config.ts pulls in zod
 * and yaml; the daemon validates in a child process, config-apart.ts, and never loads them).
 */

/** Where the guard and its client commands look for the config when none is named. */
export const DEFAULT_CONFIG = '/etc/sshwarden/config.yaml';

/** A config that cannot be used: the message is one `file:line: key: problem` line per problem. */
export class ConfigError extends Error {
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.file = file;
  }
}

/** The config file a command reads: the one named, or the default, which may be absent (built-in defaults apply). */
export function configTarget(path: string | undefined): { path: string; optional: boolean } {
  return { path: path ?? DEFAULT_CONFIG, optional: path === undefined };
}
