/**
 * The probe's pure parts (identification, binary packet and KEXINIT parsing, greeting
 * classification, target parsing, negotiation, Terrapin, ssh -G parsing) and the attempt
 * code against small servers on loopback: OpenSSH 9.8+'s refusal text, a TLS server, an SMTP
 * greeting, a server that sends a banner and a real KEXINIT packet.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import tls from 'node:tls';
import fc from 'fast-check';
import { runAttempt, sniffTls } from '../../src/probe/attempt.ts';
import { classifyGreeting } from '../../src/probe/greeting.ts';
import { parseSshG, parseSshGDestination } from '../../src/probe/local-client.ts';
import { negotiate, serverOffer, terrapin, type ClientOffer } from '../../src/probe/negotiation.ts';
import { buildKexInit, buildPacket, parseIdentification, parseKexInit, readPacket } from '../../src/probe/ssh-wire.ts';
import { parseTarget } from '../../src/probe/target.ts';
import { overallVerdict, reportAddress } from '../../src/probe/verdict.ts';

const KEX = {
  kex: ['curve25519-sha256', 'ext-info-s', 'kex-strict-s-v00@openssh.com'],
  hostKey: ['ssh-ed25519'],
  ciphersCtoS: ['chacha20-poly1305@openssh.com', 'aes128-ctr'],
  ciphersStoC: ['chacha20-poly1305@openssh.com', 'aes128-ctr'],
  macsCtoS: ['hmac-sha2-256-etm@openssh.com'],
  macsStoC: ['hmac-sha2-256-etm@openssh.com'],
  compressionCtoS: ['none'],
  compressionStoC: ['none'],
  languagesCtoS: [],
  languagesStoC: [],
};

test('identification strings: software and version of common implementations', () => {
  const cases: Array<[string, string, string | null, string]> = [
    ['SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10', 'OpenSSH', '9.2p1', 'Debian-2+deb12u10'],
    ['SSH-2.0-dropbear_2022.83', 'Dropbear', '2022.83', ''],
    ['SSH-2.0-libssh_0.10.6', 'libssh', '0.10.6', ''],
    ['SSH-2.0-Cisco-1.25', 'Cisco', '1.25', ''],
    ['SSH-1.99-OpenSSH_for_Windows_8.1', 'OpenSSH', '8.1', ''],
    ['SSH-2.0-ROSSSH', 'ROSSSH (MikroTik)', null, ''],
    ['SSH-2.0-Go', 'Go x/crypto/ssh', null, ''],
  ];
  for (const [line, sw, v, comments] of cases) {
    const id = parseIdentification(`${line}\r\n`)!;
    assert.equal(id.software, sw, line);
    assert.equal(id.version, v, line);
    assert.equal(id.comments, comments, line);
  }
  assert.equal(parseIdentification('HTTP/1.1 400 Bad Request'), null);
});

test('KEXINIT round trip through a real binary packet, and garbage never throws past the parser', () => {
  const pkt = buildPacket(buildKexInit(KEX));
  const r = readPacket(pkt);
  assert.equal(r.kind, 'packet');
  if (r.kind !== 'packet') return;
  assert.equal(r.consumed, pkt.length);
  const k = parseKexInit(r.payload);
  assert.deepEqual(k.kex, KEX.kex);
  assert.deepEqual(k.macsStoC, KEX.macsStoC);
  assert.equal(readPacket(pkt.subarray(0, 10)).kind, 'need-more');
  assert.equal(readPacket(Buffer.from('GET / HTTP/1.1\r\n')).kind, 'invalid');
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b = Buffer.from(bytes);
      const p = readPacket(b);
      if (p.kind === 'packet') {
        try {
          parseKexInit(p.payload);
        } catch (e) {
          assert.ok(e instanceof Error);
        }
      }
      classifyGreeting(b);
    }),
    { numRuns: 1000 },
  );
});

test('greetings: OpenSSH refusals, HTTP with Server header, TLS alert, SMTP, binary', () => {
  assert.equal(classifyGreeting(Buffer.from('Exceeded MaxStartups\r\n'))!.kind, 'openssh_maxstartups');
  assert.equal(classifyGreeting(Buffer.from('Not allowed at this time\r\n'))!.kind, 'openssh_not_allowed');
  assert.equal(classifyGreeting(Buffer.from('Invalid SSH identification string.\r\n'))!.kind, 'openssh_invalid_ident');
  const h = classifyGreeting(Buffer.from('HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\n\r\n<html>'))!;
  assert.equal(h.kind, 'http');
  assert.deepEqual(h.http, { status: 400, statusLine: 'HTTP/1.1 400 Bad Request', server: 'nginx/1.22.1' });
  const t = classifyGreeting(Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]))!;
  assert.equal(t.kind, 'tls');
  assert.equal(t.tls?.alert, 'protocol_version');
  assert.equal(classifyGreeting(Buffer.from('220 mx.example.org ESMTP Postfix\r\n'))!.kind, 'smtp');
  assert.equal(classifyGreeting(Buffer.from('220 ProFTPD Server ready.\r\n'))!.kind, 'ftp');
  assert.equal(classifyGreeting(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))!.kind, 'binary');
  assert.equal(classifyGreeting(Buffer.alloc(0)), null);
});

test('targets: host, host:port, [v6]:port, bare v6, user@host, ssh:// and bad input', () => {
  assert.deepEqual(parseTarget('h.example.org', 22), { input: 'h.example.org', host: 'h.example.org', port: 22, literal: null });
  assert.equal(parseTarget('203.0.113.10:2222', 22).port, 2222);
  assert.deepEqual(parseTarget('[2001:db8::1]:2200', 22), { input: '[2001:db8::1]:2200', host: '2001:db8::1', port: 2200, literal: 6 });
  assert.equal(parseTarget('2001:db8::1', 22).port, 22);
  assert.equal(parseTarget('root@192.0.2.1', 22).host, '192.0.2.1');
  assert.equal(parseTarget('ssh://u@h.example.org:2222', 22).port, 2222);
  for (const bad of ['h:0', 'h:65536', 'h:abc', '[h]:22', '300.1.1.1', 'a b', '']) assert.throws(() => parseTarget(bad, 22), Error, bad);
});

const LOCAL: ClientOffer = {
  name: 'test client',
  source: 'profile',
  kex: ['curve25519-sha256', 'ext-info-c'],
  hostKey: ['ssh-ed25519', 'rsa-sha2-512'],
  ciphers: ['aes256-gcm@openssh.com', 'aes128-ctr'],
  macs: ['hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com'],
  compression: ['none'],
  supported: { kex: ['curve25519-sha256', 'diffie-hellman-group14-sha1'] },
};

test('negotiation: first client algorithm the server has; MACs do not matter with an AEAD cipher; fixes per side', () => {
  const s = serverOffer(parseKexInit(buildKexInit({ ...KEX, ciphersCtoS: ['aes256-gcm@openssh.com'], ciphersStoC: ['aes256-gcm@openssh.com'] })));
  const c = negotiate(LOCAL, s);
  assert.ok(c.ok, JSON.stringify(c.mismatched));
  assert.equal(c.categories.find((x) => x.category === 'macs')!.relevant, false, 'AEAD: no MAC negotiated');
  const s2 = serverOffer(parseKexInit(buildKexInit({ ...KEX, kex: ['diffie-hellman-group14-sha1'] })));
  const c2 = negotiate(LOCAL, s2);
  assert.deepEqual(c2.mismatched, ['kex']);
  const s3 = serverOffer(parseKexInit(buildKexInit({ ...KEX, ciphersCtoS: ['aes128-ctr'], ciphersStoC: ['aes128-ctr'], macsCtoS: ['hmac-sha1'], macsStoC: ['hmac-sha1'] })));
  assert.deepEqual(negotiate(LOCAL, s3).mismatched, ['macs'], 'a non-AEAD cipher needs a common MAC');
  const kex = c2.categories.find((x) => x.category === 'kex')!;
  assert.match(kex.fix!.client, /-o KexAlgorithms=\+diffie-hellman-group14-sha1/);
  assert.match(kex.fix!.server, /KexAlgorithms.*curve25519-sha256/);
});

test('Terrapin: chacha20 or CBC+EtM without strict kex is exposed; strict kex mitigates', () => {
  const strict = serverOffer(parseKexInit(buildKexInit(KEX)));
  assert.equal(terrapin(strict).exposed, false);
  assert.equal(terrapin(strict).strictKex, true);
  const old = serverOffer(parseKexInit(buildKexInit({ ...KEX, kex: ['curve25519-sha256'] })));
  assert.equal(terrapin(old).exposed, true);
  const cbc = serverOffer(parseKexInit(buildKexInit({ ...KEX, kex: ['curve25519-sha256'], ciphersCtoS: ['aes128-cbc'], ciphersStoC: ['aes128-cbc'] })));
  assert.equal(terrapin(cbc).exposed, true);
  assert.match(terrapin(cbc).affectedModes[0], /CBC \+ EtM/);
  const safe = serverOffer(parseKexInit(buildKexInit({ ...KEX, kex: ['curve25519-sha256'], ciphersCtoS: ['aes128-ctr'], ciphersStoC: ['aes128-ctr'] })));
  assert.equal(terrapin(safe).exposed, false);
});

test('ssh -G output of the real local client parses into offers', () => {
  const out = execFileSync('ssh', ['-G', '-p', '22', 'h.example.org'], { encoding: 'utf8' });
  const g = parseSshG(out);
  assert.ok(g.kex.length > 3 && g.ciphers.length > 2 && g.macs.length > 2 && g.hostKey.length > 2, JSON.stringify(g));
  assert.ok(['yes', 'no'].includes(g.compression[0]));
  assert.deepEqual(parseSshGDestination(out), { hostName: 'h.example.org', port: 22, proxyJump: null, proxyCommand: null });
  assert.deepEqual(parseSshGDestination('hostname 192.0.2.5\nport 2222\nproxyjump bastion\n'), { hostName: '192.0.2.5', port: 2222, proxyJump: 'bastion', proxyCommand: null });
  assert.equal(parseSshGDestination('port 22\n'), null);
});

/** A loopback server that writes `payload` on connect, then closes (or not). */
async function loopback(onConn: (s: net.Socket) => void): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

