/**
 * The probe's verdicts and, for each, the likely causes ranked from most to least likely with
 * what to check on the server. Data, kept apart from the code that picks a verdict
 * (verdict.ts). `{port}`, `{address}` and `{server}` are filled in when rendering.
 */

/** Stable verdict ids (JSON vocabulary: add, never rename). */
import { maxStartupsAdvice } from '../advice/maxstartups.ts';
import { adviceFix } from '../advice/sshd-drop-in.ts';

export const VERDICTS = [
  'ssh_ok', // SSH answered and the algorithms match the client
  'ssh_no_common_algorithm', // SSH answered, no common algorithm in some category
  'ssh_throttled', // OpenSSH refused some or all attempts with its refusal text (MaxStartups / penalties)
  'ssh_rejected_identification', // OpenSSH said our identification is invalid
  'ssh_kexinit_unreadable', // identification came but no readable KEXINIT
  'wrong_service', // HTTP, TLS, SMTP, … on this port
  'closed_without_banner', // accepted, then FIN without a byte, before we said anything
  'closed_after_our_identification', // accepted, silent, then FIN/RST only once we sent our identification
  'reset_without_banner', // accepted, then RST without a byte
  'silent', // accepted, then nothing until our timeout
  'refused', // RST (or ICMP port unreachable) to our SYN
  'no_answer', // SYN unanswered until timeout
  'unreachable', // no route / host unreachable
  'intermittent', // attempts to one address ended differently, with no refusal text
  'address_specific', // some addresses of the name work, others fail the same way
] as const;
export type VerdictId = (typeof VERDICTS)[number];

export interface CauseRule {
  readonly id: string;
  readonly text: string;
  readonly check: string;
}

/** The MaxStartups advice for a server that refuses its users (src/advice/: what analyze and audit say too). */
const RAISE = maxStartupsAdvice({ current: null, ownUsersDropped: 1 })!;

/** The server-side follow-up. (The issue names a `sshwarden doctor`; until one exists, audit + analyze are what runs there.) */
const DOCTOR = 'on the server run `sshwarden audit` and `sshwarden analyze /var/log/auth.log` (or `--journal`)';

