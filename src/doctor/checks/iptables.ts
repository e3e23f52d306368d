/**
 * iptables and ip6tables (`-S` of the filter and nat tables): DROP/REJECT rules for the client's
 * address, `recent` / `hashlimit` / `connlimit` / `limit` rules on the SSH ports, DNAT/REDIRECT of
 * an SSH port elsewhere, and `-m set --match-set` rules (the ipset check reads the sets).
 */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Fact } from '../types.ts';
import { canonicalAddress } from '../../net/address.ts';

const MAX_LISTED = 10_000;

/** Pure: facts from `-S` output of one tool and table. */
export function factsFromRules(ctx: Pick<CheckContext, 'client' | 'ports'>, tool: 'iptables' | 'ip6tables', table: string, text: string): Fact[] {
  const facts: Fact[] = [];
  const where = commandText(tool, table === 'filter' ? ['-S'] : ['-t', table, '-S']);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('-A ')) continue;
    const w = line.split(/\s+/);
    const opt = (name: string) => {
      const i = w.indexOf(name);
      return i >= 0 ? w[i + 1] ?? null : null;
    };
    const target = opt('-j');
    const dport = opt('--dport') ?? opt('--dports');
    const ports = dport === null ? null : dport.split(/[,:]/).map(Number).filter((n) => Number.isInteger(n));
    const onSsh = ports === null || ports.some((p) => ctx.ports.includes(p));
    const chain = w[1];
    const ev = { where, text: line };
    const src = opt('-s');
    if ((target === 'DROP' || target === 'REJECT') && src !== null && onSsh) {
      const negated = w[w.indexOf('-s') - 1] === '!';
      if (!negated && (ctx.client ? coversClient(ctx.client, src) : facts.length < MAX_LISTED)) {
        facts.push({ type: 'banned', by: /^f2b-/.test(chain) ? 'fail2ban' : /sshguard/i.test(chain) ? 'sshguard' : /crowdsec/i.test(chain) ? 'crowdsec' : 'iptables', address: ctx.client?.address ?? canonicalAddress(src.replace(/\/(32|128)$/, '')) ?? src, place: { tool, rule: line, chain }, since: null, until: null, why: null, evidence: [ev] });
      }
    }
    const mod = ['recent', 'hashlimit', 'connlimit', 'limit'].find((m) => w.some((x, i) => x === '-m' && w[i + 1] === m));
    if (mod && ports !== null && onSsh && (target === 'DROP' || target === 'REJECT' || target === 'ACCEPT' || target === 'RETURN')) {
      // `-m recent --set` alone only records; the rule that acts is --update/--rcheck with a DROP/REJECT
      if (mod !== 'recent' || ((w.includes('--update') || w.includes('--rcheck')) && (target === 'DROP' || target === 'REJECT'))) {
        facts.push({ type: 'rate_limit_rule', tool, port: ports.find((p) => ctx.ports.includes(p)) ?? null, match: mod, place: { tool, rule: line, chain }, evidence: [ev] });
      }
    }
    if ((target === 'DNAT' || target === 'REDIRECT') && ports !== null) {
      const to = opt('--to-destination') ?? opt('--to-ports');
      const m = to === null ? null : /(?::|^)(\d+)(?:-\d+)?$/.exec(to);
      const toPort = m ? Number(m[1]) : null;
      for (const p of ports) {
        if (!ctx.ports.includes(p) || toPort === null || toPort === p) continue;
        facts.push({ type: 'port_translation', tool, port: p, to: target === 'REDIRECT' ? `this host:${toPort}` : to!, evidence: [ev] });
      }
    }
  }
  return facts;
}

export async function checkIptables(ctx: CheckContext): Promise<CheckResult> {
  const check = 'iptables';
  const facts: Fact[] = [];
  const notes: string[] = [];
  const reasons: string[] = [];
  for (const tool of ['iptables', 'ip6tables'] as const) {
    for (const table of ['filter', 'nat']) {
      const args = table === 'filter' ? ['-S'] : ['-t', table, '-S'];
      const r = await ctx.runner.run(tool, args, ctx.timeoutMs);
      const cannot = cannotRun(tool, r);
      if (cannot) {
        reasons.push(cannot);
        break;
      }
      if (!r.ok) {
        reasons.push(/Permission denied|you must be root/i.test(r.stderr) ? `${tool} needs root` : `${tool} -t ${table}: ${r.stderr.trim().split('\n')[0]}`);
        continue;
      }
      const rules = r.stdout.split('\n').filter((l) => l.startsWith('-A ')).length;
      notes.push(`${tool} ${table}: ${rules} rule${rules === 1 ? '' : 's'}`);
      facts.push(...factsFromRules(ctx, tool, table, r.stdout));
    }
  }
  if (notes.length === 0) return { check, status: 'unchecked', reason: [...new Set(reasons)].join('; '), facts: [] };
  return { check, status: 'looked', note: notes.join(', ') + (reasons.length ? ` (${reasons.join('; ')})` : ''), facts };
}
