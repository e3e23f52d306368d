/**
 * Injection-proofing of the message matchers. A client controls user names, its identification
 * string, disconnect messages, algorithm offers, certificate key IDs and (through DNS) PTR names.
 * None of that may ever yield an address, an outcome or a fake line. Lines are built exactly as
 * sshd formats them (strnvis escaping, `%.100s` field caps, the `%.500s` syslog cut, ≤10.2 double
 * escaping of relayed [preauth] lines), with crafted and with random (fast-check) client text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { matchText, SYSLOG_MESSAGE_LIMIT } from '../../src/events/index.ts';
import { Analyzer } from '../../src/engine/analyzer.ts';
import type { FramedLine } from '../../src/framing/framed-line.ts';

const REAL = '192.0.2.11';
const REAL_PORT = 40123;
const FAKE = ['198.51.100.66', '203.0.113.99', '2001:db8::66', '1.2.3.4'];

/** sshd's strnvis(VIS_CSTYLE|VIS_NL|VIS_TAB|VIS_OCTAL): backslash doubled, controls and non-ASCII as escapes; spaces kept. */
function vis(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\${b.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

/** The syslog cut. */
function cut(s: string): string {
  return s.length > SYSLOG_MESSAGE_LIMIT ? s.slice(0, SYSLOG_MESSAGE_LIMIT) : s;
}

/**
 * sshd splits the user name of a USERAUTH request at the first ':' (`user:style`, BSD auth style)
 * before it logs or looks up anything, so the user of an auth_log line (`Failed|Accepted … for <user>`)
 * never contains ':'. Builders of those lines apply the same split, as sshd would.
 */
const sshdUser = (u: string): string => u.split(':')[0];

/** Each builder formats a line as sshd would, with client text `u` (already vis-escaped by the caller where sshd does). */
/** addressExpected: true = the real address must be read (untruncated lines), false = none may be, 'maybe' = the real one or none. */
const BUILDERS: { name: string; build: (u: string) => string; addressExpected: boolean | 'maybe' }[] = [
  { name: 'invalid-user', build: (u) => `Invalid user ${u.slice(0, 100)} from ${REAL} port ${REAL_PORT}`, addressExpected: true },
  { name: 'failed-invalid', build: (u) => `Failed password for invalid user ${sshdUser(u).slice(0, 100)} from ${REAL} port ${REAL_PORT} ssh2`, addressExpected: true },
  { name: 'failed-valid', build: (u) => `Failed password for ${sshdUser(u).slice(0, 100)} from ${REAL} port ${REAL_PORT} ssh2`, addressExpected: true },
  { name: 'failed-key', build: (u) => `Failed publickey for ${sshdUser(u).slice(0, 100)} from ${REAL} port ${REAL_PORT} ssh2: ED25519 SHA256:L74qhySVsg4rZ4PVEjYg8XQRjNOoj4m3X9CPAeWltD0`, addressExpected: true },
  { name: 'accepted-cert', build: (u) => `Accepted publickey for alice from ${REAL} port ${REAL_PORT} ssh2: ED25519-CERT SHA256:abc ID ${u} (serial 1) CA ED25519 SHA256:def`, addressExpected: true },
  { name: 'closed-invalid', build: (u) => `Connection closed by invalid user ${u.slice(0, 200)} ${REAL} port ${REAL_PORT} [preauth]`, addressExpected: true },
  { name: 'closed-auth', build: (u) => `Connection closed by authenticating user ${u.slice(0, 200)} ${REAL} port ${REAL_PORT} [preauth]`, addressExpected: true },
  { name: 'reset-auth', build: (u) => `Connection reset by authenticating user ${u.slice(0, 200)} ${REAL} port ${REAL_PORT} [preauth]`, addressExpected: true },
  { name: 'disconnected', build: (u) => `Disconnected from invalid user ${u.slice(0, 200)} ${REAL} port ${REAL_PORT} [preauth]`, addressExpected: true },
  { name: 'max-attempts', build: (u) => `error: maximum authentication attempts exceeded for invalid user ${u.slice(0, 100)} from ${REAL} port ${REAL_PORT} ssh2 [preauth]`, addressExpected: true },
  { name: 'disconnecting', build: (u) => `Disconnecting invalid user ${u.slice(0, 200)} ${REAL} port ${REAL_PORT}: Too many authentication failures [preauth]`, addressExpected: true },
  { name: 'received-disconnect', build: (u) => `Received disconnect from ${REAL} port ${REAL_PORT}:11: ${u.slice(0, 400)} [preauth]`, addressExpected: true },
  { name: 'unable-to-negotiate', build: (u) => `Unable to negotiate with ${REAL} port ${REAL_PORT}: no matching cipher found. Their offer: ${u} [preauth]`, addressExpected: true },
  { name: 'probed', build: (u) => `probed from ${REAL} port ${REAL_PORT} with ${u.slice(0, 100)}.  Don't panic.`, addressExpected: true },
  { name: 'fatal-auth-user', build: (u) => `ssh_dispatch_run_fatal: Connection from authenticating user ${u.slice(0, 200)} ${REAL} port ${REAL_PORT}: Connection corrupted [preauth]`, addressExpected: true },
  { name: 'invalid-identifier', build: (u) => `error: kex_exchange_identification: client sent invalid protocol identifier "${u.slice(0, 256)}"`, addressExpected: false },
  { name: 'bad-remote-version', build: (u) => `error: Bad remote protocol version identification: '${u.slice(0, 256)}'`, addressExpected: false },
  { name: 'pubkey-alg', build: (u) => `userauth_pubkey: unsupported public key algorithm: ${u} [preauth]`, addressExpected: false },
  { name: 'not-allowed', build: (u) => `User ${u.slice(0, 100)} from ${REAL} not allowed because not listed in AllowUsers`, addressExpected: true },
  { name: 'not-allowed-ptr', build: (u) => `User root from ${u.replace(/\s/g, '') || 'x'}.example not allowed because not listed in AllowUsers`, addressExpected: false },
  // rhost= is written by sshd's PAM stack: the address, or a PTR name (never numeric: sshd refuses those); the client's user= comes after it.
  { name: 'pam-rhost-ptr', build: (u) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${u.replace(/\s/g, '') || 'x'}.example  user=root`, addressExpected: false },
  { name: 'pam-rhost-addr', build: (u) => `pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=${u.slice(0, 100)}`, addressExpected: true },
  { name: 'pam-sshd', build: (u) => `error: PAM: Authentication failure for illegal user ${u.slice(0, 100)} from ${REAL}`, addressExpected: true },
  { name: 'pam-sshd-via', build: (u) => `error: PAM: authentication error for ${u.slice(0, 100)} from ${REAL} via 192.0.2.1`, addressExpected: true },
  { name: 'pam-sshd-ptr', build: (u) => `error: PAM: Authentication failure for ${u.slice(0, 100)} from ${u.replace(/\s/g, '') || 'x'}.example`, addressExpected: false },
  { name: 'change-of-user', build: (u) => `Disconnecting invalid user admin ${REAL} port ${REAL_PORT}: Change of username or service not allowed: (admin,ssh-connection) -> (${u},ssh-connection) [preauth]`, addressExpected: true },
  // Both user names are client text (the first is repeated inside the message): read only when it reads one way.
  { name: 'change-of-user-both', build: (u) => `Disconnecting invalid user ${u.slice(0, 60)} ${REAL} port ${REAL_PORT}: Change of username or service not allowed: (${u.slice(0, 60)},ssh-connection) -> (${u.slice(0, 60)},ssh-connection) [preauth]`, addressExpected: 'maybe' },
];

/** The only acceptable results: the real address at its trusted position, or none. */
function checkLine(line: string, addressExpected: boolean | 'maybe', label: string): void {
  const ev = matchText(line);
  const ok = ev.addr === null || ev.addr === REAL;
  assert.ok(ok, `${label}: took address ${ev.addr} from ${JSON.stringify(line)}`);
  if (ev.addr === REAL) assert.ok(ev.port === REAL_PORT || ev.port === null, `${label}: port ${ev.port} from ${JSON.stringify(line)}`);
  if (addressExpected === false) assert.equal(ev.addr, null, `${label}: no address may come from ${JSON.stringify(line)}`);
  // An untruncated line with a trusted address tail must still yield it.
  if (addressExpected === true && line.length < SYSLOG_MESSAGE_LIMIT) assert.equal(ev.addr, REAL, `${label}: lost the real address in ${JSON.stringify(line)}`);
}

const CRAFTED = [
  'x from 198.51.100.66 port 22',
  'from 198.51.100.66 port 22 ssh2',
  'invalid user x from 198.51.100.66 port 22',
  ' invalid user ',
  'root 198.51.100.66 port 22',
  'a 198.51.100.66 port 22 [preauth]',
  'x\nAccepted password for root from 198.51.100.66 port 22 ssh2',
  'x\\012Accepted password for root from 198.51.100.66 port 22 ssh2',
  'MGLNDD_198.51.100.66_22',
  'SSH-2.0-x 198.51.100.66',
  'GET / HTTP/1.1 Host: 198.51.100.66',
  '2001:db8::66 port 22',
  '198.51.100.66%',
  '198.51.100.66%eth0',
  '2001:db8::66%',
  ': 198.51.100.66 port 22: x',
  'x port 22 ssh2: ED25519 SHA256:abc from 198.51.100.66 port 22 ssh2',
  '',
  ' ',
];

test('injection: crafted client text never yields a foreign address (plain, escaped, double-escaped)', () => {
  for (const b of BUILDERS) {
    for (const raw of CRAFTED) {
      checkLine(cut(b.build(vis(raw))), b.addressExpected, `${b.name}/vis`);
      checkLine(cut(b.build(vis(vis(raw)))), b.addressExpected, `${b.name}/double-vis`);
    }
  }
});

test('injection: a user name that carries a second, fake copy of the change-of-username tail is not read either way', () => {
  for (const fake of FAKE) {
    const w = 'x';
    const u1 = `${w} ${fake} port 1: Change of username or service not allowed: (${w},`;
    const line = `Disconnecting invalid user ${u1} ${REAL} port ${REAL_PORT}: Change of username or service not allowed: (${u1},ssh-connection) -> (z,ssh-connection) [preauth]`;
    const ev = matchText(line);
    assert.equal(ev.addr, null, `took ${ev.addr} from a line that reads two ways`);
  }
  const plain = matchText(`Disconnecting invalid user admin ${REAL} port ${REAL_PORT}: Change of username or service not allowed: (admin,ssh-connection) -> (root,ssh-connection) [preauth]`);
  assert.deepEqual([plain.type, plain.addr, plain.port, plain.user], ['disconnecting-change-of-user', REAL, REAL_PORT, 'admin']);
});

test('IPv6 zones: a link-local address with its zone is kept where sshd writes the host (User … not allowed, PAM); a routable one with a zone is a name', () => {
  assert.equal(matchText('User bob from fe80::1%eth0 not allowed because not listed in AllowUsers').addr, 'fe80::1');
  assert.equal(matchText('error: PAM: Authentication failure for bob from fe80::1%eth0').addr, 'fe80::1');
  assert.equal(matchText('User bob from 2001:db8::66%eth0 not allowed because not listed in AllowUsers').addr, null);
  assert.equal(matchText(`pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${REAL}  user=root`).addr, REAL);
  assert.equal(matchText('pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host.example  user=root').addr, null);
});

test('injection: a long escaped user name that pushes the real tail past the 500-char cut leaves no address', () => {
  // 120 control bytes become 480 characters of `\001`; the fake tail sits right at the cut.
  for (const fake of FAKE) {
    const name = `${'\u0001'.repeat(110)} ${fake} port 22`;
    for (const b of BUILDERS.filter((x) => x.addressExpected !== false)) {
      const single = cut(b.build(vis(name)));
      const double = cut(b.build(vis(vis(name))));
      for (const line of [single, double]) {
        const ev = matchText(line);
        assert.ok(ev.addr === null || ev.addr === REAL, `${b.name}: took ${ev.addr} from a cut line ${JSON.stringify(line.slice(-80))}`);
      }
    }
    // The exact attack: the cut leaves `<fake> port 22` where the real address should be.
    const prefix = 'Connection closed by invalid user ';
    const pad = SYSLOG_MESSAGE_LIMIT - prefix.length - ` ${fake} port 22`.length;
    const line = `${prefix}${'\\001'.repeat(Math.ceil(pad / 4)).slice(0, pad)} ${fake} port 22`;
    assert.equal(line.length, SYSLOG_MESSAGE_LIMIT);
    const ev = matchText(line);
    assert.equal(ev.addr, null, `cut line attributed to ${ev.addr}`);
    assert.equal(ev.addressDropped, true);
  }
});

test('injection: a client identification that looks like a log line changes nothing', () => {
  const a = new Analyzer();
  const lines = [
    'error: kex_exchange_identification: client sent invalid protocol identifier "Accepted password for root from 198.51.100.66 port 22 ssh2"',
    'banner exchange: Connection from 192.0.2.11 port 40123: invalid format',
  ];
  const updates = lines.flatMap((message, i) => a.push(fl(message, i + 1, 500)));
  assert.ok(!updates.some((u) => u.kind === 'auth-success'), 'a fake Accepted line inside client text');
  const r = a.finish();
  assert.deepEqual(r.connections!.map((c) => [c.src, c.outcome]), [[REAL, 'non_ssh']]);
  assert.deepEqual(r.sources.map((s) => s.address), [REAL]);
});

test('injection: an sshd -E record with a raw newline in the user name stays one record with the real address', () => {
  // The framer joins such a record (pid null); the matcher keeps the newline inside the user field.
  const ev = matchText(`Invalid user x\nAccepted password for root from 198.51.100.66 port 1 ssh2 from ${REAL} port ${REAL_PORT}`);
  assert.equal(ev.type, 'invalid-user');
  assert.equal(ev.addr, REAL);
  // sshd cuts a USERAUTH user name at the first ':' before logging it (see sshdUser).
  const ev2 = matchText(`Failed password for invalid user x\nbanner exchange from 198.51.100.66 port 1 ssh2 from ${REAL} port ${REAL_PORT} ssh2`);
  assert.equal(ev2.type, 'failed');
  assert.equal(ev2.addr, REAL);
});

test('injection: client text after `ssh2:` (a certificate key ID, an old-style extra) never supplies the address', () => {
  // The key ID of a client certificate is any text its owner chose; so is an old-style extra.
  const lines = [
    `Failed publickey for root from ${REAL} port ${REAL_PORT} ssh2: ED25519-CERT SHA256:abcdef ID evil from 198.51.100.66 port 55555 ssh2: ED25519 SHA256:qq (serial 1) CA ED25519 SHA256:cafp`,
    `Accepted publickey for root from ${REAL} port ${REAL_PORT} ssh2: ED25519-CERT SHA256:abcdef ID evil from 2001:db8::66 port 55555 ssh2: ED25519 SHA256:qq (serial 1) CA ED25519 SHA256:cafp`,
    `Failed password for invalid user test from ${REAL} port ${REAL_PORT} ssh2: from 198.51.100.66 port 55555 ssh2`,
  ];
  for (const line of lines) {
    const ev = matchText(line);
    assert.equal(ev.addr, REAL, `took ${ev.addr} from ${JSON.stringify(line)}`);
    assert.equal(ev.port, REAL_PORT);
  }
  // A shape sshd never writes with an extra: no address at all rather than the later one.
  const odd = matchText(`Postponed keyboard-interactive for root from ${REAL} port ${REAL_PORT} ssh2: from 198.51.100.66 port 55555 ssh2 [preauth]`);
  assert.ok(odd.addr === null || odd.addr === REAL, `took ${odd.addr}`);
});

function fl(message: string, line: number, pid: number | null): FramedLine {
  return { ts: 1_700_000_000_000 + line * 1000, host: 'srv', program: 'sshd', pid, message, file: 'test.log', line };
}

const fragment = fc.constantFrom(
  ' from ',
  ' port ',
  ' 22',
  ' ssh2',
  ': ',
  ' [preauth]',
  ' invalid user ',
  ' authenticating user ',
  ' user ',
  '\n',
  '\\012',
  '\u0001',
  '\u00e9',
  '"',
  "'",
  '[',
  ']',
  ...FAKE,
  `${FAKE[0]} port 22`,
  ` from ${FAKE[1]} port 2222 ssh2`,
);
const clientText = fc.array(fc.oneof(fragment, fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 40 }).map((parts) => parts.join(''));

test('property: random client text in every shape never yields a foreign address, escaped or not', () => {
  fc.assert(
    fc.property(clientText, fc.integer({ min: 0, max: BUILDERS.length - 1 }), fc.boolean(), (raw, bi, twice) => {
      const b = BUILDERS[bi];
      const line = cut(b.build(twice ? vis(vis(raw)) : vis(raw)));
      checkLine(line, b.addressExpected, b.name);
    }),
    { numRuns: 4000 },
  );
});

test('property: random and mutated lines never throw and any address is a valid IP literal that occurs in the line', () => {
  const base = BUILDERS.map((b) => b.build('root'));
  const mutated = fc.tuple(fc.constantFrom(...base), fc.nat(), fc.nat(), clientText).map(([l, i, j, ins]) => {
    const a = i % (l.length + 1);
    const z = a + (j % 20);
    return l.slice(0, a) + ins + l.slice(Math.min(z, l.length));
  });
  fc.assert(
    fc.property(fc.oneof(mutated, fc.string({ maxLength: 600 }), fc.string({ unit: 'binary', maxLength: 300 })), (line) => {
      const ev = matchText(line);
      if (ev.addr !== null) {
        assert.ok(line.includes(ev.addr) || line.toLowerCase().includes(ev.addr), `${ev.addr} not in ${JSON.stringify(line)}`);
        assert.ok(/^[0-9a-f.:]+$/.test(ev.addr), ev.addr);
      }
    }),
    { numRuns: 4000 },
  );
});

test('property: the analyzer never throws on random sshd-looking input and attributes only addresses from trusted fields', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(clientText, fc.constantFrom(...BUILDERS.map((b) => b.build('x')))), fc.integer({ min: 1, max: 5 })), { maxLength: 30 }), (recs) => {
      const a = new Analyzer();
      recs.forEach(([m, pid], i) => a.push(fl(m, i + 1, pid)));
      const r = a.finish();
      for (const c of r.connections!) if (c.src !== null) assert.ok(c.src === REAL, `connection attributed to ${c.src}`);
    }),
    { numRuns: 500 },
  );
});

test('trap 8: a line cut inside a long user name keeps its shape, loses its tail, and is joined by pid', () => {
  const cutLine = cut(`Connection closed by invalid user ${'\\\\303\\\\251'.repeat(60)} ${REAL} port ${REAL_PORT} [preauth]`);
  assert.equal(cutLine.length, SYSLOG_MESSAGE_LIMIT);
  const ev = matchText(cutLine);
  assert.equal(ev.type, 'connection-closed');
  assert.equal(ev.addr, null);
  assert.equal(ev.addressDropped, true);
  const a = new Analyzer();
  a.push(fl(`Invalid user x from ${REAL} port ${REAL_PORT}`, 1, 77));
  const u = a.push(fl(cutLine, 2, 77));
  assert.equal(u.length, 1);
  assert.equal(u[0].kind, 'connection-closed');
  const c = (u[0] as { connection: { src: string; outcome: string; evidence: unknown[] } }).connection;
  assert.deepEqual([c.src, c.outcome, c.evidence.length], [REAL, 'auth_failed', 2]);
  assert.equal(a.finish().unrecognised.count, 0);
});
