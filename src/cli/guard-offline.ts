/**
 * `ban`, `unban` and `allow` when the daemon is not running: the change goes into the store
 * (which the daemon reconciles from at its next start) and, for ban/unban, straight into the
 * firewall too (reconciled from the store), so it takes effect now.
 */
import { existsSync } from 'node:fs';
import { EXIT } from './exit-codes.ts';
import { UserError } from './user-error.ts';
import { cidrCovers, NetworkSet, parseCidr } from '../net/address.ts';
import { ownAddresses } from '../net/own-addresses.ts';
import { resolveNames } from '../net/resolve-names.ts';
import type { GuardConfig } from '../guard/config.ts';
import { protectedNetwork } from '../guard/daemon.ts';
import { createFirewall } from '../guard/firewall/index.ts';
import { GuardStore, StoreError } from '../guard/store.ts';

function openStore(cfg: GuardConfig): GuardStore {
  try {
    return new GuardStore(cfg.state.database);
  } catch (e) {
    throw new UserError(e instanceof StoreError ? e.message : `${cfg.state.database}: cannot open the guard's store: ${(e as Error).message}`, EXIT.RUNTIME);
  }
}

async function applyFromStore(cfg: GuardConfig, store: GuardStore): Promise<void> {
  const now = Date.now();
  const rows = store.activeBans(now);
  const nets = rows.filter((r) => r.target.includes('/')).map((r) => parseCidr(r.target)!);
  const entries = rows
    .filter((r) => !nets.some((n) => n.text !== r.target && cidrCovers(n, parseCidr(r.target)!)))
    .map((r) => ({ target: r.target, family: r.family, until: r.until }));
  const fw = createFirewall(cfg);
  try {
    await fw.reconcile(entries, now);
    for (const r of rows) store.markApplied(r.target, r.until);
  } catch (e) {
    throw new UserError(`recorded in ${cfg.state.database}, but the firewall (${fw.name}) failed: ${(e as Error).message}; the guard applies it when it starts`, EXIT.RUNTIME);
  } finally {
    fw.close();
  }
}

async function protectedSets(cfg: GuardConfig, store: GuardStore): Promise<{ own: NetworkSet; allow: NetworkSet }> {
  const own = new NetworkSet(ownAddresses().map((a) => parseCidr(a)!));
  const allow = new NetworkSet();
  const names: string[] = [];
  for (const s of cfg.never_ban.allow) {
    const c = parseCidr(s);
    if (c) allow.add(c);
    else names.push(s);
  }
  for (const r of await resolveNames(names)) for (const a of r.addresses) allow.add(parseCidr(a)!);
  for (const a of store.allows()) allow.add(parseCidr(a.cidr)!);
  return { own, allow };
}

export async function offlineBan(cfg: GuardConfig, target: string, seconds: number | null, reason: string): Promise<{ target: string; until: string }> {
  const store = openStore(cfg);
  try {
    const { own, allow } = await protectedSets(cfg, store);
    const prot = protectedNetwork(target, own, allow);
    if (prot) throw new UserError(`refused: ${target} ${prot}${prot.includes('allowlist') ? ' (remove it from the allowlist first)' : ''}`, EXIT.FINDINGS);
    const c = parseCidr(target)!;
    const now = Date.now();
    const until = now + (seconds ?? cfg.ban.duration / 1000) * 1000;
    store.recordBan({ target: c.text, family: c.family, since: now, until, reason, origin: 'manual', offence: store.priorOffences(c.text, now, cfg.ban.remember) + 1, evidence: '[]' }, now);
    await applyFromStore(cfg, store);
    return { target: c.text, until: new Date(until).toISOString() };
  } finally {
    store.close();
  }
}

export async function offlineUnban(cfg: GuardConfig, target: string): Promise<{ target: string; wasBanned: boolean }> {
  // No store yet: nothing was ever banned, and unbanning must not create one.
  if (!existsSync(cfg.state.database)) return { target, wasBanned: false };
  const store = openStore(cfg);
  try {
    const had = store.recordUnban(target, 'manual unban', 'manual', Date.now());
    if (had) await applyFromStore(cfg, store);
    return { target, wasBanned: had };
  } finally {
    store.close();
  }
}

export async function offlineAllow(cfg: GuardConfig, target: string, comment: string | null, remove: boolean): Promise<Record<string, unknown>> {
  const store = openStore(cfg);
  try {
    if (remove) return { target, removed: store.removeAllow(target) };
    const now = Date.now();
    store.addAllow(target, comment, now);
    const c = parseCidr(target)!;
    const lifted: string[] = [];
    for (const b of store.activeBans(now)) {
      const bc = parseCidr(b.target)!;
      if (cidrCovers(c, bc) || cidrCovers(bc, c)) {
        store.recordUnban(b.target, `allowlisted ${target}`, 'manual', now);
        lifted.push(b.target);
      }
    }
    if (lifted.length) await applyFromStore(cfg, store);
    return { target, lifted };
  } finally {
    store.close();
  }
}
