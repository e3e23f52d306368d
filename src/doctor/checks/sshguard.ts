/**
 * sshguard: its blocklist file (`/var/lib/sshguard/blacklist.db`, lines `time|service|family|address`).
 * Its live blocks sit in nftables table `sshguard` or ipsets `sshguard4/6`, which the nftables and
 * ipset checks read and attribute to sshguard.
 */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import type { CheckResult, Fact } from '../types.ts';
import { canonicalAddress } from '../../net/address.ts';

export const SSHGUARD_BLACKLIST = '/var/lib/sshguard/blacklist.db';

export function factsFromBlacklist(ctx: Pick<CheckContext, 'client'>, file: string, text: string): Fact[] {
  const facts: Fact[] = [];
  text.split('\n').forEach((line, i) => {
    const f = line.trim().split('|');
    if (f.length < 4) return;
    const address = canonicalAddress(f[3]);
    if (!address || (ctx.client && !coversClient(ctx.client, address))) return;
    const t = Number(f[0]);
    facts.push({ type: 'banned', by: 'sshguard', address, place: {}, since: Number.isFinite(t) ? new Date(t * 1000).toISOString() : null, until: 'never (blocklist)', why: 'sshguard blocklist', evidence: [{ where: `${file}:${i + 1}`, text: line.trim() }] });
  });
  return facts;
}

export async function checkSshguard(ctx: CheckContext): Promise<CheckResult> {
  const check = 'sshguard';
  const which = await ctx.runner.run('sshguard', ['-v'], ctx.timeoutMs);
  const file = await ctx.runner.readFile(SSHGUARD_BLACKLIST);
  if ('error' in file) {
    if (which.failure === 'missing' && file.error === 'ENOENT') return { check, status: 'unchecked', reason: 'sshguard is not installed', facts: [] };
    if (file.error === 'ENOENT') return { check, status: 'looked', note: 'no blocklist file', facts: [] };
    return { check, status: 'unchecked', reason: `${SSHGUARD_BLACKLIST}: ${file.error}${file.error === 'EACCES' ? ' (needs root)' : ''}`, facts: [] };
  }
  const facts = factsFromBlacklist(ctx, SSHGUARD_BLACKLIST, file.text);
  return { check, status: 'looked', note: `blocklist read`, facts };
}
