/**
 * Algorithm negotiation as RFC 4253 §7.1 defines it (the first algorithm on the client's list
 * that the server also offers), weak-algorithm notes, and Terrapin (CVE-2023-48795) exposure.
 * Pure.
 */
import { AEAD_CIPHERS, CIPHER_NOTES, HOSTKEY_NOTES, KEX_MARKERS, KEX_NOTES, MAC_NOTES, noteFor, type AlgorithmNote } from './algorithm-notes.ts';
import type { KexInit } from './ssh-wire.ts';

export type Category = 'kex' | 'hostKey' | 'ciphers' | 'macs' | 'compression';
export const CATEGORIES: readonly Category[] = ['kex', 'hostKey', 'ciphers', 'macs', 'compression'];

/** How users and ssh name each category (as in `no matching <name> found` and ssh_config). */
export const CATEGORY_INFO: Readonly<Record<Category, { label: string; sshMessage: string; option: string; queryName: string }>> = {
  kex: { label: 'key exchange', sshMessage: 'key exchange method', option: 'KexAlgorithms', queryName: 'kex' },
  hostKey: { label: 'host key', sshMessage: 'host key type', option: 'HostKeyAlgorithms', queryName: 'key-sig' },
  ciphers: { label: 'cipher', sshMessage: 'cipher', option: 'Ciphers', queryName: 'cipher' },
  macs: { label: 'MAC', sshMessage: 'MAC', option: 'MACs', queryName: 'mac' },
  compression: { label: 'compression', sshMessage: 'compression method', option: 'Compression', queryName: 'compression' },
};

/** A client's offers: the local ssh's effective configuration or a named profile. */
export interface ClientOffer {
  readonly name: string;
  readonly source: 'local-ssh' | 'profile';
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly ciphers: readonly string[];
  readonly macs: readonly string[];
  readonly compression: readonly string[];
  /** What the client could enable beyond its defaults (`ssh -Q`), when known. */
  readonly supported?: Partial<Record<Category, readonly string[]>>;
}

export interface ServerOffer {
  readonly kex: string[];
  readonly hostKey: string[];
  readonly ciphers: string[];
  readonly macs: string[];
  readonly compression: string[];
  readonly markers: string[];
  readonly strictKex: boolean;
  readonly extInfo: boolean;
}

export function serverOffer(k: KexInit): ServerOffer {
  const markers = k.kex.filter((a) => KEX_MARKERS.has(a));
  // Both directions are almost always equal; union keeps an odd server honest.
  const union = (a: string[], b: string[]) => [...a, ...b.filter((x) => !a.includes(x))];
  return {
    kex: k.kex.filter((a) => !KEX_MARKERS.has(a)),
    hostKey: k.hostKey,
    ciphers: union(k.ciphersStoC, k.ciphersCtoS),
    macs: union(k.macsStoC, k.macsCtoS),
    compression: union(k.compressionStoC, k.compressionCtoS),
    markers,
    strictKex: markers.includes('kex-strict-s-v00@openssh.com'),
    extInfo: markers.includes('ext-info-s'),
  };
}

export interface CategoryResult {
  readonly category: Category;
  /** The algorithm this client and server would agree on, or null when none. */
  readonly chosen: string | null;
  /** False for MACs when the chosen cipher is AEAD (no MAC is negotiated then). */
  readonly relevant: boolean;
  readonly client: readonly string[];
  readonly server: readonly string[];
  /** When nothing matches: what to change, on which side. */
  readonly fix?: { client: string; server: string };
}

export interface WeakAlgorithm {
  readonly category: Category;
  readonly algorithm: string;
  readonly level: AlgorithmNote['level'];
  readonly why: string;
}

export interface Terrapin {
  /** Server offers chacha20-poly1305 or a CBC cipher together with an EtM MAC. */
  readonly affectedModes: string[];
  readonly strictKex: boolean;
  /** True when affected modes are offered and the server lacks strict kex. */
  readonly exposed: boolean;
  readonly summary: string;
}

export interface Compatibility {
  readonly client: { name: string; source: ClientOffer['source'] };
  readonly ok: boolean;
  readonly categories: CategoryResult[];
  readonly mismatched: Category[];
}

function firstCommon(client: readonly string[], server: readonly string[]): string | null {
  for (const c of client) if (server.includes(c)) return c;
  return null;
}

