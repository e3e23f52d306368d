/**
 * PerSourceMaxStartups (8.5+): at most N unauthenticated connections per source address (IPv6:
 * per /64 with PerSourceNetBlockSize 32:64), so one scanner cannot take every MaxStartups slot.
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';
import { cmpVersion } from '../openssh-versions.ts';

/** The per-source cap for a MaxStartups start value: half of it, between 1 and 10. */
export function perSourceLimit(maxStartupsBegin: number): number {
  return Math.max(1, Math.min(10, Math.floor(maxStartupsBegin / 2)));
}

/** `per-source-maxstartups.set`, or null when set already or the version has no such keyword (< 8.5). */
export function perSourceMaxStartupsAdvice(f: { version: string; current: string | null; maxStartupsBegin: number; floodingSources?: number }): Advice | null {
  if (cmpVersion(f.version, '8.5') < 0) return null;
  if (f.current !== null && f.current !== 'none') return null;
  const n = perSourceLimit(f.maxStartupsBegin);
  const why = f.floodingSources ? `${f.floodingSources} source${f.floodingSources === 1 ? '' : 's'} held several unauthenticated slots at once` : 'one address may use every MaxStartups slot';
  return sshdAdvice('per-source-maxstartups.set', `PerSourceMaxStartups is not set (${why}): cap each source at ${n}`, [`PerSourceMaxStartups ${n}`, 'PerSourceNetBlockSize 32:64'], ['PerSourceMaxStartups', 'PerSourceNetBlockSize']);
}

/**
 * `per-source-maxstartups.raise`: the per-source cap turned away your own users (several users behind one
 * NAT address, or a tool that opens connections in parallel: Ansible, a CI runner). Twice the current cap,
 * or the rule when the current value is not known.
 */
export function perSourceMaxStartupsRaiseAdvice(f: { current: string | null; ownUsersDropped: number }): Advice | null {
  if (f.ownUsersDropped <= 0) return null;
  const own = `PerSourceMaxStartups turned away ${f.ownUsersDropped} connection${f.ownUsersDropped === 1 ? '' : 's'} of your own users (several users behind one address, or a tool opening connections in parallel)`;
  const cur = f.current === null ? Number.NaN : Number(f.current);
  if (!Number.isInteger(cur) || cur < 1) {
    return { id: 'per-source-maxstartups.raise', summary: `${own}: raise it on the server (twice its value), keeping it below MaxStartups' start; \`sshwarden audit\` there gives the line for its configuration`, changes: [], commands: ['sshwarden audit'], verify: [] };
  }
  return sshdAdvice('per-source-maxstartups.raise', `${own}: raise it from ${cur} to ${cur * 2}, keeping it below MaxStartups' start`, [`PerSourceMaxStartups ${cur * 2}`], ['PerSourceMaxStartups']);
}
