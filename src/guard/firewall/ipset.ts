/**
 * Fallback for hosts without nftables: two ipsets (`<name>4` hash:net inet, `<name>6` hash:net
 * inet6) with per-entry timeouts (the kernel expires bans even if the guard is gone), and one
 * chain `<NAME>` in iptables and ip6tables jumped to from INPUT. Changes are batched through
 * `ipset restore -exist` on stdin; reconcile fills a temporary set and swaps it in atomically.
 * `uninstall` removes the jump, the chain and the sets, and nothing else.
 */
import { checkProgram, runProgram } from './run.ts';
import { timeoutSeconds, type FirewallBackend, type FirewallChanges, type FirewallEntry, type FirewallOptions } from './backend.ts';

/** The kernel's limit on an ipset entry's timeout (seconds, INT_MAX / 1000: about 24.8 days); larger values are refused. */
export const IPSET_MAX_TIMEOUT = 2_147_483;

export class IpsetBackend implements FirewallBackend {
  readonly name = 'ipset';
  readonly maxTimeoutSeconds = IPSET_MAX_TIMEOUT;
  private readonly opts: FirewallOptions;
  private readonly pre: readonly string[];

  constructor(opts: FirewallOptions) {
    this.opts = opts;
    this.pre = opts.exec ?? [];
  }

  private set(family: 4 | 6): string {
    return `${this.opts.name}${family}`;
  }
  private get chain(): string {
    return this.opts.name.toUpperCase();
  }

  private async setupFamily(family: 4 | 6): Promise<void> {
    const ipt = [...this.pre, family === 4 ? 'iptables' : 'ip6tables', '-w'];
    await checkProgram([...this.pre, 'ipset', 'create', this.set(family), 'hash:net', 'family', family === 4 ? 'inet' : 'inet6', 'timeout', '0', 'maxelem', '1048576', '-exist']);
    const hasChain = (await runProgram([...ipt, '-n', '-L', this.chain])).code === 0;
    if (!hasChain) await checkProgram([...ipt, '-N', this.chain]);
    await checkProgram([...ipt, '-F', this.chain]);
    const match = this.opts.scope === 'all' ? [] : ['-p', 'tcp', '-m', 'multiport', '--dports', this.opts.ports.join(',')];
    await checkProgram([...ipt, '-A', this.chain, '-m', 'set', '--match-set', this.set(family), 'src', ...match, '-j', 'DROP']);
    const hasJump = (await runProgram([...ipt, '-C', 'INPUT', '-j', this.chain])).code === 0;
    if (!hasJump) await checkProgram([...ipt, '-I', 'INPUT', '1', '-j', this.chain]);
  }

  async reconcile(entries: readonly FirewallEntry[], now: number): Promise<void> {
    for (const family of [4, 6] as const) {
      await this.setupFamily(family);
      const tmp = `${this.set(family)}t`;
      const lines = [`create ${tmp} hash:net family ${family === 4 ? 'inet' : 'inet6'} timeout 0 maxelem 1048576`, `flush ${tmp}`];
      for (const e of entries) if (e.family === family && e.until > now) lines.push(`add ${tmp} ${e.target} timeout ${timeoutSeconds(e.until, now, IPSET_MAX_TIMEOUT)}`);
      lines.push(`swap ${tmp} ${this.set(family)}`, `destroy ${tmp}`);
      await checkProgram([...this.pre, 'ipset', 'restore', '-exist'], `${lines.join('\n')}\n`);
    }
  }

  async apply(changes: FirewallChanges, now: number): Promise<void> {
    const lines: string[] = [];
    for (const e of changes.remove) lines.push(`del ${this.set(e.family)} ${e.target}`);
    for (const e of changes.add) lines.push(`add ${this.set(e.family)} ${e.target} timeout ${timeoutSeconds(e.until, now, IPSET_MAX_TIMEOUT)}`);
    if (lines.length) await checkProgram([...this.pre, 'ipset', 'restore', '-exist'], `${lines.join('\n')}\n`);
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const family of [4, 6] as const) {
      const r = await runProgram([...this.pre, 'ipset', 'list', this.set(family)]);
      if (r.code !== 0) continue;
      const idx = r.stdout.indexOf('Members:');
      for (const l of r.stdout.slice(idx + 8).split('\n')) if (l.trim()) out.push(l.trim().split(/\s+/)[0]);
    }
    return out;
  }

  async uninstall(): Promise<void> {
    for (const family of [4, 6] as const) {
      const ipt = [...this.pre, family === 4 ? 'iptables' : 'ip6tables', '-w'];
      while ((await runProgram([...ipt, '-D', 'INPUT', '-j', this.chain])).code === 0) {
        /* remove every jump we added */
      }
      if ((await runProgram([...ipt, '-n', '-L', this.chain])).code === 0) {
        await checkProgram([...ipt, '-F', this.chain]);
        await checkProgram([...ipt, '-X', this.chain]);
      }
      if ((await runProgram([...this.pre, 'ipset', 'list', '-n', this.set(family)])).code === 0) await checkProgram([...this.pre, 'ipset', 'destroy', this.set(family)]);
    }
  }

  close(): void {}
}
