/**
 * Default algorithm offers (in order) of SSH client libraries other than OpenSSH, as data.
 * Transcribed from each project's source at the named release (the file and symbol are given
 * per entry). Pseudo-algorithms (ext-info-c, kex-strict-c-v00@openssh.com) are left out: they
 * never make a negotiation succeed. Entries marked "uncertain" were written from knowledge of
 * the source without a copy at hand; the real-client tests only use the OpenSSH profiles and
 * these lists as offers, so a mistake here changes a prediction, not a test outcome.
 */
import type { ClientProfile } from './types.ts';

/** PuTTY's host key, cipher, MAC and compression preferences: the same in 0.76 and 0.81 (only KEX changed). */
const PUTTY_NON_KEX: Pick<ClientProfile, 'hostKey' | 'ciphers' | 'macs' | 'compression'> = {
  hostKey: ['ssh-ed448', 'ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss'],
  ciphers: [
    'aes256-ctr', 'aes256-cbc', 'rijndael-cbc@lysator.liu.se', 'aes192-ctr', 'aes192-cbc', 'aes128-ctr', 'aes128-cbc',
    'chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com',
    '3des-ctr', '3des-cbc', 'blowfish-ctr', 'blowfish-cbc', 'arcfour256', 'arcfour128',
  ],
  macs: [
    'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha1-96', 'hmac-md5',
    'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha1-96-etm@openssh.com', 'hmac-md5-etm@openssh.com',
  ],
  compression: ['none', 'zlib@openssh.com', 'zlib'],
};

export const OTHER_CLIENTS: readonly ClientProfile[] = [
  {
    // PuTTY 0.76 (2021-07): ssh/transport2.c preference lists with the default settings
    // (KEX: ECDH, DH-GEX, DH group14, RSA, WARN, DH group1; algorithms below WARN are still offered).
    name: 'putty-0.76',
    software: 'PuTTY',
    version: '0.76',
    kex: [
      'curve25519-sha256', 'curve25519-sha256@libssh.org', 'curve448-sha512',
      'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
      'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1',
      'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1',
      'rsa2048-sha256', 'rsa1024-sha1', 'diffie-hellman-group1-sha1',
    ],
    ...PUTTY_NON_KEX,
  },
  {
    // PuTTY 0.81 (2024-04): as 0.76 plus NTRU Prime hybrid, fixed DH groups 15-18 (uncertain: order within DH).
    name: 'putty-0.81',
    software: 'PuTTY',
    version: '0.81',
    kex: [
      'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'curve448-sha512',
      'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
      'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1',
      'diffie-hellman-group18-sha512', 'diffie-hellman-group17-sha512', 'diffie-hellman-group16-sha512', 'diffie-hellman-group15-sha512',
      'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1', 'rsa2048-sha256', 'rsa1024-sha1', 'diffie-hellman-group1-sha1',
    ],
    ...PUTTY_NON_KEX,
  },
  {
    // paramiko 2.9 (2021-12): paramiko/transport.py Transport._preferred_kex/_preferred_keys/_preferred_ciphers/_preferred_macs
    // (curve25519 first when the cryptography backend supports X25519, which current ones do).
    name: 'paramiko-2.9',
    software: 'paramiko',
    version: '2.9',
    kex: [
      'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
      'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256',
      'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1',
    ],
    hostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-dss'],
    ciphers: ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'],
    macs: ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1', 'hmac-md5', 'hmac-sha1-96', 'hmac-md5-96'],
    compression: ['none'],
  },
  {
    // paramiko 3.4 (2023-12): 3des-cbc and group1 dropped from the defaults (uncertain: exact release of each removal).
    name: 'paramiko-3.4',
    software: 'paramiko',
    version: '3.4',
    kex: [
      'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
      'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256',
      'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group14-sha1',
    ],
    hostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
    ciphers: ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-cbc', 'aes192-cbc', 'aes256-cbc'],
    macs: ['hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1', 'hmac-md5', 'hmac-sha1-96', 'hmac-md5-96'],
    compression: ['none'],
  },
  {
    // golang.org/x/crypto/ssh v0.17.0 (2023-12): common.go preferredKexAlgos, supportedHostKeyAlgos,
    // preferredCiphers, supportedMACs.
    name: 'go-x-crypto-0.17',
    software: 'Go x/crypto/ssh',
    version: '0.17',
    kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group14-sha256', 'diffie-hellman-group14-sha1'],
    hostKey: [
      'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com', 'ssh-rsa-cert-v01@openssh.com', 'ssh-dss-cert-v01@openssh.com',
      'ecdsa-sha2-nistp256-cert-v01@openssh.com', 'ecdsa-sha2-nistp384-cert-v01@openssh.com', 'ecdsa-sha2-nistp521-cert-v01@openssh.com', 'ssh-ed25519-cert-v01@openssh.com',
      'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-256', 'rsa-sha2-512', 'ssh-rsa', 'ssh-dss', 'ssh-ed25519',
    ],
    ciphers: ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr'],
    macs: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha1-96'],
    compression: ['none'],
  },
  {
    // libssh 0.10 (2022-08): src/kex.c DEFAULT_KEY_EXCHANGE / HOSTKEYS / CHACHA20+AES / DEFAULT_MAC_ALGORITHMS.
    name: 'libssh-0.10',
    software: 'libssh',
    version: '0.10',
    kex: [
      'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521',
      'diffie-hellman-group18-sha512', 'diffie-hellman-group16-sha512', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group14-sha256',
    ],
    hostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp521', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp256', 'rsa-sha2-512', 'rsa-sha2-256'],
    ciphers: ['chacha20-poly1305@openssh.com', 'aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes192-ctr', 'aes128-ctr'],
    macs: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
    compression: ['none'],
  },
  {
    // JSch 0.1.55 (JCraft, 2018; still bundled by many Java tools): com/jcraft/jsch/JSch.java config table
    // (kex, server_host_key, cipher.c2s, mac.c2s). No rsa-sha2-*, no curve25519, no chacha/GCM.
    name: 'jsch-0.1.55',
    software: 'JSch (JCraft)',
    version: '0.1.55',
    kex: ['ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'],
    hostKey: ['ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa', 'ssh-dss'],
    ciphers: ['aes128-ctr', 'aes128-cbc', '3des-ctr', '3des-cbc', 'blowfish-cbc', 'aes192-ctr', 'aes192-cbc', 'aes256-ctr', 'aes256-cbc'],
    macs: ['hmac-md5', 'hmac-sha1', 'hmac-sha2-256', 'hmac-sha1-96', 'hmac-md5-96'],
    compression: ['none'],
  },
  {
    // JSch 0.2.x (mwiede fork, 2023; uncertain: exact order): modern defaults, ssh-rsa/CBC/SHA1 kex off.
    name: 'jsch-0.2.16',
    software: 'JSch (mwiede fork)',
    version: '0.2.16',
    kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256'],
    hostKey: ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256'],
    ciphers: ['aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'],
    macs: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'],
    compression: ['none'],
  },
];
