/**
 * Explains an `ssh -v`/`-vv`/`-vvv` transcript: reads the facts (how far the connection got,
 * banner lines, both KEXINIT proposals, keys offered, ProxyJump), applies the line rules of
 * rules.ts, adds context to each match and ranks the findings, root cause first. Pure: text in,
 * explanation out.
 */
import { KEX_MARKERS, noteFor, CIPHER_NOTES, HOSTKEY_NOTES, KEX_NOTES, MAC_NOTES } from '../probe/algorithm-notes.ts';
import { CATEGORY_INFO, type Category } from '../probe/negotiation.ts';
import { LINE_RULES, SSH_OUTPUT_MARKERS, type FindingId } from './rules.ts';
import { withProbeTarget } from '../advice/probe.ts';
import type { Advice } from '../advice/types.ts';
import { adviceFix } from '../advice/sshd-drop-in.ts';
import { maxStartupsAdvice } from '../advice/maxstartups.ts';
import { perSourcePenaltiesAdvice } from '../advice/per-source-penalties.ts';
import { wrongServiceAdvice } from '../advice/wrong-service.ts';
import { supported, type AlgoKind } from '../sshd-config/algorithms.ts';
import { NEWEST } from '../sshd-config/keyword-table.ts';

export interface Evidence {
  readonly line: number;
  readonly text: string;
}

export interface Finding {
  readonly id: FindingId;
  readonly title: string;
  readonly meaning: string;
  readonly fix: string[];
  readonly details: Record<string, unknown>;
  readonly evidence: Evidence[];
  readonly priority: number;
  /** The change, as every command gives it (src/advice/). */
  readonly advice?: Advice[];
}

/** How far the connection got (JSON vocabulary). */
export type Stage = 'config' | 'dns' | 'tcp' | 'banner' | 'kex' | 'host_key' | 'auth' | 'session';

export interface Explanation {
  readonly client: string | null;
  /** Highest debug level seen (0 = not verbose). */
  readonly verbosity: number;
  readonly target: { host: string; address: string | null; port: number | null } | null;
  readonly stage: Stage;
  readonly headline: string;
  readonly ok: boolean;
  readonly findings: Finding[];
  /**
   * The ssh runs in the input (each starts at the version banner `ssh -v` prints first) and the
   * first line of the one explained: the last (several pasted runs are not mixed; the earlier ones
   * are ignored). A ProxyJump's own `ssh -v` banner belongs to the run that started it.
   */
  readonly runs: { total: number; from: number };
}

export class NotSshOutputError extends Error {}

interface Facts {
  readonly lines: string[];
  client: string | null;
  verbosity: number;
  target: Explanation['target'];
  established: number | null;
  remoteVersion: number | null;
  banner: { n: number; text: string; line: number }[];
  local: Partial<Record<Category, string[]>>;
  peer: Partial<Record<Category, string[]>>;
  offered: { key: string; line: number }[];
  accepted: { key: string; line: number }[];
  triedFiles: string[];
  authenticated: { host: string; line: number }[];
  proxyJump: { command: string; line: number } | null;
  channelFailure: { why: string; line: number } | null;
  stdioForwardFailed: number | null;
  serverHostKey: number | null;
  kexStarted: number | null;
  bannerInvalid: number | null;
}

const PROPOSAL_KEYS: ReadonlyArray<[RegExp, Category]> = [
  [/^debug2: KEX algorithms: (.*)$/, 'kex'],
  [/^debug2: host key algorithms: (.*)$/, 'hostKey'],
  [/^debug2: ciphers ctos: (.*)$/, 'ciphers'],
  [/^debug2: MACs ctos: (.*)$/, 'macs'],
  [/^debug2: compression ctos: (.*)$/, 'compression'],
];

