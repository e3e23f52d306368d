/**
 * The small part of the SSH transport protocol (RFC 4253) the probe needs: the identification
 * line, the unencrypted binary packet, SSH_MSG_KEXINIT and SSH_MSG_DISCONNECT. Written here
 * with plain Buffers on purpose: it is ~150 lines, needs no crypto (we never get past the first
 * cleartext packet), and a full SSH library would hide exactly the bytes we want to see.
 * Pure: no I/O.
 */

export const SSH_MSG_DISCONNECT = 1;
export const SSH_MSG_KEXINIT = 20;

/** An SSH identification string split into its parts (RFC 4253 §4.2). */
export interface SshIdentification {
  /** The whole line, CR/LF removed. */
  readonly line: string;
  /** `2.0`, `1.99`, `1.5`. */
  readonly protoVersion: string;
  /** `OpenSSH_9.2p1`, `dropbear_2022.83`, `libssh_0.10.6`, `Cisco-1.25`. */
  readonly softwareVersion: string;
  /** Text after the first space, e.g. `Debian-2+deb12u10`; empty when absent. */
  readonly comments: string;
  /** Implementation family, from the software version. */
  readonly software: string;
  /** The implementation's version number when recognisable, else null. */
  readonly version: string | null;
}

/** Known implementations: data, matched against the software-version field. */
const SOFTWARE_FAMILIES: ReadonlyArray<{ name: string; pattern: RegExp }> = [
  { name: 'OpenSSH', pattern: /^OpenSSH_(?:for_Windows_)?([0-9][0-9A-Za-z.]*)/ },
  { name: 'Dropbear', pattern: /^dropbear_?([0-9][0-9.]*)?/i },
  { name: 'libssh', pattern: /^libssh_?([0-9][0-9.]*)?/ },
  { name: 'libssh2', pattern: /^libssh2_([0-9][0-9.]*)/ },
  { name: 'Cisco', pattern: /^Cisco-([0-9][0-9.]*)/ },
  { name: 'ROSSSH (MikroTik)', pattern: /^ROSSSH()/ },
  { name: 'PuTTY', pattern: /^PuTTY_(?:Release_)?([0-9][0-9.]*)?/ },
  { name: 'paramiko', pattern: /^paramiko_([0-9][0-9.]*)/ },
  { name: 'Go x/crypto/ssh', pattern: /^Go()/ },
  { name: 'AsyncSSH', pattern: /^AsyncSSH_([0-9][0-9.]*)/ },
  { name: 'Apache SSHD', pattern: /^APACHE-SSHD-([0-9][0-9.]*)/ },
  { name: 'JSch', pattern: /^JSCH-([0-9][0-9.]*)/ },
  { name: 'SSH.NET', pattern: /^Renci\.SshNet\.SshClient\.([0-9][0-9.]*)/ },
  { name: 'Tectia', pattern: /^([0-9][0-9.]*) SSH Tectia/ },
  { name: 'Bitvise', pattern: /^WinSSHD_([0-9][0-9.]*)|^FlowSsh: Bitvise/ },
  { name: 'HUAWEI', pattern: /^HUAWEI-([0-9][0-9.]*)/ },
];

/** Parses one identification line (`SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`), or null if it is not one. */
export function parseIdentification(raw: string): SshIdentification | null {
  const line = raw.replace(/\r?\n$/, '').replace(/\r$/, '');
  const m = /^SSH-([0-9.]+)-([^ ]*)(?: (.*))?$/.exec(line);
  if (!m) return null;
  const softwareVersion = m[2];
  let software = 'unknown';
  let version: string | null = null;
  for (const f of SOFTWARE_FAMILIES) {
    const fm = f.pattern.exec(softwareVersion);
    if (fm) {
      software = f.name;
      version = fm.slice(1).find((x) => x) ?? null;
      break;
    }
  }
  return { line, protoVersion: m[1], softwareVersion, comments: m[3] ?? '', software, version };
}

/** The algorithm lists of one KEXINIT (RFC 4253 §7.1). */
export interface KexInit {
  readonly kex: string[];
  readonly hostKey: string[];
  readonly ciphersCtoS: string[];
  readonly ciphersStoC: string[];
  readonly macsCtoS: string[];
  readonly macsStoC: string[];
  readonly compressionCtoS: string[];
  readonly compressionStoC: string[];
  readonly languagesCtoS: string[];
  readonly languagesStoC: string[];
  readonly firstKexPacketFollows: boolean;
}

export type PacketRead =
  | { kind: 'need-more' }
  | { kind: 'packet'; payload: Buffer; consumed: number }
  | { kind: 'invalid'; reason: string };

/** Largest packet RFC 4253 requires implementations to accept (35000) with headroom; bigger means "not SSH". */
/** The largest packet accepted (RFC 4253 6.1: implementations should accept up to 35000 bytes; OpenSSH allows 256 KB). */
export const MAX_PACKET = 256 * 1024;

/** Reads one unencrypted binary packet from the start of `buf`. */
export function readPacket(buf: Buffer): PacketRead {
  const n = packetExtent(buf, 0, buf.length);
  if (n === 0) return { kind: 'need-more' };
  if (n < 0) return { kind: 'invalid', reason: packetProblem(buf, 0) };
  return { kind: 'packet', payload: buf.subarray(5, n - buf[4]), consumed: n };
}

