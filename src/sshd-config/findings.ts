/**
 * The audit's findings: each says how bad it is, where (file:line), what happens to which users,
 * and the fix. Pure: the caller passes what the system listens on and the client profiles.
 */
import type { ParsedConfig, Directive } from './parse.ts';
import type { Effective } from './effective.ts';
import { parseMaxStartups, convtime } from './value-syntax.ts';
import { algoInfo } from './algorithms.ts';
import { negotiate, hostKeyAlgorithmsFor, type CompatResult } from './compat.ts';
import type { ClientProfile } from '../profiles/index.ts';
import { cmpVersion } from '../openssh-versions.ts';
import { addrMatchList } from './match.ts';
import type { Listener, SocketActivation } from './system.ts';
import { defaultAlgorithms, type AlgorithmKey, type Defaults } from './effective.ts';
import type { Advice } from '../advice/types.ts';
import { adviceFix, placeAdvice, sshdPlacement, sourcesFrom, type SshdPlacement } from '../advice/sshd-drop-in.ts';
import { maxStartupsAdvice } from '../advice/maxstartups.ts';
import { loginGraceTimeAdvice } from '../advice/login-grace-time.ts';
import { perSourceMaxStartupsAdvice } from '../advice/per-source-maxstartups.ts';
import { perSourcePenaltiesAdvice } from '../advice/per-source-penalties.ts';
import { logLevelAdvice } from '../advice/log-level.ts';
import { useDnsAdvice } from '../advice/use-dns.ts';
import { algorithmsAdvice, type AlgorithmKeyword } from '../advice/algorithms.ts';

export type FindingSeverity = 'error' | 'warning' | 'info';

export interface Finding {
  id: string;
  severity: FindingSeverity;
  file: string | null;
  line: number | null;
  /** One line: what is wrong. */
  title: string;
  /** What happens to which users. */
  impact: string;
  /** What to change (from `advice` when there is one: src/advice/, the same words every command uses). */
  fix: string;
  /** The change, as every command gives it. */
  advice?: Advice;
}

export interface FindingContext {
  effective: Effective;
  clients: ClientProfile[];
  /** Host key types the server has (rsa, ecdsa, ed25519, dsa). */
  hostKeyTypes: string[];
  listeners?: Listener[] | null;
  socket?: SocketActivation | null;
  /** Distribution backported strict KEX (Terrapin fix) into an older version. */
  strictKexBackported?: boolean;
  /** The local build's defaults (algorithm lists), when known. */
  defaults?: Defaults;
}

/** A finding's fix and advice from one piece of advice, its lines placed where they take effect in this configuration. */
const advisedIn = (p: SshdPlacement) => (a: Advice) => {
  const placed = placeAdvice(a, p);
  return { fix: adviceFix(placed), advice: placed };
};

const at = (d: { file: string; line: number } | null | undefined) => (d ? { file: d.file, line: d.line } : { file: null, line: null });
const val = (e: Effective, k: string): string | undefined => e.get(k)?.values[0];
const src = (e: Effective, k: string) => at(e.get(k)?.source ?? null);

