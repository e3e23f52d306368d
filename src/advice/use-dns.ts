/** UseDNS: reverse lookups delay every login and hold MaxStartups slots; host names in Match and from= then rest on PTR records. */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';

export function useDnsAdvice(f: { current: string | null }): Advice | null {
  if ((f.current ?? 'no').toLowerCase() !== 'yes') return null;
  return sshdAdvice('use-dns.off', 'UseDNS yes makes every connection wait for reverse DNS (slots held longer; host names in Match/from= rest on PTR records an attacker controls): set UseDNS no', ['UseDNS no'], ['UseDNS']);
}
