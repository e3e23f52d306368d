/**
 * The catalog as data: every shape compiles, trust is where it must be, and one real-looking
 * example line per shape (written from the format strings in openssh-log-catalog.md) is matched
 * by exactly that shape with the right fields.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CATALOG, CATALOG_BY_ID } from '../../src/catalog/index.ts';
import { matchText } from '../../src/events/index.ts';

test('catalog: ids are unique, every entry compiled, placeholders are trusted or client text by name', () => {
  assert.ok(CATALOG.length >= 120, `only ${CATALOG.length} shapes`);
  assert.equal(new Set(CATALOG.map((e) => e.id)).size, CATALOG.length);
  for (const e of CATALOG) {
    assert.ok(e.pattern.source.startsWith('^') && e.pattern.source.endsWith('$'), `${e.id}: pattern not anchored`);
    assert.ok(e.fullPattern.source.startsWith('^') && e.fullPattern.source.endsWith('$'), `${e.id}: full pattern not anchored`);
    assert.ok(e.meaning.length > 5 && e.versions.length > 0, `${e.id}: meaning/versions missing`);
    for (const f of e.fields) {
      if (['addr', 'port', 'laddr', 'lport', 'idFrom', 'idTo'].includes(f.name)) assert.equal(f.trusted, true, `${e.id}.${f.name} must be trusted`);
      if (['user', 'banner', 'msg', 'algs', 'alg', 'extra', 'host', 'rest'].includes(f.name)) assert.equal(f.trusted, false, `${e.id}.${f.name} must be client text`);
    }
  }
});

test('catalog: where client text precedes the address, the address fields are marked afterClientText', () => {
  for (const id of ['invalid-user', 'failed', 'accepted', 'connection-closed', 'disconnected', 'max-auth-attempts', 'tcp-wrappers-refused']) {
    const e = CATALOG_BY_ID.get(id)!;
    const addr = e.fields.find((f) => f.name === 'addr')!;
    assert.equal(addr.afterClientText, true, id);
  }
  for (const id of ['received-disconnect', 'unable-to-negotiate', 'connection-from', 'drop-connection', 'banner-exchange']) {
    const e = CATALOG_BY_ID.get(id)!;
    assert.notEqual(e.fields.find((f) => f.name === 'addr')!.afterClientText, true, id);
  }
});

/** [example message, expected id, expected addr, expected port, extra checks] */
const EXAMPLES: [string, string, string | null, number | null, Record<string, unknown>?][] = [
  ['Connection from 203.0.113.7 port 40001 on 192.0.2.1 port 22', 'connection-from', '203.0.113.7', 40001, { laddr: '192.0.2.1', lport: 22 }],
  ['Connection from 203.0.113.7 port 40001 on 192.0.2.1 port 22 rdomain ""', 'connection-from-rdomain', '203.0.113.7', 40001],
  ['Connection from 2001:db8::7 port 40001 on 2001:db8::1 port 22', 'connection-from', '2001:db8::7', 40001],
  ['Connection from ::ffff:203.0.113.7 port 40001 on ::ffff:192.0.2.1 port 22', 'connection-from', '203.0.113.7', 40001],
  ['drop connection #10 from [203.0.113.7]:40001 on [192.0.2.1]:22 past MaxStartups', 'drop-connection', '203.0.113.7', 40001, { text: 'past MaxStartups' }],
  ['drop connection #3 from [2001:db8::7]:40001 on [2001:db8::1]:22 past Maxstartups', 'drop-connection', '2001:db8::7', 40001],
  ['drop connection #3 from [203.0.113.7]:40001 on [192.0.2.1]:22 penalty: connections without attempting authentication', 'drop-connection', '203.0.113.7', 40001],
  ['error: beginning MaxStartups throttling', 'maxstartups-begin', null, null, { prefix: 'error' }],
  ['error: in MaxStartups throttling for 00:05:10, 17 connections dropped', 'maxstartups-in', null, null, { num: 17 }],
  ['exited MaxStartups throttling after 00:00:03, 5 connections dropped', 'maxstartups-exit', null, null, { num: 5 }],
  ['Maxstartups logging rate-limited: additional 12 connections dropped', 'maxstartups-ratelimited', null, null, { num: 12 }],
  ['PerSourcePenalties logging rate-limited: additional 4 connections dropped', 'penalties-ratelimited', null, null],
  ['fatal: Connection from 203.0.113.7 port 40001 with IP opts: 0x44', 'ip-opts', '203.0.113.7', 40001],
  ['error: accept: Too many open files', 'accept-error', null, null],
  ['error: fork: Cannot allocate memory', 'fork-error', null, null],
  ['fatal: rexec of /usr/lib/openssh/sshd-session failed: No such file or directory', 'rexec-failed', null, null],
  ['fatal: /usr/lib/openssh/sshd-session does not exist or is not executable', 'binary-missing', null, null],
  ['refused connect from scanner.example (203.0.113.7)', 'tcp-wrappers-refused', '203.0.113.7', null],
  ['Did not receive identification string from 203.0.113.7 port 40001', 'did-not-receive-ident', '203.0.113.7', 40001],
  ['Did not receive identification string from 203.0.113.7', 'did-not-receive-ident-legacy', '203.0.113.7', null],
  ["Bad protocol version identification 'GET / HTTP/1.1' from 203.0.113.7 port 40001", 'bad-protocol-version', '203.0.113.7', 40001, { clientText: 'GET / HTTP/1.1' }],
  ['Protocol major versions differ for 203.0.113.7 port 40001: SSH-2.0-OpenSSH_7.4 vs. SSH-1.5-x', 'protocol-major-differ-7', '203.0.113.7', 40001],
  ["probed from 203.0.113.7 port 40001 with Probe-1.0.  Don't panic.", 'probed', '203.0.113.7', 40001, { clientText: 'Probe-1.0' }],
  ["scanned from 203.0.113.7 port 40001 with SSH_Version_Mapper.  Don't panic.", 'scanned', '203.0.113.7', 40001],
  ['Could not write ident string to 203.0.113.7 port 40001', 'could-not-write-ident', '203.0.113.7', 40001],
  ['error: kex_exchange_identification: Connection closed by remote host', 'kex-ident-closed', null, null, { prefix: 'error' }],
  ['kex_exchange_identification: Connection closed by remote host', 'kex-ident-closed', null, null, { prefix: null }],
  ['kex_exchange_identification: Connection closed by remote host [preauth]', 'kex-ident-closed', null, null, { preauth: true }],
  ['error: kex_exchange_identification: read: Connection reset by peer', 'kex-ident-read', null, null, { text: 'Connection reset by peer' }],
  ['error: kex_exchange_identification: banner line contains invalid characters', 'kex-ident-invalid-chars', null, null],
  ['error: kex_exchange_identification: banner line too long', 'kex-ident-too-long', null, null],
  ['error: kex_exchange_identification: client sent invalid protocol identifier "GET / HTTP/1.1"', 'kex-ident-invalid-identifier', null, null, { clientText: 'GET / HTTP/1.1' }],
  ['error: kex_exchange_identification: write: Broken pipe', 'kex-ident-write', null, null],
  ["error: Bad remote protocol version identification: 'SSH-x'", 'bad-remote-protocol-version', null, null],
  ['error: Protocol major versions differ: 2 vs. 1', 'protocol-major-differ', null, null],
  ['banner exchange: Connection from 203.0.113.7 port 40001: invalid format', 'banner-exchange', '203.0.113.7', 40001, { text: 'invalid format' }],
  ['banner exchange: Connection from 203.0.113.7 port 40001: could not read protocol version', 'banner-exchange', '203.0.113.7', 40001],
  ['error: send_error: write: Broken pipe', 'send-error', null, null],
  ['Connection closed by 203.0.113.7 port 40001', 'connection-closed', '203.0.113.7', 40001, { preauth: false }],
  ['Connection closed by 203.0.113.7 port 40001 [preauth]', 'connection-closed', '203.0.113.7', 40001, { preauth: true }],
  ['Connection closed by authenticating user root 203.0.113.7 port 40001 [preauth]', 'connection-closed', '203.0.113.7', 40001, { user: 'root', invalidUser: false }],
  ['Connection closed by invalid user admin 203.0.113.7 port 40001 [preauth]', 'connection-closed', '203.0.113.7', 40001, { user: 'admin', invalidUser: true }],
  ['Connection closed by invalid user  203.0.113.7 port 40001 [preauth]', 'connection-closed', '203.0.113.7', 40001, { user: '' }],
  ['Connection closed by 203.0.113.7', 'connection-closed-legacy', '203.0.113.7', null],
  ['Connection reset by 203.0.113.7 port 40001', 'connection-reset', '203.0.113.7', 40001],
  ['Connection reset by authenticating user root 203.0.113.7 port 40001 [preauth]', 'connection-reset', '203.0.113.7', 40001, { user: 'root' }],
  ['fatal: Read from socket failed: Connection reset by peer [preauth]', 'read-socket-failed', null, null],
  ['Connection from 203.0.113.7 port 40001 timed out [preauth]', 'connection-timed-out', '203.0.113.7', 40001],
  ['Unable to negotiate with 203.0.113.7 port 40001: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1 [preauth]', 'unable-to-negotiate', '203.0.113.7', 40001, { text: 'key exchange method', clientText: 'diffie-hellman-group1-sha1' }],
  ['Unable to negotiate with 203.0.113.7 port 40001: no matching host key type found. Their offer: ssh-dss [preauth]', 'unable-to-negotiate', '203.0.113.7', 40001, { text: 'host key type' }],
  ['fatal: Unable to negotiate a key exchange method [preauth]', 'unable-to-negotiate-legacy', null, null],
  ['fatal: no matching mac found: client hmac-xxx server hmac-yyy [preauth]', 'no-matching-legacy', null, null],
  ['ssh_dispatch_run_fatal: Connection from 203.0.113.7 port 40001: message authentication code incorrect [preauth]', 'connection-fatal', '203.0.113.7', 40001, { text: 'message authentication code incorrect' }],
  ['ssh_dispatch_run_fatal: Connection from authenticating user root 203.0.113.7 port 40001: Connection corrupted [preauth]', 'connection-fatal', '203.0.113.7', 40001, { user: 'root' }],
  ['error: kex_protocol_error: type 30 seq 1 [preauth]', 'kex-protocol-error', null, null],
  ['Bad packet length 1349676916. [preauth]', 'bad-packet-length', null, null],
  ['Corrupted MAC on input. [preauth]', 'corrupted-mac', null, null],
  ['Invalid user admin from 203.0.113.7 port 40001', 'invalid-user', '203.0.113.7', 40001, { user: 'admin' }],
  ['Invalid user  from 203.0.113.7 port 40001', 'invalid-user', '203.0.113.7', 40001, { user: '' }],
  ['Invalid user ftp from 203.0.113.7', 'invalid-user-legacy', '203.0.113.7', null],
  ['input_userauth_request: invalid user root [preauth]', 'input-userauth-invalid-user', null, null, { user: 'root' }],
  ['User child is on pid 4242', 'user-child-pid', null, null, { pidRef: 4242 }],
  ['User root from 203.0.113.7 not allowed because not listed in AllowUsers', 'user-not-allowed-from', '203.0.113.7', null, { user: 'root' }],
  ['User root from host.example not allowed because not listed in AllowUsers', 'user-not-allowed-from', null, null, { user: 'root' }],
  ['error: PAM: User not known to the underlying authentication module for illegal user kernel from 203.0.113.7 ', 'pam-sshd-failure', '203.0.113.7', null, { user: 'kernel', invalidUser: true }],
  ['error: PAM: authentication error for james from 203.0.113.7 via 192.0.2.1', 'pam-sshd-failure', '203.0.113.7', null, { user: 'james' }],
  ['error: PAM: Authentication failure for james from example.com', 'pam-sshd-failure', null, null],
  ['SSH: Server;Ltype: Version;Remote: 203.0.113.7-1780;Protocol: 2.0;Client: libssh2_1.4.3', 'vendor-audit-version', '203.0.113.7', 1780],
  ['SSH: Server;Ltype: Authname;Remote: 203.0.113.7-1780;Name: root [preauth]', 'vendor-audit-authname', '203.0.113.7', 1780, { user: 'root' }],
  ['User root not allowed because account is locked', 'user-not-allowed', null, null],
  ['Failed password for root from 203.0.113.7 port 40001 ssh2', 'failed', '203.0.113.7', 40001, { user: 'root', method: 'password', invalidUser: false }],
  ['Failed password for invalid user test from 203.0.113.7 port 40001 ssh2', 'failed', '203.0.113.7', 40001, { user: 'test', invalidUser: true }],
  ['Failed none for invalid user  from 203.0.113.7 port 40001 ssh2', 'failed', '203.0.113.7', 40001, { user: '', method: 'none' }],
  ['Failed publickey for git from 203.0.113.7 port 40001 ssh2: RSA SHA256:v3dpapGleDaUKf4V1vKyR9ZyUgjaJAm', 'failed-key', '203.0.113.7', 40001, { method: 'publickey' }],
  ['Failed keyboard-interactive/pam for invalid user jamedds from 203.0.113.7 port 40001 ssh2', 'failed', '203.0.113.7', 40001, { method: 'keyboard-interactive/pam' }],
  ['Failed password for invalid user ROOT from 2001:db8::7 port 12345', 'failed-legacy', '2001:db8::7', 12345],
  ['Failed password for invalid user ROOT from 2001:db8::7', 'failed-legacy-noport', '2001:db8::7', null],
  ['Accepted publickey for alice from 203.0.113.7 port 40001 ssh2: ED25519 SHA256:L74qhySVsg4rZ4PVEjYg8XQRjNOoj4m3X9CPAeWltD0', 'accepted-key', '203.0.113.7', 40001, { user: 'alice', method: 'publickey' }],
  ['Accepted password for alice from 203.0.113.7 port 40001 ssh2', 'accepted', '203.0.113.7', 40001],
  ['Postponed publickey for git from 203.0.113.7 port 40001 ssh2 [preauth]', 'postponed', '203.0.113.7', 40001],
  ['Partial publickey for git from 203.0.113.7 port 40001 ssh2: ED25519 SHA256:abc', 'partial-key', '203.0.113.7', 40001],
  ['error: maximum authentication attempts exceeded for invalid user xxx from 203.0.113.7 port 40001 ssh2 [preauth]', 'max-auth-attempts', '203.0.113.7', 40001, { user: 'xxx', invalidUser: true }],
  ['ROOT LOGIN REFUSED FROM 203.0.113.7 port 40001 [preauth]', 'root-login-refused', '203.0.113.7', 40001],
  ['ROOT LOGIN REFUSED FROM ::ffff:203.0.113.7', 'root-login-refused-legacy', '203.0.113.7', null],
  ['administratively prohibited connection for invalid user bob from 203.0.113.7 port 40001', 'administratively-prohibited', '203.0.113.7', 40001],
  ['userauth_pubkey: signature algorithm ssh-rsa not in PubkeyAcceptedAlgorithms [preauth]', 'userauth-pubkey', null, null],
  ['refusing previously-used ED25519 key [preauth]', 'refusing-previously-used-key', null, null],
  ['error: PAM: pam_open_session(): Permission denied', 'pam-sshd-message', null, null],
  ['fatal: Access denied for user bob by PAM account configuration [preauth]', 'pam-access-denied', null, null],
  ['PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root', 'pam-more-failures', null, null],
  ['PAM service(sshd) ignoring max retries; 6 > 3', 'pam-ignoring-max-retries', null, null],
  ['pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7  user=root', 'pam-auth-failure-rhost', '203.0.113.7', null],
  ['pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=scanner.example  user=root', 'pam-auth-failure-rhost', null, null],
  ['pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.7', 'pam-auth-failure-rhost-end', '203.0.113.7', null],
  ['pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost= user=root', 'pam-auth-failure', null, null],
  ['pam_unix(sshd:session): session opened for user root(uid=0) by (uid=0)', 'pam-session-opened', null, null],
  ['pam_unix(sshd:session): session closed for user root', 'pam-session-closed', null, null],
  ['pam_unix(sshd:auth): check pass; user unknown', 'pam-other', null, null],
  ['pam_systemd(sshd:session): Failed to connect to system bus: No such file or directory', 'pam-other', null, null],
  ['error: Could not get shadow information for NOUSER', 'no-shadow-info', null, null],
  ['Authentication refused: bad ownership or modes for directory /home/bob', 'authentication-refused', null, null],
  ['reverse mapping checking getaddrinfo for host.example [203.0.113.7] failed - POSSIBLE BREAK-IN ATTEMPT!', 'reverse-mapping-failed', '203.0.113.7', null],
  ['Nasty PTR record "1.2.3.4" is set up for 203.0.113.7, ignoring', 'nasty-ptr', '203.0.113.7', null],
  ['Address 203.0.113.7 maps to host.example, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!', 'address-maps-to', '203.0.113.7', null],
  ['fatal: Timeout before authentication for 203.0.113.7 port 40001', 'grace-timeout', '203.0.113.7', 40001, { prefix: 'fatal' }],
  ['Timeout before authentication for connection from 203.0.113.7 to 192.0.2.1, pid = 29098', 'grace-timeout-listener', null, null, { pidRef: 29098, idFrom: '203.0.113.7', idTo: '192.0.2.1' }],
  ['Timeout before authentication for connection from 203.0.113.7 to 192.0.2.1, pid = 29098 (early)', 'grace-timeout-listener', null, null, { pidRef: 29098 }],
  ['Session process 4242 unpriv child crash for connection from 203.0.113.7 to 192.0.2.1', 'session-unpriv-crash', null, null, { pidRef: 4242 }],
  ['error: session process 4242 for connection from 203.0.113.7 to 192.0.2.1 killed by signal 11', 'session-killed', null, null],
  ['error: session process 4242 for connection from 203.0.113.7 to 192.0.2.1 terminated abnormally, status=0x100', 'session-abnormal', null, null],
  ['srclimit_penalise: ipv4: new 203.0.113.7/32 deferred penalty of 1 seconds for penalty: connections without attempting authentication', 'penalty-new', '203.0.113.7', null],
  ['srclimit_penalise: 203.0.113.7/32: activating ipv4 penalty of 15.000 seconds for penalty: failed authentication', 'penalty-activating', '203.0.113.7', null],
  ['srclimit_penalise: ipv6 penalty table full, cannot penalise 2001:db8::/64 for penalty: caused crash', 'penalty-table-full', '2001:db8::', null],
  ['Received disconnect from 203.0.113.7 port 40001:11: Bye Bye [preauth]', 'received-disconnect', '203.0.113.7', 40001, { num: 11, clientText: ' Bye Bye' }],
  ['error: Received disconnect from 203.0.113.7 port 40001:3: com.jcraft.jsch.JSchException: Auth fail [preauth]', 'received-disconnect', '203.0.113.7', 40001, { num: 3 }],
  ['Received disconnect from 203.0.113.7: 11: Bye Bye [preauth]', 'received-disconnect-legacy', '203.0.113.7', null],
  ['Disconnected from 203.0.113.7 port 40001 [preauth]', 'disconnected', '203.0.113.7', 40001],
  ['Disconnected from user alice 203.0.113.7 port 40001', 'disconnected', '203.0.113.7', 40001, { user: 'alice' }],
  ['Disconnecting invalid user xxx 203.0.113.7 port 40001: Too many authentication failures [preauth]', 'disconnecting-too-many', '203.0.113.7', 40001, { user: 'xxx' }],
  ['Disconnecting: Too many authentication failures [preauth]', 'disconnecting-too-many-legacy', null, null],
  ['Disconnecting: Too many authentication failures for root [preauth]', 'disconnecting-too-many-legacy', null, null],
  ['Disconnecting invalid user admin 203.0.113.7 port 40001: Change of username or service not allowed: (admin,ssh-connection) -> (root,ssh-connection) [preauth]', 'disconnecting-change-of-user', '203.0.113.7', 40001, { user: 'admin' }],
  ['Disconnecting authenticating user root 203.0.113.7 port 40001: Change of username or service not allowed: (bob,ssh-connection) -> (root,ssh-connection) [preauth]', 'disconnecting-other', null, null],
  ['Read error from remote host 203.0.113.7 port 40001: Connection reset by peer', 'read-error', '203.0.113.7', 40001],
  ['Timeout, client not responding from user alice 203.0.113.7 port 40001', 'client-not-responding', '203.0.113.7', 40001],
  ['Timeout, client not responding.', 'client-not-responding-legacy', null, null],
  ['terminating inactive connection from user alice 203.0.113.7 port 40001', 'terminating-inactive', '203.0.113.7', 40001],
  ['Starting session: shell on pts/0 for alice from 203.0.113.7 port 40001 id 0', 'starting-session', null, null],
  ['Transferred: sent 2960, received 2352 bytes', 'transferred', null, null],
  ['Closing connection to 203.0.113.7 port 40001', 'closing-connection', '203.0.113.7', 40001],
  ['Exiting on signal 15', 'exiting-on-signal', null, null],
  ['Server listening on 0.0.0.0 port 22.', 'server-listening', null, null, { laddr: '0.0.0.0', lport: 22 }],
  ['Server listening on :: port 22.', 'server-listening', null, null, { laddr: '::' }],
  ['error: Bind to port 22 on 0.0.0.0 failed: Address already in use.', 'bind-failed', null, null],
  ['fatal: Cannot bind any address.', 'cannot-bind', null, null],
  ['error: Could not load host key: /etc/ssh/ssh_host_ed25519_key', 'could-not-load-host-key', null, null],
  ['Unable to load host key "/etc/ssh/ssh_host_ed25519_key": No such file or directory', 'unable-to-load-host-key-err', null, null],
  ['Unable to load host key: /etc/ssh/ssh_host_ed25519_key', 'unable-to-load-host-key', null, null],
  ['sshd: no hostkeys available -- exiting.', 'no-hostkeys', null, null],
  ['fatal: Missing privilege separation directory: /run/sshd', 'missing-privsep-dir', null, null],
  ['fatal: setgroups: Operation not permitted [preauth]', 'setgroups-failed', null, null],
  ['fatal: chroot("/run/sshd"): Operation not permitted [preauth]', 'chroot-failed', null, null],
  ['fatal: privsep_preauth: exec of /usr/lib/openssh/sshd-auth failed: No such file or directory', 'privsep-exec-failed', null, null],
  ['Received signal 15; terminating.', 'received-signal', null, null],
  ['Received SIGHUP; restarting.', 'received-sighup', null, null],
  ['Connection from 203.0.113.7 port 40001', 'connection-from-legacy', '203.0.113.7', 40001],
  ['error: kex_exchange_identification: something new', 'kex-ident-other', null, null],
  ['Connection reset by 203.0.113.7', 'connection-reset-legacy', '203.0.113.7', null],
  ['padding error: need 4 block 8 mod 4 [preauth]', 'padding-error', null, null],
  ['Partial password for alice from 203.0.113.7 port 40001 ssh2', 'partial', '203.0.113.7', 40001],
  ['pam_tally2: something', 'pam-other-noservice', null, null],
  ['subsystem request for sftp by user alice', 'subsystem-request', null, null],
  ['Close session: user alice from 203.0.113.7 port 40001 id 0', 'close-session', null, null],
  ['Changed root directory to "/srv/sftp"', 'changed-root', null, null],
  ['Server listening on 0.0.0.0 port 22 rdomain 3.', 'server-listening-rdomain', null, null],
  ['RESTART FAILED: av[0]=\'/usr/sbin/sshd\', error: No such file or directory.', 'restart-failed', null, null],
  ['SSH: Server;Ltype: Something;Remote: x', 'vendor-audit', null, null],
  ['Accepted key ED25519 SHA256:abc found at /home/a/.ssh/authorized_keys:1', 'accepted-key-found', null, null],
  ['error: Refusing certificate ID "x" serial=1 signed by ED25519 CA SHA256:abc via /etc/ssh/ca', 'refusing-certificate', null, null],
  // prefixes: LogVerbose source tags and unknown function-name prefixes are skipped
  ['sshd.c:main():1234 (bin=sshd, pid=77): Connection from 203.0.113.7 port 40001 on 192.0.2.1 port 22', 'connection-from', '203.0.113.7', 40001],
  ['error: packet.c:sshpkt_vfatal():2041: Connection reset by 203.0.113.7 port 40001 [preauth]', 'connection-reset', '203.0.113.7', 40001],
  ['ssh_packet_write_wait: Connection from 203.0.113.7 port 40001: Broken pipe [preauth]', 'connection-fatal', '203.0.113.7', 40001],
];