export function auditFindings(cfg: ParsedConfig, ctx: FindingContext): { findings: Finding[]; compat: CompatResult[] } {
  const f: Finding[] = [];
  const v = cfg.version;
  const e = ctx.effective;
  // Where each advised line takes effect: the line that sets the keyword's effective value today, else the drop-in sshd reads (or the main file).
  const placement = sshdPlacement(cfg, sourcesFrom(e));
  const advised = advisedIn(placement);

  // 1. What sshd rejects
  for (const d of cfg.diagnostics) {
    f.push({
      id: d.code,
      severity: d.severity,
      file: d.file,
      line: d.line || null,
      title: d.message,
      impact: d.severity === 'error' ? 'sshd refuses to start (or to reload) with this configuration: nobody can log in after the next restart' : d.code === 'include-not-read' ? 'the settings in that file are not known to this audit: its findings may be wrong for the keywords it sets' : 'none yet',
      fix: fixForDiagnostic(d.code),
    });
  }

  // 2. Deprecated / ignored keywords
  for (const d of cfg.directives) {
    if (!d.info || d.info.status === 'ok') continue;
    f.push({
      id: `keyword-${d.info.status}`,
      severity: 'warning',
      file: d.file,
      line: d.line,
      title: `${d.keyword} is ${d.info.status} in OpenSSH ${v}${d.info.statusSince ? ` (since ${d.info.statusSince})` : ''}: sshd ignores this line`,
      impact: d.info.key === 'protocol' ? 'none: only SSH protocol 2 exists since OpenSSH 7.4; the line only misleads readers' : 'none: the setting has no effect, whatever it was meant to do is not happening',
      fix: `remove the ${d.keyword} line`,
    });
  }

  // 3. MaxStartups / LoginGraceTime / PerSourceMaxStartups
  const ms = parseMaxStartups(val(e, 'maxstartups') ?? '10:30:100');
  const lgt = Number(val(e, 'logingracetime') ?? '120');
  const psms = val(e, 'persourcemaxstartups');
  if (ms) {
    const [begin, rate, full] = ms;
    const where = src(e, 'maxstartups');
    // sshd.c should_drop_connection(): nothing below `begin`; from `begin` on, drop with probability
    // rate% rising linearly to 100% at `full`; rate 100 drops everything from `begin` on.
    const lockAt = rate === 100 ? begin : full;
    const curve = begin === full || rate === 100
      ? `every new connection is dropped as soon as ${begin} are unauthenticated${rate === 100 && begin !== full ? ` (rate 100%: the ${full} never comes into play)` : ''}`
      : `once ${begin} connections are unauthenticated at the same time, each new one is dropped with probability ${rate}%, rising linearly to 100% at ${full} (at ${Math.round((begin + full) / 2)}: ${Math.round(rate + (100 - rate) * (Math.round((begin + full) / 2) - begin) / (full - begin))}%)`;
    const rateNeeded = lgt > 0 ? (lockAt / lgt).toFixed(2) : 'any';
    const sev: FindingSeverity = begin <= 3 || lockAt <= 10 ? 'warning' : 'info';
    const msAdvice = maxStartupsAdvice({ current: ms, ownUsersDropped: 0 });
    f.push({
      id: 'maxstartups',
      severity: sev,
      ...where,
      title: `MaxStartups ${ms.join(':')}: ${curve}`,
      impact:
        (lockAt === begin ? `${begin} idle connections (a scanner that connects and says nothing) lock every user out for up to LoginGraceTime (${lgt}s), ` : `${begin} idle connections (a scanner that connects and says nothing) are enough to start refusing new ones; ${full} held open for LoginGraceTime (${lgt}s) lock every user out, `) +
        `which takes only ${rateNeeded} new connection(s) per second. Refused clients see "kex_exchange_identification: Connection closed by remote host"` +
        (psms === 'none' || psms === undefined ? (cmpVersion(v, '8.5') >= 0 ? ', and one single address may hold all of them (PerSourceMaxStartups none)' : '') : `; one address may hold at most ${psms}`),
      ...(msAdvice ? advised(msAdvice) : { fix: 'nothing to change: at or above the default (raise it only when `sshwarden analyze` shows your own users being dropped)' }),
    });
  }
  const lgtAdvice = loginGraceTimeAdvice({ current: lgt });
  if (lgtAdvice) {
    const long = lgt === 0 || lgt > 120;
    f.push({ id: 'logingracetime', severity: long ? 'warning' : 'info', ...src(e, 'logingracetime'), title: `LoginGraceTime ${lgt === 0 ? '0 (no limit)' : `${lgt}s`}: an unauthenticated connection holds a MaxStartups slot ${lgt === 0 ? 'forever' : long ? 'for a long time' : 'that long'}`, impact: 'idle connections (scanners that connect and say nothing) fill MaxStartups and keep legitimate users out; since the CVE-2024-6387 fix sshd logs nothing when it expires', ...advised(lgtAdvice) });
  }
  const psmsAdvice = perSourceMaxStartupsAdvice({ version: v, current: psms ?? null, maxStartupsBegin: ms ? ms[0] : 10 });
  if (psmsAdvice) {
    f.push({ id: 'persourcemaxstartups', severity: 'info', file: null, line: null, title: 'PerSourceMaxStartups is not set: one address may use every MaxStartups slot', impact: 'a single scanner or a broken client that opens many connections makes sshd drop everybody else', ...advised(psmsAdvice) });
  }

  // 4. PerSourcePenalties
  const { pen, exempt } = penaltyLines(cfg);
  if (cmpVersion(v, '9.8') >= 0) {
    const { disabled: off, exemptSet } = penaltyState(cfg);
    const penAdvice = perSourcePenaltiesAdvice({ version: v, disabled: off, exemptSet });
    void exempt;
    if (off && penAdvice) f.push({ id: 'persourcepenalties-off', severity: 'info', ...at(pen), title: 'PerSourcePenalties is disabled', impact: 'sshd will not slow down addresses that crash it, fail to authenticate or never authenticate', ...advised(penAdvice) });
    else if (penAdvice) f.push({ id: 'persourcepenalties-exempt', severity: 'warning', ...at(pen ?? null), title: `PerSourcePenalties is on${pen ? '' : ' (default since 9.8)'} with no PerSourcePenaltyExemptList`, impact: 'your own monitoring, backup and CI hosts that reconnect quickly or fail authentication get refused for 15s-10min; they see "Connection closed by remote host" and the server logs "drop connection ... penalty"', ...advised(penAdvice) });
  }

  // 5. LogLevel
  const ll = val(e, 'loglevel') ?? 'INFO';
  const rank = ['QUIET', 'FATAL', 'ERROR', 'INFO', 'VERBOSE', 'DEBUG', 'DEBUG2', 'DEBUG3'].indexOf(ll === 'DEBUG1' ? 'DEBUG' : ll);
  if (rank < 4) {
    // What INFO hides, per release (reference: openssh-log-catalog.md)
    const hidden: string[] = ['"Connection from ADDR port P" (the only line that ties a connection\'s PID to its address before the banner exchange)'];
    if (cmpVersion(v, '8.4') < 0) hidden.push('every "drop connection ... past MaxStartups" line (VERBOSE only before 8.4)');
    else if (cmpVersion(v, '9.8') < 0) hidden.push('all but the first "past MaxStartups" drop of each episode');
    if (cmpVersion(v, '9.5') >= 0) hidden.push('the "kex_exchange_identification: ..." lines themselves (VERBOSE since 9.5)');
    if (cmpVersion(v, '9.8') >= 0 && cmpVersion(v, '10.1') < 0) hidden.push('the PerSourcePenalties "srclimit_penalise" lines (VERBOSE before 10.1)');
    // 8.0-8.2 log the address-less kex line and nothing after it; 8.3+ add an INFO follow-up line
    // with the address on the same PID, so only 8.0-8.2 leave the disconnect unattributable.
    const unattributable = cmpVersion(v, '8.0') >= 0 && cmpVersion(v, '8.3') < 0;
    if (unattributable) hidden.push('the address of a client that closes before identifying: "kex_exchange_identification: Connection closed by remote host" names none and no later line does, so it stays unattributed');
    f.push({
      id: 'loglevel',
      severity: rank < 3 || unattributable ? 'warning' : 'info',
      ...src(e, 'loglevel'),
      title: unattributable ? `LogLevel ${ll}: pre-auth disconnects cannot be attributed to an address` : `LogLevel ${ll}: the log hides part of each pre-auth connection's story`,
      impact: `at ${ll}, OpenSSH ${v} does not log ${hidden.join('; ')}` + (rank < 3 ? '; at this level even failed logins are not logged' : ''),
      ...advised(logLevelAdvice({ current: ll, why: unattributable ? 'leaves pre-auth disconnects without an address' : 'hides part of each pre-auth connection' })!),
    });
  } else if (rank > 4) {
    f.push({ id: 'loglevel-debug', severity: 'warning', ...src(e, 'loglevel'), title: `LogLevel ${ll} in production`, impact: 'DEBUG logging can log sensitive data and floods the logs', ...advised(logLevelAdvice({ current: ll })!) });
  }

  // 6. UseDNS
  const dnsAdvice = useDnsAdvice({ current: val(e, 'usedns') ?? null });
  if (dnsAdvice) {
    f.push({ id: 'usedns', severity: 'warning', ...src(e, 'usedns'), title: 'UseDNS yes: every connection waits for reverse DNS', impact: 'slow or broken DNS delays every login (and holds MaxStartups slots longer); "Match Host" and "from=" host names then depend on PTR records an attacker controls', ...advised(dnsAdvice) });
  }

  // 7. Listening vs configuration
  const ports = (e.get('port')?.values ?? ['22']).map(Number);
  if (ctx.socket && (ctx.socket.enabled || ctx.socket.active)) {
    const portDirs = cfg.directives.filter((d) => d.key === 'port' || d.key === 'listenaddress');
    f.push({ id: 'ssh-socket', severity: portDirs.length ? 'warning' : 'info', ...at(portDirs[0] ?? null), title: `systemd ssh.socket is ${ctx.socket.active ? 'active' : 'enabled'} (ListenStream=${ctx.socket.listenStreams.join(',') || '22'}): it, not sshd_config, decides where sshd listens`, impact: 'Port and ListenAddress in sshd_config are ignored by socket activation; users connecting to the configured port get "Connection refused"', fix: 'change ListenStream in a drop-in (systemctl edit ssh.socket), or disable ssh.socket and enable ssh.service' });
  }
  if (ctx.listeners) {
    // only the sshd started with this configuration (other sshd instances run their own files)
    const sshdL = ctx.listeners.filter((l) => l.process === 'sshd' && (l.config === undefined || l.config === cfg.root));
    if (sshdL.length) {
      const listening = new Set(sshdL.map((l) => l.port));
      const missing = ports.filter((p) => !listening.has(p));
      const extra = [...listening].filter((p) => !ports.includes(p));
      if (missing.length || extra.length) {
        f.push({ id: 'listen-mismatch', severity: 'warning', ...src(e, 'port'), title: `sshd listens on port(s) ${[...listening].join(',')} but the configuration says ${ports.join(',')}`, impact: 'the running sshd has not loaded this configuration (or socket activation overrides it): after the next restart clients on the old port get "Connection refused"', fix: 'reload sshd after checking the file (sshd -t && systemctl reload ssh), and tell users the new port' });
      }
    }
    const af = val(e, 'addressfamily');
    const la = cfg.directives.filter((d) => d.key === 'listenaddress' && d.valid);
    if (af === 'inet' && la.some((d) => d.args[0].includes(':') && (d.args[0].match(/:/g) ?? []).length > 1)) {
      f.push({ id: 'addressfamily', severity: 'warning', ...at(la[0]), title: 'AddressFamily inet with an IPv6 ListenAddress', impact: 'sshd cannot bind the IPv6 address; IPv6 clients get "Connection refused"', fix: 'AddressFamily any, or remove the IPv6 ListenAddress' });
    }
  }

  // 8. Algorithms: weak, Terrapin
  const lists: [AlgorithmKey, AlgorithmKeyword][] = [['kexalgorithms', 'KexAlgorithms'], ['ciphers', 'Ciphers'], ['macs', 'MACs'], ['hostkeyalgorithms', 'HostKeyAlgorithms']];
  const eff: Record<string, string[]> = {};
  for (const [k, name] of lists) {
    const list = (val(e, k) ?? '').split(',').filter(Boolean);
    eff[k] = list;
    const weak = list.filter((a) => algoInfo(a) && algoInfo(a)!.weakness !== 'ok');
    if (weak.length && e.get(k)?.source) {
      const broken = weak.filter((a) => algoInfo(a)!.weakness === 'broken');
      const algAdvice = placeAdvice(algorithmsAdvice(v, [{ keyword: name, defaults: defaultAlgorithms(k, v, ctx.defaults), wanted: list.filter((a) => !weak.includes(a)), removed: weak }]), placement);
      f.push({ id: `weak-${k}`, severity: broken.length ? 'warning' : 'info', ...src(e, k), title: `${name} enables weak algorithms: ${weak.map((a) => `${a} (${algoInfo(a)!.why ?? 'weak'})`).join(', ')}`, impact: 'clients that prefer them negotiate weaker protection than they could', ...(algAdvice ? { advice: algAdvice, fix: `${adviceFix(algAdvice)}, unless a named client needs one (run with --clients to check; --harden keeps what they need)` } : { fix: `remove them from ${name}` }) });
    }
  }
  const terrapinCipher = eff.ciphers.includes('chacha20-poly1305@openssh.com');
  const cbcEtm = eff.ciphers.some((c) => c.endsWith('-cbc')) && eff.macs.some((m) => m.includes('-etm@'));
  const strict = cmpVersion(v, '9.6') >= 0 || ctx.strictKexBackported === true;
  if (terrapinCipher || cbcEtm) {
    f.push({
      id: 'terrapin',
      severity: strict ? 'info' : 'warning',
      ...(e.get('ciphers')?.source ? src(e, 'ciphers') : { file: null, line: null }),
      title: `Terrapin (CVE-2023-48795): ${terrapinCipher ? 'chacha20-poly1305@openssh.com' : 'CBC ciphers with EtM MACs'} enabled; ${strict ? 'this sshd implements strict KEX, so clients that also do (OpenSSH 9.6+, PuTTY 0.80+, patched libraries) are protected' : `OpenSSH ${v} has no strict KEX (unless your distribution backported it)`}`,
      impact: strict ? 'only unpatched clients remain exposed to prefix truncation (e.g. downgraded extension negotiation)' : 'a man-in-the-middle can drop messages at the start of the encrypted session (e.g. disable keystroke-timing obfuscation, downgrade server-sig-algs)',
      fix: strict ? 'nothing on the server; update old clients' : terrapinCipher ? 'upgrade OpenSSH to 9.6+ (or a distribution build with strict KEX), or remove chacha20-poly1305@openssh.com from Ciphers' : 'upgrade OpenSSH to 9.6+, or remove the CBC ciphers (the *-etm@openssh.com MACs are only exposed together with CBC)',
    });
  }

  // 9. Client compatibility
  const hostKeyAlgs = hostKeyAlgorithmsFor(ctx.hostKeyTypes, eff.hostkeyalgorithms);
  const compat = ctx.clients.map((p) => negotiate(p, { kex: eff.kexalgorithms, hostKey: hostKeyAlgs, ciphers: eff.ciphers, macs: eff.macs, compression: ['none'] }));
  for (const c of compat) {
    if (c.ok) continue;
    const which = c.failure!.startsWith('no matching key exchange') ? 'kexalgorithms' : c.failure!.startsWith('no matching host key') ? 'hostkeyalgorithms' : c.failure!.startsWith('no matching cipher') ? 'ciphers' : 'macs';
    f.push({ id: 'client-incompatible', severity: 'error', ...src(e, which), title: `${c.profile} cannot connect: "${c.failure!.split('. ')[0]}"`, impact: `users of ${c.profile} with its default settings get "Unable to negotiate ...: ${c.failure!.split('. ')[0]}" and cannot log in`, fix: `add one algorithm ${c.profile} offers to ${which === 'kexalgorithms' ? 'KexAlgorithms' : which === 'hostkeyalgorithms' ? 'HostKeyAlgorithms (and a matching HostKey)' : which === 'ciphers' ? 'Ciphers' : 'MACs'}, or update the client (--harden does this)` });
  }

  // 10. Lock-outs
  lockouts(cfg, e, f);

  // 11. Match intent
  matchIntent(cfg, f);

  return { findings: f, compat };
}

