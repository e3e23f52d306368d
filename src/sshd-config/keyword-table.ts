/**
 * The sshd_config keyword table for OpenSSH 7.4-10.5, as data. Which keywords exist in which
 * release and whether they are allowed inside Match come from `data/keywords.generated.json`,
 * extracted from openssh-portable's servconf.c/servconf.h at every release tag (see
 * data/extract-keywords.ts). Debian's patches add a few keywords (GSSAPI key exchange,
 * DebianBanner); they are recognised when the flavour is `debian`.
 */
import generated from './data/keywords.generated.json' with { type: 'json' };
import { cmpVersion } from '../openssh-versions.ts';

type Scope = 'global' | 'all';
export type KeywordStatus = 'ok' | 'deprecated' | 'ignored' | 'unsupported';
export type Flavour = 'upstream' | 'debian';

export interface KeywordInfo {
  /** Canonical spelling (sshd_config(5)). */
  name: string;
  /** Lower-case key, as sshd -T prints it. */
  key: string;
  /** The keyword whose value this one sets (aliases: KeepAlive -> TCPKeepAlive). */
  target: string;
  scope: Scope;
  status: KeywordStatus;
  /** First release (from 7.4) that knows the keyword. */
  since: string;
  /** First release that no longer knows it (then it is a "Bad configuration option"). */
  removedIn: string | null;
  /** First release in which it became deprecated / ignored / unsupported, when it did. */
  statusSince: string | null;
  debianPatch?: boolean;
}

interface GenEntry {
  name: string;
  versions: Record<string, { opcode: string; scope: string }>;
}
const GEN = generated as unknown as { tags: string[]; keywords: Record<string, GenEntry> };
export const TABLE_VERSIONS: readonly string[] = GEN.tags;
export const OLDEST = TABLE_VERSIONS[0];
export const NEWEST = TABLE_VERSIONS[TABLE_VERSIONS.length - 1];

/** Aliases that set another keyword's value (same opcode). */
const ALIASES: Record<string, string> = {
  hostdsakey: 'hostkey',
  dsaauthentication: 'pubkeyauthentication',
  keepalive: 'tcpkeepalive',
  challengeresponseauthentication: 'kbdinteractiveauthentication',
  skeyauthentication: 'kbdinteractiveauthentication',
  pubkeyacceptedkeytypes: 'pubkeyacceptedalgorithms',
  hostbasedacceptedkeytypes: 'hostbasedacceptedalgorithms',
};

/**
 * Known quirks of the extraction, kept explicit. 10.4's servconf.h spelled the GSSAPI keywords
 * "GssAuthentication" etc. in the X-macro table (extracted as such); we keep the documented
 * GSSAPI* spellings valid in 10.4 too (uncertain: whether a 10.4 sshd really rejected them).
 */
const KEEP_THROUGH: Record<string, string> = {
  gssapiauthentication: '10.5',
  gssapicleanupcredentials: '10.5',
  gssapistrictacceptorcheck: '10.5',
  gssapidelegatecredentials: '10.5',
};
const DROP = new Set(['gssauthentication', 'gsscleanupcreds', 'gssdelegatecreds', 'gssstrictacceptor']);

/** Debian/Ubuntu patch keywords (openssh debian/patches gssapi.patch, debian-banner.patch). */
const DEBIAN_EXTRA: Record<string, { name: string; scope: Scope; target?: string; status?: KeywordStatus }> = {
  gssapikeyexchange: { name: 'GSSAPIKeyExchange', scope: 'global' },
  gssapistorecredentialsonrekey: { name: 'GSSAPIStoreCredentialsOnRekey', scope: 'global' },
  gssapikexalgorithms: { name: 'GSSAPIKexAlgorithms', scope: 'global' },
  gssapicleanupcreds: { name: 'GSSAPICleanupCreds', scope: 'global', target: 'gssapicleanupcredentials' },
  gssapiusesessioncredcache: { name: 'GSSAPIUseSessionCredCache', scope: 'global', status: 'unsupported' },
  debianbanner: { name: 'DebianBanner', scope: 'global' },
};

function statusOf(opcode: string): KeywordStatus {
  if (opcode === 'sDeprecated') return 'deprecated';
  if (opcode === 'sIgnore') return 'ignored';
  if (opcode === 'sUnsupported') return 'unsupported';
  return 'ok';
}

/** The table row closest to (at or before) `version`, clamped to 7.4..10.5. */
export function tableVersion(version: string): string {
  let best = OLDEST;
  for (const v of TABLE_VERSIONS) if (cmpVersion(v, version) <= 0) best = v;
  return best;
}