test('catalog: one example per shape is matched by that shape, with its fields', () => {
  for (const [msg, id, addr, port, extra] of EXAMPLES) {
    const ev = matchText(msg);
    assert.equal(ev.type, id, `${msg}`);
    assert.equal(ev.addr, addr, `${msg}: addr`);
    assert.equal(ev.port, port, `${msg}: port`);
    for (const [k, v] of Object.entries(extra ?? {})) assert.deepEqual((ev as unknown as Record<string, unknown>)[k], v, `${msg}: ${k}`);
  }
  const covered = new Set(EXAMPLES.map((e) => e[1]));
  const missing = CATALOG.filter((e) => !covered.has(e.id)).map((e) => e.id);
  // Every shape has an example except a handful of rare legacy/vendor forms.
  assert.ok(missing.length <= 12, `shapes without an example: ${missing.join(', ')}`);
});

test('catalog: unknown sshd text is unrecognised, debug lines are recognised as debug', () => {
  assert.equal(matchText('something sshd never wrote').type, 'unrecognised');
  assert.equal(matchText('').type, 'unrecognised');
  assert.equal(matchText('debug1: Forked child 4242.').type, 'debug');
  assert.equal(matchText('debug1: Connection from 203.0.113.7 port 40001 on 192.0.2.1 port 22').type, 'connection-from');
});