function penaltyLines(cfg: ParsedConfig): { pen: Directive | undefined; exempt: Directive | undefined } {
  const pen = cfg.directives.find((d) => d.key === 'persourcepenalties' && d.block === null && d.valid);
  const exempt = cfg.directives.find((d) => d.key === 'persourcepenaltyexemptlist' && d.block === null && d.valid);
  return { pen, exempt };
}

/** PerSourcePenalties as the configuration sets it (not modelled in Effective: sshd -T prints it expanded). */
export function penaltyState(cfg: ParsedConfig): { disabled: boolean; exemptSet: boolean } {
  const { pen, exempt } = penaltyLines(cfg);
  return { disabled: pen !== undefined && ['no', 'none'].includes(pen.args[0]), exemptSet: exempt !== undefined };
}

function fixForDiagnostic(code: string): string {
  switch (code) {
    case 'global-in-match': return 'move the line above the first Match block (it applies to every connection or to none)';
    case 'unknown-keyword': return 'remove the line or fix the spelling (sshd_config(5) of your version lists the valid keywords)';
    case 'value': return 'fix the value (see sshd_config(5))';
    case 'bad-match': return 'fix the Match criteria: All, User, Group, Host, Address, LocalAddress, LocalPort (RDomain 7.7+, Invalid-User 9.9+, Version 10.0+; SessionType and Command are ssh_config (client) criteria)';
    case 'subsystem-duplicate': return 'keep one definition: delete this Subsystem line or the first one (before OpenSSH 9.5 sshd refuses two of the same name)';
    case 'subsystem-redefined': return 'delete this Subsystem line: it has no effect (the first definition of the name wins), or move the one you want first';
    case 'include-not-read': return 'run the audit as root (sudo) so it reads every file sshd reads';
    case 'include-loop': return 'remove the Include that points back to an including file';
    case 'include-unreadable': return 'make the file readable by root, or remove the Include';
    case 'include-too-large': return 'remove the Include or point it at the configuration meant: no sshd configuration is this large (a device, a log or a data file?)';
    case 'file-unreadable': return 'check the path';
    case 'binary-file': return 'restore the file from a backup: it is not text';
    default: return 'fix the line';
  }
}

