/**
 * Ranking: the facts every check found → the causes, each with a confidence, what it affects,
 * its evidence, the fix (from src/advice/) and how to verify it; strongest first; then the
 * one-sentence verdict. Pure: plain data in, plain data out.
 */
import { logLevelAdvice } from '../advice/log-level.ts';
import type { Advice } from '../advice/types.ts';
import { banAdvice } from '../advice/bans.ts';
import { maxStartupsAdvice, type MaxStartups } from '../advice/maxstartups.ts';
import { perSourceMaxStartupsAdvice, perSourceMaxStartupsRaiseAdvice } from '../advice/per-source-maxstartups.ts';
import { authFailureAdvice } from '../advice/auth-failure.ts';
import { placeChanges } from '../advice/sshd-drop-in.ts';
import { perSourcePenaltiesAdvice } from '../advice/per-source-penalties.ts';
import { loginGraceTimeAdvice } from '../advice/login-grace-time.ts';
import { algorithmsAdvice, type AlgorithmKeyword } from '../advice/algorithms.ts';
import { wrongServiceAdvice } from '../advice/wrong-service.ts';
import { sshdNotRunningAdvice, notListeningAdvice, socketActivationAdvice, sshdSessionAdvice } from '../advice/service.ts';
import { hostKeysAdvice } from '../advice/host-keys.ts';
import { privsepDirAdvice } from '../advice/privsep-dir.ts';
import { resourcesAdvice } from '../advice/resources.ts';
import { macDenialAdvice } from '../advice/mac-denial.ts';
import { rateLimitAdvice } from '../advice/rate-limit.ts';
import { portTranslationAdvice } from '../advice/port-translation.ts';
import { addressFamilyAdvice } from '../advice/address-family.ts';
import { tcpWrappersAdvice } from '../advice/tcp-wrappers.ts';
import { accessRulesAdvice } from '../advice/access-rules.ts';
import { configInvalidAdvice, configNotReloadedAdvice } from '../advice/config-state.ts';
import { nonSshClientAdvice, synRejectedAdvice, synUnansweredAdvice } from '../advice/tcp-refusals.ts';
import type { ClientSpec } from './context.ts';
import type { BanSystem, Cause, CauseId, Ev, Fact, FixStep } from './types.ts';

type F<T extends Fact['type']> = Extract<Fact, { type: T }>;

export interface RankInput {
  facts: Fact[];
  client: ClientSpec | null;
  /** `doctor user@host`: the facts come from the client side. */
  side: 'server' | 'client';
  /** e.g. "in the last 24 h" */
  windowText: string;
}

function step(a: Advice | null): FixStep[] {
  return a ? [{ summary: a.summary, changes: a.changes.map((c) => ({ ...c })), commands: a.commands }] : [];
}

function verifyOf(a: Advice | null): string[] {
  return a ? a.verify : [];
}

function of<T extends Fact['type']>(facts: Fact[], type: T): F<T>[] {
  return facts.filter((f): f is F<T> => f.type === type);
}