const OPTS = { connectTimeoutMs: 2000, readTimeoutMs: 1500, listenFirstMs: 200, identification: 'SSH-2.0-sshwarden_test', now: () => performance.now() };

test('attempt: OpenSSH 9.8+ "Not allowed at this time" → throttled, penalties among the causes', async () => {
  const srv = await loopback((s) => s.end('Not allowed at this time\r\n'));
  try {
    const a = await runAttempt('127.0.0.1', srv.port, OPTS);
    const r = reportAddress([a], null);
    assert.equal(r.verdict, 'ssh_throttled');
    assert.deepEqual(r.refusalTexts, { 'Not allowed at this time': 1 });
    const v = overallVerdict([r]);
    assert.ok(v.causes.some((c) => c.id === 'per_source_penalties'));
  } finally {
    srv.close();
  }
});

test('attempt: an SSH server with pre-banner lines and a real KEXINIT; our DISCONNECT arrives', async () => {
  let got = Buffer.alloc(0);
  const srv = await loopback((s) => {
    s.write('Welcome, this line comes before the banner\r\nSSH-2.0-dropbear_2022.83\r\n');
    s.on('data', (d) => {
      got = Buffer.concat([got, d]);
      if (got.includes('\n') && !s.writableEnded) s.write(buildPacket(buildKexInit({ ...KEX, kex: ['curve25519-sha256'] })));
    });
  });
  try {
    const a = await runAttempt('127.0.0.1', srv.port, OPTS);
    const r = reportAddress([a], LOCAL);
    assert.equal(r.verdict, 'ssh_ok', r.headline);
    assert.equal(r.ssh!.identification.software, 'Dropbear');
    assert.deepEqual(r.ssh!.preIdentificationLines, ['Welcome, this line comes before the banner']);
    assert.equal(r.ssh!.terrapin!.exposed, true, 'chacha20 without strict kex');
    await new Promise((res) => setTimeout(res, 100));
    assert.ok(got.toString('latin1').startsWith('SSH-2.0-sshwarden_test\r\n'));
    assert.ok(got.length > 30, 'a DISCONNECT packet followed our identification');
  } finally {
    srv.close();
  }
});

