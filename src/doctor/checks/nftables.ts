/**
 * nftables: sets and rules that hold the client's address (or, without a client, every banned
 * address), rate limits (`limit`, `meter`, `ct count`) on the SSH ports, and DNAT/redirect of
 * an SSH port to another port. Reads `nft -j list ruleset`. Rules iptables-nft keeps for iptables
 * show here too; the ranking merges them with the iptables check's.
 */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { BanSystem, CheckResult, Ev, Fact } from '../types.ts';
import { canonicalAddress, parseCidr } from '../../net/address.ts';

const MAX_LISTED = 10_000;

type J = Record<string, unknown>;

/** Which ban system owns a table, from its name (fail2ban's f2b-table, sshguard, crowdsec). */
export function ownerOfTable(table: string): BanSystem {
  if (/^f2b/.test(table)) return 'fail2ban';
  if (/sshguard/i.test(table)) return 'sshguard';
  if (/crowdsec/i.test(table)) return 'crowdsec';
  if (/sshwarden/i.test(table)) return 'sshwarden';
  return 'nftables';
}

/** Addresses or networks of a set element / match right-hand side, as text. */
function elemTexts(e: unknown): string[] {
  if (typeof e === 'string') return [e];
  if (Array.isArray(e)) return e.flatMap(elemTexts);
  if (e && typeof e === 'object') {
    const o = e as J;
    if (o.prefix && typeof o.prefix === 'object') {
      const p = o.prefix as J;
      return [`${String(p.addr)}/${String(p.len)}`];
    }
    if (o.elem && typeof o.elem === 'object') return elemTexts((o.elem as J).val);
    if (o.set) return elemTexts(o.set);
    if (Array.isArray(o.range) && o.range.length === 2) return [`${String(o.range[0])}-${String(o.range[1])}`];
  }
  return [];
}

function elemExpiry(e: unknown): number | null {
  if (e && typeof e === 'object' && (e as J).elem && typeof (e as J).elem === 'object') {
    const x = ((e as J).elem as J).expires;
    return typeof x === 'number' ? x : null;
  }
  return null;
}

function isAddressText(t: string): boolean {
  if (t.includes('-')) return false;
  return parseCidr(t) !== null;
}

/** The verdict of a rule: drop/reject/accept/jump/..., or null. */
function verdictOf(expr: J[]): string | null {
  for (const x of expr) {
    for (const v of ['drop', 'reject', 'accept']) if (v in x) return v;
  }
  return null;
}

/** TCP destination ports a rule matches (`tcp dport 22`, `{ 22, 2222 }`), or null when it matches any. */
function dports(expr: J[]): number[] | null {
  for (const x of expr) {
    const m = x.match as J | undefined;
    if (!m) continue;
    const left = m.left as J | undefined;
    const p = left?.payload as J | undefined;
    if (!p || p.field !== 'dport') continue;
    const right = m.right;
    const nums = elemTexts(right).map(Number).filter((n) => Number.isInteger(n));
    if (typeof right === 'number') nums.push(right);
    return nums;
  }
  return null;
}

/** Source addresses a rule matches (`ip saddr X`, `ip6 saddr X/64`), and sets it looks up (`@name`). */
function saddrs(expr: J[]): { addrs: string[]; sets: string[] } {
  const addrs: string[] = [];
  const sets: string[] = [];
  for (const x of expr) {
    const m = x.match as J | undefined;
    if (!m) continue;
    const p = (m.left as J | undefined)?.payload as J | undefined;
    if (!p || p.field !== 'saddr') continue;
    for (const t of elemTexts(m.right)) {
      if (t.startsWith('@')) sets.push(t.slice(1));
      else if (isAddressText(t)) addrs.push(t);
    }
  }
  return { addrs, sets };
}

function ruleText(family: string, table: string, chain: string, handle: number, expr: J[]): string {
  return `${family} ${table} ${chain} handle ${handle}: ${JSON.stringify(expr).slice(0, 300)}`;
}

/** The rule as `nft -a` prints it (handles are per table: look inside the table and chain), or null. */
function ruleLine(listing: string, family: string, table: string, chain: string, handle: number): string | null {
  const t = listing.indexOf(`table ${family} ${table} {`);
  if (t < 0) return null;
  const c = listing.indexOf(`chain ${chain} {`, t);
  if (c < 0) return null;
  const re = new RegExp(`^\\s*(.*# handle ${handle})\\s*$`, 'gm');
  re.lastIndex = c;
  const m = re.exec(listing);
  return m ? m[1].trim() : null;
}

export async function checkNftables(ctx: CheckContext): Promise<CheckResult> {
  const check = 'nftables';
  const args = ['-j', 'list', 'ruleset'];
  const r = await ctx.runner.run('nft', args, ctx.timeoutMs);
  const cannot = cannotRun('nft', r);
  if (cannot) return { check, status: 'unchecked', reason: cannot, facts: [] };
  if (!r.ok) return { check, status: 'unchecked', reason: /Operation not permitted|Permission denied/i.test(r.stderr) ? 'needs root (nft: Operation not permitted)' : `nft failed: ${r.stderr.trim().split('\n')[0]}`, facts: [] };
  let doc: J;
  try {
    doc = JSON.parse(r.stdout) as J;
  } catch {
    return { check, status: 'unchecked', reason: 'nft -j printed no JSON', facts: [] };
  }
  const text = await ctx.runner.run('nft', ['-a', 'list', 'ruleset'], ctx.timeoutMs);
  const listing = text.ok ? text.stdout : '';
  return { check, status: 'looked', ...factsFromRuleset(ctx, doc, listing, commandText('nft', ['-a', 'list', 'ruleset'])) };
}

