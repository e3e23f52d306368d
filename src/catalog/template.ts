/**
 * Compiles a catalog template (`Invalid user {user*} from {addr} port {port}`) into an anchored
 * regular expression plus the list of its fields in capture-group order. Literal text is escaped;
 * each placeholder becomes one capture group (the `{uq}` preamble becomes two).
 *
 * Trust is decided here, once, from the placeholder itself: a name ending in `*` is text the
 * client controls; every other placeholder is text sshd writes itself. A trusted field that comes
 * after client-controlled text on the line is marked `afterClientText`: a line that the 500-character
 * syslog limit may have cut can end with client text that looks like that field, so the matcher
 * ignores such fields on possibly truncated lines.
 */
import type { FieldSpec } from './types.ts';

/** An IPv4 literal, an IPv6 literal (optionally with `%zone` or an embedded IPv4 tail), or sshd's `UNKNOWN`. Validated again with net.isIP. */
export const IP = String.raw`(\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:\.\d{1,3}){0,3}(?:%[\w.-]+)?|UNKNOWN)`;
const PORT = String.raw`(-1|\d{1,5})`;

const PLACEHOLDERS: Record<string, { re: string; fields: FieldSpec[] }> = {};

function def(name: string, re: string, fields?: FieldSpec[]): void {
  const clientText = name.endsWith('*');
  PLACEHOLDERS[name] = { re, fields: fields ?? [{ name: name.replace(/\*$/, ''), trusted: !clientText }] };
}

// Socket-derived addresses and ports (trusted positions).
def('addr', IP);
def('port', PORT);
def('laddr', IP); // the server's own address: never a client
def('lport', PORT);
// Fixed-syntax values sshd prints itself.
def('n', String.raw`(\d+)`);
def('pid', String.raw`(\d+)`);
def('code', String.raw`(\d+)`);
def('word', String.raw`(\S+)`);
def('method', String.raw`(\S+)`);
def('what', String.raw`([\w -]+?)`);
def('err', String.raw`(.*)`);
def('dur', String.raw`(\S+)`);
def('reason', String.raw`(.+)`);
def('bits', String.raw`(\d+)`);
def('secs', String.raw`(\d+(?:\.\d+)?)`);
def('family', String.raw`(ipv4|ipv6)`);
def('path', String.raw`(.+)`);
// Listener label `connection from <a> to <b>` (9.8p1 swapped the two; the engine decides which is the client).
def('id', `connection from ${IP}(?: to ${IP})?`, [
  { name: 'idFrom', trusted: true },
  { name: 'idTo', trusted: true },
]);
def('st', String.raw`((?: \((?:early|sending config|sending keys)\))?)`);
// `<host>` of `User … from <host> not allowed` and sshd's PAM messages: the client's address, or its PTR
// name when UseDNS is on. A name is never used; an IP literal there is the real address, because sshd
// refuses PTR names that parse as numeric addresses ("Nasty PTR record … ignoring") and prints the
// address instead. So this field yields an address only when it is an IP literal.
def('hostaddr', String.raw`(\S+)`);
def('pamerr', String.raw`([A-Za-z][A-Za-z ]*?)`);
def('illegal', String.raw`(illegal user )?`, [{ name: 'inv', trusted: true }]);
def('pamtail', String.raw`((?: via \S+)? ?)`);
// Client-controlled text (attacker text): greedy, so the trusted tail is matched at the very end.
def('user*', String.raw`(.*)`);
// The user of `Failed|Accepted|Postponed|Partial <m> for <user> from <addr> port <p> ssh2[: <extra>]`.
// A user name as sshd logs it never contains ':' (sshd splits `user:style` before it logs or looks
// anything up), so this field stops at the first ':'. That pins the address to the one before the
// first `ssh2:`: client text after it (a certificate key ID, an old-style extra) cannot supply a later
// ` from <ip> port <p> ssh2` that a greedy user field would reach, and a line that could be read
// two ways does not match at all (it is then unrecognised, never misattributed).
def('authuser*', String.raw`([^:]*)`, [{ name: 'user', trusted: false }]);
def('user1*', String.raw`(\S*)`);
def('banner*', String.raw`(.*)`);
def('msg*', String.raw`(.*)`);
def('algs*', String.raw`(.*)`);
def('alg*', String.raw`(.*)`);
def('extra*', String.raw`(.*)`);
def('host*', String.raw`(\S+)`);
def('rest*', String.raw`(.*)`);
def('inv', String.raw`(invalid user )?`);
def('proto', String.raw`(ssh[12])`);
def('kt', String.raw`([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*(?:-CERT)?)`);
def('fp', String.raw`((?:SHA256|MD5):[^\s]+|[0-9a-f]{2}(?::[0-9a-fx]{2}){15})`);
def('pam', String.raw`(\w+)`);
def('svc', String.raw`([\w-]+)`);
// The fixed fields of a Linux-PAM `authentication failure;` line before `rhost=` (written by the module, not the client).
def('lname', String.raw`(\S*)`);
def('uid', String.raw`(\d+)`);
def('tty', String.raw`(\S*)`);
def('ruser', String.raw`(\S*)`);
// `{sameuser}`: the same text as the line's user field (a backreference), for shapes that repeat the user name.
def('sameuser', '', []);
// The 7.5+ log preamble before the address: empty, `authenticating user <u> `, `invalid user <u> ` or `user <u> `.
def('uq', String.raw`(?:(authenticating user|invalid user|user) (.*) )?`, [
  { name: 'uq', trusted: true },
  { name: 'user', trusted: false },
]);