/**
 * readPacket's framing without making anything (for a reader that sees every packet of a
 * capture): the packet at buf[at, end) is `4 + packet_length` bytes long (returned), its payload
 * buf[at + 5, at + length − padding); 0: more bytes are needed; −1: not a packet (packetProblem says why).
 */
export function packetExtent(buf: Buffer, at: number, end: number): number {
  if (end - at < 5) return 0;
  const packetLength = buf.readUInt32BE(at);
  if (packetLength > MAX_PACKET || packetLength < 5) return -1;
  if (end - at < 4 + packetLength) return 0;
  if (buf[at + 4] + 1 > packetLength) return -1;
  return 4 + packetLength;
}

/** Why the bytes at `at` are not a packet (when packetExtent said −1). */
export function packetProblem(buf: Buffer, at: number): string {
  const packetLength = buf.readUInt32BE(at);
  if (packetLength > MAX_PACKET) return `packet too large: length ${packetLength} is over the ${MAX_PACKET / 1024} KB limit`;
  if (packetLength < 5) return `packet length ${packetLength} out of range`;
  return `padding length ${buf[at + 4]} exceeds packet length ${packetLength}`;
}

class Reader {
  private off: number;
  private readonly buf: Buffer;
  constructor(buf: Buffer, off: number) {
    this.buf = buf;
    this.off = off;
  }
  uint32(): number {
    if (this.off + 4 > this.buf.length) throw new Error('truncated KEXINIT');
    const v = this.buf.readUInt32BE(this.off);
    this.off += 4;
    return v;
  }
  byte(): number {
    if (this.off + 1 > this.buf.length) throw new Error('truncated KEXINIT');
    return this.buf[this.off++];
  }
  nameList(): string[] {
    const len = this.uint32();
    if (this.off + len > this.buf.length) throw new Error('truncated name-list in KEXINIT');
    const s = this.buf.toString('latin1', this.off, this.off + len);
    this.off += len;
    return s === '' ? [] : s.split(',');
  }
}

/** Parses an SSH_MSG_KEXINIT payload; throws with a short reason when it is not one. */
export function parseKexInit(payload: Buffer): KexInit {
  if (payload.length < 17 || payload[0] !== SSH_MSG_KEXINIT) throw new Error(`expected KEXINIT (20), got message type ${payload[0]}`);
  const r = new Reader(payload, 17); // type byte + 16-byte cookie
  const kex = r.nameList();
  const hostKey = r.nameList();
  const ciphersCtoS = r.nameList();
  const ciphersStoC = r.nameList();
  const macsCtoS = r.nameList();
  const macsStoC = r.nameList();
  const compressionCtoS = r.nameList();
  const compressionStoC = r.nameList();
  const languagesCtoS = r.nameList();
  const languagesStoC = r.nameList();
  const firstKexPacketFollows = r.byte() !== 0;
  return { kex, hostKey, ciphersCtoS, ciphersStoC, macsCtoS, macsStoC, compressionCtoS, compressionStoC, languagesCtoS, languagesStoC, firstKexPacketFollows };
}

/** Wraps a payload into an unencrypted binary packet (block size 8, minimum padding 4). Padding is zeros: nothing secret here. */
export function buildPacket(payload: Buffer): Buffer {
  let padding = 8 - ((payload.length + 5) % 8);
  if (padding < 4) padding += 8;
  const out = Buffer.alloc(4 + 1 + payload.length + padding);
  out.writeUInt32BE(1 + payload.length + padding, 0);
  out[4] = padding;
  payload.copy(out, 5);
  return out;
}

function sshString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length, 0);
  return Buffer.concat([len, b]);
}

/** SSH_MSG_DISCONNECT with reason 11 (SSH_DISCONNECT_BY_APPLICATION): the polite way to leave after reading KEXINIT. */
export function buildDisconnect(description: string): Buffer {
  const head = Buffer.alloc(5);
  head[0] = SSH_MSG_DISCONNECT;
  head.writeUInt32BE(11, 1);
  return buildPacket(Buffer.concat([head, sshString(description), sshString('')]));
}

/** Builds a KEXINIT payload (used by tests to exercise the parser with real framing). */
export function buildKexInit(k: Omit<KexInit, 'firstKexPacketFollows'> & { firstKexPacketFollows?: boolean }, cookie: Buffer = Buffer.alloc(16)): Buffer {
  const lists = [k.kex, k.hostKey, k.ciphersCtoS, k.ciphersStoC, k.macsCtoS, k.macsStoC, k.compressionCtoS, k.compressionStoC, k.languagesCtoS, k.languagesStoC];
  const parts: Buffer[] = [Buffer.from([SSH_MSG_KEXINIT]), cookie.subarray(0, 16)];
  for (const l of lists) {
    const b = Buffer.from(l.join(','), 'latin1');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length, 0);
    parts.push(len, b);
  }
  parts.push(Buffer.from([k.firstKexPacketFollows ? 1 : 0, 0, 0, 0, 0]));
  return Buffer.concat(parts);
}
