/**
 * Admission settings from sshd_config values (as `sshd -T` prints them or the config writes them),
 * and PerSourcePenalties' compiled-in defaults per OpenSSH version (servconf.c `fill_default_server_options`):
 *   9.8:        crash:90 authfail:5 noauth:1 grace-exceeded:20 min:15 max:600, max-sources 65536, overflow permissive
 *   9.9–10.2:   grace-exceeded:10, and refuseconnection:10 (RefuseConnection is new in 9.9)
 *   10.3+:      invaliduser:5 (before, an invalid user's attempt counts as authfail)
 * Before 9.8 there are no penalties; PerSourceMaxStartups exists from 8.5.
 */
import { cmpVersion, normaliseVersion } from '../openssh-versions.ts';
import { convtime, parseMaxStartups } from '../sshd-config/value-syntax.ts';
import { parseCidr } from '../net/address.ts';
import type { AdmissionSettings, MaxStartups, PenaltySettings } from './types.ts';

/** A setting value the simulator cannot use: names the option. */
export class SettingsError extends Error {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}

/** PerSourcePenalties as version `version` ships it, or null before 9.8 (or when the version is unknown). */
export function penaltyDefaults(version: string | null): PenaltySettings | null {
  const v = version === null ? null : normaliseVersion(version);
  if (v === null || cmpVersion(v, '9.8') < 0) return null;
  return {
    crash: 90,
    authfail: 5,
    invaliduser: cmpVersion(v, '10.3') >= 0 ? 5 : null,
    noauth: 1,
    grace: cmpVersion(v, '9.9') >= 0 ? 10 : 20,
    refuseconnection: cmpVersion(v, '9.9') >= 0 ? 10 : null,
    min: 15,
    max: 600,
    maxSources4: 65536,
    maxSources6: 65536,
    overflow: 'permissive',
    overflow6: 'permissive',
    exempt: [],
  };
}

/** sshd's defaults for `version`: MaxStartups 10:30:100, no PerSourceMaxStartups, 32:128 blocks, the version's penalties. */
export function defaultAdmission(version: string | null): AdmissionSettings {
  return { maxStartups: { start: 10, rate: 30, full: 100 }, perSource: null, netBlock: { v4: 32, v6: 128 }, penalties: penaltyDefaults(version) };
}

/** The admission keywords, lower case as `sshd -T` prints them; each value as one string. */
export interface AdmissionValues {
  maxstartups?: string;
  persourcemaxstartups?: string;
  persourcenetblocksize?: string;
  persourcepenalties?: string;
  persourcepenaltyexemptlist?: string;
}

/** `sshd -T` output (parseSshdT) or any keyword → values map: the admission keywords of it. */
export function admissionValuesOf(map: ReadonlyMap<string, readonly string[]>): AdmissionValues {
  const v = (k: string): string | undefined => {
    const x = map.get(k);
    return x && x.length > 0 ? x.join(' ') : undefined;
  };
  return {
    maxstartups: v('maxstartups'),
    persourcemaxstartups: v('persourcemaxstartups'),
    persourcenetblocksize: v('persourcenetblocksize'),
    persourcepenalties: v('persourcepenalties'),
    persourcepenaltyexemptlist: v('persourcepenaltyexemptlist'),
  };
}

export function parseMaxStartupsValue(text: string): MaxStartups {
  const p = parseMaxStartups(text);
  if (p === null) throw new SettingsError('MaxStartups', `"${text}" is not start:rate:full (e.g. 10:30:100)`);
  return { start: p[0], rate: p[1], full: p[2] };
}

/** The settings sshd `version` applies with these values (unset keywords take the version's defaults). */
export function admissionSettings(values: AdmissionValues, version: string | null): AdmissionSettings {
  const s = defaultAdmission(version);
  if (values.maxstartups !== undefined) s.maxStartups = parseMaxStartupsValue(values.maxstartups);
  const ps = values.persourcemaxstartups?.trim();
  if (ps !== undefined && ps.toLowerCase() !== 'none') {
    if (!/^\d+$/.test(ps) || Number(ps) < 1) throw new SettingsError('PerSourceMaxStartups', `"${ps}" is not a positive number or none`);
    s.perSource = Number(ps);
  }
  const nb = values.persourcenetblocksize?.trim();
  if (nb !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(nb);
    if (!m || Number(m[1]) > 32 || (m[2] !== undefined && Number(m[2]) > 128)) throw new SettingsError('PerSourceNetBlockSize', `"${nb}" is not v4[:v6] prefix lengths`);
    // One number leaves the IPv6 length unset in servconf.c (an uninitialised int): sshd -T on Debian 12 shows `24:0`, every IPv6 client in one bucket.
    s.netBlock = { v4: Number(m[1]), v6: m[2] === undefined ? 0 : Number(m[2]) };
  }
  if (values.persourcepenalties !== undefined) s.penalties = parsePenalties(values.persourcepenalties, version);
  if (values.persourcepenaltyexemptlist !== undefined && s.penalties !== null) {
    const list = values.persourcepenaltyexemptlist.trim();
    if (list !== '' && list.toLowerCase() !== 'none') {
      for (const e of list.split(',')) if (parseCidr(e.trim()) === null) throw new SettingsError('PerSourcePenaltyExemptList', `"${e}" is not an address or CIDR`);
      s.penalties = { ...s.penalties, exempt: list.split(',').map((e) => e.trim()) };
    }
  }
  return s;
}