/** The version banner `ssh -v` prints first: `OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0.x …`. */
const VERSION_BANNER = /^OpenSSH_\S+(?: [^,]+)?, /;
/** A proxy command that is itself a verbose ssh (ProxyJump's `ssh -v… -W …`): its banner comes inside this run. */
const VERBOSE_SSH_PROXY = /^debug1: Executing proxy command: (?:exec )?(?:\S*\/)?ssh\s(?:.*\s)?-v+(?:\s|$)/;

/**
 * Where each ssh run starts (0-based line indexes; lines before the first banner belong to the
 * first run). A banner that a verbose ssh proxy command of the current run owes is not a new run.
 */
function runStarts(lines: readonly string[]): number[] {
  const starts: number[] = [];
  let owed = 0;
  lines.forEach((l, i) => {
    if (VERSION_BANNER.test(l)) {
      if (owed > 0) owed--;
      else starts.push(i);
    } else if (VERBOSE_SSH_PROXY.test(l)) owed++;
  });
  if (starts.length === 0) return [0];
  // Text before the first banner (a shell prompt, the command) is part of the first run.
  starts[0] = 0;
  return starts;
}

function readFacts(lines: string[]): Facts {
  const f: Facts = {
    lines,
    client: null,
    verbosity: 0,
    target: null,
    established: null,
    remoteVersion: null,
    banner: [],
    local: {},
    peer: {},
    offered: [],
    accepted: [],
    triedFiles: [],
    authenticated: [],
    proxyJump: null,
    channelFailure: null,
    stdioForwardFailed: null,
    serverHostKey: null,
    kexStarted: null,
    bannerInvalid: null,
  };
  let proposal: 'local' | 'peer' | null = null;
  lines.forEach((l, i) => {
    const n = i + 1;
    let m: RegExpExecArray | null;
    if (f.client === null && (m = /^(OpenSSH_\S+(?: [^,]+)?), /.exec(l))) f.client = m[1];
    if ((m = /^debug([123]): /.exec(l))) f.verbosity = Math.max(f.verbosity, Number(m[1]));
    if ((m = /^debug1: Connecting to (\S+) \[([^\]]+)\] port (\d+)\.$/.exec(l))) f.target = { host: m[1], address: m[2], port: Number(m[3]) };
    if (!f.target && (m = /^ssh: connect to host (\S+) port (\d+): /.exec(l))) f.target = { host: m[1], address: null, port: Number(m[2]) };
    if (/^debug1: Connection established\.$/.test(l)) f.established = n;
    if (/^debug1: Remote protocol version [0-9.]+, remote software version /.test(l)) f.remoteVersion = n;
    if ((m = /^debug1: kex_exchange_identification: banner line (\d+): ?(.*)$/.exec(l))) f.banner.push({ n: Number(m[1]), text: m[2], line: n });
    if (/^kex_exchange_identification: banner line contains invalid characters$/.test(l)) f.bannerInvalid = n;
    if (/^debug2: local client KEXINIT proposal$/.test(l)) proposal = 'local';
    else if (/^debug2: peer server KEXINIT proposal$/.test(l)) proposal = 'peer';
    else if (proposal) {
      for (const [re, cat] of PROPOSAL_KEYS) {
        const pm = re.exec(l);
        if (pm) (proposal === 'local' ? f.local : f.peer)[cat] = pm[1].split(',').filter(Boolean);
      }
      if (/^debug2: reserved /.test(l)) proposal = null;
    }
    if (/^debug1: SSH2_MSG_KEXINIT (sent|received)$/.test(l) && f.kexStarted === null) f.kexStarted = n;
    if (/^debug1: Server host key: /.test(l)) f.serverHostKey = n;
    if ((m = /^debug1: Offering public key: (.+)$/.exec(l))) f.offered.push({ key: m[1], line: n });
    if ((m = /^debug1: Server accepts key: (.+)$/.exec(l))) f.accepted.push({ key: m[1], line: n });
    if ((m = /^debug1: Trying private key: (\S+)$/.exec(l))) f.triedFiles.push(m[1]);
    if ((m = /^Authenticated to (\S+) /.exec(l))) f.authenticated.push({ host: m[1], line: n });
    if ((m = /^debug1: Setting implicit ProxyCommand from ProxyJump: (.+)$/.exec(l))) f.proxyJump = { command: m[1], line: n };
    if ((m = /^channel \d+: open failed: (.+)$/.exec(l))) f.channelFailure = { why: m[1], line: n };
    if (/^stdio forwarding failed$/.test(l)) f.stdioForwardFailed = n;
  });
  return f;
}

