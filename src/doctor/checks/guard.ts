/** sshwarden's own guard: active bans in its store (read-only), those on the client's address or range. */
import type { CheckContext } from '../context.ts';
import { coversClient } from '../context.ts';
import type { CheckResult, Fact } from '../types.ts';

export interface GuardBan {
  target: string;
  since: number;
  until: number;
  reason: string;
  evidence: string;
}

/** Reads the guard's active bans; null when the guard has no store here (not installed or never ran). */
export type GuardBans = (now: number) => Promise<{ store: string; bans: GuardBan[] } | null | { error: string }>;

export async function realGuardBans(now: number): Promise<{ store: string; bans: GuardBan[] } | null | { error: string }> {
  const { DEFAULT_CONFIG, loadConfig } = await import('../../guard/config.ts');
  const { existsSync } = await import('node:fs');
  try {
    const cfg = loadConfig(DEFAULT_CONFIG, { optional: true });
    if (!existsSync(cfg.state.database)) return null;
    const { GuardStore } = await import('../../guard/store.ts');
    const store = new GuardStore(cfg.state.database, { readonly: true });
    try {
      return { store: cfg.state.database, bans: store.activeBans(now) };
    } finally {
      store.close();
    }
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export async function checkGuard(ctx: CheckContext, read: GuardBans = realGuardBans): Promise<CheckResult> {
  const check = 'sshwarden-guard';
  const r = await read(ctx.runner.now());
  if (r === null) return { check, status: 'looked', note: 'not in use (no store)', facts: [] };
  if ('error' in r) return { check, status: 'unchecked', reason: `${r.error}${ctx.runner.isRoot ? '' : ' (needs root)'}`, facts: [] };
  const facts: Fact[] = [];
  for (const b of r.bans) {
    if (ctx.client && !coversClient(ctx.client, b.target)) continue;
    facts.push({ type: 'banned', by: 'sshwarden', address: ctx.client?.address ?? b.target, place: {}, since: new Date(b.since).toISOString(), until: new Date(b.until).toISOString(), why: b.reason, evidence: [{ where: r.store, text: `${b.target} banned ${new Date(b.since).toISOString()} until ${new Date(b.until).toISOString()}: ${b.reason}` }] });
  }
  return { check, status: 'looked', note: `${r.bans.length} active ban(s)`, facts };
}
