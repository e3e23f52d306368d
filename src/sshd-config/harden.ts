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
import { cmpVersion } from '../openssh-versions.ts';
import { defaultAlgorithms, type Defaults } from './effective.ts';
import type { Advice } from '../advice/types.ts';
import { maxStartupsAdvice, maxStartupsFloor, DEFAULT_MAXSTARTUPS } from '../advice/maxstartups.ts';
import { loginGraceTimeAdvice } from '../advice/login-grace-time.ts';
import { perSourceMaxStartupsAdvice } from '../advice/per-source-maxstartups.ts';
import { perSourcePenaltiesAdvice } from '../advice/per-source-penalties.ts';
import { logLevelAdvice } from '../advice/log-level.ts';
import { useDnsAdvice } from '../advice/use-dns.ts';
import { algorithmsAdvice } from '../advice/algorithms.ts';

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
  /** The local build's default algorithm lists (sshd -T on an empty config), for `-`/`+` lines. */
  defaults?: Defaults['algorithms'];
  /** PerSourcePenalties as configured (findings.ts penaltyState). */
  penalties?: { disabled: boolean; exemptSet: boolean };
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
  const ms = parseMaxStartups(cur('maxstartups') ?? '10:30:100') ?? DEFAULT_MAXSTARTUPS;
  // Every line comes from src/advice/: what audit and analyze advise is what this file writes.
  const advice: (Advice | null)[] = [
    logLevelAdvice({ current: cur('loglevel') ?? null, why: 'does not log "Connection from ADDR", so pre-auth disconnects cannot always be attributed' }),
    maxStartupsAdvice({ current: ms, ownUsersDropped: 0 }),
    loginGraceTimeAdvice({ current: Number(cur('logingracetime') ?? '120') }),
    perSourceMaxStartupsAdvice({ version: v, current: cur('persourcemaxstartups') ?? null, maxStartupsBegin: maxStartupsFloor(ms)[0] }),
    perSourcePenaltiesAdvice({ version: v, disabled: h.penalties?.disabled ?? false, exemptSet: h.penalties?.exemptSet ?? false, exempt: h.exempt }),
    useDnsAdvice({ current: cur('usedns') ?? null }),
  ];
  for (const a of advice) {
    if (a === null) continue;
    lines.push('', `# ${a.summary}`);
    if (a.id === 'per-source-penalties.exempt' && a.changes.length === 0) lines.push('# PerSourcePenaltyExemptList 192.0.2.10,198.51.100.0/24');
    for (const c of a.changes) lines.push(c.text);
  }

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
  const removed = (k: string, kept: string[]) => (cur(k) ?? '').split(',').filter((a) => a && !kept.includes(a));
  const algs = algorithmsAdvice(v, [
    { keyword: 'KexAlgorithms', defaults: defaultAlgorithms('kexalgorithms', v, { algorithms: h.defaults }), wanted: offer.kex, removed: removed('kexalgorithms', offer.kex) },
    { keyword: 'Ciphers', defaults: defaultAlgorithms('ciphers', v, { algorithms: h.defaults }), wanted: offer.ciphers, removed: removed('ciphers', offer.ciphers) },
    { keyword: 'MACs', defaults: defaultAlgorithms('macs', v, { algorithms: h.defaults }), wanted: offer.macs, removed: removed('macs', offer.macs) },
  ]);
  if (algs) {
    lines.push('', `# ${algs.summary}` + (added.length ? `; kept for named clients: ${added.join(', ')}` : ''));
    for (const c of algs.changes) lines.push(c.text);
  }
  if (hkList.length !== curHk.length) lines.push(`HostKeyAlgorithms ${hkList.join(',')}`);
  const still = h.clients.filter((c) => !negotiate(c, { kex: offer.kex, hostKey: hk, ciphers: offer.ciphers, macs: offer.macs, compression: ['none'] }).ok).map((c) => c.name);
  return { text: lines.join('\n') + '\n', stillIncompatible: still };
}
