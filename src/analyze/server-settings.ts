/**
 * The sshd settings a log was written under, read from an sshd_config through the audit engine
 * (Includes, defaults of the local sshd's version): LoginGraceTime (silent since the CVE-2024-6387
 * fix, so analyze must know it to infer expiries), MaxStartups, MaxAuthTries, PerSourceMaxStartups,
 * LogLevel. `--login-grace-time` overrides the file's value.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../sshd-config/default-config.ts';
import type { ServerSettings } from '../engine/types.ts';
import type { InputSpec } from '../sources/read-inputs.ts';

export { DEFAULT_CONFIG };

/** The logs are this machine's own (the journal, or files under /var/log): its sshd_config applies. */
export function inputsAreThisHost(inputs: readonly InputSpec[]): boolean {
  return inputs.length > 0 && inputs.every((i) => typeof i !== 'string' ? true : i !== '-' && resolve(i).startsWith('/var/log/'));
}

/** Settings from `file`, or `{ unreadable }` with sshd_config's own words for why it cannot be read. */
export async function readServerSettings(file: string, loginGraceOverride?: number): Promise<ServerSettings | { unreadable: string }> {
  // Loaded here, not with the module: most runs on a copied log never read an sshd_config (~50 ms of start-up).
  const [{ auditConfig }, { localSshd }, { parseMaxStartups }, { sshdPlacement, sourcesFrom }] = await Promise.all([import('../sshd-config/audit-config.ts'), import('../sshd-config/system.ts'), import('../sshd-config/value-syntax.ts'), import('../advice/sshd-drop-in.ts')]);
  const local = localSshd();
  const run = await auditConfig({ file, version: local?.version, clients: [], spec: null, useSshd: false, live: false });
  if ('unreadable' in run) return run;
  const v = (k: string) => run.effective.get(k)?.values[0];
  const lgt = Number(v('logingracetime') ?? '120');
  return {
    from: run.root,
    version: local?.version ?? null,
    loginGraceTime: loginGraceOverride ?? lgt,
    loginGraceTimeFrom: loginGraceOverride !== undefined ? 'option' : 'config',
    maxStartups: parseMaxStartups(v('maxstartups') ?? '10:30:100') ?? [10, 30, 100],
    maxAuthTries: Number(v('maxauthtries') ?? '6'),
    perSourceMaxStartups: v('persourcemaxstartups') ?? null,
    logLevel: v('loglevel') ?? 'INFO',
    placement: sshdPlacement(run.cfg, sourcesFrom(run.effective)),
  };
}

/**
 * The settings for a run of `analyze` or `report`: `--config FILE` (unreadable: `{ unreadable }`), else this
 * machine's sshd_config when the logs are this machine's (unreadable: no settings), else none.
 */
export async function serverSettingsFor(inputs: readonly InputSpec[], config: string | undefined, loginGraceOverride?: number): Promise<ServerSettings | null | { unreadable: string }> {
  const file = config ?? (inputsAreThisHost(inputs) && existsSync(DEFAULT_CONFIG) ? DEFAULT_CONFIG : null);
  if (file === null) return null;
  const s = await readServerSettings(file, loginGraceOverride);
  if ('unreadable' in s) return config !== undefined ? s : null;
  return s;
}
