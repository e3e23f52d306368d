/**
 * The doctor's orchestration, server side: the config check first (the live checks need its
 * ports; a quick parse stands in when the audit could not run), then every other check in parallel, each bounded by a timeout (a hung fail2ban-client
 * or DNS cannot stall the run: that check says it timed out), then the ranking.
 */
import { performance } from 'node:perf_hooks';
import type { InputSpec } from '../sources/read-inputs.ts';
import type { CheckContext, ClientSpec } from './context.ts';
import type { Runner } from './runner.ts';
import type { CheckResult, DoctorReport, Fact } from './types.ts';
import { rank } from './rank.ts';
import { checkConfig, quickConfig } from './checks/config.ts';
import { checkLogs } from './checks/logs.ts';
import { checkFail2ban } from './checks/fail2ban.ts';
import { checkSshguard } from './checks/sshguard.ts';
import { checkCrowdsec } from './checks/crowdsec.ts';
import { checkGuard, type GuardBans } from './checks/guard.ts';
import { checkNftables } from './checks/nftables.ts';
import { checkIptables } from './checks/iptables.ts';
import { checkIpset } from './checks/ipset.ts';
import { checkListeners } from './checks/listeners.ts';
import { checkCapture } from './checks/capture.ts';
import { checkHostKeys, checkPrivsep, checkSshdSession, checkResources, checkMac, checkTcpWrappers } from './checks/host.ts';

export interface ServerDoctorOptions {
  runner: Runner;
  client: ClientSpec | null;
  window: { since: number | null; until: number | null };
  windowText: string;
  config: string;
  logs: InputSpec[];
  /** Read, frame and match the logs on a second thread (analyze/reader-thread.ts): the caller decides by their size. */
  readerThread?: boolean;
  offline: boolean;
  /** Per live check (default 10 s); the log check gets `logTimeoutMs` (default 120 s). */
  timeoutMs?: number;
  logTimeoutMs?: number;
  fail2banSocket?: string;
  guardBans?: GuardBans;
  /** A capture (pcap/pcapng) to join with the logs: the wire as one more witness (checks/capture.ts). */
  pcap?: string;
}

