/**
 * `Match` lines: parsing their criteria (servconf.c match_cfg_line) and evaluating them for a
 * connection spec the way `sshd -T -C user=..,addr=..,host=..,laddr=..,lport=..` does. Pure:
 * group membership comes from the caller.
 */
import ipaddr from 'ipaddr.js';
import { cmpVersion } from '../openssh-versions.ts';
import { wildcardMatch } from './algorithms.ts';
import { strdelim } from './lexer.ts';

export interface ConnectionSpec {
  user?: string;
  host?: string;
  addr?: string;
  laddr?: string;
  lport?: number;
  rdomain?: string;
  /** The user does not exist (10.0+ `Match Invalid-User`). */
  invalidUser?: boolean;
}

export interface MatchCriterion {
  attr: string; // lower-case: all, user, group, host, address, localaddress, localport, rdomain, invalid-user, version
  arg: string | null;
}

export interface ParsedMatch {
  criteria: MatchCriterion[];
  /** sshd's error lines for this Match (empty when valid); sshd then says "Bad Match condition". */
  errors: string[];
}

/** Criteria each release understands (servconf.c match_cfg_line). */
function knownCriteria(version: string): string[] {
  const c = ['all', 'user', 'group', 'host', 'address', 'localaddress', 'localport'];
  if (cmpVersion(version, '7.7') >= 0) c.push('rdomain');
  if (cmpVersion(version, '9.9') >= 0) c.push('invalid-user'); // servconf.c V_9_9_P1
  if (cmpVersion(version, '10.0') >= 0) c.push('version'); // servconf.c V_10_0_P1 (also attr=value syntax)
  return c;
}

/** A comma list of addresses / CIDR blocks / wildcards with `!` negation; null when a CIDR entry is invalid. */
export function parseAddressList(list: string): { neg: boolean; cidr?: [ipaddr.IPv4 | ipaddr.IPv6, number]; pattern?: string }[] | null {
  const out: { neg: boolean; cidr?: [ipaddr.IPv4 | ipaddr.IPv6, number]; pattern?: string }[] = [];
  for (let item of list.split(',')) {
    const neg = item.startsWith('!');
    if (neg) item = item.slice(1);
    if (item === '') return null;
    if (item.includes('/')) {
      try {
        const [a, len] = ipaddr.parseCIDR(item);
        // addr.c addr_pton_cidr rejects host bits set beyond the mask
        const net = a.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(item) : ipaddr.IPv6.networkAddressFromCIDR(item);
        if (net.toString() !== a.toString()) return null;
        out.push({ neg, cidr: [a, len] });
      } catch {
        return null;
      }
    } else out.push({ neg, pattern: item });
  }
  return out;
}

/** match.c addr_match_list: 1 match, 0 no match, -1 negated match, -2 invalid list. */
export function addrMatchList(addr: string, list: string): 1 | 0 | -1 | -2 {
  const items = parseAddressList(list);
  if (!items) return -2;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 | null = null;
  try {
    parsed = ipaddr.process(addr);
  } catch {
    parsed = null;
  }
  let ret: 1 | 0 = 0;
  for (const it of items) {
    let hit = false;
    if (it.cidr) {
      hit = parsed !== null && parsed.kind() === it.cidr[0].kind() && parsed.match(it.cidr);
    } else if (it.pattern) hit = wildcardMatch(addr, it.pattern);
    if (hit) {
      if (it.neg) return -1;
      ret = 1;
    }
  }
  return ret;
}

/** match.c match_pattern_list: 1 positive match, 0 none, -1 negated match. */
export function matchPatternList(s: string, list: string, caseInsensitive = false): 1 | 0 | -1 {
  let got = 0 as 1 | 0;
  const subject = caseInsensitive ? s.toLowerCase() : s;
  for (let p of list.split(',')) {
    const neg = p.startsWith('!');
    if (neg) p = p.slice(1);
    if (caseInsensitive) p = p.toLowerCase();
    if (wildcardMatch(subject, p)) {
      if (neg) return -1;
      got = 1;
    }
  }
  return got;
}

