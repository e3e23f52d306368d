/**
 * KexAlgorithms / Ciphers / MACs / HostKeyAlgorithms: remove what is weak and nothing else. A
 * full list would pin today's defaults and keep future ones off after an upgrade, so the line is
 * written relative to the compiled-in default: `-weak,…` (7.5+), `+extra,…` for what a named
 * client needs; a full list only when neither can express it (said so in the summary).
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';
import { cmpVersion } from '../openssh-versions.ts';
import { algoInfo } from '../sshd-config/algorithms.ts';

export type AlgorithmKeyword = 'KexAlgorithms' | 'Ciphers' | 'MACs' | 'HostKeyAlgorithms';

export interface AlgorithmList {
  keyword: AlgorithmKeyword;
  /** The compiled-in default of this sshd (what `-`/`+` apply to). */
  defaults: readonly string[];
  /** What the server should offer: the effective list without weak names, plus what named clients need. */
  wanted: readonly string[];
  /** The weak names removed (for the summary). */
  removed: readonly string[];
}

/**
 * The list as a line can give it. sshd never offers an empty list: a `-list` that removes every
 * default, or a list with nothing left, gives the whole default back, weak names included
 * (`MACs -<every default>` leaves hmac-sha1 on). So when nothing of `wanted` is left (the list
 * held only weak names), what is wanted is the default without its weak names (and without the
 * `removed` ones); `fromDefault` says so.
 */
export function resolveWanted(l: AlgorithmList): AlgorithmList & { fromDefault: boolean } {
  if (l.wanted.length > 0) return { ...l, fromDefault: false };
  const drop = new Set(l.removed);
  const weak = l.defaults.filter((a) => drop.has(a) || (algoInfo(a)?.weakness ?? 'ok') !== 'ok');
  return { ...l, wanted: l.defaults.filter((a) => !weak.includes(a)), removed: [...l.removed, ...weak.filter((a) => !drop.has(a))], fromDefault: true };
}

/** The sshd_config line that gives `wanted`, relative to the default where the version allows; null when the default is already it (or nothing strong is left to offer). */
export function algorithmLine(version: string, list: AlgorithmList): { text: string; pinned: boolean } | null {
  const l = resolveWanted(list);
  if (l.wanted.length === 0) return null;
  const wanted = new Set(l.wanted);
  const def = new Set(l.defaults);
  const missing = l.defaults.filter((a) => !wanted.has(a));
  const extra = l.wanted.filter((a) => !def.has(a));
  // `-list` since 7.5 (kex.c kex_assemble_names); `+list` since 6.7 (7.0 for HostKeyAlgorithms: we use 7.5 for both).
  const relative = cmpVersion(version, '7.5') >= 0;
  if (missing.length === 0 && extra.length === 0) {
    // The default is what is wanted. A list of weak names only still needs a line that replaces
    // it: `-` with those names gives the default exactly (sshd does not check names it removes).
    if (!l.fromDefault || l.removed.length === 0) return null;
    return relative ? { text: `${l.keyword} -${l.removed.join(',')}`, pinned: false } : { text: `${l.keyword} ${l.wanted.join(',')}`, pinned: true };
  }
  if (relative && extra.length === 0) return { text: `${l.keyword} -${missing.join(',')}`, pinned: false };
  if (relative && missing.length === 0) return { text: `${l.keyword} +${extra.join(',')}`, pinned: false };
  return { text: `${l.keyword} ${l.wanted.join(',')}`, pinned: true };
}

/** `algorithms.remove-weak` for the lists that need a line, or null. */
export function algorithmsAdvice(version: string, lists: readonly AlgorithmList[]): Advice | null {
  const lines: string[] = [];
  const removed: string[] = [];
  const fromDefault: string[] = [];
  let pinned = false;
  for (const l of lists) {
    const line = algorithmLine(version, l);
    if (line === null) continue;
    lines.push(line.text);
    pinned ||= line.pinned;
    const r = resolveWanted(l);
    for (const a of r.removed) if (!removed.includes(a)) removed.push(a);
    if (r.fromDefault) fromDefault.push(l.keyword);
  }
  if (lines.length === 0) return null;
  const what = removed.length ? `remove the weak algorithms (${removed.join(', ')})` : 'offer what the named clients need';
  const how = !pinned
    ? ', relative to the compiled-in default so future defaults stay on after an upgrade'
    : cmpVersion(version, '7.5') < 0
      ? `; OpenSSH ${version} cannot remove names from its default (the \`-\` syntax needs 7.5), so the list is written out in full: review it after an upgrade`
      : '; a list that both adds to and removes from the default cannot be written relative to it, so it is written out in full: review it after an upgrade';
  const empty = fromDefault.length ? `; ${fromDefault.join(' and ')} ${fromDefault.length === 1 ? 'lists' : 'list'} nothing strong, and sshd turns a list with nothing left into its whole default (weak names included), so the line is the default without its weak names` : '';
  return sshdAdvice('algorithms.remove-weak', `${what[0].toUpperCase()}${what.slice(1)}${how}${empty}`, lines, lists.map((l) => l.keyword));
}