function isSshOutput(f: Facts): boolean {
  return f.lines.some((l) => SSH_OUTPUT_MARKERS.some((re) => re.test(l)) || LINE_RULES.some((r) => r.pattern.test(l)));
}

const CATEGORY_OF: Readonly<Record<string, Category>> = {
  'key exchange method': 'kex',
  'host key type': 'hostKey',
  cipher: 'ciphers',
  MAC: 'macs',
  mac: 'macs',
  'compression method': 'compression',
  comp: 'compression',
};

/** The sshd_config algorithm kind of each negotiated category (compression has none). */
const SSHD_KIND: Readonly<Partial<Record<Category, AlgoKind>>> = { kex: 'kex', hostKey: 'key', ciphers: 'cipher', macs: 'mac' };

/**
 * The server side of "no matching …": an example from the client's offer that a current sshd
 * can enable, strong ones first; a weak one is named as weak; when the client offers nothing a
 * current sshd knows, the fix is on the client.
 */
function serverFix(cat: Category, ours: readonly string[]): string {
  const info = CATEGORY_INFO[cat];
  const check = `check with \`sshd -T | grep -i ${info.option.toLowerCase()}\`, and run \`sshwarden audit\` there`;
  const kind = SSHD_KIND[cat];
  if (ours.length === 0 || kind === undefined) return `server: add one your client offers to \`${info.option}\` in sshd_config${ours.length ? ` (e.g. ${ours.slice(0, 2).join(', ')})` : ''}, ${check}`;
  const known = new Set(supported(kind, NEWEST));
  const enableable = ours.filter((a) => known.has(a));
  const strong = enableable.filter((a) => !noteFor(notesOf(cat), a));
  if (strong.length > 0) return `server: add one your client offers to \`${info.option}\` in sshd_config (e.g. ${strong.slice(0, 2).join(', ')}), ${check}`;
  if (enableable.length > 0) {
    const weak = enableable[0];
    const why = (a: string) => `${a}: ${noteFor(notesOf(cat), a)!.why}`;
    const which = enableable.length === 1 ? `it is the only one your client offers that a current sshd can enable, and it is weak — ${why(weak)}` : `every one your client offers that a current sshd can enable is weak — ${enableable.slice(0, 3).map(why).join('; ')}`;
    return `server: only as a stopgap, add \`${info.option} +${weak}\` to sshd_config: ${which}; ${check}. Better: upgrade the client or configure it to offer a stronger one (\`ssh -Q ${info.queryName}\` lists what it can do)`;
  }
  return `server: none of the ${info.label} algorithms your client offers (${ours.slice(0, 4).join(', ')}${ours.length > 4 ? ', …' : ''}) is one a current sshd (OpenSSH ${NEWEST}) can enable: the fix is on the client — upgrade it, or configure it to offer one of the server's (\`ssh -Q ${info.queryName}\` lists what it can do)`;
}

function notesOf(cat: Category) {
  return cat === 'kex' ? KEX_NOTES : cat === 'hostKey' ? HOSTKEY_NOTES : cat === 'ciphers' ? CIPHER_NOTES : cat === 'macs' ? MAC_NOTES : {};
}