function parseMaxStartups(s: string): MaxStartups | null {
  const p = s.split(':').map(Number);
  if (p.some((n) => !Number.isInteger(n))) return null;
  return p.length === 3 ? [p[0], p[1], p[2]] : p.length === 1 ? [p[0], 100, p[0]] : null;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function cause(id: CauseId, confidence: number, summary: string, evidence: Ev[], advice: (Advice | null)[], affects: Cause['affects'] = {}, extra: Partial<Cause> = {}): Cause {
  const fix = advice.flatMap(step);
  const seen = new Set<string>();
  return {
    id,
    confidence: Math.round(confidence * 100) / 100,
    action: id !== 'scanners_only',
    summary,
    affects,
    evidence: evidence.filter((e) => {
      const k = `${e.where}\n${e.text}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    }).slice(0, 8),
    fix,
    verify: [...new Set(advice.flatMap(verifyOf))],
    ...extra,
  };
}

const BY_WORDS: Record<BanSystem, string> = { fail2ban: 'fail2ban', sshguard: 'sshguard', crowdsec: 'CrowdSec', sshwarden: "sshwarden's guard", nftables: 'an nftables rule/set', iptables: 'an iptables rule', ipset: 'an ipset' };

export function rank(input: RankInput): { causes: Cause[]; verdict: string } {
  const { facts, client } = input;
  const causes: Cause[] = [];
  const cfg = of(facts, 'config')[0] ?? null;
  const ov = of(facts, 'log_overview')[0] ?? null;
  const legit = new Set(ov?.legitAddresses ?? []);
  const who = client ? client.address : null;
  const when = input.windowText;

  // bans: for a client, any ban of it; for the server, bans of addresses that also logged in (your users).
  // iptables-nft rules show in nft's ruleset too: an address the iptables check found is not counted again under nftables.
  const viaIptables = new Set(of(facts, 'banned').filter((b) => b.by === 'iptables').map((b) => b.address));
  const bans = of(facts, 'banned').filter((b) => (client !== null || legit.has(b.address)) && !(b.by === 'nftables' && b.place.table && ['filter', 'nat', 'mangle', 'raw', 'security'].includes(b.place.table) && (b.place.family === 'ip' || b.place.family === 'ip6') && viaIptables.has(b.address)));
  const bySystem = new Map<BanSystem, F<'banned'>[]>();
  for (const b of bans) bySystem.set(b.by, [...(bySystem.get(b.by) ?? []), b]);
  for (const [by, list] of bySystem) {
    const addrs = [...new Set(list.map((b) => b.address))];
    const first = list[0];
    const place = first.place.jail ? ` (jail ${first.place.jail})` : first.place.set ? ` (set ${first.place.table ? `${first.place.table} ` : ''}${first.place.set})` : first.place.chain ? ` (chain ${first.place.chain})` : '';
    const time = first.since || first.until ? ` ${first.since ? `since ${first.since}` : ''}${first.until ? ` until ${first.until}` : ''}` : '';
    const summary = client ? `${who} is banned by ${BY_WORDS[by]}${place}${time}` : `${plural(addrs.length, 'address', 'addresses')} that logged in ${when} ${addrs.length === 1 ? 'is' : 'are'} banned by ${BY_WORDS[by]}${place}: ${addrs.slice(0, 5).join(', ')}`;
    const advice = list.slice(0, 3).map((b) => banAdvice({ by: b.by, address: b.address, ...b.place }));
    const why = list.flatMap((b) => (b.why ? [{ where: b.evidence[0]?.where ?? by, text: `why: ${b.why}` }] : []));
    causes.push(cause('banned', client ? 0.95 : 0.9, summary, [...list.flatMap((b) => b.evidence), ...why.slice(0, 1)], advice, { addresses: addrs }, { by }));
  }

  // sshd's own refusals, from the log; the fix from the simulator when it ran (it replays this log's connections)
  const ms = cfg ? parseMaxStartups(cfg.maxStartups) : null;
  const sim = of(facts, 'simulation')[0]?.advice ?? null;
  const simulated = (rule: (Advice | null)[]): (Advice | null)[] => (sim && sim.id === 'maxstartups.simulated' ? [sim] : [...rule, sim]);
  for (const d of of(facts, 'log_drops')) {
    const mine = client ? d.total : d.fromLegit;
    const whom = client ? `${who}` : `${plural(d.legitSources.length, 'address', 'addresses')} of your users`;
    const were = client || d.legitSources.length === 1 ? 'was' : 'were';
    if (mine === 0) continue;
    if (d.kind === 'maxstartups') {
      causes.push(cause('maxstartups', 0.85, `${whom} ${were} refused by MaxStartups ${plural(mine, 'time')} ${when}${cfg ? ` (MaxStartups ${cfg.maxStartups})` : ''}`, d.evidence,
        simulated([maxStartupsAdvice({ current: ms, ownUsersDropped: mine }), cfg ? perSourceMaxStartupsAdvice({ version: cfg.version, current: cfg.perSourceMaxStartups, maxStartupsBegin: ms?.[0] ?? 10 }) : null]), { addresses: client ? [client.address] : d.legitSources, connections: mine }));
    } else if (d.kind === 'per_source') {
      causes.push(cause('per_source_maxstartups', 0.85, `${whom} ${were} refused by PerSourceMaxStartups${cfg?.perSourceMaxStartups ? ` ${cfg.perSourceMaxStartups}` : ''} ${plural(mine, 'time')} ${when}: too many unauthenticated connections at once from one address`, d.evidence,
        simulated([perSourceMaxStartupsRaiseAdvice({ current: cfg?.perSourceMaxStartups ?? null, ownUsersDropped: mine })]), { addresses: client ? [client.address] : d.legitSources, connections: mine }));
    } else {
      causes.push(cause('per_source_penalties', 0.85, `${whom} ${were} refused by PerSourcePenalties ${plural(mine, 'time')} ${when} (penalised for failed logins or unauthenticated connections)`, d.evidence,
        simulated([cfg ? perSourcePenaltiesAdvice({ version: cfg.version, disabled: false, exemptSet: cfg.penaltyExemptSet, exempt: client ? [client.address] : d.legitSources }) : null]), { addresses: client ? [client.address] : d.legitSources, connections: mine }));
    }
  }
  // Drops the log reports only as a count (LogLevel INFO logs one per throttling episode): whose they
  // were is unknown, and users logged in during the window, so they may have been among them.
  if (ov && !client && (ov.unattributedDrops ?? 0) > 0 && (ov.classes.legit ?? 0) > 0) {
    const n = ov.unattributedDrops!;
    causes.push(cause('maxstartups', 0.4, `sshd refused ${plural(n, 'more connection')} under load (MaxStartups throttling) ${when}, and the log does not say whose (LogLevel ${ov.logLevel ?? 'INFO'} logs one drop per episode): ${plural(ov.classes.legit ?? 0, 'address', 'addresses')} of your users logged in meanwhile and may have been among them`,
      ov.throttleEvidence ?? [], [logLevelAdvice({ current: ov.logLevel && ov.logLevel !== 'unknown' ? ov.logLevel : null, why: 'logs only the first drop of each throttling episode' })], { connections: n }));
  }
  for (const d of of(facts, 'log_denied')) {
    causes.push(cause('match_denies', client ? 0.92 : 0.8, `sshd refused ${d.users.length ? d.users.join(', ') : 'users'} by AllowUsers/DenyUsers/AllowGroups ${plural(d.count, 'time')} ${when}`, d.evidence,
      [accessRulesAdvice({ directive: /AllowUsers|DenyUsers|AllowGroups|DenyGroups/.exec(d.evidence[0]?.text ?? '')?.[0] ?? 'AllowUsers/DenyUsers', user: client?.user ?? d.users[0] ?? null, where: null, address: who })], { users: d.users, connections: d.count }));
  }
  for (const m of of(facts, 'match_denies')) {
    if (causes.some((c) => c.id === 'match_denies')) {
      causes.find((c) => c.id === 'match_denies')!.evidence.push(...m.evidence);
      continue;
    }
    causes.push(cause('match_denies', m.user ? 0.8 : 0.6, m.user ? `the configuration refuses ${m.user}${who ? ` from ${who}` : ''}: ${m.evidence[0]?.text ?? m.directive}` : m.directive, m.evidence,
      [accessRulesAdvice({ directive: m.directive, user: m.user, where: m.evidence[0]?.where ?? null, address: who })], { users: m.user ? [m.user] : undefined }));
  }
  for (const g of of(facts, 'log_grace')) {
    causes.push(cause('login_grace_time', 0.45, `${plural(g.legitTimeouts, 'connection')} of your users timed out before authenticating (LoginGraceTime ${cfg?.loginGraceTime ?? 120}s) ${when}`, g.evidence,
      [loginGraceTimeAdvice({ current: cfg?.loginGraceTime ?? null })], { connections: g.legitTimeouts }));
  }
  const wrappersLog = of(facts, 'log_wrappers');
  const wrappersCfg = of(facts, 'tcp_wrappers');
  if (wrappersLog.length || wrappersCfg.length) {
    const n = wrappersLog.reduce((a, w) => a + w.count, 0);
    causes.push(cause('tcp_wrappers', wrappersLog.length ? 0.9 : client ? 0.6 : 0.4, n ? `TCP wrappers (hosts.deny) refused ${plural(n, 'connection')} ${when}` : 'TCP wrappers (hosts.deny) have a rule for sshd', [...wrappersLog.flatMap((w) => w.evidence), ...wrappersCfg.flatMap((w) => w.evidence)], [tcpWrappersAdvice({ address: who })]));
  }
  for (const k of of(facts, 'log_kex_failed')) {
    if (!client && k.fromLegit === 0) continue;
    const m = /no matching (key exchange method|host key type|cipher|MAC) found\. Their offer: ([A-Za-z0-9@.,_+-]+)/.exec(k.evidence.map((e) => e.text).join('\n'));
    const keyword: AlgorithmKeyword | null = m ? ({ 'key exchange method': 'KexAlgorithms', 'host key type': 'HostKeyAlgorithms', cipher: 'Ciphers', MAC: 'MACs' } as const)[m[1] as 'cipher'] : null;
    const cfgKey = keyword ? keyword.toLowerCase() : null;
    const current = cfg && cfgKey ? cfg.algorithms[cfgKey] ?? [] : [];
    const theirs = m ? m[2].split(',')[0] : null;
    const adv = keyword && theirs && cfg ? algorithmsAdvice(cfg.version, [{ keyword, defaults: current, wanted: [...current, theirs], removed: [] }]) : null;
    causes.push(cause('algorithm_mismatch', 0.85, `${client ? who : plural(k.fromLegit, 'connection') + ' of your users'} failed the key exchange: no common algorithm${m ? ` (${m[1]}; the client offers ${m[2].split(',').slice(0, 3).join(', ')})` : ''}; updating the client is better than enabling an old algorithm`, k.evidence, [adv], { connections: k.count }));
  }

  // the service
  for (const f of of(facts, 'config_invalid')) causes.push(cause('config_invalid', 0.9, `sshd rejects its configuration: ${f.message}`, f.evidence, [configInvalidAdvice({ message: f.message })], { all: true }));
  const nr = of(facts, 'config_not_reloaded');
  if (nr.length) {
    // strong: sshd listens elsewhere than the file says (audit's listen-mismatch, or a port the file names that sshd does not listen on)
    const strong = nr.some((f) => f.evidence.some((e) => e.where.startsWith('$ ss'))) || of(facts, 'not_listening').some((f) => f.listening.length > 0);
    const last = ov?.lastRestart ? Date.parse(ov.lastRestart) : null;
    const reloadedSince = last !== null && nr.every((f) => Date.parse(f.configMtime) <= last);
    if (strong || !reloadedSince) {
      causes.push(cause('config_not_reloaded', strong ? 0.9 : 0.45, `the configuration changed (${nr[0].configMtime}) after the running sshd started (${nr[0].sshdStart}) and it was not reloaded${strong ? ': what sshd does is not what the file says' : ''}`, nr.flatMap((f) => f.evidence), [configNotReloadedAdvice()], { all: true }));
    }
  }
  for (const f of of(facts, 'sshd_not_running')) causes.push(cause('sshd_not_running', 0.97, `sshd is not running (${f.why})`, f.evidence, [sshdNotRunningAdvice()], { all: true }));
  for (const f of of(facts, 'sshd_session_missing')) causes.push(cause('sshd_not_running', 0.8, 'sshd cannot serve connections: its sshd-session helper is missing', f.evidence, [sshdSessionAdvice()], { all: true }));
  for (const f of of(facts, 'wrong_service')) {
    causes.push(cause('wrong_service', 0.9, `${f.process}, not sshd, listens on port ${f.port}: clients of port ${f.port} reach ${f.process}`, f.evidence, [wrongServiceAdvice({ host: who ?? 'this host', port: f.port, service: f.process })], { all: true }));
  }
  for (const f of of(facts, 'not_listening')) causes.push(cause('not_listening', client ? 0.9 : 0.85, `sshd does not listen on ${f.expected.join(', ')}${f.listening.length ? ` (it listens on ${f.listening.join(', ')})` : ''}`, f.evidence, [notListeningAdvice({ port: Number(/\d+/.exec(f.expected[0] ?? '22')?.[0] ?? 22) })], { all: true }));
  for (const f of of(facts, 'log_daemon')) {
    if (f.kind === 'bind_failed') causes.push(cause('not_listening', 0.7, `sshd could not bind its listening socket ${when}`, f.evidence, [notListeningAdvice({ port: cfg?.ports[0] ?? 22 })], { all: true }));
    if (f.kind === 'host_key' && !of(facts, 'host_keys').length) causes.push(cause('host_keys', 0.75, `sshd could not load a host key ${when}`, f.evidence, [hostKeysAdvice({ problems: [] })], { all: true }));
    if (f.kind === 'resource') causes.push(cause('resources', 0.6, `sshd reported resource errors (fork, memory, accept) ${when}`, f.evidence, [resourcesAdvice({ problem: 'sshd could not fork or allocate' })], { all: true }));
  }
  for (const f of of(facts, 'address_family')) {
    const fam = client ? (client.address.includes(':') ? 6 : 4) : null;
    if (client && fam !== f.missing) continue;
    causes.push(cause('address_family', client ? 0.9 : 0.5, `sshd does not listen on IPv${f.missing}${client ? `, and ${who} connects over IPv${f.missing}` : ', though this host has IPv' + f.missing + ' addresses: clients that use them are refused'}`, f.evidence, [addressFamilyAdvice({ missing: f.missing })], { all: !client }));
  }
  for (const f of of(facts, 'socket_activation')) causes.push(cause('socket_activation', 0.6, f.problem, f.evidence, [socketActivationAdvice()], { all: true }));
  for (const f of of(facts, 'host_keys')) causes.push(cause('host_keys', 0.9, `host keys: ${f.problems.map((p) => `${p.file} ${p.problem}`).join(', ')}`, f.evidence, [hostKeysAdvice({ problems: f.problems })], { all: true }));
  for (const f of of(facts, 'privsep_dir_missing')) causes.push(cause('privsep_dir_missing', 0.9, `${f.path} (privilege separation directory) is missing: sshd cannot start or serve connections`, f.evidence, [privsepDirAdvice()], { all: true }));
  for (const f of of(facts, 'resources')) causes.push(cause('resources', 0.7, f.problem, f.evidence, [resourcesAdvice({ problem: f.problem })], { all: true }));
  for (const f of of(facts, 'mac_denial')) causes.push(cause('mac_denial', 0.6, `${f.system === 'selinux' ? 'SELinux' : 'AppArmor'} denied sshd something`, f.evidence, [macDenialAdvice({ system: f.system })], { all: true }));

  // the path
  const translated = new Set<number>();
  for (const f of of(facts, 'port_translation')) if (!translated.has(f.port) && translated.add(f.port)) causes.push(cause('port_translation', 0.85, `${f.tool} translates port ${f.port} to ${f.to}: connections to port ${f.port} do not reach sshd`, f.evidence, [portTranslationAdvice({ tool: f.tool, port: f.port, to: f.to })], { all: true }));
  const limited = new Set<string>();
  for (const f of of(facts, 'rate_limit_rule')) {
    const key = `${f.port}:${f.match === 'limit' || f.match === 'hashlimit' ? 'limit' : f.match}`;
    if (limited.has(key)) continue;
    limited.add(key);
    causes.push(cause('rate_limit_rule', client ? 0.6 : 0.35, `a firewall rule (${f.tool} ${f.match}) limits new connections to port ${f.port ?? 'SSH'}: ${client ? `${who}` : 'users'} who connect several times in a row are dropped`, f.evidence,
      [rateLimitAdvice({ tool: f.tool, match: f.match, family: f.place.family, table: f.place.table, chain: f.place.chain, handle: f.place.handle, rule: f.place.rule, exempt: who })], { addresses: who ? [who] : undefined }));
  }

  wireCauses(facts, causes, { client, who, legit, cfg, ms });

  // the client side
  for (const f of of(facts, 'probe')) {
    const map: Record<string, [CauseId, number]> = {
      wrong_service: ['wrong_service', 0.9], ssh_throttled: ['maxstartups', 0.7], ssh_no_common_algorithm: ['algorithm_mismatch', 0.9], refused: ['not_listening', 0.6],
      closed_without_banner: ['unknown', 0.5], reset_without_banner: ['unknown', 0.5], no_answer: ['unknown', 0.5], silent: ['unknown', 0.4], unreachable: ['unknown', 0.5], closed_after_our_identification: ['wrong_service', 0.6],
    };
    const hit = map[f.verdict];
    if (!hit) continue;
    causes.push(cause(hit[0], hit[1], f.headline, f.evidence, hit[0] === 'wrong_service' && f.address ? [wrongServiceAdvice({ host: f.address, port: f.port, service: 'another service' })] : [], { addresses: f.address ? [f.address] : undefined }));
    if (f.verdict === 'refused' || f.verdict === 'no_answer') {
      causes.push(cause('banned', 0.4, `${f.verdict === 'refused' ? 'refused' : 'no answer'}: a ban (fail2ban, sshguard, CrowdSec, a firewall rule) on your address looks exactly like this from here; run \`sudo sshwarden doctor --client YOUR_ADDRESS\` on the server`, f.evidence, []));
    }
  }
  for (const f of of(facts, 'ssh_client')) {
    const map: Record<string, CauseId> = { no_matching_algorithm: 'algorithm_mismatch', maxstartups_refusal: 'maxstartups', http_banner: 'wrong_service', non_ssh_banner: 'wrong_service', connection_refused: 'not_listening' };
    const id = map[f.finding];
    const existing = id ? causes.find((c) => c.id === id) : undefined;
    if (existing) {
      existing.evidence.push(...f.evidence);
      existing.confidence = Math.min(0.95, existing.confidence + 0.05);
      if (!existing.fix.length) existing.fix.push(...f.fix.map((text) => ({ summary: text, changes: [], commands: [] })));
    } else if (id) causes.push({ ...cause(id, 0.75, f.title, f.evidence, []), fix: f.fix.map((text) => ({ summary: text, changes: [], commands: [] })) });
  }

  // the client reached sshd and its latest attempt failed to authenticate, with nothing else found
  const lc = of(facts, 'log_client')[0];
  const lf = lc?.lastFailure ?? null;
  if (client && lc && lf && !causes.some((c) => c.action)) {
    const users = lf.users.length ? ` as ${lf.users.map((u) => JSON.stringify(u)).join(', ')}` : '';
    const how = lf.invalidUser ? 'the user name is not an account on the server' : lf.noCommonMethod ? 'no authentication method in common' : lf.passwordFailures ? `the password was refused ${plural(lf.passwordFailures, 'time')}${lf.tooManyAttempts ? ', then MaxAuthTries ended the connection' : ''}` : lf.tooManyAttempts ? 'too many authentication attempts (MaxAuthTries: keys the server does not hold)' : 'the server refused its credentials';
    const before = lc.lastLogin ? ` (it logged in earlier, at ${lc.lastLogin})` : '';
    causes.push(cause('auth_failed', 0.8, `${who} reached sshd and failed to authenticate${users}${lf.end ? ` at ${lf.end}` : ''}: ${how}${before}`, lf.evidence.length ? lf.evidence : lc.evidence,
      authFailureAdvice({ user: lf.users[0] ?? client.user ?? null, invalidUser: lf.invalidUser, passwordFailures: lf.passwordFailures, publickey: lf.publickey, tooManyAttempts: lf.tooManyAttempts, noCommonMethod: lf.noCommonMethod }), { addresses: [client.address], users: lf.users }));
  }
  // a client the log never saw, with nothing else found
  if (client && !causes.some((c) => c.action) && lc && lc.connections === 0) {
    causes.push(cause('unknown', 0.3, `the log shows no connection from ${who} ${when}: it never reached sshd (a firewall or NAT on the way, a wrong address or port), or the log is elsewhere`, [], [], { addresses: [client.address] }));
  }
  if (client && !causes.some((c) => c.action) && lc && lc.connections > 0 && lc.authenticated === 0) {
    causes.push(cause('unknown', 0.3, `${who} connected ${plural(lc.connections, 'time')} ${when} and never logged in, and no check explains why`, lc.evidence, [], { addresses: [client.address] }));
  }

  // sshd lines where they take effect in the configuration read (the line a keyword's value comes from, or the drop-in read first).
  const placement = cfg?.placement;
  if (placement) for (const c of causes) for (const f of c.fix) f.changes = placeChanges(f.changes, placement);
  causes.sort((a, b) => b.confidence - a.confidence || CAUSE_ORDER(a.id) - CAUSE_ORDER(b.id));
  const action = causes.filter((c) => c.action);
  if (ov && input.side === 'server' && !client) {
    const noise = (ov.classes.scanner ?? 0) + (ov.classes.bruteforce ?? 0);
    const sources = noise + (ov.classes.legit ?? 0) + (ov.classes.unknown ?? 0);
    const drops = of(facts, 'log_drops').reduce((a, d) => a + d.total, 0);
    const share = sources ? Math.floor((100 * noise) / sources) : 0;
    const sentence = `${share} % of the ${plural(sources, 'source')} that connected ${when} are scanners or password guessers (${ov.kexLines} kex_exchange_identification lines), which are harmless${drops ? `; ${plural(drops, 'refused connection')} ${drops === 1 ? 'was' : 'were'} theirs, not your users'` : ''}; ${plural(ov.classes.legit ?? 0, 'address', 'addresses')} logged in`;
    // No connection at all is not "only scanners": there is nothing to judge (verdictOf says so).
    if (action.length === 0 && ov.connections > 0) causes.push(cause('scanners_only', 0.9, sentence, ov.noiseEvidence ?? [], [], { connections: ov.connections }));
  }
  const verdict = verdictOf(causes, input, ov);
  return { causes, verdict };
}

