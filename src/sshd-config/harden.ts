/**
 * `--harden`: a drop-in (sshd_config.d/50-hardening.conf) that raises the server's defences
 * without locking out any named client profile. Pure: it builds the text; validation with the
 * real `sshd -t` happens at the edge (cli/commands/audit.ts).
 */
import type { Effective } from './effective.ts';
import type { ClientProfile } from '../profiles/index.ts';
import { algoInfo, supported, type AlgoKind } from './algorithms.ts';
import { negotiate, hostKeyAlgorithmsFor } from './compat.ts';
import { parseMaxStartups } from './value-syntax.ts';
import { cmpVersion } from './versions.ts';

export interface HardenInput {
  version: string;
  effective: Effective;
  clients: ClientProfile[];
  hostKeyTypes: string[];
  /** Addresses of the server's own automation, for PerSourcePenaltyExemptList. */
  exempt?: string[];
  /** Algorithm names the local build supports (ssh -Q); default: the table for `version`. */
  all?: Partial<Record<AlgoKind, string[]>>;
  /** The server implements strict KEX (9.6+, or a distribution backport): Terrapin needs no algorithm change. */
  strictKex?: boolean;
}

export interface HardenResult {
  text: string;
  /** Clients that still cannot connect (should be empty). */
  stillIncompatible: string[];
}

export function buildHardening(h: HardenInput): HardenResult {
  const v = h.version;
  const e = h.effective;
  const lines: string[] = [
    `# sshwarden audit --harden for OpenSSH ${v}. Put this file where sshd reads it first`,
    '# (Debian/Ubuntu: /etc/ssh/sshd_config.d/, included at the top of sshd_config: the first value wins).',
    h.clients.length ? `# Keeps these clients able to connect: ${h.clients.map((c) => c.name).join(', ')}` : '# No --clients named: only algorithms the current configuration already offers are kept.',
  ];
  const cur = (k: string) => e.get(k)?.values[0];
  // Logging that lets pre-auth disconnects be attributed
  const ll = cur('loglevel') ?? 'INFO';
  if (!['VERBOSE'].includes(ll)) lines.push('', '# Log "Connection from ADDR" so pre-auth disconnects can be attributed', 'LogLevel VERBOSE');
  // Slots for unauthenticated connections
  const ms = parseMaxStartups(cur('maxstartups') ?? '10:30:100') ?? [10, 30, 100];
  const begin = Math.max(ms[0], 10);
  const full = Math.max(ms[2], 100, begin);
  const rate = ms[0] >= 10 ? ms[1] : 30;
  lines.push('', `# Start random early drop at ${begin} unauthenticated connections, refuse all at ${full}`, `MaxStartups ${begin}:${rate}:${full}`);
  const lgt = Number(cur('logingracetime') ?? '120');
  if (lgt === 0 || lgt > 30) lines.push('# Free an unauthenticated slot after 30s (was ' + (lgt === 0 ? 'unlimited' : `${lgt}s`) + ')', 'LoginGraceTime 30');
  if (cmpVersion(v, '8.5') >= 0) {
    const per = Math.max(1, Math.min(10, Math.floor(begin / 2)));
    lines.push(`# One address (IPv6: one /64) may hold at most ${per} unauthenticated connections`, `PerSourceMaxStartups ${per}`, 'PerSourceNetBlockSize 32:64');
  }
  if (cmpVersion(v, '9.8') >= 0) {
    if (h.exempt?.length) lines.push('# Never penalise our own automation', `PerSourcePenaltyExemptList ${h.exempt.join(',')}`);
    else lines.push('# Add your monitoring/backup/CI addresses so penalties never refuse them:', '# PerSourcePenaltyExemptList 192.0.2.10,198.51.100.0/24');
  }
  if (cur('usedns') === 'yes') lines.push('', 'UseDNS no');

  // Algorithms: drop weak ones unless a named client needs one
  const all = (k: AlgoKind) => h.all?.[k] ?? supported(k, v);
  const keep = (k: string, kind: AlgoKind): string[] => {
    const list = (cur(k) ?? '').split(',').filter(Boolean);
    const noStrict = !(h.strictKex ?? cmpVersion(v, '9.6') >= 0);
    return list.filter((a) => {
      const i = algoInfo(a);
      // without strict KEX, Terrapin (CVE-2023-48795) needs chacha20-poly1305 gone (CBC is gone anyway: weak)
      if (noStrict && a === 'chacha20-poly1305@openssh.com') return false;
      return (!i || i.weakness === 'ok') && all(kind).includes(a);
    });
  };
  const offer = { kex: keep('kexalgorithms', 'kex'), ciphers: keep('ciphers', 'cipher'), macs: keep('macs', 'mac') };
  const curHk = (cur('hostkeyalgorithms') ?? '').split(',').filter(Boolean);
  const hkList = [...curHk];
  let hk = hostKeyAlgorithmsFor(h.hostKeyTypes, hkList);
  const added: string[] = [];
  for (const c of h.clients) {
    for (let round = 0; round < 3; round++) {
      const r = negotiate(c, { kex: offer.kex, hostKey: hk, ciphers: offer.ciphers, macs: offer.macs, compression: ['none'] });
      if (r.ok) break;
      const add = (arr: string[], client: string[], kind: AlgoKind) => {
        const cand = client.find((a) => all(kind).includes(a));
        if (cand && !arr.includes(cand)) { arr.push(cand); added.push(`${cand} (for ${c.name})`); }
      };
      if (!r.kex) add(offer.kex, c.kex, 'kex');
      else if (!r.hostKey) {
        const usable = hostKeyAlgorithmsFor(h.hostKeyTypes, c.hostKey).filter((a) => all('key').includes(a));
        if (usable[0] && !hkList.includes(usable[0])) { hkList.push(usable[0]); added.push(`${usable[0]} (for ${c.name})`); hk = hostKeyAlgorithmsFor(h.hostKeyTypes, hkList); }
        else break;
      }
      else if (!r.cipher) add(offer.ciphers, c.ciphers, 'cipher');
      else if (!r.mac) add(offer.macs, c.macs, 'mac');
      else break;
    }
  }
  lines.push('', '# Algorithms: the current ones without the weak ones' + (added.length ? `, plus what named clients need: ${added.join(', ')}` : ''));
  if (offer.kex.length) lines.push(`KexAlgorithms ${offer.kex.join(',')}`);
  if (offer.ciphers.length) lines.push(`Ciphers ${offer.ciphers.join(',')}`);
  if (offer.macs.length) lines.push(`MACs ${offer.macs.join(',')}`);
  if (hkList.length !== curHk.length) lines.push(`HostKeyAlgorithms ${hkList.join(',')}`);
  const still = h.clients.filter((c) => !negotiate(c, { kex: offer.kex, hostKey: hk, ciphers: offer.ciphers, macs: offer.macs, compression: ['none'] }).ok).map((c) => c.name);
  return { text: lines.join('\n') + '\n', stillIncompatible: still };
}