function info(key: string, version: string): KeywordInfo | null {
  if (DROP.has(key)) return null;
  const e = GEN.keywords[key];
  if (!e) return null;
  const tv = tableVersion(version);
  let row = e.versions[tv];
  if (!row && KEEP_THROUGH[key] && tv === '10.4' && e.versions['10.3']) row = e.versions['10.3'];
  if (!row) return null;
  const present = TABLE_VERSIONS.filter((v) => e.versions[v]);
  const since = present[0];
  const lastPresent = present[present.length - 1];
  const removedIdx = TABLE_VERSIONS.indexOf(lastPresent) + 1;
  const removedIn = KEEP_THROUGH[key] ? null : (TABLE_VERSIONS[removedIdx] ?? null);
  const status = statusOf(row.opcode);
  const statusSince = status === 'ok' ? null : (TABLE_VERSIONS.find((v) => e.versions[v] && statusOf(e.versions[v].opcode) === status) ?? null);
  return {
    name: e.name === key ? canonicalSpelling(key, e.name) : e.name,
    key,
    target: ALIASES[key] ?? key,
    scope: row.scope.includes('ALL') || row.scope.includes('MATCH') ? 'all' : 'global',
    status,
    since,
    removedIn,
    statusSince,
  };
}

function canonicalSpelling(key: string, name: string): string {
  const known: Record<string, string> = {
    pamauthenticationviakbdint: 'PAMAuthenticationViaKbdInt', hostdsakey: 'HostDSAKey', serverkeybits: 'ServerKeyBits',
    keyregenerationinterval: 'KeyRegenerationInterval', rhostsauthentication: 'RhostsAuthentication',
    rhostsrsaauthentication: 'RhostsRSAAuthentication', rsaauthentication: 'RSAAuthentication', dsaauthentication: 'DSAAuthentication',
    kerberostgtpassing: 'KerberosTgtPassing', afstokenpassing: 'AFSTokenPassing', skeyauthentication: 'SKeyAuthentication',
    checkmail: 'CheckMail', uselogin: 'UseLogin', keepalive: 'KeepAlive', protocol: 'Protocol',
    verifyreversemapping: 'VerifyReverseMapping', reversemappingcheck: 'ReverseMappingCheck', authorizedkeysfile2: 'AuthorizedKeysFile2',
    useprivilegeseparation: 'UsePrivilegeSeparation',
  };
  return known[key] ?? (KNOWN_LOWER[key] ?? name);
}

const KNOWN_LOWER: Record<string, string> = { gssapidelegatecredentials: 'GSSAPIDelegateCredentials' };

/** Looks a keyword up (case-insensitive) as sshd `version` would; null = "Bad configuration option". */
export function lookupKeyword(word: string, version: string, flavour: Flavour = 'upstream'): KeywordInfo | null {
  const key = word.toLowerCase();
  const i = info(key, version);
  if (i) return i;
  if (flavour === 'debian' && DEBIAN_EXTRA[key]) {
    const d = DEBIAN_EXTRA[key];
    return { name: d.name, key, target: d.target ?? key, scope: d.scope, status: d.status ?? 'ok', since: OLDEST, removedIn: null, statusSince: null, debianPatch: true };
  }
  return null;
}

/** History of a keyword across 7.4-10.5 regardless of the audited version (for "removed in X" messages). */
export function keywordHistory(word: string): { name: string; since: string; removedIn: string | null } | null {
  const key = word.toLowerCase();
  const e = GEN.keywords[key];
  if (!e || DROP.has(key)) return null;
  const present = TABLE_VERSIONS.filter((v) => e.versions[v]);
  const idx = TABLE_VERSIONS.indexOf(present[present.length - 1]) + 1;
  return { name: info(key, present[0])?.name ?? e.name, since: present[0], removedIn: KEEP_THROUGH[key] ? null : (TABLE_VERSIONS[idx] ?? null) };
}

/** All keywords valid in `version` (canonical spellings). */
export function keywordsIn(version: string, flavour: Flavour = 'upstream'): KeywordInfo[] {
  const out: KeywordInfo[] = [];
  for (const key of Object.keys(GEN.keywords)) {
    const i = info(key, version);
    if (i) out.push(i);
  }
  if (flavour === 'debian') for (const key of Object.keys(DEBIAN_EXTRA)) out.push(lookupKeyword(key, version, 'debian')!);
  return out;
}
