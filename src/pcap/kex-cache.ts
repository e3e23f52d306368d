/**
 * Parsed KEXINITs and their negotiation, shared by the connections of one capture: a server sends
 * the same KEXINIT to every client (only the 16-byte cookie differs) and clients of one kind send
 * the same one, so on a busy capture almost every KEXINIT has been parsed and negotiated before.
 * Owned by one analyzer (no global); bounded: at most MAX_ENTRIES kept, then it starts afresh.
 */
import { negotiate, serverOffer, type Compatibility } from '../probe/negotiation.ts';
import { parseIdentification, parseKexInit, type KexInit, type SshIdentification } from '../probe/ssh-wire.ts';
import { KEX_MARKERS } from '../probe/algorithm-notes.ts';
import type { KexFacts } from './types.ts';

const MAX_ENTRIES = 512;

/** What a KEXINIT pair says, the same for every connection with that pair (shared, never changed by its users). */
export type PairFacts = Omit<KexFacts, 'completed' | 'durationMs'>;

/** Bytes hashed from each end of a KEXINIT payload to pick its cache bucket. */
const HASHED = 64;

export class KexCache {
  /** By a hash of the payload after its cookie (no string made per KEXINIT); each entry keeps those bytes to compare. */
  private parsed = new Map<number, { bytes: Buffer; kex: KexInit }[]>();
  private idents = new Map<string, { text: string; parsed: SshIdentification | null }>();
  private pairs = new WeakMap<KexInit, Map<KexInit, PairFacts>>();

  /** An identification line as printed and parsed (`printable` given by the caller), cached by the raw line. */
  ident(line: string, printable: (s: string) => string): { text: string; parsed: SshIdentification | null } {
    let hit = this.idents.get(line);
    if (hit === undefined) {
      if (this.idents.size >= MAX_ENTRIES) this.idents = new Map();
      this.idents.set(line, (hit = { text: printable(line), parsed: parseIdentification(line) }));
    }
    return hit;
  }

  /** The negotiation facts of a KEXINIT pair (either may be missing), cached when both are there. */
  pairFacts(client: KexInit | null, server: KexInit | null, clientName: string): PairFacts {
    if (client === null || server === null) return this.computePair(client, server, clientName);
    let m = this.pairs.get(client);
    if (m === undefined) this.pairs.set(client, (m = new Map()));
    let f = m.get(server);
    if (f === undefined) {
      f = this.computePair(client, server, clientName);
      if (m.size < MAX_ENTRIES) m.set(server, f);
    }
    return f;
  }

  private computePair(ck: KexInit | null, sk: KexInit | null, clientName: string): PairFacts {
    const clientMarkers = ck === null ? [] : ck.kex.filter((a) => KEX_MARKERS.has(a));
    const serverMarkers = sk === null ? [] : sk.kex.filter((a) => KEX_MARKERS.has(a));
    const out: PairFacts = {
      negotiated: [],
      noCommon: [],
      clientMarkers,
      serverMarkers,
      strictKex: clientMarkers.includes('kex-strict-c-v00@openssh.com') && serverMarkers.includes('kex-strict-s-v00@openssh.com'),
    };
    if (ck !== null && sk !== null) {
      const comp = this.negotiate(ck, sk, clientName);
      for (const r of comp.categories) {
        out.negotiated.push(r.chosen === null && r.relevant ? { category: r.category, chosen: null, relevant: true, client: r.client, server: r.server } : { category: r.category, chosen: r.chosen, relevant: r.relevant });
      }
      out.noCommon = comp.mismatched;
    }
    return out;
  }
  private negotiated = new WeakMap<KexInit, Map<KexInit, Compatibility>>();

  /** parseKexInit (throws the same way), cached by the payload without its cookie. */
  parse(payload: Buffer): KexInit {
    if (payload.length < 17 || payload.length > 64 * 1024) return parseKexInit(payload);
    // The hash only picks the bucket (entries are compared byte for byte): the length and at most
    // HASHED bytes from each end of the name-lists are enough to tell a capture's few KEXINITs apart.
    const n = payload.length;
    let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
    const head = Math.min(n, 17 + HASHED);
    for (let i = 17; i < head; i++) h = Math.imul(h ^ payload[i], 0x01000193);
    for (let i = Math.max(head, n - HASHED); i < n; i++) h = Math.imul(h ^ payload[i], 0x01000193);
    const key = h & 0x3fffffff;
    const list = this.parsed.get(key);
    if (list !== undefined) {
      for (const e of list) if (e.bytes.length === payload.length - 17 && payload.compare(e.bytes, 0, e.bytes.length, 17) === 0) return e.kex;
    }
    const k = parseKexInit(payload);
    if (this.parsed.size >= MAX_ENTRIES) {
      this.parsed = new Map();
      this.negotiated = new WeakMap();
      this.pairs = new WeakMap();
    }
    const entry = { bytes: Buffer.from(payload.subarray(17)), kex: k };
    const again = this.parsed.get(key);
    if (again === undefined) this.parsed.set(key, [entry]);
    else if (again.length < 8) again.push(entry);
    return k;
  }

  /** RFC 4253 negotiation of a client's and a server's KEXINIT (src/probe/negotiation.ts), cached per pair. */
  negotiate(client: KexInit, server: KexInit, clientName: string): Compatibility {
    let m = this.negotiated.get(client);
    if (m === undefined) this.negotiated.set(client, (m = new Map()));
    let c = m.get(server);
    if (c === undefined) {
      c = negotiate({ name: clientName, source: 'profile', kex: client.kex, hostKey: client.hostKey, ciphers: client.ciphersCtoS, macs: client.macsCtoS, compression: client.compressionCtoS }, serverOffer(server));
      if (m.size < MAX_ENTRIES) m.set(server, c);
    }
    return c;
  }
}
