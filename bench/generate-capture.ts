/**
 * Generates a large, deterministic capture for bench/pcap.ts: SSH connections of every kind the
 * pcap command tells apart (logins with encrypted traffic, silent closes, MaxStartups drops, key
 * scans, HTTP, unanswered SYNs, resets, algorithm mismatches), a few hundred open at once, from a
 * pool of client addresses, written as pcap (Ethernet) or pcapng (Linux cooked v2) in a stream.
 *
 *   node bench/generate-capture.ts OUT.pcap [--packets 1000000] [--format pcap|pcapng]
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CaptureWriter, conversation, linkWrap, ssh, sshLoginSteps, CLIENT_KEX, SERVER_KEX, type Step } from '../test/pcap/synthetic.ts';

export interface GeneratedCapture {
  packets: number;
  connections: number;
  byKind: Record<string, number>;
}

const BANNER: Step = { from: 's', data: ssh.ident('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3') };

/** xorshift32: deterministic. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

function kindSteps(kind: string, r: () => number): { steps: Step[]; handshake?: 'full' | 'syn-only' } {
  switch (kind) {
    case 'login': {
      const steps = sshLoginSteps();
      const tail = steps.splice(-3); // the FINs
      const n = 4 + Math.floor(r() * 20);
      for (let i = 0; i < n; i++) steps.push({ from: i % 3 === 0 ? 'c' : 's', data: ssh.encrypted(64 + Math.floor(r() * 1300)) });
      return { steps: [...steps, ...tail] };
    }
    case 'silent':
      return { steps: [BANNER, { from: 'c', fin: true }, { from: 's', fin: true }, { from: 'c', ack: true }] };
    case 'dropped':
      return { steps: [{ from: 's', data: 'Exceeded MaxStartups\r\n' }, { from: 's', fin: true }, { from: 'c', fin: true }, { from: 's', ack: true }] };
    case 'keyscan':
      return { steps: [BANNER, { from: 'c', data: ssh.ident('SSH-2.0-OpenSSH_9.6') }, { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) }, { from: 'c', data: ssh.kexinit(CLIENT_KEX, ['ssh-ed25519']) }, { from: 'c', data: ssh.kexMsg(30) }, { from: 's', data: ssh.kexMsg(31, 200) }, { from: 'c', fin: true }, { from: 's', fin: true }, { from: 'c', ack: true }] };
    case 'http':
      return { steps: [BANNER, { from: 'c', data: 'GET / HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n' }, { from: 's', data: 'Invalid SSH identification string.\r\n' }, { from: 's', fin: true }, { from: 'c', fin: true }, { from: 's', ack: true }] };
    case 'syn':
      return { steps: [], handshake: 'syn-only' };
    case 'rst':
      return { steps: [BANNER, { from: 'c', rst: true }] };
    default: // kex mismatch
      return { steps: [BANNER, { from: 'c', data: ssh.ident('SSH-2.0-OldClient') }, { from: 's', data: ssh.kexinit(SERVER_KEX, ['ssh-ed25519']) }, { from: 'c', data: ssh.kexinit(['diffie-hellman-group1-sha1'], ['ssh-rsa']) }, { from: 's', fin: true }, { from: 'c', fin: true }, { from: 's', ack: true }] };
  }
}

const KINDS: [string, number][] = [['login', 0.4], ['silent', 0.2], ['dropped', 0.1], ['keyscan', 0.1], ['http', 0.05], ['syn', 0.05], ['rst', 0.05], ['mismatch', 0.05]];

export function generateCapture(out: string, packets: number, format: 'pcap' | 'pcapng' = 'pcap', seed = 42): GeneratedCapture {
  const r = rng(seed);
  const link = format === 'pcap' ? 1 : 276;
  const w = new CaptureWriter(format, [link]);
  const fd = openSync(out, 'w');
  const byKind: Record<string, number> = {};
  let written = 0;
  let connections = 0;
  let t = Date.UTC(2026, 11, 1);
  try {
    while (written < packets) {
      // a batch of 300 connections starting within 300 ms: they overlap, as on a busy server
      const batch: { ts: number; ip: Buffer }[] = [];
      for (let i = 0; i < 300; i++) {
        let x = r();
        let kind = KINDS[KINDS.length - 1][0];
        for (const [k, p] of KINDS) {
          if (x < p) {
            kind = k;
            break;
          }
          x -= p;
        }
        const n = Math.floor(r() * 5000);
        const client = n % 2 ? `198.51.100.${1 + (n % 250)}` : `2001:db8:${(n >> 8).toString(16)}::${(n & 255).toString(16)}`;
        const { steps, handshake } = kindSteps(kind, r);
        batch.push(...conversation({ client, server: client.includes(':') ? '2001:db8::1' : '192.0.2.1', cport: 1024 + ((connections * 7) % 64000), t0: t + i, steps, handshake }));
        byKind[kind] = (byKind[kind] ?? 0) + 1;
        connections++;
      }
      batch.sort((a, b) => a.ts - b.ts);
      for (const p of batch) {
        w.packet(p.ts, linkWrap(link, p.ip));
        written++;
      }
      writeSync(fd, w.drain());
      t += 10_000; // the next batch after the linger: no port reuse within a batch window
    }
  } finally {
    closeSync(fd);
  }
  return { packets: written, connections, byKind };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { packets: { type: 'string', default: '1000000' }, format: { type: 'string', default: 'pcap' } } });
  if (positionals.length !== 1) throw new Error('usage: node bench/generate-capture.ts OUT [--packets N] [--format pcap|pcapng]');
  const g = generateCapture(positionals[0], Number(values.packets), values.format as 'pcap' | 'pcapng');
  console.log(JSON.stringify(g));
}
