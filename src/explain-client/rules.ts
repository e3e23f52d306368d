/**
 * What `ssh -v` prints when a connection fails, as data: one rule per message shape (OpenSSH
 * client texts from ssh.c, sshconnect.c, sshconnect2.c, kex.c, readconf.c, authfile.c,
 * channels.c), anchored on the whole line, with what it means and the fix. The engine
 * (explain.ts) finds the matches, adds context (the offers, the keys tried, the ProxyJump) and
 * ranks them. Lower `priority` = closer to the root cause, shown first.
 */

/** Stable finding ids (JSON vocabulary: add, never rename). */
export type FindingId =
  | 'name_not_resolved'
  | 'connection_refused'
  | 'connect_timeout'
  | 'no_route'
  | 'http_banner'
  | 'non_ssh_banner'
  | 'maxstartups_refusal'
  | 'closed_before_banner'
  | 'reset_before_banner'
  | 'banner_timeout'
  | 'no_matching_algorithm'
  | 'host_key_changed'
  | 'host_key_unknown'
  | 'bad_permissions'
  | 'unprotected_key'
  | 'agent_refused'
  | 'agent_unavailable'
  | 'no_mutual_signature'
  | 'too_many_auth_failures'
  | 'permission_denied'
  | 'proxyjump_failed'
  | 'closed_by_server'
  | 'corrupted_mac'
  | 'bad_config'
  | 'success';

export interface LineRule {
  readonly id: FindingId;
  /** Anchored on one line of ssh's output (CR removed). Named groups feed the texts. */
  readonly pattern: RegExp;
  readonly priority: number;
  readonly title: string;
  readonly meaning: string;
  readonly fix: readonly string[];
}

const EXPLAIN = 'run `sshwarden probe HOST` from here to see what the port answers';

