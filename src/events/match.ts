/**
 * Turns one framed sshd line into a typed event, using the catalog (src/catalog) only.
 *
 * Hot path (millions of lines): a few charCode tests strip the envelope of the message
 * (`error: `/`fatal: `/`debugN: `, a LogVerbose source tag, the ` [preauth]`/` [postauth]` suffix),
 * then the first word picks the candidate shapes in a Map, and one anchored regex per candidate
 * decides. No "try every regex" loop.
 *
 * Trust: addresses and ports are read only from catalog fields marked trusted. On a line at the
 * 500-character syslog limit (possibly cut), a trusted field that follows client text is ignored,
 * because a cut can leave client text that imitates the tail (`… 1.2.3.4 port 22`) at the end.
 */
import type { FramedLine } from '../framing/framed-line.ts';
import { BY_FIRST_CHAR, type CatalogEntry } from '../catalog/index.ts';
import { normaliseAddress, parsePort } from './ip.ts';
import type { MessagePrefix, SshdEvent } from './types.ts';

export type { SshdEvent, MessagePrefix } from './types.ts';

/** sshd's syslog cut: `%.500s` of the formatted message. */
export const SYSLOG_MESSAGE_LIMIT = 500;

const LOGVERBOSE_TAG = /^[\w./+-]+\.c:\w+\(\):\d+(?: \([^)]*\))?: /;
const FUNCTION_WORD = /^[A-Za-z_]\w*:$/;

/** True for the programs whose lines the engine reads: `sshd`, `sshd-session`, `sshd-auth`, any `sshd-*`, or unknown (sshd -E files). */
export function isSshdProgram(program: string): boolean {
  return program === '' || program === 'sshd' || program.startsWith('sshd-');
}

export function matchMessage(line: FramedLine): SshdEvent | null {
  if (!isSshdProgram(line.program)) return null;
  return matchText(line.message);
}

/** A reusable event for the engine's hot path (one per Analyzer): filled in place, never retained. */
export type MutableSshdEvent = { -readonly [K in keyof SshdEvent]: SshdEvent[K] };

export function newScratchEvent(): MutableSshdEvent {
  return { ...other('unrecognised', null, false, false, false, undefined) };
}

