/**
 * Shared by `sshwarden status|ban|unban|allow`: load the config (for the socket, store and
 * firewall), talk to the running daemon, or act on the store (and firewall) when it is not
 * running.
 */
import { existsSync } from 'node:fs';
import { EXIT } from './exit-codes.ts';
import { UserError } from './user-error.ts';
import { ConfigError, DEFAULT_CONFIG, loadConfig, type GuardConfig } from '../guard/config.ts';
import { configTarget } from '../guard/config-default.ts';
import { askDaemon, type ControlRequest } from '../guard/control.ts';

export { DEFAULT_CONFIG };

export function readConfigOrFail(path: string | undefined): { path: string; config: GuardConfig } {
  const { path: p, optional } = configTarget(path);
  try {
    // The default path may be absent (defaults apply); an explicit --config must exist.
    return { path: p, config: loadConfig(p, { optional }) };
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, EXIT.USAGE);
    throw e;
  }
}

/** The daemon's answer, or null when it is not running. Errors it reports become UserErrors. */
export async function ask(cfg: GuardConfig, req: ControlRequest): Promise<unknown | null> {
  let res;
  try {
    res = await askDaemon(cfg.state.socket, req);
  } catch (e) {
    throw new UserError((e as Error).message, EXIT.RUNTIME);
  }
  if (res === null) return null;
  if (!res.ok) throw new UserError(res.error, EXIT.FINDINGS);
  return res.result;
}

export function storeExists(cfg: GuardConfig): boolean {
  return existsSync(cfg.state.database);
}

export function requireRootHint(): string {
  return process.getuid?.() === 0 ? '' : ' (the socket and store are root-only: run as root)';
}