function lockouts(cfg: ParsedConfig, e: Effective, f: Finding[]): void {
  const allow = e.get('allowusers')?.values ?? [];
  const deny = e.get('denyusers')?.values ?? [];
  const prl = e.get('permitrootlogin')?.values[0];
  if (allow.length && allow.every((u) => u.split('@')[0] === 'root') && prl === 'no') {
    f.push({ id: 'lockout-root', severity: 'error', ...src(e, 'allowusers'), title: 'AllowUsers lets in only root, and PermitRootLogin no refuses root', impact: 'nobody can log in', fix: 'add the admin users to AllowUsers, or allow root with PermitRootLogin prohibit-password' });
  }
  for (const u of allow) {
    const name = u.split('@')[0];
    if (deny.some((d) => d.split('@')[0] === name || d === '*')) f.push({ id: 'lockout-deny', severity: 'error', ...src(e, 'denyusers'), title: `${name} is both in AllowUsers and denied by DenyUsers`, impact: `${name} cannot log in (DenyUsers is checked first)`, fix: `remove ${name} from DenyUsers` });
  }
  if (deny.includes('*')) f.push({ id: 'lockout-deny-all', severity: 'error', ...src(e, 'denyusers'), title: 'DenyUsers * denies every user', impact: 'nobody can log in', fix: 'remove * from DenyUsers' });
  const am = e.get('authenticationmethods')?.values[0] ?? 'any';
  if (am !== 'any') {
    const enabled: Record<string, boolean> = {
      publickey: e.get('pubkeyauthentication')?.values[0] !== 'no',
      password: e.get('passwordauthentication')?.values[0] !== 'no',
      'keyboard-interactive': e.get('kbdinteractiveauthentication')?.values[0] !== 'no',
      hostbased: e.get('hostbasedauthentication')?.values[0] === 'yes',
      'gssapi-with-mic': true,
    };
    const lists = am.split(' ');
    const satisfiable = lists.some((l) => l.split(',').every((m) => enabled[m.split(':')[0]] !== false));
    if (!satisfiable) f.push({ id: 'lockout-authmethods', severity: 'error', ...src(e, 'authenticationmethods'), title: `AuthenticationMethods ${am} needs a method that is disabled`, impact: 'no login can complete (sshd also refuses to start on recent versions)', fix: 'enable the methods it lists, or change AuthenticationMethods' });
  }
  if (e.get('pubkeyauthentication')?.values[0] === 'no' && e.get('passwordauthentication')?.values[0] === 'no' && e.get('kbdinteractiveauthentication')?.values[0] === 'no' && e.get('hostbasedauthentication')?.values[0] !== 'yes') {
    f.push({ id: 'lockout-no-methods', severity: 'error', ...src(e, 'pubkeyauthentication'), title: 'public key, password and keyboard-interactive authentication are all off', impact: 'nobody can log in (except GSSAPI if set up)', fix: 'PubkeyAuthentication yes' });
  }
  void cfg;
}