/** Pure: the facts in one `nft -j list ruleset` document. */
export function factsFromRuleset(ctx: Pick<CheckContext, 'client' | 'ports'>, doc: J, listing: string, where: string): { facts: Fact[]; note: string } {
  const items = Array.isArray(doc.nftables) ? (doc.nftables as J[]) : [];
  const facts: Fact[] = [];
  const sets = new Map<string, { family: string; table: string; name: string; elems: unknown[] }>();
  const dropSets = new Set<string>();
  let rules = 0;
  let listed = 0;
  for (const it of items) {
    const s = it.set as J | undefined;
    if (s) {
      const family = String(s.family), table = String(s.table), name = String(s.name);
      sets.set(`${family}/${table}/${name}`, { family, table, name, elems: Array.isArray(s.elem) ? s.elem : [] });
      continue;
    }
    const rule = it.rule as J | undefined;
    if (!rule) continue;
    const family = String(rule.family), table = String(rule.table), chain = String(rule.chain), handle = Number(rule.handle);
    rules++;
    const expr = Array.isArray(rule.expr) ? (rule.expr as J[]) : [];
    const verdict = verdictOf(expr);
    const ports = dports(expr);
    const src = saddrs(expr);
    const line = ruleLine(listing, family, table, chain, handle) ?? ruleText(family, table, chain, handle, expr);
    const ev: Ev = { where, text: `table ${family} ${table} chain ${chain}: ${line}` };
    const onSsh = ports === null || ports.some((p) => ctx.ports.includes(p));
    if (verdict === 'drop' || verdict === 'reject') {
      for (const set of src.sets) dropSets.add(`${family}/${table}/${set}`);
      for (const a of src.addrs) {
        if (!onSsh) continue;
        if (ctx.client ? coversClient(ctx.client, a) : listed < MAX_LISTED) {
          listed++;
          facts.push({ type: 'banned', by: ownerOfTable(table), address: ctx.client?.address ?? canonicalAddress(a.replace(/\/.*/, '')) ?? a, place: { family, table, chain, handle }, since: null, until: null, why: null, evidence: [ev] });
        }
      }
    }
    // rate limits on the SSH ports
    const limiter = expr.find((x) => 'limit' in x || 'meter' in x || ('match' in x && JSON.stringify(x).includes('"ct"') && JSON.stringify(x).includes('count')));
    if (limiter && ports !== null && ports.some((p) => ctx.ports.includes(p)) && (verdict === 'drop' || verdict === 'reject' || verdict === 'accept')) {
      const match = 'limit' in limiter ? 'limit' : 'meter' in limiter ? 'meter' : 'ct count';
      facts.push({ type: 'rate_limit_rule', tool: 'nftables', port: ports.find((p) => ctx.ports.includes(p)) ?? null, match, place: { family, table, chain, handle }, evidence: [ev] });
    }
    // port translation of an SSH port
    const nat = expr.find((x) => 'dnat' in x || 'redirect' in x);
    if (nat && ports !== null) {
      const n = (nat.dnat ?? nat.redirect) as J | null;
      const toPort = n && typeof n.port === 'number' ? n.port : null;
      const toAddr = n && typeof n.addr === 'string' ? n.addr : null;
      for (const p of ports) {
        if (!ctx.ports.includes(p) || toPort === null || toPort === p) continue;
        facts.push({ type: 'port_translation', tool: 'nftables', port: p, to: `${toAddr ?? 'this host'}:${toPort}`, evidence: [ev] });
      }
    }
  }
  let banned = 0;
  for (const [key, set] of sets) {
    // a set only bans when a drop/reject rule looks it up (sets used elsewhere are lists, not bans)
    if (!dropSets.has(key)) continue;
    for (const e of set.elems) {
      for (const t of elemTexts(e)) {
        if (!isAddressText(t)) continue;
        if (ctx.client ? !coversClient(ctx.client, t) : listed >= MAX_LISTED) continue;
        listed++;
        banned++;
        const exp = elemExpiry(e);
        facts.push({
          type: 'banned', by: ownerOfTable(set.table), address: ctx.client?.address ?? t, place: { family: set.family, table: set.table, set: set.name },
          since: null, until: exp !== null ? `in ${exp} s` : null, why: null,
          evidence: [{ where, text: `table ${set.family} ${set.table} set ${set.name}: element ${t}${exp !== null ? ` expires ${exp}s` : ''}` }],
        });
      }
    }
  }
  return { facts, note: `${rules} rule${rules === 1 ? '' : 's'}, ${sets.size} set${sets.size === 1 ? '' : 's'}${ctx.client ? '' : `, ${banned} banned element${banned === 1 ? '' : 's'}`}` };
}