function seconds(option: string, text: string): number {
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : convtime(text);
  if (n === null) throw new SettingsError(option, `"${text}" is not a time`);
  return n;
}

/** `PerSourcePenalties` words (servconf.c): `no`, `yes`, or key:value tokens over the version's defaults. */
export function parsePenalties(text: string, version: string | null): PenaltySettings | null {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  if (words.length === 1 && /^(no|none)$/i.test(words[0])) return null;
  const base = penaltyDefaults(version) ?? penaltyDefaults('99.0')!;
  if (words.length === 1 && /^yes$/i.test(words[0])) return base;
  const p: PenaltySettings = { ...base };
  const set = new Set<string>();
  for (const w of words) {
    const m = /^([a-z0-9-]+):(.+)$/.exec(w);
    if (!m) throw new SettingsError('PerSourcePenalties', `unsupported word "${w}"`);
    const [, key, val] = m;
    if (set.has(key)) continue; // sshd keeps the first value
    set.add(key);
    switch (key) {
      case 'crash': p.crash = seconds('PerSourcePenalties', val); break;
      case 'authfail': p.authfail = seconds('PerSourcePenalties', val); break;
      case 'invaliduser': p.invaliduser = seconds('PerSourcePenalties', val); break;
      case 'noauth': p.noauth = seconds('PerSourcePenalties', val); break;
      case 'grace-exceeded': p.grace = seconds('PerSourcePenalties', val); break;
      case 'refuseconnection': p.refuseconnection = seconds('PerSourcePenalties', val); break;
      case 'min': p.min = seconds('PerSourcePenalties', val); break;
      case 'max': p.max = seconds('PerSourcePenalties', val); break;
      case 'max-sources4': case 'max-sources6': {
        if (!/^\d+$/.test(val)) throw new SettingsError('PerSourcePenalties', `"${w}": not a number`);
        if (key === 'max-sources4') p.maxSources4 = Number(val);
        else p.maxSources6 = Number(val);
        break;
      }
      case 'overflow': case 'overflow6': {
        if (val !== 'permissive' && val !== 'deny-all') throw new SettingsError('PerSourcePenalties', `"${w}": overflow is permissive or deny-all`);
        if (key === 'overflow') p.overflow = val;
        else p.overflow6 = val;
        break;
      }
      default:
        throw new SettingsError('PerSourcePenalties', `unsupported word "${w}"`);
    }
  }
  if (!set.has('overflow6')) p.overflow6 = p.overflow;
  return p;
}

/** `a:b:c` as sshd_config writes it. */
export function maxStartupsText(ms: MaxStartups): string {
  return `${ms.start}:${ms.rate}:${ms.full}`;
}

/** The admission keywords that differ between `from` and `to`, as sshd_config lines (what to write). */
export function changedLines(from: AdmissionSettings, to: AdmissionSettings): string[] {
  const out: string[] = [];
  if (maxStartupsText(from.maxStartups) !== maxStartupsText(to.maxStartups)) out.push(`MaxStartups ${maxStartupsText(to.maxStartups)}`);
  if (from.perSource !== to.perSource) out.push(`PerSourceMaxStartups ${to.perSource ?? 'none'}`);
  if (from.netBlock.v4 !== to.netBlock.v4 || from.netBlock.v6 !== to.netBlock.v6) out.push(`PerSourceNetBlockSize ${to.netBlock.v4}:${to.netBlock.v6}`);
  const ex = (s: AdmissionSettings) => s.penalties?.exempt.join(',') ?? '';
  if (to.penalties !== null && ex(from) !== ex(to) && ex(to) !== '') out.push(`PerSourcePenaltyExemptList ${ex(to)}`);
  return out;
}

/** One line for a table: `MaxStartups 10:30:100, PerSourceMaxStartups 5 (/32, /64), PerSourcePenalties on (2 exempt)`. */
export function describeSettings(s: AdmissionSettings): string {
  const parts = [`MaxStartups ${maxStartupsText(s.maxStartups)}`];
  if (s.perSource !== null) parts.push(`PerSourceMaxStartups ${s.perSource}${s.netBlock.v4 !== 32 || s.netBlock.v6 !== 128 ? ` (/${s.netBlock.v4}, /${s.netBlock.v6})` : ''}`);
  if (s.penalties === null) parts.push('no PerSourcePenalties');
  else parts.push(`PerSourcePenalties on${s.penalties.exempt.length ? ` (${s.penalties.exempt.length} exempt)` : ''}`);
  return parts.join(', ');
}
