/**
 * The effective configuration for one connection, computed as `sshd -T -C` does: a first pass
 * over the global lines (first value wins, list keywords accumulate), a second pass over the
 * Match blocks that match the connection, whose values replace the global ones for the keywords
 * sshd copies from Match (servconf.c copy_set_server_options). Pure.
 */
import type { Directive, MatchBlock, ParsedConfig } from './parse.ts';
import { evaluateMatch, type ConnectionSpec } from './match.ts';
import { assembleNames, supported, type AlgoKind } from './algorithms.ts';
import { convtime, parseMaxStartups } from './value-syntax.ts';
import { opensshServerDefaults } from '../profiles/index.ts';
import { cmpVersion } from '../openssh-versions.ts';

export interface EffectiveValue {
  /** Value as `sshd -T` prints it (one entry per output line for multi-line keywords). */
  values: string[];
  /** Where it came from; null = compiled-in default. */
  source: { file: string; line: number } | null;
}

export type Effective = Map<string, EffectiveValue>;

/** Server defaults the caller may override with the local build's (from `sshd -T` on an empty config). */
export interface Defaults {
  algorithms?: Partial<Record<'kexalgorithms' | 'ciphers' | 'macs' | 'hostkeyalgorithms' | 'pubkeyacceptedalgorithms', string[]>>;
  all?: Partial<Record<AlgoKind, string[]>>;
  values?: Record<string, string[]>;
}

type Mode = 'first' | 'accumulate' | 'firstline';
interface Model {
  mode: Mode;
  /** Copied from a matching Match block over the global value. */
  matchCopy: boolean;
  def: (v: string) => string[] | null;
  fmt?: (args: string[], v: string, d: Defaults) => string[];
}

const yesno = (a: string[]) => [a[0].toLowerCase()];
const flag = (def: string, matchCopy = true): Model => ({ mode: 'first', matchCopy, def: () => [def], fmt: yesno });
const int = (def: string, matchCopy = true): Model => ({ mode: 'first', matchCopy, def: () => [def], fmt: (a) => [String(Number(a[0]))] });
const time = (def: string, matchCopy: boolean): Model => ({ mode: 'first', matchCopy, def: () => [def], fmt: (a) => [String(convtime(a[0]) ?? a[0])] });
const list = (matchCopy = true): Model => ({ mode: 'accumulate', matchCopy, def: () => null, fmt: (a) => a });

export type AlgorithmKey = 'kexalgorithms' | 'ciphers' | 'macs' | 'hostkeyalgorithms' | 'pubkeyacceptedalgorithms';

/** The compiled-in default list of an algorithm keyword: the local build's (sshd -T) when known, else the release's. */
export function defaultAlgorithms(key: AlgorithmKey, version: string, d: Defaults = {}): string[] {
  if (d.algorithms?.[key]) return d.algorithms[key]!;
  const s = opensshServerDefaults(version);
  if (!s) return [];
  return key === 'kexalgorithms' ? s.kex : key === 'ciphers' ? s.ciphers : key === 'macs' ? s.macs : s.hostKey;
}

function algo(key: AlgorithmKey, kind: AlgoKind, matchCopy = false): Model {
  return {
    mode: 'first',
    matchCopy,
    def: () => null,
    fmt: (a, v, d) => [(assembleNames(a[0] ?? null, defaultAlgorithms(key, v, d), d.all?.[kind] ?? supported(kind, v)) ?? []).join(',')],
  };
}

export const MODELLED: Record<string, Model> = {
  port: { mode: 'accumulate', matchCopy: false, def: () => ['22'], fmt: (a) => [String(Number(a[0]))] },
  addressfamily: { mode: 'first', matchCopy: false, def: () => ['any'], fmt: yesno },
  logingracetime: time('120', false),
  // One number sets start and full and leaves the rate at its default (30), as sshd -T prints it: `MaxStartups 10` is 10:30:10.
  maxstartups: { mode: 'first', matchCopy: false, def: () => ['10:30:100'], fmt: (a) => { const p = parseMaxStartups(a[0]); return [p ? (/^\s*[-+]?\d+\s*$/.test(a[0]) ? `${p[0]}:30:${p[2]}` : p.join(':')) : a[0]]; } },
  persourcemaxstartups: { mode: 'first', matchCopy: false, def: (v) => (cmpVersion(v, '8.5') >= 0 ? ['none'] : null), fmt: (a) => [a[0] === 'none' ? 'none' : String(Number(a[0]))] },
  persourcenetblocksize: { mode: 'first', matchCopy: false, def: (v) => (cmpVersion(v, '8.5') >= 0 ? ['32:128'] : null), fmt: (a) => { const [x, y] = a[0].split(':'); return [`${Number(x)}:${y === undefined ? 0 : Number(y)}`]; } }, // servconf.c leaves the IPv6 length unset with one number: Debian 12's sshd -T shows 24:0
  maxauthtries: int('6'),
  maxsessions: int('10'),
  permitrootlogin: { mode: 'first', matchCopy: true, def: () => ['without-password'], fmt: (a) => [a[0].toLowerCase() === 'prohibit-password' ? 'without-password' : a[0].toLowerCase()] },
  passwordauthentication: flag('yes'),
  pubkeyauthentication: flag('yes'),
  kbdinteractiveauthentication: flag('yes'),
  permitemptypasswords: flag('no'),
  hostbasedauthentication: flag('no'),
  usepam: flag('no', false),
  usedns: flag('no', false),
  printmotd: flag('yes', false),
  strictmodes: flag('yes', false),
  tcpkeepalive: flag('yes', false),
  permittty: flag('yes'),
  x11forwarding: flag('no'),
  allowagentforwarding: flag('yes'),
  disableforwarding: flag('no'),
  allowtcpforwarding: { mode: 'first', matchCopy: true, def: () => ['yes'], fmt: (a) => [a[0].toLowerCase() === 'all' ? 'yes' : a[0].toLowerCase()] },
  gatewayports: { mode: 'first', matchCopy: true, def: () => ['no'], fmt: yesno },
  compression: { mode: 'first', matchCopy: false, def: () => ['yes'], fmt: (a) => [a[0].toLowerCase() === 'delayed' ? 'yes' : a[0].toLowerCase()] },
  // DEBUG and DEBUG1 are one level; sshd -T prints DEBUG.
  loglevel: { mode: 'first', matchCopy: true, def: () => ['INFO'], fmt: (a) => [a[0].toUpperCase() === 'DEBUG1' ? 'DEBUG' : a[0].toUpperCase()] },
  clientaliveinterval: time('0', true),
  clientalivecountmax: int('3'),
  authenticationmethods: { mode: 'firstline', matchCopy: true, def: () => ['any'], fmt: (a) => [a.join(' ')] },
  allowusers: list(),
  denyusers: list(),
  allowgroups: list(),
  denygroups: list(),
  banner: { mode: 'first', matchCopy: true, def: () => ['none'], fmt: (a) => [a[0]] },
  ciphers: algo('ciphers', 'cipher'),
  macs: algo('macs', 'mac'),
  kexalgorithms: algo('kexalgorithms', 'kex'),
  hostkeyalgorithms: algo('hostkeyalgorithms', 'key'),
};