/** Matches a host-key algorithm, allowing for `rsa-sha2-*` signatures over an `ssh-rsa` key. */
function fixFor(cat: Category, client: ClientOffer, server: readonly string[]): { client: string; server: string } {
  const info = CATEGORY_INFO[cat];
  const canEnable = (client.supported?.[cat] ?? []).filter((a) => server.includes(a));
  const serverWeak = server.filter((a) => noteFor(notesOf(cat), a));
  const goodClient = client[cat].filter((a) => !noteFor(notesOf(cat), a) && !KEX_MARKERS.has(a)).slice(0, 3);
  const clientSide =
    cat === 'compression'
      ? `connect with -o Compression=${server.includes('zlib@openssh.com') || server.includes('zlib') ? 'yes' : 'no'}`
      : canEnable.length > 0
        ? `your client supports ${canEnable.slice(0, 2).join(', ')} but does not offer it by default: \`ssh -o ${info.option}=+${canEnable[0]} …\` (or put it in ~/.ssh/config for this Host)${serverWeak.includes(canEnable[0]) ? ' — a weak algorithm: better fix the server' : ''}`
        : client.source === 'profile'
          ? `the client "${client.name}" cannot use any of the server's ${info.label} algorithms: upgrade the client or change the server`
          : `your ssh supports none of the server's ${info.label} algorithms: upgrade the client or change the server`;
  const serverSide =
    cat === 'compression'
      ? 'set `Compression yes` (or `delayed`) in sshd_config'
      : `add one the client offers to the server's \`${info.option}\` in sshd_config (e.g. ${goodClient.join(', ') || client[cat].slice(0, 2).join(', ')}), check with \`sshd -T | grep -i ${info.option.toLowerCase()}\` and run \`sshwarden audit\` there`;
  return { client: clientSide, server: serverSide };
}

function notesOf(cat: Category): Readonly<Record<string, AlgorithmNote>> {
  return cat === 'kex' ? KEX_NOTES : cat === 'hostKey' ? HOSTKEY_NOTES : cat === 'ciphers' ? CIPHER_NOTES : cat === 'macs' ? MAC_NOTES : {};
}

/** Host key: the client lists signature algorithms; `rsa-sha2-256/512` work with an `ssh-rsa` key only if the server lists them too (it does, in its own list). */
export function negotiate(client: ClientOffer, server: ServerOffer): Compatibility {
  const categories: CategoryResult[] = [];
  let cipher: string | null = null;
  for (const cat of CATEGORIES) {
    const c = cat === 'kex' ? client.kex.filter((a) => !KEX_MARKERS.has(a)) : client[cat];
    const s = server[cat];
    let chosen = firstCommon(c, s);
    if (cat === 'compression' && chosen === null) {
      // OpenSSH writes compression as yes/no in ssh -G; profiles use the wire names.
      chosen = firstCommon(c.flatMap((x) => (x === 'yes' ? ['zlib@openssh.com', 'zlib', 'none'] : x === 'no' ? ['none'] : [x])), s);
    }
    if (cat === 'ciphers') cipher = chosen;
    const relevant = !(cat === 'macs' && cipher !== null && AEAD_CIPHERS.has(cipher));
    const r: CategoryResult = { category: cat, chosen, relevant, client: c, server: s };
    categories.push(chosen === null && relevant ? { ...r, fix: fixFor(cat, client, s) } : r);
  }
  const mismatched = categories.filter((r) => r.chosen === null && r.relevant).map((r) => r.category);
  return { client: { name: client.name, source: client.source }, ok: mismatched.length === 0, categories, mismatched };
}

export function weakAlgorithms(server: ServerOffer): WeakAlgorithm[] {
  const out: WeakAlgorithm[] = [];
  for (const cat of CATEGORIES) {
    for (const a of server[cat]) {
      const n = noteFor(notesOf(cat), a);
      if (n) out.push({ category: cat, algorithm: a, level: n.level, why: n.why });
    }
  }
  return out;
}

export function terrapin(server: ServerOffer): Terrapin {
  const affectedModes: string[] = [];
  if (server.ciphers.includes('chacha20-poly1305@openssh.com')) affectedModes.push('chacha20-poly1305@openssh.com');
  const cbc = server.ciphers.filter((c) => c.endsWith('-cbc') || c === 'rijndael-cbc@lysator.liu.se');
  const etm = server.macs.filter((m) => m.includes('-etm@openssh.com'));
  if (cbc.length > 0 && etm.length > 0) affectedModes.push(`${cbc[0]} with ${etm[0]} (CBC + EtM)`);
  const exposed = affectedModes.length > 0 && !server.strictKex;
  const summary =
    affectedModes.length === 0
      ? 'not affected: the server offers neither chacha20-poly1305 nor CBC with EtM MACs'
      : server.strictKex
        ? `the server offers ${affectedModes.join(' and ')}, mitigated by strict key exchange (kex-strict-s-v00@openssh.com): safe when the client supports strict kex too (OpenSSH 9.6+, PuTTY 0.80+, or patched builds)`
        : `EXPOSED to Terrapin (CVE-2023-48795): the server offers ${affectedModes.join(' and ')} without strict key exchange; update the server (OpenSSH 9.6+ or a patched package) or remove those modes`;
  return { affectedModes, strictKex: server.strictKex, exposed, summary };
}