export const LINE_RULES: readonly LineRule[] = [
  {
    id: 'bad_config',
    pattern: /^(?<file>[^:]+): line (?<line>\d+): Bad configuration option: (?<option>\S+)$|^(?<file2>\S+): terminating, (?<n>\d+) bad configuration options$/,
    priority: 1,
    title: 'ssh_config has an option this ssh does not know',
    meaning: 'ssh stops before connecting: the configuration file has an option this OpenSSH version does not support (or a typo)',
    fix: ['fix or remove the named option; `ssh -G host` checks the configuration without connecting', 'for options of newer versions, guard them with `IgnoreUnknown`'],
  },
  {
    id: 'bad_permissions',
    pattern: /^Bad owner or permissions on (?<file>.+)$/,
    priority: 2,
    title: 'ssh refuses its own configuration file: bad owner or permissions',
    meaning: 'ssh will not read ~/.ssh/config (or a file it includes) that others can write or that another user owns, and stops',
    fix: ['`chmod 600 FILE` (and `chmod 700 ~/.ssh`), owned by you: `chown $USER FILE`'],
  },
  {
    id: 'name_not_resolved',
    pattern: /^ssh: Could not resolve hostname (?<host>\S+): (?<why>.+)$/,
    priority: 3,
    title: 'the host name does not resolve',
    meaning: 'DNS (or /etc/hosts) gives no address for this name, so ssh never connects',
    fix: ['check the spelling and `getent ahosts NAME`; a `HostName` in ~/.ssh/config may be wrong', 'a temporary failure means no DNS server is reachable from here (VPN, resolv.conf)'],
  },
  {
    id: 'connection_refused',
    pattern: /^ssh: connect to host (?<host>\S+) port (?<port>\d+): Connection refused$/,
    priority: 4,
    title: 'connection refused: nothing listens there, a REJECT rule, or a ban of your address',
    meaning: 'the TCP connection was refused (RST or ICMP port unreachable): sshd is not listening on that address and port, a firewall rejects, or your address is banned',
    fix: ['on the server: `ss -ltnp | grep sshd` (port and address sshd listens on), `systemctl status ssh`', 'a ban: `fail2ban-client banned`, `nft list ruleset`', EXPLAIN],
  },
  {
    id: 'connect_timeout',
    pattern: /^ssh: connect to host (?<host>\S+) port (?<port>\d+): (Connection|Operation) timed out$/,
    priority: 4,
    title: 'no answer to the TCP connection: a DROP rule, a wrong address, or a filter on the way',
    meaning: 'the SYN got no answer: a firewall DROP rule (host, security group, a ban with DROP), a wrong or private address, or a network filter',
    fix: ['check the address (public vs private), the firewall / security group for port 22 and your source address', EXPLAIN],
  },
  {
    id: 'no_route',
    pattern: /^ssh: connect to host (?<host>\S+) port (?<port>\d+): (?<why>No route to host|Network is unreachable|Host is unreachable)$/,
    priority: 4,
    title: 'no route to the server',
    meaning: 'this machine has no route there (VPN down, no IPv6 here) or a router answered "unreachable"',
    fix: ['`ip route get ADDRESS`; try `-4` or `-6`; check the VPN'],
  },
  {
    id: 'reset_before_banner',
    pattern: /^ssh: connect to host (?<host>\S+) port (?<port>\d+): Connection reset by peer$|^(debug1: )?(kex|ssh)_exchange_identification: (read|write): (Connection reset by peer|Broken pipe)$/,
    priority: 6,
    title: 'the server side reset the connection before the SSH banner',
    meaning: 'the TCP connection was accepted and then reset (RST) before any SSH identification: a firewall or IPS resetting, a forwarder with no backend, an overloaded listener',
    fix: ['server log at that time (`sshwarden analyze` there); firewall rules that reset established connections', EXPLAIN],
  },
  {
    id: 'banner_timeout',
    pattern: /^Connection timed out during banner exchange$/,
    priority: 6,
    title: 'connected, but no SSH banner came: tarpit, overloaded sshd, or a forward waiting for its backend',
    meaning: 'TCP connected, then the server said nothing until ssh gave up (ConnectTimeout)',
    fix: ['server load and `journalctl -u ssh`; the backend of any port forward', EXPLAIN],
  },
  {
    id: 'no_matching_algorithm',
    pattern: /^Unable to negotiate with (?<host>\S+) port (?<port>\d+): no matching (?<what>key exchange method|host key type|cipher|MAC|compression method) found\. Their offer: (?<offer>\S*)$|^no matching (?<what2>key exchange method|host key type|cipher|mac|comp(?:ression method)?) found: client (?<client>\S+) server (?<server>\S+)$/,
    priority: 8,
    title: 'no common algorithm between your client and the server',
    meaning: 'key exchange cannot start: no algorithm of this category is offered by both sides',
    fix: [],
  },
  {
    id: 'host_key_changed',
    pattern: /^@ +WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! +@$|^Host key for (?<host>\S+) has changed and you have requested strict checking\.$/,
    priority: 9,
    title: 'the server\'s host key is not the one you saved: REMOTE HOST IDENTIFICATION HAS CHANGED',
    meaning: 'ssh stopped before authentication because the host key differs from known_hosts: the server was reinstalled or its keys regenerated, the address now belongs to another machine, or someone is in the middle',
    fix: ['verify the new fingerprint out of band (console, the admin: `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the server)', 'then remove the old entry: `ssh-keygen -R HOST` (the exact command is printed above) and connect again'],
  },
  {
    id: 'host_key_unknown',
    pattern: /^No (?<type>\S+) host key is known for (?<host>\S+) and you have requested strict checking\.$/,
    priority: 9,
    title: 'the host key is unknown and strict checking is on',
    meaning: 'known_hosts has no key for this server and StrictHostKeyChecking (or BatchMode) forbids asking',
    fix: ['verify the fingerprint out of band, then add it: `ssh-keyscan -t ed25519 HOST >> ~/.ssh/known_hosts` (check what you add) or connect once interactively'],
  },
  {
    id: 'unprotected_key',
    pattern: /^Permissions (?<mode>0\d+) for '(?<file>.+)' are too open\.$|^@ +WARNING: UNPROTECTED PRIVATE KEY FILE! +@$/,
    priority: 10,
    title: 'your private key file is readable by others, so ssh ignores it',
    meaning: 'ssh refuses to use a private key that other users can read; the key is skipped and authentication goes on without it',
    fix: ['`chmod 600 KEYFILE` (and `chmod 700 ~/.ssh`)'],
  },
  {
    id: 'agent_refused',
    pattern: /^sign_and_send_pubkey: signing failed for (?<type>\S+) "(?<key>.*)" from agent: (?<why>agent refused operation|communication with agent failed)$|^sign_and_send_pubkey: signing failed: agent refused operation$/,
    priority: 11,
    title: 'the SSH agent refused to sign with the key the server accepted',
    meaning: 'the server accepted the key, but the agent would not sign: the key needs confirmation (ssh-add -c) and no askpass could ask you, a hardware token (FIDO/smartcard/gpg-agent) needs a touch or PIN, or the agent is locked',
    fix: ['confirm on the agent\'s prompt / touch the token; install an askpass (`ssh-askpass`) for `ssh-add -c` keys', 'gpg-agent: `gpg-connect-agent updatestartuptty /bye`; `ssh-add -l` to see the agent\'s keys', 'or use the key file directly: `ssh -o IdentityAgent=none -i KEY`'],
  },
  {
    id: 'agent_unavailable',
    pattern: /^Error connecting to agent: (?<why>.+)$|^Could not open a connection to your authentication agent\.$/,
    priority: 12,
    title: 'no SSH agent reachable',
    meaning: 'SSH_AUTH_SOCK is unset or points at a dead socket, so agent keys were not offered',
    fix: ['`eval "$(ssh-agent)"; ssh-add`, or fix SSH_AUTH_SOCK / IdentityAgent'],
  },
  {
    id: 'no_mutual_signature',
    pattern: /^sign_and_send_pubkey: no mutual signature supported$|^(debug1: )?send_pubkey_test: no mutual signature algorithm$/,
    priority: 12,
    title: 'no signature algorithm both sides accept for your (RSA) key',
    meaning: 'your client (OpenSSH 8.8+ disables SHA-1 `ssh-rsa` signatures) and the server (an old one that knows only `ssh-rsa`) share no signature algorithm for this key',
    fix: ['best: an ed25519 key (`ssh-keygen -t ed25519`) or upgrading the server', 'for this host only: `Host OLDHOST` + `PubkeyAcceptedAlgorithms +ssh-rsa` (and `HostkeyAlgorithms +ssh-rsa`) in ~/.ssh/config'],
  },
  {
    id: 'too_many_auth_failures',
    pattern: /^Received disconnect from (?<host>\S+) port (?<port>\d+):2: Too many authentication failures$|^Received disconnect from (?<host2>\S+): 2: Too many authentication failures/,
    priority: 13,
    title: 'too many authentication failures: ssh offered more keys than the server allows (MaxAuthTries)',
    meaning: 'each key offered counts as one attempt; with many keys in the agent or config the server disconnects before the right key is tried',
    fix: ['offer only the right key: `ssh -o IdentitiesOnly=yes -i ~/.ssh/KEY host` (or IdentitiesOnly + IdentityFile in ~/.ssh/config)', 'or remove keys from the agent (`ssh-add -D`); the server\'s limit is `MaxAuthTries` (default 6)'],
  },
  {
    id: 'corrupted_mac',
    pattern: /^Corrupted MAC on input\.$|^ssh_dispatch_run_fatal: Connection to (?<host>\S+) port (?<port>\d+): message authentication code incorrect$/,
    priority: 14,
    title: 'packets were corrupted on the way (MAC error)',
    meaning: 'a packet failed its integrity check: a broken middlebox, an MTU problem, NIC offload bugs, or bad RAM on either side',
    fix: ['try another cipher/MAC (`-c aes128-ctr -m hmac-sha2-256`) and a smaller MTU; check middleboxes'],
  },
  {
    id: 'permission_denied',
    pattern: /^(?<user>\S+)@(?<host>\S+): Permission denied \((?<methods>[^)]*)\)\.$|^Permission denied \((?<methods2>[^)]*)\)\.$/,
    priority: 20,
    title: 'the server refused every authentication method tried',
    meaning: 'the connection and key exchange worked; authentication failed',
    fix: [],
  },
  {
    id: 'closed_by_server',
    pattern: /^Connection closed by (?<host>(?!UNKNOWN)\S+) port (?<port>\d+)$|^Connection reset by (?<host2>(?!UNKNOWN)\S+) port (?<port2>\d+)$/,
    priority: 30,
    title: 'the server closed the connection',
    meaning: 'the server ended the connection',
    fix: ['server log at that time (`sshwarden analyze` there)'],
  },
];

/** A line that shows the input is ssh output at all (any verbosity). */
export const SSH_OUTPUT_MARKERS: readonly RegExp[] = [
  /^OpenSSH_\S+/,
  /^debug[123]: /,
  /^ssh: /,
  /^kex_exchange_identification: /,
  /^ssh_exchange_identification: /,
  /^Unable to negotiate with /,
  /Permission denied \(/,
  /^Host key verification failed\.$/,
  /^Received disconnect from /,
  /^Connection (closed|reset) by /,
  /^Connection timed out during banner exchange$/,
  /^Bad owner or permissions on /,
  /^@+$/,
  /^sign_and_send_pubkey: /,
  /^channel \d+: open failed: /,
  /^Authenticated to /,
];
