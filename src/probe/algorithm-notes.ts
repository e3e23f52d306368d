/**
 * Weak and obsolete SSH algorithms, as data. `fail` = broken or removed from OpenSSH's
 * defaults for security reasons; `warn` = works but should go. Sources: RFC 9142, OpenSSH
 * release notes (ssh-rsa SHA-1 signatures disabled by default in 8.8, DSA removed 9.8/10.0,
 * CBC/arcfour/3des dropped from defaults 7.x), CVE-2023-48795 (Terrapin).
 */
export interface AlgorithmNote {
  readonly level: 'fail' | 'warn';
  readonly why: string;
}

export const KEX_NOTES: Readonly<Record<string, AlgorithmNote>> = {
  'diffie-hellman-group1-sha1': { level: 'fail', why: '1024-bit group and SHA-1 (disabled by default since OpenSSH 6.9)' },
  'diffie-hellman-group14-sha1': { level: 'warn', why: 'SHA-1 (not offered by OpenSSH clients since 8.2)' },
  'diffie-hellman-group-exchange-sha1': { level: 'fail', why: 'SHA-1 (disabled by default since OpenSSH 6.9)' },
  'gss-gex-sha1-': { level: 'fail', why: 'SHA-1' },
  'gss-group1-sha1-': { level: 'fail', why: '1024-bit group and SHA-1' },
  'gss-group14-sha1-': { level: 'warn', why: 'SHA-1' },
  'rsa1024-sha1': { level: 'fail', why: '1024-bit RSA and SHA-1' },
  'ecdh-sha2-nistp256': { level: 'warn', why: 'NIST P-curve (fine, but curve25519 is preferred)' },
  'ecdh-sha2-nistp384': { level: 'warn', why: 'NIST P-curve (fine, but curve25519 is preferred)' },
  'ecdh-sha2-nistp521': { level: 'warn', why: 'NIST P-curve (fine, but curve25519 is preferred)' },
};

export const HOSTKEY_NOTES: Readonly<Record<string, AlgorithmNote>> = {
  'ssh-dss': { level: 'fail', why: 'DSA: 1024-bit, removed from OpenSSH 10.0' },
  'ssh-rsa': { level: 'warn', why: 'RSA with SHA-1 signatures (disabled by default in OpenSSH clients since 8.8)' },
  'ssh-rsa-cert-v01@openssh.com': { level: 'warn', why: 'RSA with SHA-1 signatures' },
  'ssh-dss-cert-v01@openssh.com': { level: 'fail', why: 'DSA' },
};

export const CIPHER_NOTES: Readonly<Record<string, AlgorithmNote>> = {
  '3des-cbc': { level: 'fail', why: '64-bit block cipher (Sweet32)' },
  'blowfish-cbc': { level: 'fail', why: '64-bit block cipher' },
  'cast128-cbc': { level: 'fail', why: '64-bit block cipher' },
  arcfour: { level: 'fail', why: 'RC4 is broken' },
  arcfour128: { level: 'fail', why: 'RC4 is broken' },
  arcfour256: { level: 'fail', why: 'RC4 is broken' },
  'aes128-cbc': { level: 'warn', why: 'CBC mode (plaintext-recovery attacks; not in OpenSSH defaults since 7.2)' },
  'aes192-cbc': { level: 'warn', why: 'CBC mode' },
  'aes256-cbc': { level: 'warn', why: 'CBC mode' },
  'rijndael-cbc@lysator.liu.se': { level: 'fail', why: 'CBC alias, removed from OpenSSH' },
  none: { level: 'fail', why: 'no encryption' },
};

export const MAC_NOTES: Readonly<Record<string, AlgorithmNote>> = {
  'hmac-md5': { level: 'fail', why: 'MD5' },
  'hmac-md5-96': { level: 'fail', why: 'MD5, truncated' },
  'hmac-md5-etm@openssh.com': { level: 'fail', why: 'MD5' },
  'hmac-md5-96-etm@openssh.com': { level: 'fail', why: 'MD5, truncated' },
  'hmac-sha1-96': { level: 'fail', why: 'SHA-1, truncated' },
  'hmac-sha1-96-etm@openssh.com': { level: 'fail', why: 'SHA-1, truncated' },
  'hmac-ripemd160': { level: 'warn', why: 'RIPEMD-160, removed from OpenSSH 7.6' },
  'umac-64@openssh.com': { level: 'warn', why: '64-bit tag, encrypt-and-MAC' },
  'umac-64-etm@openssh.com': { level: 'warn', why: '64-bit tag' },
  'hmac-sha1': { level: 'warn', why: 'SHA-1, encrypt-and-MAC' },
  'hmac-sha1-etm@openssh.com': { level: 'warn', why: 'SHA-1' },
  none: { level: 'fail', why: 'no integrity protection' },
};

/** Pseudo-algorithms carried in the kex list: markers, not key exchanges. */
export const KEX_MARKERS = new Set([
  'ext-info-c',
  'ext-info-s',
  'kex-strict-c-v00@openssh.com',
  'kex-strict-s-v00@openssh.com',
  'ext-info-in-auth@openssh.com',
]);

/** Ciphers that carry their own MAC (AEAD): with one of these, the MAC lists are not negotiated. */
export const AEAD_CIPHERS = new Set(['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com']);

export function noteFor(table: Readonly<Record<string, AlgorithmNote>>, alg: string): AlgorithmNote | null {
  if (table[alg]) return table[alg];
  for (const [k, v] of Object.entries(table)) if (k.endsWith('-') && alg.startsWith(k)) return v;
  return null;
}