function matchIntent(cfg: ParsedConfig, f: Finding[]): void {
  // Directives grouped by block once (per-block filtering made 100,000 Match blocks quadratic).
  const byBlock = new Map<unknown, Directive[]>();
  for (const d of cfg.directives) {
    if (d.key === 'match' || d.block === null) continue;
    let l = byBlock.get(d.block);
    if (!l) byBlock.set(d.block, (l = []));
    l.push(d);
  }
  for (const b of cfg.blocks) {
    if (b.match.errors.length) continue;
    const inBlock = byBlock.get(b) ?? [];
    const addrC = b.match.criteria.find((c) => c.attr === 'address');
    const broad = b.match.criteria.length === 1 && (b.match.criteria[0].attr === 'all' || (['address', 'user', 'host'].includes(b.match.criteria[0].attr) && (b.match.criteria[0].arg ?? '').split(',').some((p) => p === '*')));
    if (addrC) {
      const words = (addrC.arg ?? '').split(',').map((p) => p.replace(/^!/, '')).filter((p) => !/^[0-9a-fA-F.:*?/]+$/.test(p));
      if (words.length) f.push({ id: 'match-placeholder', severity: 'error', file: b.file, line: b.line, title: `Match Address contains ${words.map((w) => `"${w}"`).join(', ')}, which is not an address`, impact: 'the entry never matches any client, so the exception it was meant to make (e.g. for trusted hosts) does not exist', fix: 'replace it with the real addresses or CIDR blocks' });
    }
    for (const d of inBlock) {
      if (d.key === 'maxsessions' && d.args[0] === '0') {
        f.push({ id: 'match-maxsessions-0', severity: 'error', file: d.file, line: d.line, title: `MaxSessions 0 inside "Match ${b.match.criteria.map((c) => `${c.attr} ${c.arg ?? ''}`.trim()).join(' ')}"`, impact: `${broad ? 'every client' : 'every client this Match selects'} can still authenticate but gets no shell, no command and no sftp ("channel 0: open failed"); it does not block anything before authentication`, fix: 'to refuse addresses before authentication use a firewall, AllowUsers user@CIDR, or (9.9+) RefuseConnection yes in the Match block' });
      }
      if (d.key === 'passwordauthentication' && broad && d.args[0] === 'yes') f.push({ id: 'match-broad', severity: 'info', file: d.file, line: d.line, title: 'PasswordAuthentication yes in a Match block that matches everyone', impact: 'password logins are on for all users', fix: 'narrow the Match' });
    }
    void addrMatchList;
  }
}

/** Short textual explanation of the effective value of a keyword (for --effective). */
export function explainEffective(key: string, v: string[], source: { file: string; line: number } | null): string {
  const where = source ? `${source.file}:${source.line}` : 'default';
  return `${key} ${v.join(' ')}  (${where})`;
}
export { convtime, type Directive };
