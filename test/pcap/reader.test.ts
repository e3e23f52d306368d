/**
 * The capture reader and the wire verdicts on synthetic captures: every format and link type we
 * read gives the same connections, any chunking gives the same result, and each TCP/SSH situation
 * gets its conn_state and outcome. tshark reads the same synthetic captures (checked once here),
 * so they are real captures, not our own dialect.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PcapAnalyzer, addressText, type PcapOptions, type PcapResult } from '../../src/pcap/analyze.ts';
import { CaptureReader } from '../../src/pcap/capture-reader.ts';
import { joinWireWithLog } from '../../src/pcap/join.ts';
import type { ConnectionRecord } from '../../src/engine/types.ts';
import { CaptureWriter, conversation, linkWrap, ssh, sshLoginSteps, CLIENT_KEX, SERVER_KEX, type Conversation, type Format } from './synthetic.ts';

const T0 = Date.UTC(2026, 11, 4, 20, 0, 0);

function capture(convs: Conversation[], format: Format = 'pcap', link = 1, opts: { vlan?: number; snaplen?: number; ifaces?: number } = {}): Buffer {
  const ifaces = opts.ifaces ?? 1;
  const w = new CaptureWriter(format, Array(ifaces).fill(link), opts.snaplen);
  const pkts = convs.flatMap((c) => conversation(c)).sort((a, b) => a.ts - b.ts);
  pkts.forEach((p, i) => w.packet(p.ts, linkWrap(link, p.ip, { vlan: opts.vlan }), i % ifaces));
  return w.bytes();
}

function analyze(b: Buffer, opts: PcapOptions = {}, chunk = b.length): PcapResult {
  const a = new PcapAnalyzer(opts);
  for (let i = 0; i < b.length; i += chunk) a.push(b.subarray(i, i + chunk));
  return a.finish();
}

const LOGIN: Conversation = { client: '192.0.2.11', server: '192.0.2.1', cport: 40000, t0: T0, steps: sshLoginSteps() };
const HTTP6: Conversation = { client: '2001:db8::11', server: '2001:db8::1', cport: 40001, t0: T0 + 100, extHeader: true, steps: [{ from: 's', data: ssh.ident('SSH-2.0-OpenSSH_9.2') }, { from: 'c', data: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' }, { from: 's', data: 'Invalid SSH identification string.\r\n' }, { from: 's', fin: true }, { from: 'c', fin: true }] };

function summaryOf(r: PcapResult): string[] {
  return (r.connections ?? []).map((c) => `${c.client}:${c.clientPort} ${c.outcome}/${c.detail} ${c.connState} ${c.firstClose?.by}-${c.firstClose?.kind} ${c.fromClient.bytes}/${c.fromServer.bytes} ${c.start}`);
}

test('every format and link type gives the same connections', () => {
  const expected = summaryOf(analyze(capture([LOGIN, HTTP6])));
  assert.equal(expected.length, 2);
  assert.match(expected[0], /authenticated_or_failed\/kex_completed SF client-FIN/);
  assert.match(expected[1], /^2001:db8::11:40001 non_ssh\/http SF server-FIN/);
  const formats: Format[] = ['pcap', 'pcap-be', 'pcap-ns', 'pcapng', 'pcapng-be'];
  const links: [number, { vlan?: number }][] = [[1, {}], [1, { vlan: 1 }], [1, { vlan: 2 }], [113, {}], [276, {}], [101, {}], [0, {}], [108, {}]];
  for (const f of formats) {
    for (const [l, o] of links) {
      const r = analyze(capture([LOGIN, HTTP6], f, l, { ...o, ifaces: f.startsWith('pcapng') ? 2 : 1 }));
      assert.deepEqual(summaryOf(r), expected, `${f} link ${l} ${JSON.stringify(o)}`);
      assert.equal(r.summary.error, null);
    }
  }
  // raw IPv4 (228) and raw IPv6 (229) hold one family each
  assert.deepEqual(summaryOf(analyze(capture([LOGIN], 'pcap', 228))), [expected[0]]);
  assert.deepEqual(summaryOf(analyze(capture([HTTP6], 'pcapng', 229))), [expected[1]]);
});

test('any chunking of the input gives the same result (streaming)', () => {
  const b = capture([LOGIN, HTTP6], 'pcapng', 276, { ifaces: 2 });
  const whole = JSON.stringify(analyze(b));
  for (const chunk of [1, 3, 7, 64, 1000]) assert.equal(JSON.stringify(analyze(b, {}, chunk)), whole, `chunk ${chunk}`);
});

test('pcapng: other blocks skipped, a second section with its own interfaces, unknown interface ids counted', () => {
  const w = new CaptureWriter('pcapng', [1]);
  w.otherBlock();
  for (const p of conversation(LOGIN)) w.packet(p.ts, linkWrap(1, p.ip));
  w.section([0, 276]);
  for (const p of conversation(HTTP6)) w.packet(p.ts, linkWrap(276, p.ip), 1);
  w.packet(T0, linkWrap(1, conversation(LOGIN)[0].ip), 5);
  const r = analyze(w.bytes());
  assert.equal(r.summary.connections, 2);
  const reader = new CaptureReader(() => {});
  reader.push(w.bytes());
  assert.equal(reader.skippedBlocks, 1);
  assert.equal(reader.badInterface, 1);
});

test('timestamps: µs pcap, ns pcap and ns pcapng interfaces agree to the microsecond', () => {
  const conv = { ...LOGIN, t0: T0 + 0.123 };
  for (const f of ['pcap', 'pcap-ns', 'pcapng'] as Format[]) {
    const r = analyze(capture([conv], f, 1, { ifaces: 2 }));
    assert.equal(r.connections?.[0].start, '2026-12-04T20:00:00.000Z', f);
    assert.equal(r.connections?.[0].fromClient.finAfterMs, 10.2, f);
  }
});

test('IPv6 addresses are printed as RFC 5952 text', () => {
  assert.equal(addressText(Buffer.from('20010db8000000000000000000000011', 'hex')), '2001:db8::11');
  assert.equal(addressText(Buffer.from('00000000000000000000ffffc0000201', 'hex')), '192.0.2.1');
  assert.equal(addressText(Buffer.from('20010db8000100000001000000000001', 'hex')), '2001:db8:1:0:1::1');
});

function one(conv: Omit<Conversation, 'client' | 'server' | 't0'> & Partial<Conversation>, opts: PcapOptions = {}, snaplen?: number) {
  const r = analyze(capture([{ client: '192.0.2.20', server: '192.0.2.1', t0: T0, ...conv }], 'pcap', 1, { snaplen }), opts);
  assert.equal(r.connections?.length, 1, JSON.stringify(r.connections));
  return (r.connections ?? [])[0];
}

const BANNER = { from: 's' as const, data: ssh.ident('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3'), atMs: 1 };

test('TCP situations: S0, REJ, RSTO, SH-like half-open, midstream OTH', () => {
  const s0 = one({ cport: 1, handshake: 'syn-only', steps: [] });
  assert.deepEqual([s0.connState, s0.outcome, s0.detail, s0.handshake], ['S0', 'unknown', 'syn_unanswered', false]);
  const rej = one({ cport: 2, handshake: 'rejected', steps: [] });
  assert.deepEqual([rej.connState, rej.detail, rej.firstClose?.by, rej.firstClose?.kind], ['REJ', 'syn_rejected', 'server', 'RST']);
  const rst = one({ cport: 3, steps: [BANNER, { from: 'c', rst: true }] });
  assert.deepEqual([rst.connState, rst.outcome, rst.firstClose?.by], ['RSTO', 'reset_before_ident', 'client']);
  const mid = one({ cport: 4, handshake: 'none', steps: [{ from: 'c', data: ssh.encrypted(64) }, { from: 's', data: ssh.encrypted(64) }, { from: 'c', fin: true }] });
  assert.deepEqual([mid.connState, mid.midstream, mid.outcome, mid.detail], ['OTH', true, 'unknown', 'midstream']);
  const s1 = one({ cport: 5, steps: [BANNER] });
  assert.deepEqual([s1.connState, s1.outcome, s1.detail, s1.firstClose], ['S1', 'unknown', 'open_at_end', null]);
});

test('dropped: the server closes without an identification (MaxStartups text kept)', () => {
  const d = one({ cport: 10, steps: [{ from: 'c', data: ssh.ident('SSH-2.0-OpenSSH_9.6') }, { from: 's', data: 'Exceeded MaxStartups\r\n' }, { from: 's', fin: true }, { from: 'c', fin: true }] });
  assert.deepEqual([d.outcome, d.detail, d.serverText, d.firstClose?.by], ['dropped', 'maxstartups', ['Exceeded MaxStartups'], 'server']);
  const p = one({ cport: 11, steps: [{ from: 's', data: 'Not allowed at this time\r\n' }, { from: 's', rst: true }] });
  assert.deepEqual([p.outcome, p.detail, p.connState], ['dropped', 'penalty', 'RSTR']);
});

test('what the client sent instead of SSH: HTTP, TLS with SNI, junk; SSH-1 and malformed identifications', () => {
  const hello = Buffer.from(
    '16030100' + '4a' + '010000' + '46' + '0303' + '00'.repeat(32) + '00' + '0002' + '1301' + '01' + '00' + '001b' + '0000' + '0017' + '0015' + '00' + '0012' + Buffer.from('ssh.example.org').toString('hex').padEnd(36, '0'),
    'hex',
  );
  const tls = one({ cport: 20, steps: [BANNER, { from: 'c', data: hello }, { from: 's', fin: true }] });
  assert.deepEqual([tls.outcome, tls.detail, tls.instead?.kind], ['non_ssh', 'tls', 'tls']);
  const junk = one({ cport: 21, steps: [BANNER, { from: 'c', data: Buffer.from([0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0]) }, { from: 's', fin: true }] });
  assert.deepEqual([junk.outcome, junk.detail], ['non_ssh', 'junk']);
  assert.match(junk.instead?.text ?? '', /\\x03\\x00/);
  const ssh1 = one({ cport: 24, steps: [BANNER, { from: 'c', data: 'SSH-1.5-OldClient\r\n' }, { from: 's', data: 'Protocol major versions differ.\r\n' }, { from: 's', fin: true }] });
  assert.deepEqual([ssh1.outcome, ssh1.detail], ['protocol_mismatch', 'ssh_1.5']);
  const bad = one({ cport: 23, steps: [BANNER, { from: 'c', data: 'SSH-2.0\r\n' }, { from: 's', fin: true }] });
  assert.deepEqual([bad.outcome, bad.detail], ['protocol_mismatch', 'malformed_ssh']);
});

test('SNI is read from a TLS ClientHello', async () => {
  const { clientHelloSni } = await import('../../src/pcap/ssh-stream.ts');
  const name = Buffer.from('ssh.example.org');
  const sni = Buffer.concat([Buffer.from([0, 0]), u16(name.length + 5), u16(name.length + 3), Buffer.from([0]), u16(name.length), name]);
  const exts = Buffer.concat([u16(sni.length), sni]);
  const body = Buffer.concat([Buffer.from([3, 3]), Buffer.alloc(32), Buffer.from([0]), u16(2), Buffer.from([0x13, 0x01]), Buffer.from([1, 0]), exts]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 255]), body]);
  const rec = Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
  assert.equal(clientHelloSni(rec), 'ssh.example.org');
  assert.equal(clientHelloSni(rec.subarray(0, 50)), null);
});

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 255]);
}

test('key exchange: no common host key, strict-kex markers, NEWKEYS, DISCONNECT, bad packet', () => {
  const nohk = one({ cport: 30, steps: [BANNER, { from: 'c', data: ssh.ident('SSH-2.0-OpenSSH_9.2p1') }, { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) }, { from: 'c', data: ssh.kexinit(CLIENT_KEX, ['ssh-rsa']) }, { from: 's', fin: true }, { from: 'c', fin: true }] });
  assert.deepEqual([nohk.outcome, nohk.detail, nohk.kex?.noCommon], ['kex_failed', 'no_common_hostKey', ['hostKey']]);
  const hk = nohk.kex?.negotiated.find((n) => n.category === 'hostKey');
  assert.deepEqual([hk?.client, hk?.server], [['ssh-rsa'], ['ssh-ed25519']]);
  assert.equal(nohk.kex?.strictKex, true);
  const login = one({ cport: 31, steps: sshLoginSteps() });
  assert.deepEqual([login.outcome, login.kex?.completed, login.kex?.durationMs, login.phase], ['authenticated_or_failed', true, 4, 'auth']);
  assert.equal(login.kex?.negotiated.find((n) => n.category === 'macs')?.relevant, false, 'AEAD cipher: no MAC negotiated');
  const d = one({ cport: 32, steps: [BANNER, { from: 'c', data: ssh.ident('SSH-2.0-x') }, { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) }, { from: 's', data: disconnectPacket('bad things') }, { from: 's', fin: true }] });
  assert.deepEqual([d.outcome, d.detail, d.disconnect?.by, d.disconnect?.code], ['kex_failed', 'server_disconnect', 'server', 3]);
  const garbage = one({ cport: 33, steps: [BANNER, { from: 'c', data: `SSH-2.0-fuzz\r\n${'A'.repeat(64)}` }, { from: 's', fin: true }] });
  assert.deepEqual([garbage.outcome, garbage.detail], ['kex_failed', 'bad_packet']);
  const scan = one({ cport: 34, steps: [BANNER, { from: 'c', data: ssh.ident('SSH-2.0-Go') }, { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) }, { from: 'c', fin: true }, { from: 's', fin: true }] });
  assert.deepEqual([scan.outcome, scan.phase], ['closed_after_ident', 'identification']);
});

function disconnectPacket(text: string): Buffer {
  const t = Buffer.from(text);
  return buildPacketFor(Buffer.concat([Buffer.from([1, 0, 0, 0, 3, 0, 0, 0, t.length]), t, Buffer.alloc(4)]));
}

function buildPacketFor(p: Buffer): Buffer {
  let padding = 8 - ((p.length + 5) % 8);
  if (padding < 4) padding += 8;
  const out = Buffer.alloc(5 + p.length + padding);
  out.writeUInt32BE(1 + p.length + padding, 0);
  out[4] = padding;
  p.copy(out, 5);
  return out;
}

test('timeout: the server closes after client silence (inferred without --login-grace-time, measured with it)', () => {
  const steps = [BANNER, { from: 'c' as const, data: ssh.ident('SSH-2.0-OpenSSH_9.2p1'), atMs: 2 }, { from: 's' as const, data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']), atMs: 3 }, { from: 's' as const, fin: true as const, atMs: 3005 }, { from: 'c' as const, fin: true as const, atMs: 3006 }];
  const inferred = one({ cport: 40, steps });
  assert.deepEqual([inferred.outcome, inferred.inferred, inferred.detail], ['timeout', true, 'server_closed_after_silence']);
  const measured = one({ cport: 40, steps }, { loginGraceTime: 3 });
  assert.deepEqual([measured.outcome, measured.inferred], ['timeout', undefined]);
  const tooSoon = one({ cport: 40, steps }, { loginGraceTime: 120 });
  assert.equal(tooSoon.outcome, 'closed_after_ident');
});

test('retransmissions, zero window, snap length, port reuse', () => {
  const rt = one({ cport: 50, steps: [BANNER, { from: 's', retransmit: true }, { from: 's', retransmit: true }, { from: 'c', ack: true, win: 0 }, { from: 'c', fin: true }] });
  assert.deepEqual([rt.fromServer.retransmissions, rt.fromServer.bytes, rt.fromClient.zeroWindow, rt.outcome], [2, 40, 1, 'closed_before_ident']);
  // snap length 96: Ethernet 14 + IP 20 + TCP 20 leaves 42 payload bytes: the 40-byte banner fits, the KEXINIT is cut
  const cut = analyze(capture([{ ...LOGIN, cport: 51 }], 'pcap', 1, { snaplen: 96 }));
  const c = (cut.connections ?? [])[0];
  assert.equal(c.payloadCut, true);
  assert.equal(c.fromServer.ident, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
  const full = (analyze(capture([{ ...LOGIN, cport: 51 }])).connections ?? [])[0];
  assert.equal(c.fromServer.bytes, full.fromServer.bytes, 'bytes counted from the IP lengths, not the captured bytes');
  assert.equal(c.kex, undefined, 'the cut KEXINIT is not parsed');
  // same client port twice: two connections
  const reuse = analyze(capture([{ ...LOGIN, cport: 52 }, { client: LOGIN.client, server: LOGIN.server, cport: 52, t0: T0 + 5000, steps: [BANNER, { from: 'c', fin: true }] }]));
  assert.deepEqual(reuse.connections?.map((x) => x.outcome), ['authenticated_or_failed', 'closed_before_ident']);
});

test('reordered segments in the capture are put back in order for the SSH reader (not counted as retransmissions)', () => {
  const pkts = conversation({ ...LOGIN, cport: 53 });
  // the client's identification and its KEXINIT captured in the wrong order
  const i = pkts.findIndex((p) => p.ip.includes(Buffer.from('SSH-2.0-OpenSSH_9.6')));
  const j = i + 3; // client KEXINIT (server KEXINIT in between: s, c, c-kexinit order in sshLoginSteps)
  [pkts[i], pkts[j]] = [pkts[j], pkts[i]];
  const w = new CaptureWriter('pcap', [1]);
  for (const p of pkts) w.packet(p.ts, linkWrap(1, p.ip));
  const c = (analyze(w.bytes()).connections ?? [])[0];
  const inOrder = (analyze(capture([{ ...LOGIN, cport: 53 }])).connections ?? [])[0];
  assert.deepEqual([c.outcome, c.kex?.completed, c.fromClient.retransmissions, c.fromClient.bytes], ['authenticated_or_failed', true, 0, inOrder.fromClient.bytes]);
});

test('a segment the capture never recorded: the wire says it cannot tell, never a close in kex for what may be a login', () => {
  const pkts = conversation({ ...LOGIN, cport: 54 });
  // the server's KEX reply + NEWKEYS is lost (tcpdump dropped it); its encrypted data after it was captured
  const reply = Buffer.concat([ssh.kexMsg(31, 200), ssh.newkeys()]);
  const i = pkts.findIndex((p) => p.ip.includes(reply));
  assert.ok(i > 0, 'the reply segment is in the conversation');
  pkts.splice(i, 1);
  const w = new CaptureWriter('pcap', [1]);
  for (const p of pkts) w.packet(p.ts, linkWrap(1, p.ip));
  const bytes = w.bytes();
  const c = (analyze(bytes).connections ?? [])[0];
  assert.deepEqual([c.outcome, c.detail, c.phase], ['unknown', 'capture_gap', 'kex'], c.reason);
  // tshark agrees that a segment is missing ("previous segment not captured")
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-pcap-gap-'));
  try {
    writeFileSync(join(dir, 'gap.pcap'), bytes);
    const r = spawnSync('tshark', ['-n', '-r', join(dir, 'gap.pcap'), '-Y', 'tcp.analysis.lost_segment', '-T', 'fields', '-e', 'ip.src'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `tshark (test.sh installs it): ${r.stderr}`);
    assert.deepEqual(r.stdout.trim().split('\n'), [LOGIN.server], 'tshark flags the server segment after the hole');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(c.reason, /lacks bytes the server sent/);
  // the same conversation whole is a completed key exchange
  const whole = (analyze(capture([{ ...LOGIN, cport: 54 }])).connections ?? [])[0];
  assert.deepEqual([whole.outcome, whole.kex?.completed], ['authenticated_or_failed', true]);
});

test('a RST after the FIN exchange aborts nothing (Zeek\'s conn_state): the lab\'s silent close with a late duplicate ACK answered by a RST is SF', () => {
  // what the lab captured (tshark: "TCP Dup ACK"): the client's ACK of the server's FIN twice, the second after the server's socket had closed, answered with a RST
  const dupAck = [BANNER, { from: 'c' as const, ack: true as const }, { from: 'c' as const, fin: true as const }, { from: 's' as const, fin: true as const }, { from: 'c' as const, ack: true as const }, { from: 'c' as const, ack: true as const }, { from: 's' as const, rst: true as const }];
  const sf = one({ cport: 70, steps: dupAck });
  assert.deepEqual([sf.outcome, sf.detail, sf.connState, sf.firstClose?.by, sf.firstClose?.kind, sf.fromServer.rstAfterMs !== null], ['closed_before_ident', 'after_banner', 'SF', 'client', 'FIN', true]);
  // the server FIN, its RST (the client's late bytes), then the client FIN: Zeek turns it back to a normal close too
  const back = one({ cport: 71, steps: [BANNER, { from: 's', fin: true }, { from: 's', rst: true }, { from: 'c', fin: true }] });
  assert.equal(back.connState, 'SF');
  // a RST before the side's own FIN, or before the peer's FIN, is an abort
  const noFin = one({ cport: 72, steps: [BANNER, { from: 'c', fin: true }, { from: 's', rst: true }] });
  assert.deepEqual([noFin.connState, noFin.firstClose?.by, noFin.firstClose?.kind], ['RSTR', 'client', 'FIN']);
  const peerOpen = one({ cport: 73, steps: [BANNER, { from: 's', fin: true }, { from: 's', rst: true }] });
  assert.deepEqual([peerOpen.connState, peerOpen.firstClose?.by, peerOpen.firstClose?.kind], ['RSTR', 'server', 'FIN']);
  const clientAbort = one({ cport: 74, steps: [BANNER, { from: 'c', rst: true }, { from: 's', fin: true }] });
  assert.equal(clientAbort.connState, 'RSTO');
});

/** A conversation's capture without the packets `drop` picks (what tcpdump dropped), and the analysis of it. */
function lossy(conv: Conversation, drop: (ip: Buffer, i: number) => boolean, count = 1): { bytes: Buffer; c: PcapResult['connections'] extends (infer T)[] | undefined ? T : never } {
  const w = new CaptureWriter('pcap', [1]);
  const pkts = conversation(conv);
  let dropped = 0;
  pkts.forEach((p, i) => {
    if (drop(p.ip, i)) dropped++;
    else w.packet(p.ts, linkWrap(1, p.ip));
  });
  assert.equal(dropped, count, 'the packets left out');
  const bytes = w.bytes();
  const r = analyze(bytes);
  assert.equal(r.connections?.length, 1);
  return { bytes, c: (r.connections ?? [])[0] };
}

