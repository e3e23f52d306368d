/**
 * Parsed KEXINITs and their negotiation, shared by the connections of one capture: a server sends
 * the same KEXINIT to every client (only the 16-byte cookie differs) and clients of one kind send
 * the same one, so on a busy capture almost every KEXINIT has been parsed and negotiated before.
 * Owned by one analyzer (no global); bounded: at most MAX_ENTRIES kept, then it starts afresh.
 */
import { negotiate, serverOffer, type Compatibility } from '../probe/negotiation.ts';
import { parseKexInit, type KexInit } from '../probe/ssh-wire.ts';

const MAX_ENTRIES = 512;

export class KexCache {
  private parsed = new Map<string, KexInit>();
  private negotiated = new WeakMap<KexInit, Map<KexInit, Compatibility>>();

  /** parseKexInit (throws the same way), cached by the payload without its cookie. */
  parse(payload: Buffer): KexInit {
    if (payload.length < 17 || payload.length > 64 * 1024) return parseKexInit(payload);
    const key = payload.toString('latin1', 17);
    const hit = this.parsed.get(key);
    if (hit !== undefined) return hit;
    const k = parseKexInit(payload);
    if (this.parsed.size >= MAX_ENTRIES) {
      this.parsed = new Map();
      this.negotiated = new WeakMap();
    }
    this.parsed.set(key, k);
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
