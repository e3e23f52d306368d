/**
 * The sshd configuration: audit's engine (auditConfig: the parse, the real `sshd -t`, the
 * effective values, for `--client` the effective config for that address via Match), whether
 * the running sshd is older than the config (edited, never reloaded), and whether the config
 * refuses the client's user (AllowUsers/DenyUsers).
 */
import { sshdPlacement, sourcesFrom } from '../../advice/sshd-drop-in.ts';
import type { CheckContext } from '../context.ts';
import { cannotRun, commandText } from '../runner.ts';
import type { CheckResult, Ev, Fact } from '../types.ts';
import { auditConfig, type AuditConfigRun } from '../../sshd-config/audit-config.ts';
import { accessRefusal } from '../../sshd-config/access.ts';
import { parseConfig } from '../../sshd-config/parse.ts';
import { effectiveConfig } from '../../sshd-config/effective.ts';
import { fsSource } from '../../sshd-config/system.ts';
import { NEWEST } from '../../sshd-config/keyword-table.ts';
import { resolve } from 'node:path';
import type { ConnectionSpec } from '../../sshd-config/match.ts';

export interface ConfigCheckOutput extends CheckResult {
  /** Ports and listen addresses from the config (for the live checks). */
  ports: number[];
  listenAddresses: string[];
}

/** Pure: facts from an audit run (and the client, when asked about one). */
export function configFacts(run: AuditConfigRun, client: CheckContext['client']): Fact[] {
  const facts: Fact[] = [];
  const e = run.effective;
  const where = (src: { file: string; line: number } | null | undefined) => (src ? `${src.file}:${src.line}` : run.root);
  const v = (k: string) => e.get(k)?.values[0] ?? null;
  const la = run.cfg.directives.filter((d) => d.key === 'listenaddress' && d.valid).map((d) => d.args[0]);
  const ports = sshPorts((e.get('port')?.values ?? ['22']).map(Number), la);
  facts.push({
    type: 'config', file: run.root, version: run.report.version, maxStartups: v('maxstartups') ?? '10:30:100', perSourceMaxStartups: v('persourcemaxstartups'),
    perSourcePenalties: run.cfg.directives.find((d) => d.key === 'persourcepenalties')?.args.join(' ') ?? null,
    penaltyExemptSet: run.cfg.directives.some((d) => d.key === 'persourcepenaltyexemptlist'), loginGraceTime: Number(v('logingracetime') ?? 120),
    ports, listenAddresses: la, addressFamily: v('addressfamily') ?? 'any',
    hostKeys: run.cfg.directives.filter((d) => d.key === 'hostkey' && d.valid).map((d) => d.args[0]),
    algorithms: Object.fromEntries(['kexalgorithms', 'ciphers', 'macs', 'hostkeyalgorithms'].map((k) => [k, (e.get(k)?.values[0] ?? '').split(',').filter(Boolean)])), evidence: [],
    // Where sshd lines take effect in this configuration (the line a keyword's value comes from, or the drop-in read first): the causes' fixes are placed with it.
    placement: sshdPlacement(run.cfg, sourcesFrom(run.effective)),
  });
  if (run.sshd && !run.sshd.accepted) {
    const ev: Ev[] = [{ where: commandText(run.sshd.binary, ['-t', '-f', run.root]), text: run.sshd.message }];
    if (run.cfg.verdict.file) ev.push({ where: `${run.cfg.verdict.file}:${run.cfg.verdict.line ?? ''}`, text: run.cfg.verdict.message ?? '' });
    facts.push({ type: 'config_invalid', message: run.sshd.message, evidence: ev });
  } else if (!run.sshd && !run.cfg.verdict.accepted) {
    facts.push({ type: 'config_invalid', message: run.cfg.verdict.message ?? 'rejected', evidence: [{ where: `${run.cfg.verdict.file ?? run.root}:${run.cfg.verdict.line ?? ''}`, text: run.cfg.verdict.message ?? '' }] });
  }
  for (const f of run.report.findings) {
    const at = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : run.root;
    if (f.id === 'ssh-socket') facts.push({ type: 'socket_activation', problem: f.title, evidence: [{ where: at, text: f.title }] });
    if (f.id.startsWith('lockout-')) facts.push({ type: 'match_denies', directive: f.title, user: null, evidence: [{ where: at, text: f.title }] });
  }
  if (client?.user) {
    const refusal = accessRefusal(e, client.user, client.address);
    if (refusal) facts.push({ type: 'match_denies', directive: refusal.keyword, user: client.user, evidence: [{ where: refusal.file ? `${refusal.file}:${refusal.line}` : run.root, text: refusal.text }] });
  }
  void where;
  return facts;
}

/** Port values plus the ports ListenAddress lines name (`0.0.0.0:2222`, `[::]:22`). */
export function sshPorts(ports: number[], listenAddresses: string[]): number[] {
  const out = new Set(ports.filter((n) => Number.isInteger(n) && n > 0));
  for (const a of listenAddresses) {
    const m = /^\[[^\]]+\]:(\d+)$/.exec(a) ?? /^[^:]+:(\d+)$/.exec(a);
    if (m) out.add(Number(m[1]));
  }
  return out.size ? [...out] : [22];
}

