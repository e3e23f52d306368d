/**
 * `command` backend for anything else (a cloud firewall API, a router): runs the configured
 * argument templates once per change, without a shell. Placeholders, replaced inside each
 * argument: `{target}` (address or CIDR), `{family}` (4|6), `{seconds}` (remaining ban time),
 * `{until}` (ISO time). The program must be idempotent; expiry is done by calling `unban`
 * when a ban ends, so this backend needs the guard running to lift bans.
 */
import { checkProgram } from './run.ts';
import { timeoutSeconds, type FirewallBackend, type FirewallChanges, type FirewallEntry } from './backend.ts';

export interface CommandTemplates {
  readonly ban: readonly string[];
  readonly unban: readonly string[];
}

export class CommandBackend implements FirewallBackend {
  readonly name = 'command';
  private readonly tpl: CommandTemplates;
  private readonly pre: readonly string[];
  private readonly present = new Map<string, FirewallEntry>();

  constructor(tpl: CommandTemplates, exec: readonly string[] = []) {
    this.tpl = tpl;
    this.pre = exec;
  }

  private argv(tpl: readonly string[], e: FirewallEntry, now: number): string[] {
    const vars: Record<string, string> = {
      target: e.target,
      family: String(e.family),
      seconds: String(timeoutSeconds(e.until, now)),
      until: new Date(e.until).toISOString(),
    };
    return [...this.pre, ...tpl.map((a) => a.replace(/\{(target|family|seconds|until)\}/g, (_, k: string) => vars[k]))];
  }

  async reconcile(entries: readonly FirewallEntry[], now: number): Promise<void> {
    for (const e of entries) if (e.until > now) await this.apply({ add: [e], remove: [] }, now);
  }

  async apply(changes: FirewallChanges, now: number): Promise<void> {
    for (const e of changes.remove) {
      await checkProgram(this.argv(this.tpl.unban, e, now));
      this.present.delete(e.target);
    }
    for (const e of changes.add) {
      await checkProgram(this.argv(this.tpl.ban, e, now));
      this.present.set(e.target, e);
    }
  }

  /** Bans whose time is up: the daemon calls `apply({remove})` for them (no kernel timeouts here). */
  due(now: number): FirewallEntry[] {
    return [...this.present.values()].filter((e) => e.until <= now);
  }

  async list(): Promise<string[]> {
    return [...this.present.keys()];
  }
  async uninstall(): Promise<void> {
    await this.apply({ add: [], remove: [...this.present.values()] }, Date.now());
  }
  close(): void {}
}
