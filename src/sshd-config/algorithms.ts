/**
 * Algorithm names sshd accepts in Ciphers / MACs / KexAlgorithms / HostKeyAlgorithms per release,
 * and how weak each one is, as data. `since`/`until` are OpenSSH releases (until = first release
 * without it). Boundaries marked "uncertain" were not checked against the source.
 */
import { cmpVersion } from '../openssh-versions.ts';

export type AlgoKind = 'kex' | 'cipher' | 'mac' | 'key';
export type Weakness = 'ok' | 'weak' | 'broken';

export interface AlgoInfo {
  name: string;
  kind: AlgoKind;
  since: string;
  until?: string;
  weakness: Weakness;
  why?: string;
  /** Vulnerable to the Terrapin prefix-truncation attack (CVE-2023-48795) without strict KEX. */
  terrapin?: boolean;
}

const A = (kind: AlgoKind, name: string, since: string, weakness: Weakness = 'ok', extra: Partial<AlgoInfo> = {}): AlgoInfo => ({ name, kind, since, weakness, ...extra });

export const ALGORITHMS: readonly AlgoInfo[] = [
  // Ciphers
  A('cipher', '3des-cbc', '1.0', 'weak', { why: '64-bit block cipher (SWEET32), CBC mode' }),
  A('cipher', 'aes128-cbc', '1.0', 'weak', { why: 'CBC mode (plaintext recovery attacks; Terrapin with EtM MACs)' }),
  A('cipher', 'aes192-cbc', '1.0', 'weak', { why: 'CBC mode' }),
  A('cipher', 'aes256-cbc', '1.0', 'weak', { why: 'CBC mode' }),
  A('cipher', 'rijndael-cbc@lysator.liu.se', '1.0', 'weak', { until: '7.6', why: 'CBC mode, pre-standard AES name' }), // uncertain: removal release
  A('cipher', 'blowfish-cbc', '1.0', 'broken', { until: '7.6', why: '64-bit block cipher' }),
  A('cipher', 'cast128-cbc', '1.0', 'broken', { until: '7.6', why: '64-bit block cipher' }),
  A('cipher', 'arcfour', '1.0', 'broken', { until: '7.6', why: 'RC4 is broken' }),
  A('cipher', 'arcfour128', '1.0', 'broken', { until: '7.6', why: 'RC4 is broken' }),
  A('cipher', 'arcfour256', '1.0', 'broken', { until: '7.6', why: 'RC4 is broken' }),
  A('cipher', 'aes128-ctr', '1.0'),
  A('cipher', 'aes192-ctr', '1.0'),
  A('cipher', 'aes256-ctr', '1.0'),
  A('cipher', 'aes128-gcm@openssh.com', '6.2'),
  A('cipher', 'aes256-gcm@openssh.com', '6.2'),
  A('cipher', 'chacha20-poly1305@openssh.com', '6.5', 'ok', { terrapin: true }),
  // MACs
  A('mac', 'hmac-sha1', '1.0', 'weak', { why: 'SHA-1' }),
  A('mac', 'hmac-sha1-96', '1.0', 'weak', { why: 'SHA-1, truncated' }),
  A('mac', 'hmac-sha2-256', '5.9'),
  A('mac', 'hmac-sha2-512', '5.9'),
  A('mac', 'hmac-md5', '1.0', 'broken', { why: 'MD5' }),
  A('mac', 'hmac-md5-96', '1.0', 'broken', { why: 'MD5, truncated' }),
  A('mac', 'hmac-ripemd160', '1.0', 'weak', { until: '7.6' }),
  A('mac', 'hmac-ripemd160@openssh.com', '1.0', 'weak', { until: '7.6' }),
  A('mac', 'umac-64@openssh.com', '4.7', 'weak', { why: '64-bit tag' }),
  A('mac', 'umac-128@openssh.com', '6.2'),
  A('mac', 'hmac-sha1-etm@openssh.com', '6.2', 'weak', { why: 'SHA-1', terrapin: true }),
  A('mac', 'hmac-sha1-96-etm@openssh.com', '6.2', 'weak', { why: 'SHA-1, truncated', terrapin: true }),
  A('mac', 'hmac-sha2-256-etm@openssh.com', '6.2', 'ok', { terrapin: true }),
  A('mac', 'hmac-sha2-512-etm@openssh.com', '6.2', 'ok', { terrapin: true }),
  A('mac', 'hmac-md5-etm@openssh.com', '6.2', 'broken', { why: 'MD5', terrapin: true }),
  A('mac', 'hmac-md5-96-etm@openssh.com', '6.2', 'broken', { why: 'MD5, truncated', terrapin: true }),
  A('mac', 'hmac-ripemd160-etm@openssh.com', '6.2', 'weak', { until: '7.6', terrapin: true }),
  A('mac', 'umac-64-etm@openssh.com', '6.2', 'weak', { why: '64-bit tag', terrapin: true }),
  A('mac', 'umac-128-etm@openssh.com', '6.2', 'ok', { terrapin: true }),
  // Key exchange
  A('kex', 'diffie-hellman-group1-sha1', '1.0', 'broken', { why: '1024-bit group (Logjam), SHA-1' }),
  A('kex', 'diffie-hellman-group14-sha1', '3.9', 'weak', { why: 'SHA-1' }),
  A('kex', 'diffie-hellman-group14-sha256', '7.3'),
  A('kex', 'diffie-hellman-group16-sha512', '7.3'),
  A('kex', 'diffie-hellman-group18-sha512', '7.3'),
  A('kex', 'diffie-hellman-group-exchange-sha1', '3.9', 'weak', { why: 'SHA-1' }),
  A('kex', 'diffie-hellman-group-exchange-sha256', '4.4'),
  A('kex', 'ecdh-sha2-nistp256', '5.7', 'ok', { why: 'NIST curve (no post-quantum protection)' }),
  A('kex', 'ecdh-sha2-nistp384', '5.7'),
  A('kex', 'ecdh-sha2-nistp521', '5.7'),
  A('kex', 'curve25519-sha256@libssh.org', '6.5'),
  A('kex', 'curve25519-sha256', '7.4'),
  A('kex', 'sntrup4591761x25519-sha512@tinyssh.org', '8.0', 'weak', { until: '8.5', why: 'withdrawn experimental post-quantum KEX' }),
  A('kex', 'sntrup761x25519-sha512@openssh.com', '8.5'),
  A('kex', 'sntrup761x25519-sha512', '9.9'),
  A('kex', 'mlkem768x25519-sha256', '9.9'),
  // Host key / signature algorithms
  A('key', 'ssh-ed25519', '6.5'),
  A('key', 'ssh-ed25519-cert-v01@openssh.com', '6.5'),
  A('key', 'ecdsa-sha2-nistp256', '5.7'),
  A('key', 'ecdsa-sha2-nistp384', '5.7'),
  A('key', 'ecdsa-sha2-nistp521', '5.7'),
  A('key', 'ecdsa-sha2-nistp256-cert-v01@openssh.com', '5.7'),
  A('key', 'ecdsa-sha2-nistp384-cert-v01@openssh.com', '5.7'),
  A('key', 'ecdsa-sha2-nistp521-cert-v01@openssh.com', '5.7'),
  A('key', 'rsa-sha2-256', '7.2'),
  A('key', 'rsa-sha2-512', '7.2'),
  A('key', 'rsa-sha2-256-cert-v01@openssh.com', '7.8'),
  A('key', 'rsa-sha2-512-cert-v01@openssh.com', '7.8'),
  A('key', 'ssh-rsa', '1.0', 'weak', { why: 'SHA-1 signatures (disabled by default since 8.8)' }),
  A('key', 'ssh-rsa-cert-v01@openssh.com', '5.6', 'weak', { why: 'SHA-1 signatures' }),
  A('key', 'ssh-dss', '1.0', 'broken', { until: '10.0', why: 'DSA, 1024-bit, SHA-1' }),
  A('key', 'ssh-dss-cert-v01@openssh.com', '5.6', 'broken', { until: '10.0', why: 'DSA' }),
  A('key', 'sk-ssh-ed25519@openssh.com', '8.2'),
  A('key', 'sk-ssh-ed25519-cert-v01@openssh.com', '8.2'),
  A('key', 'sk-ecdsa-sha2-nistp256@openssh.com', '8.2'),
  A('key', 'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com', '8.2'),
  A('key', 'webauthn-sk-ecdsa-sha2-nistp256@openssh.com', '8.4'),
];