const ALGORITHM_KEYWORD: Record<string, AlgorithmKeyword> = { kex: 'KexAlgorithms', hostKey: 'HostKeyAlgorithms', ciphers: 'Ciphers', macs: 'MACs' };

/**
 * The wire's findings (doctor --pcap) into causes: for a client, its own flows; for the server,
 * your users' (addresses that logged in, by the log or the joined view), except a port where
 * nothing accepted anyone. Evidence a cause from the log already has is added to it (the wire
 * confirms it); a cause the log could not see is new.
 */
function wireCauses(facts: Fact[], causes: Cause[], o: { client: ClientSpec | null; who: string | null; legit: Set<string>; cfg: F<'config'> | null; ms: MaxStartups | null }): void {
  const ov = of(facts, 'wire_overview')[0];
  if (ov === undefined) return;
  const { client, who, cfg } = o;
  const legit = new Set([...o.legit, ...ov.legitAddresses]);
  const off = ov.clockOffsetMs;
  const clock: Ev[] = off === null ? [] : [{ where: ov.file, text: `clock: log time − capture time = ${off >= 0 ? '+' : ''}${(off / 1000).toFixed(3)} s (from ${plural(ov.offsetPairs, 'connection')} both saw)` }];
  const attach = (id: CauseId, ev: Ev[], confidence: number): Cause | null => {
    const c = causes.find((x) => x.id === id);
    if (c === undefined) return null;
    for (const e of ev) if (c.evidence.length < 10 && !c.evidence.some((x) => x.where === e.where && x.text === e.text)) c.evidence.push(e);
    c.confidence = Math.max(c.confidence, confidence);
    return c;
  };
  for (const f of of(facts, 'wire_finding')) {
    const everyone = f.kind === 'syn_rejected' && f.served === false;
    const addrs = Object.keys(f.byAddress).filter((a) => client !== null || everyone || legit.has(a));
    const n = addrs.reduce((s, a) => s + f.byAddress[a], 0);
    if (n === 0) continue;
    const unlogged = addrs.reduce((s, a) => s + (f.unlogged[a] ?? 0), 0);
    const mine = new Set(addrs);
    const ev = [...f.samples.filter((s) => mine.has(s.address)).map((s) => s.ev).slice(0, 5), ...clock];
    const whom = client ? `${who}` : `${plural(addrs.length, 'address', 'addresses')} of your users (${addrs.slice(0, 5).join(', ')})`;
    const seen = `on the wire (${f.file})`;
    const notLogged = unlogged ? `; the log has no line for ${unlogged === n ? (n === 1 ? 'it' : 'any of them') : `${unlogged} of them`}` : '';
    const affects = { addresses: addrs.slice(0, 50), connections: n };
    if (f.kind === 'dropped') {
      const summary = `${whom} ${client || addrs.length === 1 ? 'was' : 'were'} refused by the listener (MaxStartups) ${plural(n, 'time')} ${seen}${notLogged}${unlogged ? ' (at LogLevel INFO sshd logs only the first drop of a throttling episode)' : ''}`;
      const c = causes.find((x) => x.id === 'maxstartups');
      if (c !== undefined && c.confidence < 0.85) {
        // the log could only say "maybe your users": the wire says whose
        c.summary = summary;
        c.affects = affects;
        c.fix.unshift(...step(maxStartupsAdvice({ current: o.ms, ownUsersDropped: n })));
        c.verify = [...new Set([...(maxStartupsAdvice({ current: o.ms, ownUsersDropped: n })?.verify ?? []), ...c.verify])];
      }
      if (attach('maxstartups', ev, 0.9) === null) {
        causes.push(cause('maxstartups', 0.85, summary, ev, [maxStartupsAdvice({ current: o.ms, ownUsersDropped: n }), unlogged ? logLevelAdvice({ current: null, why: 'logs only the first drop of each throttling episode' }) : null], affects));
      }
    } else if (f.kind === 'syn_unanswered') {
      if (client !== null && attach('banned', ev, 0.95) !== null) continue;
      causes.push(cause('syn_unanswered', client ? 0.8 : 0.75, `${whom}: ${plural(n, 'connection')} got no answer to ${n === 1 ? 'its' : 'their'} SYN ${seen}: a firewall rule or a ban DROPs ${client ? 'this address' : addrs.length === 1 ? 'it' : 'them'}, or the client uses the wrong address or port; sshd never saw ${n === 1 ? 'it' : 'them'}, so its log cannot tell`,
        ev, [synUnansweredAdvice({ port: f.port, addresses: addrs })], affects));
    } else if (f.kind === 'syn_rejected') {
      if (client !== null && attach('banned', ev, 0.95) !== null) continue;
      const summary = f.served
        ? `${whom}: ${plural(n, 'SYN')} answered with a reset ${seen} while sshd accepted other clients on port ${f.port}: a rule REJECTs ${client ? 'this address' : addrs.length === 1 ? 'it' : 'them'} (a ban or a firewall REJECT)`
        : `nothing accepted connections on port ${f.port} ${seen}: ${plural(n, 'SYN')} answered with a reset (sshd does not listen there, or a port translation sends the port elsewhere)`;
      if (!f.served && attach('not_listening', ev, 0.9) !== null) continue;
      causes.push(cause('syn_rejected', f.served ? 0.75 : 0.8, summary, ev, [synRejectedAdvice({ port: f.port, addresses: addrs, served: f.served === true })], f.served ? affects : { ...affects, all: true }));
    } else if (f.kind === 'no_common_algorithm') {
      if (attach('algorithm_mismatch', ev, 0.9) !== null) continue;
      const first = f.noCommon?.[0];
      const keyword = first ? ALGORITHM_KEYWORD[first.category] ?? null : null;
      const theirs = first?.clientOffers[0] ?? null;
      const current = cfg && keyword ? cfg.algorithms[keyword.toLowerCase()] ?? [] : [];
      const adv = keyword && theirs && cfg ? algorithmsAdvice(cfg.version, [{ keyword, defaults: current, wanted: [...current, theirs], removed: [] }]) : null;
      causes.push(cause('algorithm_mismatch', 0.85, `${whom} failed the key exchange ${plural(n, 'time')} ${seen}: no common ${(f.noCommon ?? []).map((x) => `${x.category} algorithm (the client offers ${x.clientOffers.join(', ')})`).join(', no common ')}; updating the client is better than enabling an old algorithm`, ev, [adv], affects));
    } else if (f.kind === 'non_ssh') {
      const kind = /\((http|tls|junk), /.exec(f.samples.find((s) => mine.has(s.address))?.ev.text ?? '')?.[1] ?? 'junk';
      causes.push(cause('non_ssh_client', client ? 0.7 : 0.4, `${whom} sent ${kind === 'http' ? 'HTTP' : kind === 'tls' ? 'TLS' : 'non-SSH bytes'} to the SSH port ${plural(n, 'time')} ${seen}`, ev, [nonSshClientAdvice({ port: f.port, kind, addresses: addrs })], affects));
    } else if (f.kind === 'timeout') {
      if (attach('login_grace_time', ev, 0.5) !== null) continue;
      causes.push(cause('login_grace_time', 0.45, `${plural(n, 'connection')} of ${whom} timed out before authenticating ${seen}${notLogged}`, ev, [loginGraceTimeAdvice({ current: cfg?.loginGraceTime ?? null })], affects));
    }
  }
}

const ORDER: readonly CauseId[] = ['sshd_not_running', 'config_invalid', 'banned', 'wrong_service', 'port_translation', 'config_not_reloaded', 'not_listening', 'address_family', 'maxstartups', 'per_source_maxstartups', 'per_source_penalties', 'match_denies', 'algorithm_mismatch', 'tcp_wrappers', 'host_keys', 'privsep_dir_missing', 'resources', 'mac_denial', 'socket_activation', 'rate_limit_rule', 'syn_unanswered', 'syn_rejected', 'login_grace_time', 'non_ssh_client', 'auth_failed', 'unknown', 'scanners_only'];
function CAUSE_ORDER(id: CauseId): number {
  return ORDER.indexOf(id);
}

function verdictOf(causes: Cause[], input: RankInput, ov: F<'log_overview'> | null): string {
  const action = causes.filter((c) => c.action);
  if (action.length === 0) {
    const s = causes.find((c) => c.id === 'scanners_only');
    if (s) return `Nothing to fix: ${s.summary}.`;
    if (ov && ov.connections === 0) return `Nothing to judge: the logs read show no sshd connection ${input.windowText} (${ov.lines} lines read; widen --since, or check that they are this sshd's logs).`;
    return `Nothing to fix found${ov ? '' : ' (no log was read)'}.`;
  }
  const top = action[0];
  const more = action.length > 1 ? ` (and ${plural(action.length - 1, 'more cause')} below)` : '';
  return `${top.summary}${more}.`;
}
