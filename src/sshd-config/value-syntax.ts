/**
 * Value syntax of every keyword, as sshd's process_server_config_line checks it, and the exact
 * message sshd prints when a value is wrong (9.2 wording; `fatal` stops sshd at that line,
 * otherwise sshd counts the line as a bad option and stops at the end of that file). Pure.
 */
import { unknownNames, type AlgoKind } from './algorithms.ts';
import { parseAddressList } from './match.ts';

export interface ValueError {
  /** Message after "FILE line N: " (sshd's wording). */
  message: string;
  /** sshd calls fatal() (stops at once) rather than error() (keeps parsing this file). */
  fatal: boolean;
  /** Message format puts a colon after the file name ("FILE: line N:"). */
  colon?: boolean;
}

export interface CheckContext {
  version: string;
  keyword: string; // as written
  args: string[];
  rest: string;
  /** Extra algorithm names the local build supports (from `ssh -Q`), beyond the table. */
  extraAlgorithms?: Partial<Record<AlgoKind, string[]>>;
  /** Whether a ListenAddress host name resolves (getaddrinfo); absent = assume it does. */
  resolveHost?: (name: string) => boolean;
}

const FLAG = ['yes', 'no'];
export const MULTISTATE: Record<string, string[]> = {
  addressfamily: ['inet', 'inet6', 'any'],
  permitrootlogin: ['without-password', 'prohibit-password', 'forced-commands-only', 'yes', 'no'],
  ignorerhosts: ['yes', 'no', 'shosts-only'], // shosts-only since 8.8 (uncertain: before that a flag)
  compression: ['yes', 'delayed', 'no'],
  gatewayports: ['clientspecified', 'yes', 'no'],
  allowtcpforwarding: ['yes', 'all', 'no', 'local', 'remote'],
  allowstreamlocalforwarding: ['yes', 'all', 'no', 'local', 'remote'],
};
export const FLAGS = new Set([
  'usepam', 'hostbasedauthentication', 'hostbasedusesnamefrompacketonly', 'pubkeyauthentication', 'kerberosauthentication',
  'kerberosorlocalpasswd', 'kerberosticketcleanup', 'kerberosgetafstoken', 'gssapiauthentication', 'gssapicleanupcredentials',
  'gssapistrictacceptorcheck', 'gssapidelegatecredentials', 'passwordauthentication', 'kbdinteractiveauthentication',
  'printmotd', 'printlastlog', 'x11forwarding', 'x11uselocalhost', 'permittty', 'permituserrc', 'strictmodes', 'tcpkeepalive',
  'permitemptypasswords', 'usedns', 'allowagentforwarding', 'disableforwarding', 'streamlocalbindunlink', 'exposeauthinfo',
  'ignoreuserknownhosts', 'refuseconnection', 'gssapikeyexchange', 'gssapistorecredentialsonrekey', 'debianbanner',
  'gssapicleanupcreds', 'gssapiusesessioncredcache',
]);
const INTS = new Set(['x11displayoffset', 'maxauthtries', 'maxsessions', 'clientalivecountmax', 'requiredrsasize']);
const TIMES = new Set(['logingracetime', 'clientaliveinterval']);
const FILENAMES = new Set(['pidfile', 'modulifile', 'xauthlocation', 'banner', 'trustedusercakeys', 'revokedkeys', 'hostkey', 'hostcertificate']);
const LOG_LEVELS = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG1', 'DEBUG2', 'DEBUG3'];
const FACILITIES = ['DAEMON', 'USER', 'AUTH', 'AUTHPRIV', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4', 'LOCAL5', 'LOCAL6', 'LOCAL7'];
const AUTH_METHODS = ['publickey', 'password', 'keyboard-interactive', 'hostbased', 'gssapi-with-mic', 'none'];
const KBD_SUBMETHODS = ['pam', 'bsdauth'];

/** misc.c convtime(): 1h30m, 90, 2d ... Null when invalid. */
export function convtime(s: string): number | null {
  if (s === '' ) return null;
  let total = 0;
  const re = /(\d+)([sSmMhHdDwW]?)/y;
  let i = 0;
  while (i < s.length) {
    re.lastIndex = i;
    const m = re.exec(s);
    if (!m) return null;
    const n = Number(m[1]);
    const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2].toLowerCase()] ?? 1;
    total += n * mult;
    if (total > 2 ** 31 - 1) return null;
    i = re.lastIndex;
  }
  return total;
}