/** The SSH ports, listen addresses and host keys the config names, from a quick offline parse (the live checks start with these while the full audit runs). */
export function quickConfig(file: string): { ports: number[]; listenAddresses: string[]; hostKeys: string[] } {
  if (file === '') return { ports: [22], listenAddresses: [], hostKeys: [] };
  const cfg = parseConfig(resolve(file), fsSource(), { version: NEWEST });
  const e = effectiveConfig(cfg, null);
  const la = cfg.directives.filter((d) => d.key === 'listenaddress' && d.valid).map((d) => d.args[0]);
  return {
    ports: sshPorts((e.get('port')?.values ?? ['22']).map(Number), la),
    listenAddresses: la,
    hostKeys: cfg.directives.filter((d) => d.key === 'hostkey' && d.valid).map((d) => d.args[0]),
  };
}

/** When the running sshd started (ms), from the listener's pid: `ps -o etimes=`. */
async function sshdStart(ctx: CheckContext): Promise<{ ms: number; pid: number } | null> {
  const ss = await ctx.runner.run('ss', ['-ltnpH'], ctx.timeoutMs);
  const m = /users:\(\("sshd",pid=(\d+)/.exec(ss.stdout);
  if (!m) return null;
  const pid = Number(m[1]);
  const ps = await ctx.runner.run('ps', ['-o', 'etimes=', '-p', String(pid)], ctx.timeoutMs);
  if (cannotRun('ps', ps) || !ps.ok) return null;
  const secs = Number(ps.stdout.trim());
  return Number.isFinite(secs) ? { ms: ctx.runner.now() - secs * 1000, pid } : null;
}

export async function checkConfig(ctx: CheckContext, o: { live: boolean; audit?: typeof auditConfig }): Promise<ConfigCheckOutput> {
  const check = 'config';
  if (ctx.config === '') return { check, status: 'unchecked', notAsked: true, reason: '--offline without --config: this host\'s sshd_config need not be the one the logs were written under (give --config FILE)', facts: [], ports: [22], listenAddresses: [] };
  const spec: ConnectionSpec | null = ctx.client ? { addr: ctx.client.address, user: ctx.client.user ?? undefined } : null;
  const specText = ctx.client ? `addr=${ctx.client.address}${ctx.client.user ? `,user=${ctx.client.user}` : ',user=root'},host=${ctx.client.address},laddr=0.0.0.0,lport=22` : null;
  let run: Awaited<ReturnType<typeof auditConfig>>;
  try {
    run = await (o.audit ?? auditConfig)({ file: ctx.config, clients: [], spec, specText, live: o.live, useSshd: true });
  } catch (e) {
    return { check, status: 'unchecked', reason: (e as Error).message, facts: [], ports: [22], listenAddresses: [] };
  }
  if ('unreadable' in run) return { check, status: 'unchecked', reason: run.unreadable, facts: [], ports: [22], listenAddresses: [] };
  const facts = configFacts(run, ctx.client);
  const cfgFact = facts.find((f) => f.type === 'config');
  const ports = cfgFact && cfgFact.type === 'config' ? cfgFact.ports : [22];
  const listenAddresses = cfgFact && cfgFact.type === 'config' ? cfgFact.listenAddresses : [];
  if (o.live) {
    let newest = 0;
    let newestFile = run.root;
    for (const f of run.cfg.files) {
      const st = await ctx.runner.stat(f);
      if (!('error' in st) && st.mtimeMs > newest) {
        newest = st.mtimeMs;
        newestFile = f;
      }
    }
    const start = await sshdStart(ctx);
    if (start && newest > start.ms + 1000) {
      facts.push({
        type: 'config_not_reloaded', configMtime: new Date(newest).toISOString(), sshdStart: new Date(start.ms).toISOString(),
        evidence: [
          { where: newestFile, text: `modified ${new Date(newest).toISOString()}` },
          { where: commandText('ps', ['-o', 'etimes=', '-p', String(start.pid)]), text: `sshd (pid ${start.pid}) running since ${new Date(start.ms).toISOString()}` },
        ],
      });
    }
    const mismatch = run.report.findings.find((f) => f.id === 'listen-mismatch');
    if (mismatch) facts.push({ type: 'config_not_reloaded', configMtime: new Date(newest).toISOString(), sshdStart: start ? new Date(start.ms).toISOString() : 'unknown', evidence: [{ where: commandText('ss', ['-ltnp']), text: mismatch.title }] });
  }
  const sshdNote = run.sshd ? `sshd -t ${run.sshd.accepted ? 'accepts' : 'rejects'} it` : 'no local sshd to run sshd -t';
  return { check, status: 'looked', note: `${run.root}: ${sshdNote}; MaxStartups ${cfgFact && cfgFact.type === 'config' ? cfgFact.maxStartups : '?'}`, facts, ports, listenAddresses };
}