const META = /[\\^$.*+?()[\]{}|/]/g;

/** Placeholders whose text the engine does not use (documented in `fields`, not captured). */
const UNREAD_FIELDS = new Set(['pam', 'svc', 'proto', 'kt', 'fp', 'extra', 'rest', 'word', 'bits', 'secs', 'family', 'st', 'lname', 'uid', 'tty', 'ruser']);

export interface CompiledTemplate {
  pattern: RegExp;
  /** The fields that have a capture group, in group order (a subset of `fields`). */
  captures: FieldSpec[];
  fullPattern: RegExp;
  /**
   * For templates with `{sameuser}`: the same shape with the user field lazy. A line whose two
   * readings differ can be read two ways (the client wrote a second copy of the tail into a user
   * name): its address is not taken.
   */
  lazyPattern: RegExp | null;
  head: string;
  fields: FieldSpec[];
  key: string;
}

export function compileTemplate(template: string): CompiledTemplate {
  let re = '^';
  const fields: FieldSpec[] = [];
  const captures: FieldSpec[] = [];
  let seenClientText = false;
  let userGroupRe: string | null = null;
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      re += template.slice(i).replace(META, '\\$&');
      break;
    }
    re += template.slice(i, open).replace(META, '\\$&');
    const close = template.indexOf('}', open);
    if (close < 0) throw new Error(`catalog template: unclosed placeholder in ${template}`);
    const name = template.slice(open + 1, close);
    const ph = PLACEHOLDERS[name];
    if (!ph) throw new Error(`catalog template: unknown placeholder {${name}} in ${template}`);
    // Fields the engine never reads become non-capturing groups: fewer substrings per line, and a
    // shape with no captured field is matched with RegExp#test (no result array at all).
    const unread = ph.fields.length === 1 && UNREAD_FIELDS.has(ph.fields[0].name);
    if (name === 'sameuser') {
      const at = captures.findIndex((f) => f.name === 'user');
      if (at < 0) throw new Error(`catalog template: {sameuser} before any user field in ${template}`);
      re += `\\${at + 1}`;
      userGroupRe = ph.re;
      i = close + 1;
      continue;
    }
    re += unread ? `(?:${ph.re.slice(1)}` : ph.re;
    for (const f of ph.fields) {
      const spec = f.trusted && seenClientText ? { ...f, afterClientText: true } : f;
      fields.push(spec);
      if (!unread) captures.push(spec);
      if (!f.trusted) seenClientText = true;
    }
    i = close + 1;
  }
  const body = re.slice(1);
  // On the whole message: optional level prefix and optional [preauth]/[postauth] suffix. A greedy
  // field at the very end becomes lazy there, so it does not swallow the suffix.
  const lazyTail = /\(\.\*\)$/.test(body) ? `${body.slice(0, -4)}(.*?)` : /\(\.\+\)$/.test(body) ? `${body.slice(0, -4)}(.+?)` : null;
  const fullBody = lazyTail ?? body;
  // `s` (dotAll): client text may hold a raw newline (sshd -E records joined by the framer); it stays inside its field.
  const fullPattern = new RegExp(`^(?:error: |fatal: |debug[1-3]: )?${fullBody}(?: \\[(?:pre|post)auth\\])?$`, 's');
  // The lazy twin: the (first) greedy user field `(.*)` of the uq preamble made lazy.
  const lazyPattern = userGroupRe === null ? null : new RegExp(`^(?:error: |fatal: |debug[1-3]: )?${fullBody.replace(' (.*) )?', ' (.*?) )?')}(?: \\[(?:pre|post)auth\\])?$`, 's');
  re += '$';
  const sp = template.search(/[ {]/);
  const key = sp < 0 ? template : template.slice(0, sp);
  const brace = template.indexOf('{');
  const head = brace < 0 ? template : template.slice(0, brace);
  return { pattern: new RegExp(re, 's'), fullPattern, lazyPattern, head, fields, captures, key };
}