test('attempt: a TLS server and an SMTP server are named; a reset after accept is told from a FIN', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=probe-test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const t = tls.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) });
    t.on('tlsClientError', () => {});
    await new Promise<void>((r) => t.listen(0, '127.0.0.1', r));
    const port = (t.address() as net.AddressInfo).port;
    const a = await runAttempt('127.0.0.1', port, OPTS);
    // Node's TLS server hangs up on a text line without an alert: the first look sees "closed after our identification".
    assert.equal(reportAddress([a], null).verdict, 'closed_after_our_identification');
    const sniff = await sniffTls('127.0.0.1', port, 2000);
    t.close();
    assert.equal(sniff.tls, true);
    assert.equal(sniff.subject, 'probe-test');
    const r = reportAddress([a], null, sniff);
    assert.equal(r.verdict, 'wrong_service');
    assert.match(r.headline, /speaks TLS.*CN=probe-test/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const smtp = await loopback((s) => s.write('220 mx.example.org ESMTP Postfix\r\n'));
  try {
    const r = reportAddress([await runAttempt('127.0.0.1', smtp.port, OPTS)], null);
    assert.equal(r.verdict, 'wrong_service');
    assert.match(r.headline, /SMTP/);
  } finally {
    smtp.close();
  }
  const rst = await loopback((s) => setTimeout(() => s.resetAndDestroy(), 50));
  try {
    const r = reportAddress([await runAttempt('127.0.0.1', rst.port, OPTS)], null);
    assert.equal(r.verdict, 'reset_without_banner');
  } finally {
    rst.close();
  }
});