/** Parses the text after `Match` (raw, comments allowed) as match_cfg_line does for syntax checking. */
export function parseMatch(rest: string, version: string): ParsedMatch {
  const criteria: MatchCriterion[] = [];
  const errors: string[] = [];
  const known = knownCriteria(version);
  let cp: string | null = rest;
  const next = (): string | null => {
    if (cp === null) return null;
    const s = cp.replace(/^[ \t]+/, '');
    if (s === '') { cp = null; return null; }
    const [tok, r] = strdelim(s);
    cp = r;
    return tok;
  };
  let attributes = 0;
  for (let attrib = next(); attrib !== null && attrib !== ''; attrib = next()) {
    if (attrib.startsWith('#')) break;
    attributes++;
    let a = attrib.toLowerCase();
    let arg: string | null = null;
    const eq = a.indexOf('=');
    if (a === 'all') {
      const n = next();
      if (attributes > 1 || (n !== null && n !== '' && !n.startsWith('#'))) {
        errors.push("'all' cannot be combined with other Match attributes");
        return { criteria, errors };
      }
      criteria.push({ attr: 'all', arg: null });
      return { criteria, errors };
    }
    if (a === 'invalid-user' && known.includes('invalid-user')) {
      criteria.push({ attr: a, arg: null });
      continue;
    }
    if (eq > 0 && cmpVersion(version, '10.0') >= 0) {
      arg = attrib.slice(eq + 1);
      a = a.slice(0, eq);
    } else arg = next();
    if (arg === null || arg === '' || arg.startsWith('#')) {
      errors.push(`Missing Match criteria for ${attrib}`);
      return { criteria, errors };
    }
    if (!known.includes(a)) {
      errors.push(`Unsupported Match attribute ${attrib}`);
      return { criteria, errors };
    }
    if ((a === 'address' || a === 'localaddress') && parseAddressList(arg) === null) {
      // sshd -t: fatal "Invalid Match address argument" (9.x); older: addr_match_list error
      errors.push(`Invalid Match ${a === 'address' ? 'address' : 'localaddress'} argument '${arg}'`);
      return { criteria, errors };
    }
    if (a === 'localport' && !/^\d+$/.test(arg)) {
      errors.push(`Invalid LocalPort '${arg}' on Match line`);
      return { criteria, errors };
    }
    criteria.push({ attr: a, arg });
  }
  if (attributes === 0) errors.push('One or more attributes required for Match');
  return { criteria, errors };
}

/**
 * Evaluates parsed criteria for a connection (test mode, as `sshd -T -C`: a criterion whose field is
 * not given does not match). `groupsOf` answers Match Group.
 */
export function evaluateMatch(m: ParsedMatch, ci: ConnectionSpec, version: string, groupsOf: (user: string) => string[] = () => []): boolean {
  if (m.errors.length) return false;
  let result = true;
  for (const c of m.criteria) {
    const arg = c.arg ?? '';
    switch (c.attr) {
      case 'all': return true;
      case 'invalid-user': if (!ci.invalidUser) result = false; break;
      case 'user': if (ci.user === undefined || matchPatternList(ci.user, arg) !== 1) result = false; break;
      case 'group': {
        if (ci.user === undefined) { result = false; break; }
        const gs = groupsOf(ci.user);
        // groupaccess.c ga_match_pattern_list: any group matching the list, negations excluded
        if (!gs.some((g) => matchPatternList(g, arg) === 1)) result = false;
        break;
      }
      case 'host': if (ci.host === undefined || matchPatternList(ci.host, arg, true) !== 1) result = false; break;
      case 'address': if (ci.addr === undefined || addrMatchList(ci.addr, arg) !== 1) result = false; break;
      case 'localaddress': if (ci.laddr === undefined || addrMatchList(ci.laddr, arg) !== 1) result = false; break;
      case 'localport': if (ci.lport === undefined || Number(arg) !== ci.lport) result = false; break;
      case 'rdomain': if (ci.rdomain === undefined || matchPatternList(ci.rdomain, arg) !== 1) result = false; break;
      case 'version': if (matchPatternList(`OpenSSH_${version}`, arg) !== 1) result = false; break;
      default: result = false;
    }
  }
  return result;
}

/** Parses `user=alice,addr=198.51.100.20,...` (the -C syntax). Throws Error with a clear message. */
export function parseConnectionSpec(spec: string): ConnectionSpec {
  const ci: ConnectionSpec = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`"${part}" is not key=value (keys: user, host, addr, laddr, lport, rdomain, invalid-user)`);
    const k = part.slice(0, eq).trim().toLowerCase();
    const v = part.slice(eq + 1).trim();
    if (k === 'user') ci.user = v;
    else if (k === 'host') ci.host = v;
    else if (k === 'addr' || k === 'address') { if (!ipaddr.isValid(v)) throw new Error(`addr "${v}" is not an IP address`); ci.addr = v; }
    else if (k === 'laddr') { if (!ipaddr.isValid(v)) throw new Error(`laddr "${v}" is not an IP address`); ci.laddr = v; }
    else if (k === 'lport') { const n = Number(v); if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`lport "${v}" is not a port`); ci.lport = n; }
    else if (k === 'rdomain') ci.rdomain = v;
    else if (k === 'invalid-user') ci.invalidUser = v === '' || v === 'yes' || v === 'true';
    else throw new Error(`unknown key "${k}" (keys: user, host, addr, laddr, lport, rdomain, invalid-user)`);
  }
  return ci;
}