/** What tshark flags in a capture: one `ip.src flags` line per packet that matches the display filter. */
function tsharkFlags(bytes: Buffer, filter: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-pcap-tail-'));
  try {
    writeFileSync(join(dir, 'c.pcap'), bytes);
    const r = spawnSync('tshark', ['-n', '-r', join(dir, 'c.pcap'), '-Y', filter, '-T', 'fields', '-e', 'ip.src', '-e', 'tcp.flags.str'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `tshark (test.sh installs it): ${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace('\t', ' ').replace(/[·\s]+$/u, '').replace(/·/gu, ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const isBanner = (ip: Buffer) => ip.includes(Buffer.from('SSH-2.0-OpenSSH_9.2p1'));

test('a hole before a FIN: the server FIN lies past the last server byte seen, so the capture lost its bytes (not "dropped without a banner")', () => {
  // the server sends its banner and closes; tcpdump lost the banner; nothing of the client follows
  const { bytes, c } = lossy({ client: '192.0.2.20', server: '192.0.2.1', t0: T0, cport: 60, steps: [BANNER, { from: 's', fin: true }] }, isBanner);
  assert.deepEqual([c.outcome, c.detail, c.firstClose?.by, c.fromServer.bytes], ['unknown', 'capture_gap', 'server', 0], c.reason);
  assert.match(c.reason, /lacks bytes the server sent/);
  // tshark: the FIN is "previous segment not captured"
  assert.deepEqual(tsharkFlags(bytes, 'tcp.analysis.lost_segment'), ['192.0.2.1 AF']);
  // the same conversation whole: the banner, then the server's close
  const whole = one({ cport: 60, steps: [BANNER, { from: 's', fin: true }] });
  assert.deepEqual([whole.outcome, whole.fromServer.ident?.startsWith('SSH-2.0-OpenSSH_9.2p1')], ['unknown', true]);
  assert.notEqual(whole.detail, 'capture_gap');
});

test('an ACK beyond the bytes seen: the client acknowledges a banner the capture lacks (the silent close of the lab)', () => {
  // the client read the banner and closed (FIN), the server closed too; tcpdump lost the banner
  const steps = [BANNER, { from: 'c' as const, ack: true as const }, { from: 'c' as const, fin: true as const }, { from: 's' as const, fin: true as const }, { from: 'c' as const, ack: true as const }];
  const { bytes, c } = lossy({ client: '192.0.2.20', server: '192.0.2.1', t0: T0, cport: 61, steps }, isBanner);
  assert.deepEqual([c.outcome, c.detail, c.connState, c.fromServer.bytes], ['unknown', 'capture_gap', 'SF', 0], c.reason);
  // tshark: the client's ACK acknowledges a segment it never saw, the server FIN follows a hole
  const flagged = tsharkFlags(bytes, 'tcp.analysis.ack_lost_segment');
  assert.ok(flagged.includes('192.0.2.20 A'), flagged.join(', '));
  assert.deepEqual(tsharkFlags(bytes, 'tcp.analysis.lost_segment'), ['192.0.2.1 AF']);
  // the ACK alone says so (the capture ends before any FIN)
  const ackOnly = lossy({ client: '192.0.2.20', server: '192.0.2.1', t0: T0, cport: 62, steps: [BANNER, { from: 'c', ack: true }] }, isBanner);
  assert.deepEqual([ackOnly.c.outcome, ackOnly.c.detail], ['unknown', 'capture_gap'], ackOnly.c.reason);
  assert.deepEqual(tsharkFlags(ackOnly.bytes, 'tcp.analysis.ack_lost_segment'), ['192.0.2.20 A']);
  // a client FIN lost, acknowledged by the server: the client's close is not in the capture
  const finLost = lossy({ client: '192.0.2.20', server: '192.0.2.1', t0: T0, cport: 63, steps }, (_ip, i) => i === 5);
  assert.deepEqual([finLost.c.outcome, finLost.c.detail, finLost.c.firstClose?.by], ['unknown', 'capture_gap', 'server'], finLost.c.reason);
  assert.match(finLost.c.reason, /lacks bytes the client sent/);
  // whole: a silent close, SF, no gap
  const whole = one({ cport: 61, steps });
  assert.deepEqual([whole.outcome, whole.detail, whole.connState, whole.firstClose?.by, whole.firstClose?.kind], ['closed_before_ident', 'after_banner', 'SF', 'client', 'FIN']);
});

test('a SYN-ACK the capture lacks while bytes flow is a capture gap, not a SYN without answer', () => {
  // the lab under load: tcpdump dropped the SYN-ACK and the client's identification; the key exchange and the rest were captured
  const { bytes, c } = lossy({ ...LOGIN, cport: 67 }, (ip, i) => i === 1 || ip.includes(Buffer.from('SSH-2.0-OpenSSH_9.6')), 2);
  assert.deepEqual([c.outcome, c.detail, c.handshake], ['unknown', 'capture_gap', false], c.reason);
  assert.match(c.reason, /lacks the server's SYN-ACK/);
  assert.ok(tsharkFlags(bytes, 'tcp.analysis.ack_lost_segment').includes('192.0.2.1 AP'), 'tshark: the server acknowledges client bytes it never saw');
  // the SYN-ACK alone lost: the same verdict (tshark then takes the server's first byte as its start and flags nothing)
  const synAckOnly = lossy({ ...LOGIN, cport: 67 }, (_ip, i) => i === 1);
  assert.deepEqual([synAckOnly.c.outcome, synAckOnly.c.detail], ['unknown', 'capture_gap']);
  // no bytes either way: still a SYN without answer
  const s0 = one({ cport: 68, handshake: 'syn-only', steps: [] });
  assert.equal(s0.detail, 'syn_unanswered');
});

test('a RST past the bytes seen is a hole too; a FIN, ACK or RST right after the last byte is not', () => {
  // the server's banner lost, then the server resets (seq past it): tshark does not check RSTs for this, we do
  const { c } = lossy({ client: '192.0.2.20', server: '192.0.2.1', t0: T0, cport: 64, steps: [BANNER, { from: 's', rst: true }] }, isBanner);
  assert.deepEqual([c.outcome, c.detail, c.connState], ['unknown', 'capture_gap', 'RSTR'], c.reason);
  // complete: the server resets after its banner (seq right after it) → dropped is not claimed, the client did nothing
  const rst = one({ cport: 64, steps: [BANNER, { from: 's', rst: true }] });
  assert.notEqual(rst.detail, 'capture_gap');
  // FIN each way, the last ACK, then a RST of the client (seq one past its FIN): nothing missing (and SF: the FINs closed it)
  const late = one({ cport: 65, steps: [BANNER, { from: 'c', fin: true }, { from: 's', fin: true }, { from: 'c', ack: true }, { from: 'c', rst: true }] });
  assert.deepEqual([late.outcome, late.detail, late.connState, late.fromClient.rstAfterMs !== null], ['closed_before_ident', 'after_banner', 'SF', true]);
  // a capture that began mid-connection: the peer acknowledges bytes from before it, no gap claimed
  const mid = one({ cport: 66, handshake: 'none', steps: [{ from: 'c', ack: true }, { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) }, { from: 'c', fin: true }, { from: 's', fin: true }] });
  assert.notEqual(mid.detail, 'capture_gap');
});

test('memory is bounded by open flows: past maxFlows the oldest are reported early and counted', () => {
  const convs: Conversation[] = [];
  for (let i = 0; i < 300; i++) convs.push({ client: '192.0.2.30', server: '192.0.2.1', cport: 20000 + i, t0: T0 + i, steps: [BANNER] });
  let maxOpen = 0;
  const a = new PcapAnalyzer({ maxFlows: 50, keepConnections: false, onConnection: () => {} });
  const b = capture(convs);
  for (let i = 0; i < b.length; i += 512) {
    a.push(b.subarray(i, i + 512));
    maxOpen = Math.max(maxOpen, a.openFlows);
  }
  const r = a.finish();
  assert.ok(maxOpen <= 50, `open flows ${maxOpen}`);
  assert.equal(r.summary.connections, 300);
  assert.ok(r.summary.evicted >= 250, `evicted ${r.summary.evicted}`);
  assert.equal(r.connections, undefined);
});

test('damaged captures: a clear error with the byte offset; the packets before it are analysed', () => {
  const b = capture([LOGIN, HTTP6]);
  const cutFile = analyze(b.subarray(0, b.length - 10));
  assert.match(cutFile.summary.error ?? '', /^byte \d+: file ends inside a packet record/);
  assert.ok(cutFile.summary.connections >= 1);
  const bad = Buffer.from(b);
  bad.writeUInt32LE(0x7fffffff, 24 + 8); // first record's captured length
  assert.match(analyze(bad).summary.error ?? '', /^byte 24: packet record of 2147483647 bytes/);
  assert.match(analyze(Buffer.from('hello world, no capture')).summary.error ?? '', /not a pcap or pcapng file/);
  assert.match(analyze(Buffer.alloc(0)).summary.error ?? '', /empty input/);
});

test('join: the clock offset is found and reported, outcomes joined, wire-only and log-only explained', () => {
  const wire = analyze(capture([LOGIN, { ...LOGIN, cport: 40002, t0: T0 + 2000, steps: [BANNER, { from: 'c', rst: true, atMs: 1.5 }] }, { ...LOGIN, cport: 40003, t0: T0 + 3000, steps: [BANNER, { from: 'c', fin: true }] }])).connections ?? [];
  const skew = 37_000; // the log's clock is 37 s ahead
  const iso = (ms: number) => new Date(ms + skew).toISOString();
  const rec = (port: number, start: number, end: number, outcome: ConnectionRecord['outcome']): ConnectionRecord => ({ host: 'srv', pid: port, pids: [port], src: '192.0.2.11', srcPort: port, local: '192.0.2.1', localPort: 22, start: iso(start), end: iso(end), phase: 'auth', outcome, detail: outcome, users: ['root'], methods: ['publickey'], failures: 0, evidence: [] });
  const log = {
    connections: [rec(40000, T0 + 3, T0 + 12, 'authenticated'), rec(40003, T0 + 3004, T0 + 3004, 'closed_before_ident'), rec(40009, T0 + 5000, T0 + 5000, 'auth_failed'), rec(40010, T0 + 999_000, T0 + 999_000, 'auth_failed')],
    logLevel: { level: 'INFO' as const, why: '' },
    events: [],
    era: { range: 'unknown', clues: [] },
  };
  const j = joinWireWithLog(wire, log);
  assert.ok(j.clockOffsetMs !== null && Math.abs(j.clockOffsetMs - skew) < 10, `offset ${j.clockOffsetMs}`);
  assert.deepEqual(j.both.map((b) => [b.clientPort, b.wire.outcome, b.log.outcome, b.joinedOutcome, b.agree]), [[40000, 'authenticated_or_failed', 'authenticated', 'authenticated', true], [40003, 'closed_before_ident', 'closed_before_ident', 'closed_before_ident', true]]);
  assert.deepEqual(j.wireOnly.map((w) => w.wire.clientPort), [40002]);
  assert.match(j.wireOnly[0].why, /too quick/);
  assert.deepEqual(j.logOnly.map((l) => [l.log.clientPort, l.why]), [[40009, 'not in the capture: its filter or interface missed it, or the capture dropped packets (see tcpdump\'s "packets dropped by kernel")'], [40010, 'after the capture ended']]);
  assert.equal(j.sources.find((s) => s.address === '192.0.2.11')?.class, 'legit');
});

test('join: a disagreement is listed and the log wins unless it only inferred', () => {
  const wire = analyze(capture([{ ...LOGIN, cport: 41000, steps: [BANNER, { from: 'c', fin: true }] }])).connections ?? [];
  const base: ConnectionRecord = { host: null, pid: 1, pids: [1], src: '192.0.2.11', srcPort: 41000, local: null, localPort: null, start: new Date(T0 + 2).toISOString(), end: new Date(T0 + 2).toISOString(), phase: 'tcp', outcome: 'timeout', detail: 'x', users: [], methods: [], failures: 0, evidence: [] };
  const meta = { logLevel: { level: 'INFO' as const, why: '' }, events: [], era: { range: 'unknown', clues: [] } };
  const j = joinWireWithLog(wire, { ...meta, connections: [base] });
  assert.deepEqual(j.disagreements.map((d) => [d.wire.outcome, d.log.outcome, d.joinedOutcome]), [['closed_before_ident', 'timeout', 'timeout']]);
  const k = joinWireWithLog(wire, { ...meta, connections: [{ ...base, inferred: true }] });
  assert.equal(k.both[0].joinedOutcome, 'closed_before_ident');
});

test('tshark reads the synthetic captures as the same TCP streams (they are real captures)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-pcap-synth-'));
  try {
    for (const [f, l] of [['pcap', 1], ['pcapng', 276], ['pcap-ns', 113], ['pcapng-be', 0]] as [Format, number][]) {
      const file = join(dir, `${f}-${l}.pcap`);
      writeFileSync(file, capture([LOGIN, HTTP6], f, l, { ifaces: 2 }));
      const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-e', 'tcp.stream', '-e', 'tcp.flags'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `tshark (test.sh installs it): ${r.stderr}`);
      const streams = new Set(r.stdout.trim().split('\n').map((x) => x.split('\t')[0]));
      assert.equal(streams.size, 2, `${f}/${l}: ${r.stdout}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
