/** ipset: sets holding the client's address (sshguard's sshguard4/6, fail2ban's f2b-*, your own). Reads `ipset save`. */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Fact } from '../types.ts';
import { parseCidr } from '../../net/address.ts';

const MAX_LISTED = 10_000;

/** Pure: facts from `ipset save` output. */
export function factsFromIpset(ctx: Pick<CheckContext, 'client'>, text: string): { facts: Fact[]; sets: number } {
  const facts: Fact[] = [];
  let sets = 0;
  const where = commandText('ipset', ['save']);
  for (const line of text.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'create') sets++;
    if (w[0] !== 'add' || w.length < 3) continue;
    const set = w[1];
    const entry = w[2];
    if (parseCidr(entry) === null) continue;
    if (ctx.client ? !coversClient(ctx.client, entry) : facts.length >= MAX_LISTED) continue;
    const t = w.indexOf('timeout');
    facts.push({
      type: 'banned', by: /^f2b-/.test(set) ? 'fail2ban' : /^sshguard/.test(set) ? 'sshguard' : /crowdsec/.test(set) ? 'crowdsec' : 'ipset',
      address: ctx.client?.address ?? entry, place: { set }, since: null, until: t > 0 ? `in ${w[t + 1]} s` : null, why: null,
      evidence: [{ where, text: line.trim() }],
    });
  }
  return { facts, sets };
}

export async function checkIpset(ctx: CheckContext): Promise<CheckResult> {
  const check = 'ipset';
  const r = await ctx.runner.run('ipset', ['save'], ctx.timeoutMs);
  const cannot = cannotRun('ipset', r);
  if (cannot) return { check, status: 'unchecked', reason: cannot, facts: [] };
  if (!r.ok) return { check, status: 'unchecked', reason: /not permitted|Permission/i.test(r.stderr) ? 'needs root' : `ipset failed: ${r.stderr.trim().split('\n')[0]}`, facts: [] };
  const { facts, sets } = factsFromIpset(ctx, r.stdout);
  return { check, status: 'looked', note: `${sets} set${sets === 1 ? '' : 's'}`, facts };
}