function stageOf(f: Facts, findings: Finding[]): Stage {
  const ids = new Set(findings.map((x) => x.id));
  if (ids.has('bad_config') || ids.has('bad_permissions')) return 'config';
  if (ids.has('name_not_resolved')) return 'dns';
  if (f.proxyJump && (f.channelFailure || f.stdioForwardFailed)) return 'tcp';
  if (f.authenticated.length > 0 && !f.proxyJump) return 'session';
  if (f.offered.length > 0 || ids.has('permission_denied') || ids.has('too_many_auth_failures')) return 'auth';
  if (f.serverHostKey !== null || ids.has('host_key_changed') || ids.has('host_key_unknown')) return 'host_key';
  if (f.kexStarted !== null || f.remoteVersion !== null || ids.has('no_matching_algorithm')) return 'kex';
  if (f.established !== null || f.banner.length > 0) return 'banner';
  return 'tcp';
}

/**
 * Binary data is not a transcript, even when a few bytes of it happen to spell a known line:
 * more than 1 % control characters (other than tab, CR, LF, ESC) or undecodable bytes.
 */
function looksBinary(text: string): boolean {
  let odd = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 27) || c === 127 || c === 0xfffd) odd++;
  }
  return odd > 16 && odd > text.length / 100;
}

export function explainTranscript(text: string): Explanation {
  if (looksBinary(text)) throw new NotSshOutputError('binary data, not ssh output; capture it with `ssh -vvv user@host 2>&1`');
  // Several pasted runs: only the last (what was most likely just run) is read. The earlier ones'
  // lines are blanked, not removed, so evidence line numbers stay those of the input.
  const all = text.replace(/\r/g, '').split('\n');
  const starts = runStarts(all);
  const from = starts[starts.length - 1];
  const f = readFacts(from === 0 ? all : all.map((l, i) => (i < from ? '' : l)));
  const runText = from === 0 ? text : all.slice(from).join('\n');
  if (!isSshOutput(f)) throw new NotSshOutputError('does not look like ssh output (expected lines such as "debug1: Connecting to …", "ssh: connect to host …" or "Permission denied (…)"); capture it with `ssh -vvv user@host 2>&1`');
  const found = new Map<FindingId, Finding>();
  const add = (id: FindingId, fd: Omit<Finding, 'id'>) => {
    const prev = found.get(id);
    if (prev) prev.evidence.push(...fd.evidence.filter((e) => !prev.evidence.some((p) => p.line === e.line)));
    else found.set(id, { id, ...fd });
  };

  f.lines.forEach((l, i) => {
    for (const r of LINE_RULES) {
      const m = r.pattern.exec(l);
      if (!m) continue;
      const g = m.groups ?? {};
      const details: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (v !== undefined) details[k.replace(/2$/, '')] = v;
      let title = r.title;
      let meaning = r.meaning;
      let fix = [...r.fix];
      if (r.id === 'no_matching_algorithm') {
        const cat = CATEGORY_OF[(g.what ?? g.what2) as string] ?? 'kex';
        const info = CATEGORY_INFO[cat];
        const theirs = (g.offer ?? g.server ?? '').split(',').filter((a) => a && !KEX_MARKERS.has(a));
        const ours = (f.local[cat] ?? (g.client ? g.client.split(',') : [])).filter((a) => !KEX_MARKERS.has(a));
        const weak = theirs.filter((a) => noteFor(notesOf(cat), a));
        details.category = cat;
        details.serverOffer = theirs;
        details.clientOffer = ours;
        title = `no matching ${info.sshMessage}: your client and the server share no ${info.label} algorithm`;
        meaning = `the server offers ${theirs.join(', ') || '(nothing)'}; ${ours.length ? `your client offers ${ours.join(', ')}` : 'your client\'s offer is not in this transcript (use -vv to see it)'}`;
        fix = [
          cat === 'compression'
            ? 'client: `-o Compression=no` (or yes); server: `Compression` in sshd_config'
            : `client, if it supports one of the server's: \`ssh -Q ${info.queryName}\` lists what it can do, then \`ssh -o ${info.option}=+${theirs[0] ?? 'ALG'} …\` (or in ~/.ssh/config under \`Host\`)${weak.length ? ` — ${weak.join(', ')} ${weak.length > 1 ? 'are' : 'is'} weak (${noteFor(notesOf(cat), weak[0])!.why}): better fix the server` : ''}`,
          serverFix(cat, ours),
        ];
      }
      add(r.id, { title, meaning, fix, details, evidence: [{ line: i + 1, text: l }], priority: r.priority });
    }
  });

  // Closed before the SSH identification: read the banner lines (the seed's nginx case) and the refusal texts.
  // Closed (FIN) or reset (RST: the server closed with our identification unread) before the SSH identification.
  const closedAt = f.lines.findIndex((l) => /^(debug1: )?(kex|ssh)_exchange_identification: (Connection closed by remote host|(read|write): (Connection reset by peer|Broken pipe))$/.test(l));
  const wasReset = closedAt >= 0 && /(reset by peer|Broken pipe)$/.test(f.lines[closedAt]);
  const jumpFailed = f.proxyJump !== null && (f.channelFailure !== null || f.stdioForwardFailed !== null);
  if (closedAt >= 0 && !jumpFailed) {
    const ev: Evidence[] = [...(f.established ? [{ line: f.established, text: f.lines[f.established - 1] }] : []), ...f.banner.slice(0, 3).map((b) => ({ line: b.line, text: f.lines[b.line - 1] })), { line: closedAt + 1, text: f.lines[closedAt] }];
    const first = f.banner[0]?.text ?? '';
    const refusal = f.banner.find((b) => /^(Exceeded MaxStartups|Not allowed at this time)$/.test(b.text));
    if (/^HTTP\/[0-9.]+ \d{3}/.test(first)) {
      const server = f.banner.find((b) => /^Server:/i.test(b.text))?.text.replace(/^Server:\s*/i, '') ?? null;
      const wrong = f.target ? wrongServiceAdvice({ host: f.target.host, port: f.target.port, service: `HTTP${server ? ` (${server})` : ''}` }) : null;
      add('http_banner', {
        title: `the port answers HTTP${server ? ` (${server})` : ''}, not SSH: wrong port or port translation`,
        meaning: `a web server answered your SSH identification with "${first}"${server ? ` (Server: ${server})` : ''}: you reached a web server, not sshd`,
        fix: ['use the port sshd really listens on (`ss -ltnp | grep sshd` on the server; `ssh -p PORT`)', 'or fix the port forward / NAT / load balancer that sends this port to the web server', `check with \`${wrong?.verify[0] ?? 'sshwarden probe HOST:PORT'}\``],
        ...(wrong ? { advice: [wrong] } : {}),
        details: { status: first, server },
        evidence: ev,
        priority: 5,
      });
    } else if (refusal) {
      const penalties = refusal.text === 'Not allowed at this time';
      const raise = maxStartupsAdvice({ current: null, ownUsersDropped: 1 })!;
      const exempt = perSourcePenaltiesAdvice({ version: '9.8', disabled: false, exemptSet: false });
      add('maxstartups_refusal', {
        title: `sshd refused the connection before its banner: "${refusal.text}"`,
        meaning: penalties
          ? 'OpenSSH 9.8+ refuses with this text when MaxStartups is exceeded or your address is penalised by PerSourcePenalties (failed logins, connections without authentication)'
          : 'OpenSSH 8.2–9.7 sends this when too many unauthenticated connections are open (MaxStartups random early drop): scanners or bursts of your own automation',
        fix: penalties
          ? ['wait for the penalty to expire (15 s to 10 min) or add your address to `PerSourcePenaltyExemptList`', 'server log: `drop connection … penalty:` / `srclimit_penalise` (`sshwarden analyze` there)', `if it is load, on the server: ${adviceFix(raise)}`]
          : ['retry with backoff; reuse connections (ControlMaster/ControlPersist)', `on the server: ${adviceFix(raise)}, and block scanners (\`sshwarden guard\`)`, 'measure it: `sshwarden probe HOST --repeat 20`'],
        advice: penalties && exempt ? [exempt, raise] : [raise],
        details: { text: refusal.text },
        evidence: ev,
        priority: 5,
      });
    } else if (f.banner.length > 0 || f.bannerInvalid !== null) {
      add('non_ssh_banner', {
        title: 'the port answers with something that is not SSH',
        meaning: `the server sent ${f.banner.length ? `"${first}"` : 'binary data (TLS or another protocol)'} instead of an SSH identification`,
        fix: ['check the port (`ssh -p PORT`) and any port forward; `sshwarden probe HOST:PORT` names the protocol'],
        details: { lines: f.banner.slice(0, 5).map((b) => b.text) },
        evidence: ev,
        priority: 5,
      });
    } else if (!wasReset) {
      add('closed_before_banner', {
        title: 'connected, then the server side closed before sending any SSH banner',
        meaning:
          'TCP connected ("Connection established"), but the connection was closed before "Remote protocol version": something accepted and closed — a port forward or container with nothing behind it, TCP wrappers (hosts.deny), a ban acting after accept, MaxStartups on an old sshd (≤ 7.9 closes silently), or sshd crashing at start',
        fix: ['`sshwarden probe HOST` from here tells these apart (timing, FIN/RST, repeat)', 'on the server: `sshwarden audit`, and the log at that time (`sshwarden analyze`: kex_exchange_identification / refused connect / drop connection)', 'is sshd running behind the forward (`docker ps`, `ss -ltnp` inside the container)?'],
        details: {},
        evidence: ev,
        priority: 5,
      });
    }
  }
  if (wasReset && ['http_banner', 'maxstartups_refusal', 'non_ssh_banner'].some((id) => found.has(id as FindingId))) found.delete('reset_before_banner');
  if (f.bannerInvalid !== null && closedAt < 0) {
    add('non_ssh_banner', { title: 'the port answers with something that is not SSH', meaning: 'ssh received binary data (TLS or another protocol) instead of an SSH identification', fix: ['check the port; `sshwarden probe HOST:PORT` names the protocol'], details: {}, evidence: [{ line: f.bannerInvalid, text: f.lines[f.bannerInvalid - 1] }], priority: 5 });
  }

  if (jumpFailed) {
    const why = f.channelFailure?.why ?? 'the bastion could not open the forward';
    const prohibited = /administratively prohibited/.test(why);
    add('proxyjump_failed', {
      title: `ProxyJump: the bastion could not connect to the target (${why})`,
      meaning: prohibited
        ? 'you reached and logged in to the bastion, but it forbids forwarding (`AllowTcpForwarding no`, `PermitOpen`, or a `Match` block on the bastion)'
        : 'you reached and logged in to the bastion, but the bastion\'s own connection to the target failed; the "kex_exchange_identification: Connection closed" and "UNKNOWN port 65535" lines that follow are consequences, not the cause',
      fix: prohibited
        ? ['on the bastion: allow forwarding for you (`AllowTcpForwarding yes`, `PermitOpen`), check with `sshd -T -C user=YOU | grep -Ei "allowtcpforwarding|permitopen"`']
        : ['test from the bastion itself: `ssh bastion nc -vz TARGET 22` (or `sshwarden probe TARGET` there)', 'the target name must resolve on the bastion (its DNS / /etc/hosts, not yours)', 'check the target\'s firewall for the bastion\'s address'],
      details: { proxyCommand: f.proxyJump!.command, channelFailure: why },
      evidence: [f.proxyJump!, ...(f.channelFailure ? [f.channelFailure] : []), ...(f.stdioForwardFailed ? [{ line: f.stdioForwardFailed, text: 'stdio forwarding failed' }] : [])].map((e) => ({ line: e.line, text: f.lines[e.line - 1] })),
      priority: 0,
    });
  }

  // Context for "Permission denied".
  const pd = found.get('permission_denied');
  if (pd) {
    const methods = String(pd.details.methods ?? '').split(',').filter(Boolean);
    const notes: string[] = [];
    const fix: string[] = [];
    if (!methods.includes('publickey')) notes.push(`the server does not accept public keys for this user (it allows: ${methods.join(', ') || 'nothing'}: \`AuthenticationMethods\`, \`PubkeyAuthentication no\`, or a Match block)`);
    else if (f.offered.length === 0 && f.accepted.length === 0) {
      notes.push(`ssh had no key to offer${f.triedFiles.length ? ` (it looked for ${f.triedFiles.length} default key files and found none usable)` : ''}`);
      fix.push('create a key (`ssh-keygen -t ed25519`) and install it: `ssh-copy-id user@host`', 'or name it: `ssh -i ~/.ssh/KEY user@host`');
    } else if (f.accepted.length === 0) {
      notes.push(`the server rejected every key offered (${f.offered.length}): the matching public key is not in the user's authorized_keys on the server, sshd ignores that file (StrictModes: owner/permissions of ~ and ~/.ssh, or AuthorizedKeysFile elsewhere), or the user name is wrong`);
      fix.push('install the key: `ssh-copy-id -i ~/.ssh/KEY.pub user@host`; check `chmod 700 ~/.ssh; chmod 600 ~/.ssh/authorized_keys` on the server', 'the server log says which: `Authentication refused: bad ownership`, `Failed publickey for`, `Invalid user` (`sshwarden analyze` there)');
    } else notes.push('the server accepted a key but the signature was not made (see the finding above)');
    if (methods.includes('password') && /BatchMode=yes|batch mode/i.test(runText)) notes.push('password authentication was not tried: BatchMode forbids prompting');
    found.set('permission_denied', {
      ...pd,
      title: `Permission denied (${methods.join(',')}): ${notes[0]}`,
      meaning: notes.join('; '),
      fix: fix.length ? fix : ['see the findings above; the server log has the reason (`sshwarden analyze` there)'],
      details: { ...pd.details, methods, keysOffered: f.offered.map((o) => o.key), keysAccepted: f.accepted.map((o) => o.key) },
      evidence: [...f.offered.map((o) => ({ line: o.line, text: f.lines[o.line - 1] })), ...pd.evidence],
    });
  }
  const tm = found.get('too_many_auth_failures');
  if (tm) found.set('too_many_auth_failures', { ...tm, meaning: `${tm.meaning}; this run offered ${f.offered.length} key(s) before the disconnect`, details: { ...tm.details, keysOffered: f.offered.map((o) => o.key) } });
  // A refused connect after a failed proxy jump, or the "UNKNOWN port 65535" close, is a consequence.
  if (jumpFailed) found.delete('closed_by_server');
  // Generic closes only matter when nothing more specific explains them.
  if ([...found.values()].some((x) => x.priority < 30)) found.delete('closed_by_server');

  let findings = [...found.values()].sort((a, b) => a.priority - b.priority || a.evidence[0].line - b.evidence[0].line);
  const authed = f.authenticated.length > 0 && !jumpFailed;
  if (findings.length === 0 && authed) {
    const a = f.authenticated[f.authenticated.length - 1];
    findings = [{ id: 'success', title: `logged in to ${a.host}`, meaning: 'key exchange, host key check and authentication all succeeded', fix: [], details: {}, evidence: [{ line: a.line, text: f.lines[a.line - 1] }], priority: 100 }];
  }
  // The advice names the real host and port (`sshwarden probe HOST:PORT` → `sshwarden probe example.org:2222`).
  const target = f.target;
  if (target !== null) findings = findings.map((x) => ({ ...x, fix: x.fix.map((t) => withProbeTarget(t, target)) }));
  const stage = stageOf(f, findings);
  const ok = findings.length > 0 && findings[0].id === 'success';
  const headline =
    findings[0]?.title ??
    (f.verbosity === 0 ? 'no known failure in this output; run ssh with -vvv for details' : `no known failure in this transcript (it stopped at the ${stage} stage); the server log may tell more`);
  return { client: f.client, verbosity: f.verbosity, target: f.target, stage, headline, ok, findings, runs: { total: starts.length, from: from + 1 } };
}