/** atoi_err(): "missing", "invalid", "too small"/"too large" (0..INT_MAX). */
function atoiErr(s: string | undefined): string | null {
  if (s === undefined || s === '') return 'missing';
  if (!/^\s*[-+]?\d+$/.test(s)) return 'invalid';
  const n = Number(s);
  if (n < 0) return 'too small';
  if (n > 2 ** 31 - 1) return 'too large';
  return null;
}

function a2port(s: string | undefined): number {
  if (s === undefined || !/^\d+$/.test(s)) return -1;
  const n = Number(s);
  return n > 0 && n <= 65535 ? n : -1;
}

const F = (message: string): ValueError => ({ message, fatal: true });
const E = (message: string): ValueError => ({ message, fatal: false });

function parseMaxStartups(arg: string): [number, number, number] | null {
  const m = /^\s*([-+]?\d+)(?::([-+]?\d+)(?::([-+]?\d+))?)?/.exec(arg);
  if (!m) return null;
  if (m[2] !== undefined && m[3] === undefined) return null; // n == 2
  // sscanf %d: values beyond INT_MAX do not fit; treat them as invalid (sshd then rejects them)
  if ([m[1], m[2], m[3]].some((x) => x !== undefined && Math.abs(Number(x)) > 2 ** 31 - 1)) return null;
  const b = Number(m[1]);
  if (m[2] === undefined) return b > 0 ? [b, 100, b] : null;
  const r = Number(m[2]);
  const f = Number(m[3]);
  if (b > f || r > 100 || r < 1 || f <= 0 || b <= 0) return null;
  return [b, r, f];
}
export { parseMaxStartups };

/** PerSourcePenalties (9.8+) tokens, servconf.c parse_per_source_penalty. */
const PENALTY_KEYS = ['crash', 'authfail', 'noauth', 'grace-exceeded', 'refuseconnection', 'invaliduser', 'max', 'min', 'max-sources4', 'max-sources6', 'overflow', 'overflow6'];

