/**
 * Connections refused before sshd accepts them, as a capture shows them: SYNs with no answer (a
 * firewall or ban DROPs them, or the client uses the wrong port or address) and SYNs answered
 * with a reset (a firewall REJECTs them, nothing listens there, or a port translation sends the
 * port elsewhere). sshd never sees either, so its log cannot tell; the firewall and the bans can.
 */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';
import { canonicalAddress } from '../net/address.ts';

function valid(port: number, addresses: readonly string[]): { port: number; addrs: string[] } {
  return {
    port: Number.isInteger(port) && port > 0 && port < 65536 ? port : 22,
    addrs: addresses.map((a) => canonicalAddress(a)).filter((a): a is string => a !== null).slice(0, 3),
  };
}

/** What to look at for these addresses on the server: the ruleset, the bans (doctor --client runs every ban check). */
function lookCommands(port: number, addrs: string[]): string[] {
  return [
    ...addrs.map((a) => `nft list ruleset | grep -n -e ${shellCommand([a])} -e ${shellCommand([`dport ${port}`])}`),
    ...addrs.map((a) => shellCommand(['sshwarden', 'doctor', '--client', a])),
  ];
}

/** `tcp.syn-unanswered`: SYNs to the SSH port that got no answer at all. */
export function synUnansweredAdvice(f: { port: number; addresses: readonly string[] }): Advice {
  const { port, addrs } = valid(f.port, f.addresses);
  return {
    id: 'tcp.syn-unanswered',
    summary: `SYNs to port ${port} got no answer: find the firewall rule or ban that DROPs ${addrs.length ? addrs.join(', ') : 'these clients'} (nftables/iptables, fail2ban, sshguard, CrowdSec, a cloud security group) and lift or narrow it; if none matches, the client uses the wrong address or port`,
    changes: [],
    commands: [...lookCommands(port, addrs), 'iptables-save | grep -n -i -e drop -e ssh'],
    verify: addrs.map((a) => shellCommand(['sshwarden', 'doctor', '--client', a])),
  };
}

/** `tcp.syn-rejected`: SYNs answered with a reset. `served`: sshd completed handshakes on that port meanwhile (so something rejects these clients only). */
export function synRejectedAdvice(f: { port: number; addresses: readonly string[]; served: boolean }): Advice {
  const { port, addrs } = valid(f.port, f.addresses);
  return f.served
    ? {
        id: 'tcp.syn-rejected',
        summary: `sshd accepted other clients on port ${port} meanwhile, so a rule REJECTs ${addrs.length ? addrs.join(', ') : 'these clients'} (a ban with reject, an nftables/iptables REJECT): find it and lift or narrow it`,
        changes: [],
        commands: [...lookCommands(port, addrs), 'iptables-save | grep -n -i reject'],
        verify: addrs.map((a) => shellCommand(['sshwarden', 'doctor', '--client', a])),
      }
    : {
        id: 'tcp.syn-rejected',
        summary: `nothing accepted connections on port ${port} (every SYN was answered with a reset): sshd does not listen there, or a port translation (DNAT/REDIRECT) sends the port elsewhere`,
        changes: [],
        commands: [`ss -ltnp | grep ${shellCommand([`:${port}`])}`, 'sshd -T | grep -Ei "^(port|listenaddress) "', 'nft list ruleset | grep -n -i -e dnat -e redirect'],
        verify: [`ss -ltnp | grep ${shellCommand([`:${port}`])}`],
      };
}

/** `tcp.non-ssh-client`: a client sends HTTP, TLS or other non-SSH bytes to the SSH port. */
export function nonSshClientAdvice(f: { port: number; kind: string; addresses: readonly string[] }): Advice {
  const { port, addrs } = valid(f.port, f.addresses);
  return {
    id: 'tcp.non-ssh-client',
    summary: `${addrs.length ? addrs.join(', ') : 'a client'} sent ${f.kind === 'http' ? 'HTTP' : f.kind === 'tls' ? 'a TLS handshake' : 'non-SSH bytes'} to port ${port}: a browser, proxy, load-balancer health check or another program is pointed at the SSH port; point it at its own service (or, for a health check, use a TCP check)`,
    changes: [],
    commands: [],
    verify: [],
  };
}