/** Matches a message text (envelope already removed by the framer). */
export function matchText(message: string, into?: MutableSshdEvent): SshdEvent {
  const truncated = message.length >= SYSLOG_MESSAGE_LIMIT;
  let start = 0;
  let prefix: MessagePrefix = null;
  const c0 = message.charCodeAt(0);
  if (c0 === 101 /* e */ && message.startsWith('error: ')) {
    prefix = 'error';
    start = 7;
  } else if (c0 === 102 /* f */ && message.startsWith('fatal: ')) {
    prefix = 'fatal';
    start = 7;
  } else if (c0 === 100 /* d */ && message.startsWith('debug') && message.charCodeAt(6) === 58 /* : */ && message.charCodeAt(7) === 32) {
    prefix = 'debug';
    start = 8;
  }
  let end = message.length;
  let preauth = false;
  let postauth = false;
  if (message.charCodeAt(end - 1) === 93 /* ] */) {
    if (message.endsWith(' [preauth]')) {
      preauth = true;
      end -= 10;
    } else if (message.endsWith(' [postauth]')) {
      postauth = true;
      end -= 11;
    }
  }
  // The whole message can go to an entry's fullPattern (which allows the same prefix and suffix)
  // as long as nothing else was skipped; otherwise the body is sliced once for the body patterns.
  const plainStart = start;
  let body: string | null = null;
  let sp = message.indexOf(' ', start);
  for (let attempt = 0; attempt < 3; attempt++) {
    const wordEnd = sp < 0 || sp > end ? end : sp;
    const candidates = lookup(message, start, wordEnd);
    if (candidates !== undefined) {
      const whole = start === plainStart;
      for (let i = 0; i < candidates.length; i++) {
        const entry = candidates[i];
        // Cheap filters first: one character of the second word, then a literal the line must contain.
        if (entry.probeAt > 0 && message.charCodeAt(start + entry.probeAt) !== entry.probeChar) continue;
        if (entry.needle !== '' && message.indexOf(entry.needle, start + entry.head.length) < 0) continue;
        let m: RegExpExecArray | null;
        if (entry.captures.length === 0) m = (whole ? entry.fullPattern : entry.pattern).test(whole ? message : (body ??= message.slice(start, end))) ? NO_MATCH : null;
        else if (whole) m = entry.fullPattern.exec(message);
        else {
          if (body === null) body = message.slice(start, end);
          m = entry.pattern.exec(body);
        }
        if (m !== null) {
          // A shape that repeats the user name is taken only when its greedy and lazy readings agree.
          if (entry.lazyPattern !== null && !sameReading(entry.lazyPattern.exec(message), m, start === plainStart)) {
            const ev = build(entry, m, prefix, preauth, postauth, true, into) as MutableSshdEvent;
            ev.addr = null;
            ev.port = null;
            ev.user = null;
            ev.addressDropped = true;
            return ev;
          }
          return build(entry, m, prefix, preauth, postauth, truncated, into);
        }
      }
      // A line cut at the syslog limit inside client text keeps only the head of its shape: it is
      // still that shape (its connection is found by pid), but nothing after the cut is read.
      if (truncated) {
        for (let i = 0; i < candidates.length; i++) {
          const entry = candidates[i];
          if (entry.head.length > wordEnd - start + 1 && entry.fields.some((f) => !f.trusted) && message.startsWith(entry.head, start)) {
            const ev = build(entry, NO_MATCH, prefix, preauth, postauth, truncated, into) as MutableSshdEvent;
            ev.addressDropped = true;
            return ev;
          }
        }
      }
      if (attempt === 0 && candidates.length > 0) break; // a known first word: no prefix to strip
    }
    // Slow path for an unknown first word: a LogVerbose source tag (`file.c:func():123 (pid=N): `)
    // or a function-name prefix (`_f` logging, `ssh_dispatch_run_fatal: …`): skip it and retry.
    const word = message.slice(start, wordEnd);
    if (word.includes('.c:')) {
      const m = LOGVERBOSE_TAG.exec(message.slice(start, end));
      if (m !== null) {
        start += m[0].length;
        sp = message.indexOf(' ', start);
        body = null;
        continue;
      }
    }
    if (wordEnd > start + 1 && wordEnd < end && message.charCodeAt(wordEnd - 1) === 58 && FUNCTION_WORD.test(word)) {
      start = wordEnd + 1;
      sp = message.indexOf(' ', start);
      body = null;
      continue;
    }
    break;
  }
  return other(prefix === 'debug' ? 'debug' : 'unrecognised', prefix, preauth, postauth, truncated, into);
}

function sameReading(lazy: RegExpExecArray | null, greedy: RegExpExecArray, whole: boolean): boolean {
  if (!whole || lazy === null || lazy.length !== greedy.length) return false;
  for (let i = 1; i < lazy.length; i++) if (lazy[i] !== greedy[i]) return false;
  return true;
}

/**
 * `User … from <host>` / PAM `from <host>` / `rhost=<host>`: an address only when it is an IP
 * literal. A zone (`%eth0`) is accepted on a link-local address only: sshd refuses a PTR name that
 * parses as a numeric address, and one that did not (a zone naming no interface here) could at
 * most name a link-local address, never a routable one.
 */
function hostAddress(v: string): string | null {
  const pct = v.indexOf('%');
  if (pct < 0) return normaliseAddress(v);
  const a = normaliseAddress(v);
  return a !== null && /^fe[89ab][0-9a-f]:/i.test(a) ? a : null;
}

/** An exec result with no captures: every field undefined. */
const NO_MATCH = Object.assign([''], { index: 0, input: '', groups: undefined }) as unknown as RegExpExecArray;

/** The shapes whose first word is `message[start, wordEnd)` (or whose prefix key it starts with). */
function lookup(message: string, start: number, wordEnd: number): readonly CatalogEntry[] | undefined {
  const keys = BY_FIRST_CHAR[message.charCodeAt(start) & 127];
  const len = wordEnd - start;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    const key = k.key;
    const n = key.length;
    if (k.prefix ? n > len : n !== len) continue;
    // Character by character (the first is already equal): cheaper than startsWith's builtin call for these short keys.
    let j = 1;
    while (j < n && message.charCodeAt(start + j) === key.charCodeAt(j)) j++;
    if (j === n) return k.entries;
  }
  return undefined;
}

