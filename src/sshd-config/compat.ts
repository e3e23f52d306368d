/**
 * Which clients can still connect: the SSH negotiation rule (RFC 4253 7.1: the first algorithm
 * on the client's list that the server also offers) applied to a client profile and the
 * server's effective lists. Pure.
 */
import type { ClientProfile, ServerOffer } from '../profiles/index.ts';

export interface CompatResult {
  profile: string;
  ok: boolean;
  kex: string | null;
  hostKey: string | null;
  cipher: string | null;
  mac: string | null;
  /** What the client prints when it cannot connect ("no matching key exchange method found"). */
  failure: string | null;
}

const AEAD = new Set(['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com']);

function pick(client: readonly string[], server: readonly string[]): string | null {
  for (const c of client) if (server.includes(c)) return c;
  return null;
}

/** Host key algorithms a server can actually sign with, from its host key types. */
export function hostKeyAlgorithmsFor(keyTypes: readonly string[], offered: readonly string[]): string[] {
  const ok = new Set<string>();
  for (const t of keyTypes) {
    if (t === 'rsa') for (const a of ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']) ok.add(a);
    else if (t === 'ed25519') ok.add('ssh-ed25519');
    else if (t === 'ecdsa') for (const a of ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521']) ok.add(a);
    else if (t === 'dsa') ok.add('ssh-dss');
  }
  return offered.filter((a) => ok.has(a));
}

export function negotiate(p: ClientProfile, s: ServerOffer): CompatResult {
  const kex = pick(p.kex, s.kex);
  const hostKey = pick(p.hostKey, s.hostKey);
  const cipher = pick(p.ciphers, s.ciphers);
  const mac = cipher && AEAD.has(cipher) ? '(implicit)' : pick(p.macs, s.macs);
  let failure: string | null = null;
  if (!kex) failure = `no matching key exchange method found. Their offer: ${s.kex.join(',')}`;
  else if (!hostKey) failure = `no matching host key type found. Their offer: ${s.hostKey.join(',')}`;
  else if (!cipher) failure = `no matching cipher found. Their offer: ${s.ciphers.join(',')}`;
  else if (!mac) failure = `no matching MAC found. Their offer: ${s.macs.join(',')}`;
  return { profile: p.name, ok: failure === null, kex, hostKey, cipher, mac, failure };
}
