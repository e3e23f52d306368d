/**
 * nftables backend: the guard's own table `inet <name>`, one input chain (priority -10, before
 * the usual filter chains) that drops banned sources on the sshd ports (`scope: ssh`) or on every
 * port (`scope: all`), and sets whose elements carry per-element timeouts, so the kernel lifts a
 * ban on time even if the guard is gone. Nothing outside this table is ever touched; `uninstall`
 * deletes the table.
 *
 * Sets, chosen for speed at hundreds of thousands of bans (nft must read a whole interval set
 * to check overlaps on every change, so interval sets are kept for the rare odd-sized networks):
 *   ban4 / ban6        single addresses (hash sets)
 *   ban4p / ban6p      networks of the aggregation prefix (/24, /64): their network address in a
 *                      hash set, matched with `ip6 saddr & <mask> @ban6p`
 *   ban4net / ban6net  any other CIDR (manual bans), interval sets
 *
 * Setup and reconcile are one atomic `nft -f -` transaction (the sets are flushed and refilled
 * from the store in the same transaction, so no ban is ever missing in between). Incremental
 * changes go through a long-lived `nft -i` session (see nft-session.ts).
 */
import { NftSession } from './nft-session.ts';
import { checkProgram } from './run.ts';
import { timeoutSeconds, type FirewallBackend, type FirewallChanges, type FirewallEntry, type FirewallOptions } from './backend.ts';

const SETS = ['ban4', 'ban6', 'ban4p', 'ban6p', 'ban4net', 'ban6net'] as const;

export class NftablesBackend implements FirewallBackend {
  readonly name = 'nftables';
  private readonly opts: FirewallOptions;
  private readonly nft: readonly string[];
  private readonly session: NftSession;
  private readonly p4: number;
  private readonly p6: number;
  /**
   * Elements this process put in the interval sets (ban4net/ban6net), with their end: the
   * "add 1 s, delete, add" idiom below cannot be used there (nft checks a new interval against
   * its cached set, where an element deleted earlier in the same transaction still overlaps:
   * widening 0.0.0.0/8 to 0.0.0.0/2 failed with "interval overlaps"), so for these sets the
   * guard uses plain delete / add where it knows whether the element is present.
   */
  private readonly intervals = new Map<string, number>();

  constructor(opts: FirewallOptions) {
    this.opts = opts;
    this.nft = [...(opts.exec ?? []), 'nft'];
    this.session = new NftSession(this.nft);
    this.p4 = opts.ipv4Prefix ?? 24;
    this.p6 = opts.ipv6Prefix ?? 64;
  }

  private get t(): string {
    return `inet ${this.opts.name}`;
  }

  /** Which set an entry lives in, and its element text there. */
  private place(e: { target: string; family: 4 | 6 }): { set: (typeof SETS)[number]; elem: string } {
    const slash = e.target.indexOf('/');
    if (slash < 0) return { set: e.family === 4 ? 'ban4' : 'ban6', elem: e.target };
    const bits = Number(e.target.slice(slash + 1));
    const addr = e.target.slice(0, slash);
    if (e.family === 4 && bits === this.p4) return { set: 'ban4p', elem: addr };
    if (e.family === 6 && bits === this.p6) return { set: 'ban6p', elem: addr };
    return { set: e.family === 4 ? 'ban4net' : 'ban6net', elem: e.target };
  }

  /** The ruleset as `nft -f` text; creating objects with `add` keeps existing set elements. */
  private setupScript(): string[] {
    const match = this.opts.scope === 'all' ? '' : ` meta l4proto tcp th dport { ${this.opts.ports.join(', ')} }`;
    const t = this.t;
    return [
      `add table ${t}`,
      `add set ${t} ban4 { type ipv4_addr; flags timeout; }`,
      `add set ${t} ban6 { type ipv6_addr; flags timeout; }`,
      `add set ${t} ban4p { type ipv4_addr; flags timeout; }`,
      `add set ${t} ban6p { type ipv6_addr; flags timeout; }`,
      `add set ${t} ban4net { type ipv4_addr; flags interval, timeout; }`,
      `add set ${t} ban6net { type ipv6_addr; flags interval, timeout; }`,
      // Earlier guards confirmed each change through an `ack` set, now unused: added (a no-op
      // where it is there) and deleted in the same transaction, so it goes wherever it was.
      `add set ${t} ack { type inet_service; flags timeout; }`,
      `delete set ${t} ack`,
      `add chain ${t} input { type filter hook input priority -10; policy accept; }`,
      `flush chain ${t} input`,
      `add rule ${t} input ip saddr @ban4${match} counter drop comment "sshwarden ban4"`,
      `add rule ${t} input ip saddr & ${mask4(this.p4)} @ban4p${match} counter drop comment "sshwarden ban4p"`,
      `add rule ${t} input ip saddr @ban4net${match} counter drop comment "sshwarden ban4net"`,
      `add rule ${t} input ip6 saddr @ban6${match} counter drop comment "sshwarden ban6"`,
      `add rule ${t} input ip6 saddr & ${mask6(this.p6)} @ban6p${match} counter drop comment "sshwarden ban6p"`,
      `add rule ${t} input ip6 saddr @ban6net${match} counter drop comment "sshwarden ban6net"`,
    ];
  }

