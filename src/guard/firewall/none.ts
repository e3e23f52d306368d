/** The `none` backend (and `--dry-run`): decides and logs, touches no firewall. */
import type { FirewallBackend, FirewallChanges, FirewallEntry } from './backend.ts';

export class NoFirewall implements FirewallBackend {
  readonly name = 'none';
  private readonly present = new Map<string, FirewallEntry>();
  async reconcile(entries: readonly FirewallEntry[]): Promise<void> {
    this.present.clear();
    for (const e of entries) this.present.set(e.target, e);
  }
  async apply(c: FirewallChanges): Promise<void> {
    for (const e of c.remove) this.present.delete(e.target);
    for (const e of c.add) this.present.set(e.target, e);
  }
  async list(): Promise<string[]> {
    return [...this.present.keys()];
  }
  async uninstall(): Promise<void> {}
  close(): void {}
}
