/**
 * nftables backend: the guard's own table `inet <name>` with two interval sets (`ban4`, `ban6`)
 * whose elements carry per-element timeouts, so the kernel lifts a ban on time even if the guard
 * is gone, and one input chain (priority -10, before the usual filter chains) that drops banned
 * sources: on the sshd ports (`scope: ssh`) or everything (`scope: all`). Nothing outside this
 * table is ever touched; `uninstall` deletes the table.
 *
 * Setup and reconcile are one atomic `nft -f -` transaction (the sets are flushed and refilled
 * from the store in the same transaction, so no ban is ever missing in between). Incremental
 * changes go through a long-lived `nft -i` session (see nft-session.ts).
 */
import { NftSession } from './nft-session.ts';
import { checkProgram } from './run.ts';
import { timeoutSeconds, type FirewallBackend, type FirewallChanges, type FirewallEntry, type FirewallOptions } from './backend.ts';

export class NftablesBackend implements FirewallBackend {
  readonly name = 'nftables';
  private readonly opts: FirewallOptions;
  private readonly nft: readonly string[];
  private readonly session: NftSession;

  constructor(opts: FirewallOptions) {
    this.opts = opts;
    this.nft = [...(opts.exec ?? []), 'nft'];
    this.session = new NftSession(this.nft, `inet ${opts.name} ack`);
  }

  private get t(): string {
    return `inet ${this.opts.name}`;
  }

  private setOf(e: { family: 4 | 6 }): string {
    return e.family === 4 ? 'ban4' : 'ban6';
  }

  /** The ruleset as `nft -f` text; creating objects with `add` keeps existing set elements. */
  private setupScript(): string[] {
    const match = this.opts.scope === 'all' ? '' : ` meta l4proto tcp th dport { ${this.opts.ports.join(', ')} }`;
    return [
      `add table ${this.t}`,
      `add set ${this.t} ban4 { type ipv4_addr; flags interval, timeout; }`,
      `add set ${this.t} ban6 { type ipv6_addr; flags interval, timeout; }`,
      `add set ${this.t} ack { type inet_service; flags timeout; }`,
      `add chain ${this.t} input { type filter hook input priority -10; policy accept; }`,
      `flush chain ${this.t} input`,
      `add rule ${this.t} input ip saddr @ban4${match} counter drop comment "sshwarden ban4"`,
      `add rule ${this.t} input ip6 saddr @ban6${match} counter drop comment "sshwarden ban6"`,
    ];
  }

  async reconcile(entries: readonly FirewallEntry[], now: number): Promise<void> {
    const lines = [...this.setupScript(), `flush set ${this.t} ban4`, `flush set ${this.t} ban6`];
    const live = entries.filter((e) => e.until > now);
    for (const fam of [4, 6] as const) {
      const els = live.filter((e) => e.family === fam).map((e) => `${e.target} timeout ${timeoutSeconds(e.until, now)}s`);
      for (let i = 0; i < els.length; i += 1000) lines.push(`add element ${this.t} ban${fam} { ${els.slice(i, i + 1000).join(', ')} }`);
    }
    await checkProgram([...this.nft, '-f', '-'], `${lines.join('\n')}\n`);
  }

  async apply(changes: FirewallChanges, now: number): Promise<void> {
    // "add with 1 s, delete, add" makes each change independent of whether the element is still
    // there (the kernel may have just expired it): add of an existing element is a no-op, so the
    // delete never fails and the final add sets the new timeout. One line = one transaction.
    const cmds: string[] = [];
    for (const e of changes.remove) {
      cmds.push(`add element ${this.t} ${this.setOf(e)} { ${e.target} timeout 1s }`, `delete element ${this.t} ${this.setOf(e)} { ${e.target} }`);
    }
    for (const e of changes.add) {
      cmds.push(
        `add element ${this.t} ${this.setOf(e)} { ${e.target} timeout 1s }`,
        `delete element ${this.t} ${this.setOf(e)} { ${e.target} }`,
        `add element ${this.t} ${this.setOf(e)} { ${e.target} timeout ${timeoutSeconds(e.until, now)}s }`,
      );
    }
    if (cmds.length === 0) return;
    await this.session.run(cmds);
  }

  async list(): Promise<string[]> {
    const out = await checkProgram([...this.nft, '-j', 'list', 'table', ...this.t.split(' ')]).catch(() => '');
    if (!out) return [];
    const json = JSON.parse(out) as { nftables: Array<{ set?: { name: string; elem?: unknown[] } }> };
    const targets: string[] = [];
    for (const o of json.nftables) {
      if (!o.set || !o.set.elem || (o.set.name !== "ban4" && o.set.name !== "ban6")) continue;
      for (const el of o.set.elem) targets.push(elemText(el));
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

/** nft -j element: `"a"`, `{elem:{val:"a"|{prefix:{addr,len}}, timeout,...}}` or `{prefix:{addr,len}}`. */
function elemText(el: unknown): string {
  if (typeof el === 'string') return el;
  const o = el as { elem?: { val: unknown }; prefix?: { addr: string; len: number }; range?: [string, string] };
  if (o.elem) return elemText(o.elem.val);
  if (o.prefix) return `${o.prefix.addr}/${o.prefix.len}`;
  if (o.range) return `${o.range[0]}-${o.range[1]}`;
  return JSON.stringify(el);
}