const BY_NAME = new Map(ALGORITHMS.map((a) => [a.name, a]));

export function algoInfo(name: string): AlgoInfo | undefined {
  return BY_NAME.get(name);
}

/** Every name of `kind` a `version` sshd supports, in table order ("all" for kex_assemble_names). */
export function supported(kind: AlgoKind, version: string, extra: readonly string[] = []): string[] {
  const out = ALGORITHMS.filter((a) => a.kind === kind && cmpVersion(version, a.since) >= 0 && (!a.until || cmpVersion(version, a.until) < 0)).map((a) => a.name);
  for (const e of extra) if (!out.includes(e)) out.push(e);
  return out;
}

/** match.c match_pattern: `*` and `?` wildcards. */
export function wildcardMatch(s: string, pattern: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  return re.test(s);
}

/**
 * kex.c kex_assemble_names: resolves `+list` (append), `-list` (remove), `^list` (prepend) and
 * plain lists (wildcards allowed) against the default and the supported list. Null = empty result.
 */
export function assembleNames(spec: string | null, def: readonly string[], all: readonly string[]): string[] | null {
  if (spec === null || spec === '') return [...def];
  const cat = (a: readonly string[], b: readonly string[]): string[] => {
    const out: string[] = [];
    for (const x of [...a, ...b]) if (x && !out.includes(x)) out.push(x);
    return out;
  };
  const first = spec[0];
  let list: string[];
  if (first === '-') {
    const pats = spec.slice(1).split(',');
    const r = def.filter((d) => !pats.some((p) => wildcardMatch(d, p)));
    return r;
  } else if (first === '+') list = cat(def, spec.slice(1).split(','));
  else if (first === '^') list = cat(spec.slice(1).split(','), def);
  else list = spec.split(',');
  let ret: string[] = [];
  for (const p of list) {
    if (p.startsWith('!')) return null;
    ret = cat(ret, all.filter((a) => wildcardMatch(a, p)));
  }
  return ret.length ? ret : null;
}

/** Names in a list spec that this version does not know (what makes sshd reject the line). */
export function unknownNames(spec: string, kind: AlgoKind, version: string, extra: readonly string[] = []): string[] {
  const body = /^[+^-]/.test(spec) ? spec.slice(1) : spec;
  const all = supported(kind, version, extra);
  const bad: string[] = [];
  for (const n of body.split(',')) {
    // ciphers_valid/mac_valid/kex_names_valid/sshkey_names_valid2 stop at the first empty name
    if (n === '') break;
    if (spec[0] === '-') continue; // removals are not validated by sshd
    if (kind === 'key' && /[*?]/.test(n) ? !all.some((a) => wildcardMatch(a, n)) : !all.includes(n)) bad.push(n);
  }
  return bad;
}
