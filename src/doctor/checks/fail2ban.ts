/**
 * fail2ban: its jails (`fail2ban-client status`), each jail's banned addresses with ban time
 * and end (`get JAIL banip --with-time`), and the jail's filter. The socket is fail2ban's default
 * unless `--fail2ban-socket` names another.
 */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Fact } from '../types.ts';
import { canonicalAddress } from '../../net/address.ts';

const MAX_LISTED = 10_000;
const JAIL = /^[A-Za-z0-9_.-]{1,64}$/;

export function jailList(statusText: string): string[] {
  const m = /Jail list:\s*(.*)$/m.exec(statusText);
  return m ? m[1].split(/[,\s]+/).filter((j) => JAIL.test(j)) : [];
}

/** `198.51.100.7 \t2026-12-04 20:00:00 + 600 = 2026-12-04 20:10:00` lines (fail2ban 0.11+), or a plain list. */
export function bannedWithTime(text: string): { address: string; since: string | null; until: string | null; line: string }[] {
  const out: { address: string; since: string | null; until: string | null; line: string }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s*\+\s*(-?\d+)\s*=\s*(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/.exec(line);
    if (m) {
      const address = canonicalAddress(m[1]);
      if (address) out.push({ address, since: m[2], until: m[3] === '-1' ? 'never (permanent)' : m[4], line });
      continue;
    }
    for (const w of line.split(/[\s,]+/)) {
      const address = canonicalAddress(w);
      if (address) out.push({ address, since: null, until: null, line: w });
    }
  }
  return out;
}

export interface Fail2banOptions {
  socket?: string;
}

export async function checkFail2ban(ctx: CheckContext, o: Fail2banOptions = {}): Promise<CheckResult> {
  const check = 'fail2ban';
  const base = o.socket ? ['-s', o.socket] : [];
  const status = await ctx.runner.run('fail2ban-client', [...base, 'status'], ctx.timeoutMs);
  const cannot = cannotRun('fail2ban-client', status);
  if (cannot) return { check, status: 'unchecked', reason: cannot, facts: [] };
  if (!status.ok) {
    const err = `${status.stderr}${status.stdout}`;
    if (/Permission denied/i.test(err)) return { check, status: 'unchecked', reason: `needs root (fail2ban's socket: Permission denied)`, facts: [] };
    if (/Failed to access socket|Is fail2ban running/i.test(err)) return { check, status: 'looked', note: 'installed, not running', facts: [] };
    return { check, status: 'unchecked', reason: `fail2ban-client status failed: ${err.trim().split('\n')[0]}`, facts: [] };
  }
  const jails = jailList(status.stdout);
  const facts: Fact[] = [];
  let total = 0;
  for (const jail of jails) {
    const args = [...base, 'get', jail, 'banip', '--with-time'];
    const r = await ctx.runner.run('fail2ban-client', args, ctx.timeoutMs);
    if (r.failure === 'timeout') return { check, status: 'unchecked', reason: `fail2ban-client timed out on jail ${jail}`, facts };
    let list = r.ok ? bannedWithTime(r.stdout) : [];
    let where = commandText('fail2ban-client', args);
    if (!r.ok) {
      const args2 = [...base, 'status', jail];
      const s = await ctx.runner.run('fail2ban-client', args2, ctx.timeoutMs);
      const m = /Banned IP list:\s*(.*)$/m.exec(s.stdout);
      list = m ? bannedWithTime(m[1]) : [];
      where = commandText('fail2ban-client', args2);
    }
    total += list.length;
    for (const b of list) {
      if (ctx.client ? !coversClient(ctx.client, b.address) : facts.length >= MAX_LISTED) continue;
      facts.push({ type: 'banned', by: 'fail2ban', address: b.address, place: { jail }, since: b.since, until: b.until, why: `jail ${jail}`, evidence: [{ where, text: b.line }] });
    }
  }
  return { check, status: 'looked', note: `${jails.length} jail${jails.length === 1 ? '' : 's'} (${jails.join(', ') || 'none'}), ${total} banned`, facts };
}