/** A check's result, or "timed out" when it takes longer than `ms`. */
export async function bounded(name: string, ms: number, start: () => Promise<CheckResult>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const started = performance.now();
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ check: name, status: 'unchecked', reason: `timed out after ${Math.round(ms / 1000)} s`, facts: [] }), ms);
  });
  try {
    const p = (async () => start())();
    const r = await Promise.race([
      p.catch((e: unknown): CheckResult => ({ check: name, status: 'unchecked', reason: `failed: ${(e as Error).message}`, facts: [] })),
      timeout,
    ]);
    return { ...r, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

export async function doctorServer(o: ServerDoctorOptions): Promise<DoctorReport> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const ctx: CheckContext = { runner: o.runner, client: o.client, window: o.window, config: o.config, logs: o.logs, readerThread: o.readerThread, ports: [22], listenAddresses: [], timeoutMs };
  // The audit waits on sshd -t/-T synchronously: it runs first, then every other check in parallel
  // (a check's timeout must not count time the audit kept this thread busy).
  const config = await bounded('config', 60_000, () => checkConfig(ctx, { live: !o.offline }));
  const cfgOut = config as Awaited<ReturnType<typeof checkConfig>>;
  const quick = cfgOut.ports ? null : quickConfig(o.config);
  ctx.ports = cfgOut.ports ?? quick!.ports;
  ctx.listenAddresses = cfgOut.listenAddresses ?? quick!.listenAddresses;
  const cfgFact = config.facts.find((f): f is Extract<Fact, { type: 'config' }> => f.type === 'config');
  // MaxStartups' start only from a config that was read: without one, a drop line's low "#n" cannot be told from a per-source limit.
  const ms = cfgFact?.maxStartups ? Number(cfgFact.maxStartups.split(':')[0]) : Number.NaN;
  const tasks: Promise<CheckResult>[] = [];
  if (!o.offline) {
    tasks.push(
      bounded('fail2ban', timeoutMs * 2, () => checkFail2ban(ctx, { socket: o.fail2banSocket })),
      bounded('sshguard', timeoutMs, () => checkSshguard(ctx)),
      bounded('crowdsec', timeoutMs, () => checkCrowdsec(ctx)),
      bounded('sshwarden-guard', timeoutMs, () => checkGuard(ctx, o.guardBans)),
      bounded('nftables', timeoutMs, () => checkNftables(ctx)),
      bounded('iptables', timeoutMs, () => checkIptables(ctx)),
      bounded('ipset', timeoutMs, () => checkIpset(ctx)),
      bounded('listeners', timeoutMs, () => checkListeners(ctx)),
      bounded('host-keys', timeoutMs, () => checkHostKeys(ctx, cfgFact?.hostKeys ?? quick?.hostKeys ?? [])),
      bounded('privsep-dir', timeoutMs, () => checkPrivsep(ctx)),
      bounded('sshd-session', timeoutMs, () => checkSshdSession(ctx, cfgFact?.version ?? null)),
      bounded('resources', timeoutMs, () => checkResources(ctx)),
      bounded('apparmor-selinux', timeoutMs, () => checkMac(ctx)),
      bounded('tcp-wrappers', timeoutMs, () => checkTcpWrappers(ctx)),
    );
  }
  tasks.unshift(bounded('logs', o.logTimeoutMs ?? 120_000, () => checkLogs(ctx, {
    maxStartupsBegin: Number.isFinite(ms) ? ms : null,
    loginGraceTime: cfgFact?.loginGraceTime || 120,
    admission: cfgFact ? { values: { maxstartups: cfgFact.maxStartups, persourcemaxstartups: cfgFact.perSourceMaxStartups ?? undefined, persourcepenalties: cfgFact.perSourcePenalties ?? undefined }, version: cfgFact.version } : undefined,
  })));
  if (o.pcap !== undefined) {
    const file = o.pcap;
    tasks.push(bounded('capture', o.logTimeoutMs ?? 120_000, () => checkCapture(ctx, { file, loginGraceTime: cfgFact?.loginGraceTime || 120 })));
  }
  const results = [config, ...(await Promise.all(tasks))];
  return assemble(results, { side: 'server', client: o.client, windowText: o.windowText, window: o.window, offline: o.offline });
}

/** The checks that read what the user gave (their failures mean exit 3); each is named for what it reads. */
const INPUT_CHECKS: ReadonlySet<string> = new Set(['logs', 'config', 'capture']);

/** The report from the check results (shared with the client side). */
export function assemble(results: CheckResult[], o: { side: 'server' | 'client'; client: ClientSpec | null; windowText: string; window: { since: number | null; until: number | null } | null; offline?: boolean; target?: string }): DoctorReport {
  const facts = results.flatMap((r) => r.facts);
  const { causes, verdict } = rank({ facts, client: o.client, side: o.side, windowText: o.windowText });
  const checked = results.filter((r) => r.status === 'looked').map((r) => ({ check: r.check, note: r.note ?? 'fine', ms: r.ms ?? null }));
  const unchecked = results.filter((r) => r.status === 'unchecked').map((r) => ({ check: r.check, reason: r.reason ?? 'unknown', ms: r.ms ?? null }));
  if (o.offline) unchecked.push({ check: 'live checks', reason: '--offline: firewall, bans, listeners and the host were not looked at', ms: null });
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  // Inputs the user gave that could not be read (not those the options left out), and checks that read only part of theirs.
  const unread = results.filter((r) => r.status === 'unchecked' && !r.notAsked && INPUT_CHECKS.has(r.check));
  const partly = results.filter((r) => r.status === 'looked' && r.inputFailed === true);
  const action = causes.some((c) => c.action);
  const unreadText = unread.map((u) => `the ${u.check} could not be read (${u.reason ?? 'unknown'})`).join(' and ');
  const partlyText = partly.map((r) => `part of the ${r.check} could not be read (see "checked")`).join(' and ');
  let text = verdict;
  if (!action && unread.length) text = `Nothing found, but ${unreadText}.`;
  if (partly.length) text = `${text} Note: ${partlyText}.`;
  return {
    side: o.side,
    verdict: text,
    inputFailed: unread.length > 0 || partly.length > 0,
    action,
    causes,
    checked,
    unchecked,
    window: o.window ? { since: iso(o.window.since), until: iso(o.window.until) } : null,
    client: o.client || o.target ? { address: o.client?.address ?? null, user: o.client?.user ?? null, ...(o.target ? { target: o.target } : {}) } : null,
  };
}