  async reconcile(entries: readonly FirewallEntry[], now: number): Promise<void> {
    const lines = [...this.setupScript(), ...SETS.map((s) => `flush set ${this.t} ${s}`)];
    const bySet = new Map<string, string[]>();
    for (const e of entries) {
      if (e.until <= now) continue;
      const p = this.place(e);
      let l = bySet.get(p.set);
      if (!l) bySet.set(p.set, (l = []));
      l.push(`${p.elem} timeout ${timeoutSeconds(e.until, now)}s`);
    }
    for (const [set, els] of bySet) for (let i = 0; i < els.length; i += 1000) lines.push(`add element ${this.t} ${set} { ${els.slice(i, i + 1000).join(', ')} }`);
    await checkProgram([...this.nft, '-f', '-'], `${lines.join('\n')}\n`);
    this.intervals.clear();
    for (const e of entries) if (e.until > now && this.place(e).set.endsWith('net')) this.intervals.set(e.target, e.until);
  }

  async apply(changes: FirewallChanges, now: number): Promise<void> {
    // "add with 1 s, delete, add" makes each change independent of whether the element is still
    // there (the kernel may have just expired it): add of an existing element is a no-op, so the
    // delete never fails and the final add sets the new timeout. One line = one transaction.
    //
    // The common case, a new ban of an address not in the set, first goes as one `create element`
    // (fails with EEXIST when the element is there, expired ones excepted): a third of the text
    // for nft to read and parse on the reaction path. Only when that fails with "File exists"
    // (nothing applied: one line is one transaction) does the idiom above follow.
    const cmds: string[] = [];
    const fast: string[] = [];
    let creates = 0;
    // An interval element known to be present for a while yet: plain delete (see `intervals`).
    const present = (target: string) => (this.intervals.get(target) ?? 0) > now + 5000;
    const both = (...c: string[]) => {
      cmds.push(...c);
      fast.push(...c);
    };
    for (const e of changes.remove) {
      const p = this.place(e);
      if (p.set.endsWith('net') && present(e.target)) both(`delete element ${this.t} ${p.set} { ${p.elem} }`);
      else both(`add element ${this.t} ${p.set} { ${p.elem} timeout 1s }`, `delete element ${this.t} ${p.set} { ${p.elem} }`);
    }
    for (const e of changes.add) {
      const p = this.place(e);
      if (p.set.endsWith('net') && !this.intervals.has(e.target)) {
        both(`add element ${this.t} ${p.set} { ${p.elem} timeout ${timeoutSeconds(e.until, now)}s }`);
        continue;
      }
      if (p.set.endsWith('net') && present(e.target)) {
        both(`delete element ${this.t} ${p.set} { ${p.elem} }`, `add element ${this.t} ${p.set} { ${p.elem} timeout ${timeoutSeconds(e.until, now)}s }`);
        continue;
      }
      const timeout = `timeout ${timeoutSeconds(e.until, now)}s`;
      const idiom = [`add element ${this.t} ${p.set} { ${p.elem} timeout 1s }`, `delete element ${this.t} ${p.set} { ${p.elem} }`, `add element ${this.t} ${p.set} { ${p.elem} ${timeout} }`];
      cmds.push(...idiom);
      if (p.set.endsWith('net')) fast.push(...idiom);
      else {
        fast.push(`create element ${this.t} ${p.set} { ${p.elem} ${timeout} }`);
        creates++;
      }
    }
    if (cmds.length === 0) return;
    if (creates === 0) await this.session.run(cmds);
    else {
      try {
        await this.session.run(fast);
      } catch (e) {
        if (!/File exists/.test((e as Error).message)) throw e;
        await this.session.run(cmds);
      }
    }
    for (const e of changes.remove) this.intervals.delete(e.target);
    for (const e of changes.add) if (this.place(e).set.endsWith('net')) this.intervals.set(e.target, e.until);
  }

  async list(): Promise<string[]> {
    const out = await checkProgram([...this.nft, '-j', 'list', 'table', ...this.t.split(' ')]).catch(() => '');
    if (!out) return [];
    const json = JSON.parse(out) as { nftables: Array<{ set?: { name: string; elem?: unknown[] } }> };
    const targets: string[] = [];
    for (const o of json.nftables) {
      if (!o.set || !o.set.elem || !(SETS as readonly string[]).includes(o.set.name)) continue;
      const suffix = o.set.name === 'ban4p' ? `/${this.p4}` : o.set.name === 'ban6p' ? `/${this.p6}` : '';
      for (const el of o.set.elem) targets.push(elemText(el) + suffix);
    }
    return targets;
  }

  async uninstall(): Promise<void> {
    const r = await checkProgram([...this.nft, 'list', 'tables']);
    if (r.split('\n').some((l) => l.trim() === `table ${this.t}`)) await checkProgram([...this.nft, 'delete', 'table', ...this.t.split(' ')]);
  }

  close(): void {
    this.session.close();
  }
}

function mask4(bits: number): string {
  const m = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return [24, 16, 8, 0].map((s) => (m >>> s) & 255).join('.');
}

function mask6(bits: number): string {
  const groups: string[] = [];
  for (let g = 0; g < 8; g++) {
    const b = Math.max(0, Math.min(16, bits - g * 16));
    groups.push((b === 0 ? 0 : (0xffff << (16 - b)) & 0xffff).toString(16));
  }
  return groups.join(':');
}

/** nft -j element: `"a"`, `{elem:{val:"a"|{prefix:{addr,len}}, timeout,...}}` or `{prefix:{addr,len}}`. */
function elemText(el: unknown): string {
  if (typeof el === 'string') return el;
  const o = el as { elem?: { val: unknown }; prefix?: { addr: string; len: number }; range?: [string, string] };
  if (o.elem) return elemText(o.elem.val);
  if (o.prefix) return `${o.prefix.addr}/${o.prefix.len}`;
  if (o.range) return `${o.range[0]}-${o.range[1]}`;
  return JSON.stringify(el);
}