/** Checks one directive's value; null when sshd accepts it. `key` is the target keyword (aliases resolved). */
export function checkValue(key: string, c: CheckContext): ValueError | null {
  const { args, keyword } = c;
  const a0 = args[0];
  const need = (msg: string): ValueError | null => (a0 === undefined || a0 === '' ? F(msg) : null);
  const extra = (n: number): ValueError | null => (args.length > n ? E(`keyword ${keyword} extra arguments at end of line`) : null);
  if (FLAGS.has(key) || MULTISTATE[key]) {
    const r = need('missing argument.');
    if (r) return r;
    const choices = MULTISTATE[key] ?? FLAG;
    if (!choices.includes(a0.toLowerCase())) return F(`unsupported option "${a0}".`);
    return extra(1);
  }
  if (INTS.has(key)) {
    const e = atoiErr(a0);
    if (e) return F(`${keyword} integer value ${e}.`);
    return extra(1);
  }
  if (TIMES.has(key)) {
    if (a0 === undefined || a0 === '') return F('missing time value.');
    if (convtime(a0) === null) return F('invalid time value.');
    return extra(1);
  }
  if (FILENAMES.has(key)) {
    const r = need('missing file name.');
    if (r) return r;
    return extra(1);
  }
  switch (key) {
    case 'port': {
      if (a0 === undefined || a0 === '') return F('missing port number.');
      if (a2port(a0) <= 0) return F('Badly formatted port number.');
      return extra(1);
    }
    case 'listenaddress': {
      if (!a0) return F('missing address');
      const bareV6 = !a0.includes('[') && (a0.match(/:/g) ?? []).length >= 2;
      let host = a0;
      if (!bareV6) {
        const hp = hpdelim(a0);
        if (!hp) return F('bad address:port usage');
        host = hp.host;
        if (hp.port !== null && a2port(hp.port) <= 0) return F('bad port number');
      }
      if (args.length > 1) {
        if (args[1] !== 'rdomain' || args.length < 3) return F('bad ListenAddress syntax');
        if (!/^[a-zA-Z0-9]{1,15}$/.test(args[2]) && args[2] !== '%D') return F('bad routing domain');
      }
      const e1 = extra(args.length > 1 ? 3 : 1);
      if (e1) return e1;
      // sshd resolves the address after parsing (process_queued_listen_addrs): no line in its message
      if (c.resolveHost && !isIpLiteral(host) && !c.resolveHost(host)) return { message: `bad addr or host: ${host} (Name or service not known)`, fatal: true };
      return null;
    }
    case 'hostkeyagent': return need('missing socket name.') ?? extra(1);
    case 'hostbasedacceptedalgorithms':
    case 'pubkeyacceptedalgorithms':
    case 'hostkeyalgorithms':
    case 'casignaturealgorithms': {
      if (!a0) return F('Missing argument.');
      if (a0[0] !== '-' && unknownNames(a0, 'key', c.version, c.extraAlgorithms?.key).length) return F(`Bad key types '${a0}'.`);
      return extra(1);
    }
    case 'ciphers': case 'macs': case 'kexalgorithms': {
      if (!a0) return F(`${keyword} missing argument.`);
      const kind: AlgoKind = key === 'ciphers' ? 'cipher' : key === 'macs' ? 'mac' : 'kex';
      if (a0[0] !== '-' && unknownNames(a0, kind, c.version, c.extraAlgorithms?.[kind]).length) {
        return F(key === 'ciphers' ? `Bad SSH2 cipher spec '${a0}'.` : key === 'macs' ? `Bad SSH2 mac spec '${a0}'.` : `Bad SSH2 KexAlgorithms '${a0}'.`);
      }
      return extra(1);
    }
    case 'pubkeyauthoptions': {
      for (const a of args) if (!['none', 'touch-required', 'verify-required'].includes(a.toLowerCase())) return E(`unsupported ${keyword} option ${a}`);
      return null;
    }
    case 'permituserenvironment': return need(`${keyword} missing argument.`) ?? extra(1);
    case 'rekeylimit': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (a0 !== 'default') {
        const m = /^(\d+)([KMG]?)$/i.exec(a0);
        if (!m) return F(`Bad ${keyword} number '${a0}': Invalid argument`);
        const v = Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase()] ?? 1);
        if (v !== 0 && v < 16) return F(`${keyword} too small`);
      }
      if (args.length > 1 && args[1] !== 'none' && convtime(args[1]) === null) return F('invalid time value.');
      return extra(2);
    }
    case 'syslogfacility': {
      if (!a0 || !FACILITIES.includes(a0.toUpperCase())) return F(`unsupported log facility '${a0 ?? '<NONE>'}'`);
      return extra(1);
    }
    case 'loglevel': {
      if (!a0 || !LOG_LEVELS.includes(a0.toUpperCase())) return F(`unsupported log level '${a0 ?? '<NONE>'}'`);
      return extra(1);
    }
    case 'logverbose':
    case 'channeltimeout': {
      for (let i = 0; i < args.length; i++) {
        if (args[i] === '' && key === 'logverbose') return E(`keyword ${keyword} empty argument`);
        if (args[i].toLowerCase() === 'none' && (i > 0 || args.length > 1)) return E(`keyword ${keyword} "none" argument must appear alone.`);
        if (key === 'channeltimeout' && args[i].toLowerCase() !== 'none') {
          const m = /^([^=]+)=(.+)$/.exec(args[i]);
          if (!m || convtime(m[2]) === null) return F(`invalid channel timeout ${args[i]}`);
        }
      }
      return null;
    }
    case 'allowusers': case 'denyusers': {
      for (const a of args) if (a === '' || !validUserPattern(a)) return F(`invalid ${keyword} pattern: "${a}"`);
      return null;
    }
    case 'allowgroups': case 'denygroups': {
      for (const a of args) if (a === '') return F(`empty ${keyword} pattern`);
      return null;
    }
    case 'maxstartups': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (!parseMaxStartups(a0)) return F(`Invalid ${keyword} spec.`);
      return extra(1);
    }
    case 'persourcenetblocksize': {
      if (!a0) return F(`${keyword} missing argument.`);
      const m = /^\s*([-+]?\d+)(?::([-+]?\d+))?/.exec(a0);
      if (!m || Number(m[1]) < 0 || Number(m[1]) > 32 || (m[2] !== undefined && (Number(m[2]) < 0 || Number(m[2]) > 128))) return F(`Invalid ${keyword} spec.`);
      return extra(1);
    }
    case 'persourcemaxstartups': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (a0 !== 'none') { const e = atoiErr(a0); if (e) return F(`${keyword} integer value ${e}.`); }
      return extra(1);
    }
    case 'persourcepenalties': {
      if (!a0) return F(`${keyword} missing argument.`);
      for (const a of args) {
        if (['yes', 'no', 'none'].includes(a) && args.length === 1) continue;
        const m = /^([a-z0-9-]+):(.+)$/.exec(a);
        if (!m || !PENALTY_KEYS.includes(m[1])) return F(`unsupported ${keyword} keyword "${a}"`);
        if (m[1].startsWith('overflow')) { if (!['deny-all', 'permissive'].includes(m[2])) return F(`invalid ${keyword} overflow value "${m[2]}"`); }
        else if (m[1].startsWith('max-sources')) { if (atoiErr(m[2])) return F(`invalid ${keyword} max-sources value "${m[2]}"`); }
        else if (convtime(m[2]) === null) return F(`invalid ${keyword} time value "${m[2]}"`);
      }
      return null;
    }
    case 'persourcepenaltyexemptlist': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (a0 !== 'none' && parseAddressList(a0) === null) return F(`Invalid ${keyword} argument '${a0}'`); // uncertain: exact wording
      return extra(1);
    }
    case 'authorizedkeysfile': {
      for (const a of args) if (a === '') return E(`keyword ${keyword} empty argument`);
      return null;
    }
    case 'authorizedprincipalsfile': case 'chrootdirectory': case 'securitykeyprovider': case 'sshdsessionpath': case 'sshdauthpath': case 'pamservicename':
      return need(`${keyword} missing argument.`) ?? extra(1);
    case 'acceptenv': {
      for (const a of args) if (a === '' || a.includes('=')) return F('Invalid environment name.');
      return null;
    }
    case 'setenv': {
      for (const a of args) if (a === '' || !a.includes('=')) return F('Invalid environment.');
      return null;
    }
    case 'permittunnel': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (!['no', 'point-to-point', 'ethernet', 'yes'].includes(a0)) return F(`bad ${keyword} argument ${a0}`);
      return extra(1);
    }
    case 'permitopen': case 'permitlisten': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (a0 === 'any' || a0 === 'none') return extra(1);
      const okPort = (p: string | null) => p !== null && (p === '*' || a2port(p) > 0);
      for (const a of args) {
        if (key === 'permitlisten' && !a.includes(':')) { if (!okPort(a)) return F(`${keyword} bad port number`); continue; }
        const hp = hpdelim(a);
        if (!hp) return F(`${keyword} missing host`);
        if (!okPort(hp.port)) return F(`${keyword} bad port number`);
      }
      return null;
    }
    case 'forcecommand': case 'versionaddendum':
      return c.rest.trim() === '' ? F(`${keyword} missing argument.`) : null;
    case 'authorizedkeyscommand': case 'authorizedprincipalscommand': {
      const s = c.rest.trim();
      if (!s.startsWith('/') && s.toLowerCase() !== 'none') return F(`${keyword} must be an absolute path`);
      return null;
    }
    case 'authorizedkeyscommanduser': case 'authorizedprincipalscommanduser':
      return need(`missing ${keyword} argument.`) ?? extra(1);
    case 'authenticationmethods': {
      let any = false;
      for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === 'any') { if (i > 0) return F(`"any" must appear alone in ${keyword}`); any = true; continue; }
        if (any) return F(`"any" must appear alone in ${keyword}`);
        for (const m of a.split(',')) {
          const [meth, sub] = m.split(':', 2);
          if (!AUTH_METHODS.includes(meth) || (sub !== undefined && !(meth === 'keyboard-interactive' && KBD_SUBMETHODS.includes(sub)))) return F(`invalid ${keyword} method list.`);
        }
      }
      if (args.length === 0) return F(`no ${keyword} specified`);
      return null;
    }
    case 'streamlocalbindmask': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (!/^[0-7]+/.test(a0) || parseInt(a0, 8) > 0o777) return F(`Invalid ${keyword}.`);
      return extra(1);
    }
    case 'fingerprinthash': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (!['md5', 'sha1', 'sha256', 'sha384', 'sha512'].includes(a0.toLowerCase())) return F(`Invalid ${keyword} algorithm "${a0}".`);
      return extra(1);
    }
    case 'rdomain':
      // Linux builds: sshd refuses RDomain outright (no SYS_SET_PROCESS_RDOMAIN on Linux).
      return F('setting RDomain not supported on this platform.');
    case 'ipqos': {
      if (!a0) return F(`${keyword} missing argument.`);
      for (const a of args.slice(0, 2)) if (!validIpqos(a)) return F(`Bad ${keyword} value: ${a}`);
      return extra(2);
    }
    case 'unusedconnectiontimeout': {
      if (a0 && a0.toLowerCase() === 'none') return extra(1);
      if (!a0) return F('missing time value.');
      if (convtime(a0) === null) return F('invalid time value.');
      return extra(1);
    }
    case 'subsystem': {
      if (!a0) return F(`${keyword} missing argument.`);
      if (args.length < 2) return F('Missing subsystem command.');
      return null;
    }
    case 'gssapikexalgorithms': {
      // Debian gssapi.patch: kex_gss_names_valid()
      if (!a0) return F(`${keyword} missing argument.`);
      for (const n of a0.split(',')) { if (n === '') break; if (!GSS_KEX.includes(n)) return F(`Bad GSSAPI KexAlgorithms '${a0}'.`); }
      return extra(1);
    }
    default:
      return null;
  }
}

