/** A DNAT/redirect sends the SSH port to another port (or host) where sshd does not answer. */
import type { Advice } from './types.ts';

export function portTranslationAdvice(f: { tool: string; port: number; to: string }): Advice {
  return {
    id: 'port-translation.fix',
    summary: `${f.tool} translates port ${f.port} to ${f.to}, where sshd does not answer: point the rule at sshd's port, or remove it`,
    changes: [],
    commands: [f.tool === 'nftables' ? 'nft -a list ruleset | grep -nE "dnat|redirect"' : `${f.tool} -t nat -S | grep -E "DNAT|REDIRECT"`],
    verify: ['ss -ltnp | grep sshd', `sshwarden probe HOST:${f.port}`],
  };
}