test('verdict over addresses: an unroutable AAAA next to a working A is not a failure; a refused one is', async () => {
  const srv = await loopback((s) => s.end('SSH-2.0-OpenSSH_9.9\r\n'));
  try {
    const ok = reportAddress([await runAttempt('127.0.0.1', srv.port, OPTS)], null);
    assert.equal(ok.verdict, 'ssh_kexinit_unreadable', 'banner then close: no KEXINIT');
    const good = { ...ok, verdict: 'ssh_ok' as const };
    const unreachable = reportAddress([{ address: '2001:db8::1', family: 6, port: 22, connect: { outcome: 'unreachable', ms: 0, errno: 'ENETUNREACH' }, preIdent: Buffer.alloc(0), firstByteMs: null, sentIdentMs: null, ident: null, kexinit: null, kexinitError: null, close: null }], null);
    const refused = reportAddress([{ address: '2001:db8::1', family: 6, port: 22, connect: { outcome: 'refused', ms: 0, errno: 'ECONNREFUSED' }, preIdent: Buffer.alloc(0), firstByteMs: null, sentIdentMs: null, ident: null, kexinit: null, kexinitError: null, close: null }], null);
    const v1 = overallVerdict([good, unreachable]);
    assert.equal(v1.ok, true);
    assert.match(v1.headline, /unreachable from here/);
    const v2 = overallVerdict([good, refused]);
    assert.equal(v2.id, 'address_specific');
    assert.equal(v2.ok, false);
  } finally {
    srv.close();
  }
});