const GSS_KEX = ['gss-gex-sha1-', 'gss-group1-sha1-', 'gss-group14-sha1-', 'gss-group14-sha256-', 'gss-group16-sha512-', 'gss-nistp256-sha256-', 'gss-curve25519-sha256-'];

/** misc.c hpdelim(): host[:port] or [host]:port; a '/' where the port separator would be is refused. */
function hpdelim(s: string): { host: string; port: string | null } | null {
  let host: string;
  let rest: string;
  if (s.startsWith('[')) {
    const e = s.indexOf(']');
    if (e < 0) return null;
    host = s.slice(1, e);
    rest = s.slice(e + 1);
    if (rest !== '' && rest[0] !== ':') return null;
  } else {
    const i = s.search(/[:/]/);
    if (i < 0) return { host: s, port: null };
    if (s[i] === '/') return null;
    host = s.slice(0, i);
    rest = s.slice(i);
  }
  if (rest === '') return { host, port: null };
  return { host, port: rest.slice(1) };
}

function isIpLiteral(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-fA-F:.]+(%\w+)?$/.test(s));
}

const IPQOS = ['af11', 'af12', 'af13', 'af21', 'af22', 'af23', 'af31', 'af32', 'af33', 'af41', 'af42', 'af43', 'cs0', 'cs1', 'cs2', 'cs3', 'cs4', 'cs5', 'cs6', 'cs7', 'ef', 'le', 'lowdelay', 'throughput', 'reliability', 'none'];
function validIpqos(s: string): boolean {
  if (IPQOS.includes(s.toLowerCase())) return true;
  return /^(0x[0-9a-f]+|\d+)$/i.test(s) && Number(s) <= 255;
}

/** match_user(NULL,...) validity: a user@host pattern whose host part, if an address list, must parse. */
function validUserPattern(p: string): boolean {
  const at = p.indexOf('@');
  if (at < 0) return true;
  const host = p.slice(at + 1);
  if (/^[0-9a-fA-F.:/,!*?]+$/.test(host) && host.includes('/')) return parseAddressList(host) !== null;
  return true;
}