function build(entry: CatalogEntry, m: RegExpExecArray, prefix: MessagePrefix, preauth: boolean, postauth: boolean, truncated: boolean, into: MutableSshdEvent | undefined): SshdEvent {
  let addr: string | null = null;
  let port: number | null = null;
  let laddr: string | null = null;
  let lport: number | null = null;
  let user: string | null = null;
  let invalidUser = false;
  let sessionUser = false;
  let method: string | null = null;
  let clientText: string | null = null;
  let text: string | null = null;
  let num: number | null = null;
  let pidRef: number | null = null;
  let idFrom: string | null = null;
  let idTo: string | null = null;
  let addressDropped = false;
  const fields = entry.captures;
  for (let i = 0; i < fields.length; i++) {
    const v = m[i + 1];
    if (v === undefined) continue;
    const f = fields[i];
    if (f.trusted && f.afterClientText && truncated && (f.name === 'addr' || f.name === 'port')) {
      addressDropped = true;
      continue;
    }
    switch (f.name) {
      case 'addr':
        if (f.trusted) addr = normaliseAddress(v);
        break;
      case 'port':
        if (f.trusted) port = parsePort(v);
        break;
      case 'hostaddr':
        // null for PTR names; a `%` never: a PTR name such as `2001:db8::1%.example` is not numeric to sshd.
        if (f.trusted) addr = hostAddress(v);
        break;
      case 'laddr':
        laddr = normaliseAddress(v);
        break;
      case 'lport':
        lport = parsePort(v);
        break;
      case 'user':
        user = v;
        break;
      case 'uq':
        invalidUser = v === 'invalid user';
        sessionUser = v === 'user';
        break;
      case 'inv':
        invalidUser = true;
        break;
      case 'method':
        method = v;
        break;
      case 'banner':
      case 'msg':
      case 'algs':
      case 'alg':
      case 'host':
        clientText = v;
        break;
      case 'err':
      case 'reason':
      case 'what':
      case 'dur':
      case 'path':
        text = text === null ? v : `${text}: ${v}`;
        break;
      case 'n':
      case 'code':
        num = Number(v);
        break;
      case 'pid':
        pidRef = Number(v);
        break;
      case 'idFrom':
        idFrom = normaliseAddress(v);
        break;
      case 'idTo':
        idTo = normaliseAddress(v);
        break;
      default:
        break;
    }
  }
  if (addr === null) port = null; // a port without its address is of no use
  if (into !== undefined) {
    into.type = entry.id;
    into.entry = entry;
    into.effect = entry.effect;
    into.addr = addr;
    into.port = port;
    into.laddr = laddr;
    into.lport = lport;
    into.user = user;
    into.invalidUser = invalidUser;
    into.sessionUser = sessionUser;
    into.method = method;
    into.clientText = clientText;
    into.text = text;
    into.num = num;
    into.pidRef = pidRef;
    into.idFrom = idFrom;
    into.idTo = idTo;
    into.prefix = prefix;
    into.preauth = preauth;
    into.postauth = postauth;
    into.truncated = truncated;
    into.addressDropped = addressDropped;
    return into;
  }
  return {
    type: entry.id,
    entry,
    effect: entry.effect,
    addr,
    port,
    laddr,
    lport,
    user,
    invalidUser,
    sessionUser,
    method,
    clientText,
    text,
    num,
    pidRef,
    idFrom,
    idTo,
    prefix,
    preauth,
    postauth,
    truncated,
    addressDropped,
  };
}

function other(type: 'debug' | 'unrecognised', prefix: MessagePrefix, preauth: boolean, postauth: boolean, truncated: boolean, into: MutableSshdEvent | undefined): SshdEvent {
  if (into !== undefined) {
    into.type = type;
    into.entry = null;
    into.effect = type === 'debug' ? 'debug' : 'unrecognised';
    into.addr = into.laddr = into.user = into.method = into.clientText = into.text = into.idFrom = into.idTo = null;
    into.port = into.lport = into.num = into.pidRef = null;
    into.invalidUser = false;
    into.sessionUser = false;
    into.prefix = prefix;
    into.preauth = preauth;
    into.postauth = postauth;
    into.truncated = truncated;
    into.addressDropped = false;
    return into;
  }
  return {
    type,
    entry: null,
    effect: type === 'debug' ? 'debug' : 'unrecognised',
    addr: null,
    port: null,
    laddr: null,
    lport: null,
    user: null,
    invalidUser: false,
    sessionUser: false,
    method: null,
    clientText: null,
    text: null,
    num: null,
    pidRef: null,
    idFrom: null,
    idTo: null,
    prefix,
    preauth,
    postauth,
    truncated,
    addressDropped: false,
  };
}
