/** CrowdSec: its active decisions (`cscli decisions list -o json`), those on the client's address or range. */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Fact } from '../types.ts';
import { canonicalAddress, parseCidr } from '../../net/address.ts';

type J = Record<string, unknown>;

export function factsFromDecisions(ctx: Pick<CheckContext, 'client'>, json: string): Fact[] | string {
  let doc: unknown;
  try {
    doc = JSON.parse(json === '' || json.trim() === 'null' ? '[]' : json);
  } catch {
    return 'cscli printed no JSON';
  }
  const facts: Fact[] = [];
  const where = commandText('cscli', ['decisions', 'list', '-o', 'json']);
  for (const alert of Array.isArray(doc) ? (doc as J[]) : []) {
    for (const d of Array.isArray(alert.decisions) ? (alert.decisions as J[]) : []) {
      if (d.type !== 'ban' && d.type !== 'captcha') continue;
      const value = String(d.value ?? '');
      const scope = String(d.scope ?? '').toLowerCase();
      if (scope !== 'ip' && scope !== 'range') continue;
      if (parseCidr(value) === null) continue;
      if (ctx.client && !coversClient(ctx.client, value)) continue;
      facts.push({
        type: 'banned', by: 'crowdsec', address: ctx.client?.address ?? canonicalAddress(value) ?? value, place: {},
        since: typeof alert.created_at === 'string' ? alert.created_at : null, until: typeof d.until === 'string' ? d.until : typeof d.duration === 'string' ? `in ${d.duration}` : null,
        why: typeof d.scenario === 'string' ? d.scenario : null,
        evidence: [{ where, text: `${scope} ${value} ${String(d.type)} ${String(d.scenario ?? '')} ${String(d.duration ?? '')}`.trim() }],
      });
    }
  }
  return facts;
}

export async function checkCrowdsec(ctx: CheckContext): Promise<CheckResult> {
  const check = 'crowdsec';
  const r = await ctx.runner.run('cscli', ['decisions', 'list', '-o', 'json'], ctx.timeoutMs);
  const cannot = cannotRun('cscli', r);
  if (cannot) return { check, status: 'unchecked', reason: cannot, facts: [] };
  if (!r.ok) return { check, status: 'unchecked', reason: `cscli failed: ${`${r.stderr}${r.stdout}`.trim().split('\n')[0]}`, facts: [] };
  const facts = factsFromDecisions(ctx, r.stdout);
  if (typeof facts === 'string') return { check, status: 'unchecked', reason: facts, facts: [] };
  return { check, status: 'looked', note: `${facts.length} decision(s)${ctx.client ? ' on this address' : ''}`, facts };
}
