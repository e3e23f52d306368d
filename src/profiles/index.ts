/**
 * Client algorithm profiles as data: each profile's default offers, in order. Shared by
 * `audit` (who can still connect to this sshd_config?) and `probe`.
 *
 *   getProfile('openssh-7.4')   // exact OpenSSH releases 6.6-10.5 from myproposal.h; other
 *                               // OpenSSH versions resolve to the nearest older release we hold
 *   getProfile('putty-0.76'); getProfile('paramiko-2.9'); getProfile('go-x-crypto-0.17'); ...
 */
import opensshData from './data/openssh-proposals.json' with { type: 'json' };
import { OTHER_CLIENTS } from './other-clients.ts';
import type { ClientProfile, ServerOffer } from './types.ts';

export type { ClientProfile, ServerOffer } from './types.ts';

interface ProposalSet {
  kex: string[];
  hostKey: string[];
  ciphers: string[];
  macs: string[];
  compression: string[];
}
const OPENSSH = (opensshData as { versions: Record<string, { client: ProposalSet; server: ProposalSet }> }).versions;

function cmpVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** OpenSSH releases whose myproposal.h we hold, oldest first. */
export const OPENSSH_PROPOSAL_VERSIONS: readonly string[] = Object.keys(OPENSSH).sort(cmpVersion);

function opensshVersionAtOrBefore(version: string): string | null {
  let best: string | null = null;
  for (const v of OPENSSH_PROPOSAL_VERSIONS) if (cmpVersion(v, version) <= 0) best = v;
  return best;
}

function opensshProfile(version: string): ClientProfile | null {
  const v = opensshVersionAtOrBefore(version);
  if (!v) return null;
  const c = OPENSSH[v].client;
  return { name: `openssh-${version}`, software: 'OpenSSH', version, kex: [...c.kex], hostKey: [...c.hostKey], ciphers: [...c.ciphers], macs: [...c.macs], compression: [...c.compression] };
}

/** OpenSSH's compiled-in server defaults (KexAlgorithms etc. when sshd_config sets none) for a version. */
export function opensshServerDefaults(version: string): ServerOffer | null {
  const v = opensshVersionAtOrBefore(version);
  if (!v) return null;
  const s = OPENSSH[v].server;
  return { kex: [...s.kex], hostKey: [...s.hostKey], ciphers: [...s.ciphers], macs: [...s.macs], compression: [...s.compression] };
}

/** Every named profile: one per OpenSSH release held, plus the other clients. */
export const PROFILES: readonly ClientProfile[] = [
  ...OPENSSH_PROPOSAL_VERSIONS.map((v) => opensshProfile(v)!),
  ...OTHER_CLIENTS,
];

/**
 * A profile by name (case-insensitive; `openssh-8.2p1`, `OpenSSH_8.2`, `go-x-crypto-0.17` all work).
 * OpenSSH versions between held releases use the nearest older release's defaults. Null when unknown.
 */
export function getProfile(name: string): ClientProfile | null {
  const n = name.trim().toLowerCase().replace(/_/g, '-');
  const m = /^openssh-(\d+)\.(\d+)(?:p\d+)?$/.exec(n);
  if (m) return opensshProfile(`${m[1]}.${m[2]}`);
  const p = OTHER_CLIENTS.find((c) => c.name === n);
  return p ? structuredClone(p) : null;
}

/** Names accepted by getProfile, for help texts and error messages. */
export function profileNames(): string[] {
  return PROFILES.map((p) => p.name);
}
