/**
 * The stable JSON of `sshwarden pcap --json` (README "pcap"): one record per TCP connection, in
 * analyze's outcome vocabulary (src/classify/vocabulary.ts), with the TCP facts beside it.
 */
import type { Outcome, Phase } from '../vocabulary.ts';
import type { Category } from '../probe/negotiation.ts';

/** Zeek's conn_state (what network people already read). */
export type ConnState = 'S0' | 'S1' | 'S2' | 'S3' | 'SF' | 'REJ' | 'RSTO' | 'RSTR' | 'RSTOS0' | 'RSTRH' | 'SH' | 'SHR' | 'OTH';

export interface SideFacts {
  packets: number;
  bytes: number;
  retransmissions: number;
  zeroWindow: number;
  /** Identification line as sent (printable), or null. */
  ident: string | null;
  /** Milliseconds from the connection start to the first FIN / RST this side sent, or null. */
  finAfterMs: number | null;
  rstAfterMs: number | null;
}

export interface WireConnection {
  client: string;
  clientPort: number;
  server: string;
  serverPort: number;
  /** ISO-8601 UTC of the first and last packet. */
  start: string;
  end: string;
  durationMs: number;
  /** The number of the connection's first packet in the capture (1-based, Wireshark's frame number), for evidence. */
  frame: number;
  phase: Phase;
  outcome: Outcome;
  /** Finer outcome: `maxstartups`, `no_banner`, `http`, `tls`, `junk`, `no_common_kex`, `bad_packet`, `server_closed_after_silence`, `syn_unanswered`, … */
  detail: string;
  /** Human-readable why. */
  reason: string;
  /** True when the outcome is inferred from timing (a timeout without --login-grace-time). */
  inferred?: boolean;
  connState: ConnState;
  handshake: boolean;
  /** The capture began after this connection did (no SYN seen). */
  midstream: boolean;
  /** Who sent the first FIN or RST, which, and when (ms after the first packet); null while open. */
  firstClose: { by: 'client' | 'server'; kind: 'FIN' | 'RST'; afterMs: number } | null;
  fromClient: SideFacts;
  fromServer: SideFacts;
  /** Payload bytes cut by the snap length. */
  payloadCut: boolean;
  /** What the client sent instead of SSH: `http` (request line), `tls` (with SNI), `junk` (sample). */
  instead?: { kind: 'http' | 'tls' | 'junk'; text: string; sni?: string };
  /** Lines the server sent instead of or before its identification (e.g. `Exceeded MaxStartups`). */
  serverText?: string[];
  kex?: KexFacts;
  /** SSH_MSG_DISCONNECT seen in clear text (before NEWKEYS). */
  disconnect?: { by: 'client' | 'server'; code: number; message: string };
}

export interface KexFacts {
  /** Per category: the algorithm both would agree on, or null with both lists (`no common X`). */
  negotiated: { category: Category; chosen: string | null; relevant: boolean; client?: readonly string[]; server?: readonly string[] }[];
  /** Categories with no common algorithm. */
  noCommon: Category[];
  clientMarkers: string[];
  serverMarkers: string[];
  /** Both sides offered strict key exchange (Terrapin countermeasure). */
  strictKex: boolean;
  /** Both sides sent NEWKEYS: past this point everything is encrypted. */
  completed: boolean;
  /** From the first KEXINIT to the last NEWKEYS, when completed. */
  durationMs?: number;
}