export const CAUSES: Readonly<Record<VerdictId, readonly CauseRule[]>> = {
  ssh_ok: [
    { id: 'later_stage', text: 'SSH itself is reachable and compatible: a failure you see comes later (host key, authentication, a ProxyJump)', check: 'run `ssh -vvv user@host 2>&1 | sshwarden explain-client -`' },
  ],
  ssh_no_common_algorithm: [
    { id: 'algorithm_mismatch', text: 'client and server share no algorithm in the category listed above (ssh says "Unable to negotiate … no matching … found")', check: 'change one side as suggested above; on the server `sshd -T | grep -Ei "kexalgorithms|ciphers|macs|hostkeyalgorithms"` and `sshwarden audit`' },
  ],
  ssh_throttled: [
    { id: 'maxstartups', text: 'MaxStartups: too many unauthenticated connections at once (scanners, or bursts from your own automation); sshd drops new ones at random (`start:rate:full`)', check: `server log: \`drop connection #N from [ADDR]:PORT on … past MaxStartups\` (\`sshwarden analyze\` there); on the server: ${adviceFix(RAISE)}; reuse connections (ControlMaster)` },
    { id: 'per_source_maxstartups', text: 'PerSourceMaxStartups: too many unauthenticated connections from your address (block)', check: '`sshd -T | grep -i persource` on the server' },
    { id: 'per_source_penalties', text: 'PerSourcePenalties (OpenSSH 9.8+, on by default): your address was penalised (failed logins, connections without authentication, LoginGraceTime) and is refused for a while', check: 'server log: `drop connection … penalty: …` and `srclimit_penalise`; add your automation to `PerSourcePenaltyExemptList`' },
  ],
  ssh_rejected_identification: [
    { id: 'mangled_stream', text: 'sshd did not accept our identification: something between us rewrites the stream (a proxy, an IDS) or the server speaks an old protocol', check: 'compare with a probe from another network; server log `kex_exchange_identification`' },
  ],
  ssh_kexinit_unreadable: [
    { id: 'nonstandard_server', text: 'the server sent an SSH identification but no readable key-exchange packet (a honeypot, a tarpit that fakes the banner, or a broken implementation)', check: 'server log around the probe time' },
  ],
  wrong_service: [
    { id: 'wrong_port', text: 'another service answers on port {port}: you are connecting to the wrong port', check: 'which port sshd listens on: `ss -ltnp | grep sshd` on the server, then `ssh -p PORT`' },
    { id: 'port_translation', text: 'a port forward, NAT rule or load balancer sends this port to {server} instead of sshd', check: 'the forwarding/NAT/load-balancer rule for port {port} (router, cloud LB, docker `-p`, kube Service)' },
    { id: 'sshd_not_on_this_address', text: 'sshd listens on another address of the machine and {server} owns this one', check: '`ListenAddress` in `sshd -T` and `ss -ltnp` on the server' },
  ],
  closed_without_banner: [
    { id: 'forward_no_backend', text: 'a port forward, proxy or container port with nothing behind it accepts the connection then closes it (docker-proxy, kubectl port-forward, NAT to a stopped VM, sshd not running inside the container)', check: 'is sshd running behind the forward: `docker ps` / `ss -ltnp` inside the container or VM' },
    { id: 'tcp_wrappers', text: 'sshd (or inetd) refuses your address right after accept: TCP wrappers (`/etc/hosts.deny`, libwrap builds only), or OpenSSH ≤ 7.9 MaxStartups, which closes without a word', check: 'server log: `refused connect from`, `drop connection … past MaxStartups`; `/etc/hosts.allow` and `/etc/hosts.deny`' },
    { id: 'ban_after_accept', text: 'a ban that acts after the TCP handshake (e.g. fail2ban with a hosts.deny action)', check: '`fail2ban-client banned` / `sshguard` blocklist on the server' },
    { id: 'sshd_crash', text: "sshd's per-connection process dies before sending its banner (missing host keys, a broken config, `/run/sshd` missing, out of memory)", check: `\`journalctl -u ssh\` for \`fatal:\` at the probe time; ${DOCTOR}` },
  ],
  closed_after_our_identification: [
    { id: 'client_speaks_first_service', text: 'a service that waits for the client to speak first answers on port {port} and hangs up on an SSH identification (a database, RDP, a TLS service that closes silently, a custom protocol): wrong port or port translation', check: 'which process owns port {port} on the server: `ss -ltnp | grep :{port}`; the port forward / NAT rule for {port}' },
    { id: 'sshd_rejects_after_read', text: 'a wrapper in front of sshd (or an old/odd SSH server) that closes after reading the client identification', check: 'server log at the probe time' },
  ],
  reset_without_banner: [
    { id: 'middlebox_reset', text: 'a firewall or middlebox resets the connection after the handshake (IPS, a stateful rule, a ban applied to established traffic)', check: 'firewall logs and `nft list ruleset` on the server and any middlebox' },
    { id: 'forward_no_backend', text: 'a proxy/forwarder with no backend answers with a reset', check: 'the backend behind the forward' },
    { id: 'overloaded_listener', text: 'an overloaded listener (accept queue overflow with `tcp_abort_on_overflow`) or sshd killed mid-accept', check: `server load, \`ss -ltn\` Recv-Q on port {port}; ${DOCTOR}` },
  ],
  silent: [
    { id: 'tarpit', text: 'a tarpit or honeypot accepts connections and never answers', check: 'is this the address you expect? `ss -ltnp` on the server shows which process owns port {port}' },
    { id: 'overloaded_sshd', text: 'sshd is overloaded or stuck before its banner (CPU, memory, swap, a hung PAM/NSS lookup in the listener)', check: `server load and \`journalctl -u ssh\`; ${DOCTOR}` },
    { id: 'forward_backend_dropped', text: 'a forward or proxy accepted and waits for a backend that does not answer (backend behind a DROP rule or down)', check: 'the backend of the port forward / load balancer' },
  ],
  refused: [
    { id: 'nothing_listening', text: 'nothing listens on {address} port {port} (sshd stopped, listening on another port/address, container port not published)', check: `\`ss -ltnp | grep :{port}\` and \`systemctl status ssh\` on the server; ${DOCTOR}` },
    { id: 'reject_rule', text: 'a firewall REJECT rule for port {port} (nftables/iptables `reject`, or a cloud firewall that rejects)', check: '`nft list ruleset` / `iptables -S` on the server: a `reject` for port {port}' },
    { id: 'ban_reject', text: 'your address is banned with a REJECT action (fail2ban, sshguard, CrowdSec)', check: '`fail2ban-client banned`, `nft list ruleset | grep -A3 f2b`; probing from another address tells a ban from a port rule' },
  ],
  no_answer: [
    { id: 'drop_rule', text: 'a firewall DROP rule for port {port} or for your address (host firewall, cloud security group / NACL, a ban with DROP)', check: '`nft list ruleset` / `iptables -S` on the server; the security group of the instance' },
    { id: 'wrong_address', text: 'wrong address: the machine is down, the address belongs to nobody, or it is a private address reachable only from inside (private vs public IP)', check: 'the address the server really has (`ip -br addr` there) and the DNS record' },
    { id: 'path_filter', text: 'a network on the way discards the traffic (corporate or ISP filter on port 22, a VPN that is down)', check: 'probe from another network, or `sshwarden probe HOST:443`-style tests of another port' },
  ],
  unreachable: [
    { id: 'no_route', text: 'no route from this machine to {address} (no default route, the VPN is down, IPv6 not available here)', check: '`ip route get {address}` on this machine' },
    { id: 'host_unreachable', text: 'a router or firewall answered "host unreachable" (ICMP reject rule or the host is down)', check: 'firewall rules with `reject with icmp …`' },
  ],
  intermittent: [
    { id: 'load_or_limits', text: 'attempts ended differently: an overloaded server, a rate limit (MaxStartups on OpenSSH ≤ 7.9 closes silently), or a load balancer with one bad backend', check: `run with a larger \`--repeat\`; server log at the probe time (\`sshwarden analyze\`); ${DOCTOR}` },
  ],
  address_specific: [
    { id: 'per_address_block', text: 'some addresses of the name work and others fail: a ban or firewall rule that covers one address family or one of your addresses (fail2ban bans single addresses)', check: '`fail2ban-client banned` and `nft list ruleset` on the server for the failing family' },
    { id: 'stale_record', text: 'a DNS record (A or AAAA) points at another machine, or sshd listens on one family only (`AddressFamily`, `ListenAddress`)', check: '`sshd -T | grep -Ei "addressfamily|listenaddress"` and the DNS records' },
  ],
};