function blockMatched(b: MatchBlock | null, ci: ConnectionSpec, version: string, groupsOf: (u: string) => string[]): boolean {
  if (b === null) return false;
  if (b.parent && !blockMatched(b.parent, ci, version, groupsOf)) return false;
  return evaluateMatch(b.match, ci, version, groupsOf);
}

function syntaxActive(b: MatchBlock | null): boolean {
  if (b === null) return true;
  if (b.neverMatch || b.match.errors.length) return false;
  if (b.parent && !syntaxActive(b.parent)) return false;
  return b.match.criteria.length === 1 && b.match.criteria[0].attr === 'all';
}

function collect(ds: Directive[], version: string, d: Defaults): Map<string, EffectiveValue> {
  const out = new Map<string, EffectiveValue>();
  for (const x of ds) {
    const m = MODELLED[x.key];
    if (!m || !x.valid || x.info?.status !== 'ok') continue;
    const prev = out.get(x.key);
    const vals = m.fmt ? m.fmt(x.args, version, d) : x.args;
    if (m.mode === 'accumulate') {
      if (prev) prev.values.push(...vals);
      else out.set(x.key, { values: [...vals], source: { file: x.file, line: x.line } });
    } else if (!prev) out.set(x.key, { values: vals, source: { file: x.file, line: x.line } });
  }
  return out;
}

/** Effective values of the modelled keywords for `ci` (null ci: no Match applies, like plain `sshd -T`). */
export function effectiveConfig(cfg: ParsedConfig, ci: ConnectionSpec | null, opts: { defaults?: Defaults; groupsOf?: (u: string) => string[] } = {}): Effective {
  const d = opts.defaults ?? {};
  const groupsOf = opts.groupsOf ?? (() => []);
  const v = cfg.version;
  const ds = cfg.directives.filter((x) => x.key !== 'match' && x.key !== 'include');
  const global = collect(ds.filter((x) => syntaxActive(x.block)), v, d);
  if (ci) {
    const matched = collect(ds.filter((x) => x.block !== null && blockMatched(x.block, ci, v, groupsOf)), v, d);
    for (const [k, val] of matched) if (MODELLED[k].matchCopy) global.set(k, val);
  }
  for (const [k, m] of Object.entries(MODELLED)) {
    if (global.has(k)) continue;
    const dv = d.values?.[k] ?? (m.fmt && !m.def(v) && ['ciphers', 'macs', 'kexalgorithms', 'hostkeyalgorithms'].includes(k) ? m.fmt([], v, d) : m.def(v));
    if (dv) global.set(k, { values: dv, source: null });
  }
  return global;
}

/** Each Match block and whether it applies to `ci` (for explaining --effective). */
export function matchBlocksFor(cfg: ParsedConfig, ci: ConnectionSpec, groupsOf: (u: string) => string[] = () => []): { file: string; line: number; condition: string; matched: boolean }[] {
  return cfg.blocks
    .filter((b) => b.match.errors.length === 0)
    .map((b) => ({ file: b.file, line: b.line, condition: b.match.criteria.map((c) => (c.arg === null ? c.attr : `${c.attr} ${c.arg}`)).join(' '), matched: blockMatched(b, ci, cfg.version, groupsOf) }));
}

/** Parses `sshd -T` output into key -> lines (values), for comparison. */
export function parseSshdT(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const arr = out.get(m[1]) ?? [];
    arr.push(m[2]);
    out.set(m[1], arr);
  }
  return out;
}
