/**
 * From raw attempt observations to a report: what each attempt was, per address what
 * happened (with shares over repeats), the SSH details when the server spoke SSH, and a
 * verdict with ranked causes and evidence. Pure: the observations come in, nothing is read.
 */
import type { AttemptResult, TlsSniff } from './attempt.ts';
import { classifyGreeting, printable, splitLines, type Greeting } from './greeting.ts';
import type { GreetingKind } from './greeting-rules.ts';
import { CATEGORY_INFO, negotiate, serverOffer, terrapin, weakAlgorithms, type ClientOffer, type Compatibility, type ServerOffer, type Terrapin, type WeakAlgorithm } from './negotiation.ts';
import type { SshIdentification } from './ssh-wire.ts';
import { CAUSES, type VerdictId } from './verdict-rules.ts';
import type { Advice } from '../advice/types.ts';
import { maxStartupsAdvice } from '../advice/maxstartups.ts';
import { perSourcePenaltiesAdvice } from '../advice/per-source-penalties.ts';
import { wrongServiceAdvice } from '../advice/wrong-service.ts';

/** What one attempt amounted to (JSON vocabulary: add, never rename). */
export type AttemptKind =
  | 'ssh' // an SSH identification came
  | 'ssh_refused' // OpenSSH's refusal text (MaxStartups / penalties)
  | 'ssh_rejected_us' // OpenSSH said our identification or protocol is wrong
  | 'wrong_service' // another protocol answered
  | 'closed_without_banner' // FIN without a byte
  | 'reset_without_banner' // RST without a byte
  | 'silent' // no byte until our timeout
  | 'refused'
  | 'no_answer'
  | 'unreachable'
  | 'connect_error';

export interface AttemptSummary {
  readonly kind: AttemptKind;
  readonly connectMs: number;
  readonly errno?: string;
  /** Milliseconds from connect to the first byte, or null. */
  readonly firstByteMs: number | null;
  /** How the connection ended and when (ms after connect). */
  readonly close: { how: string; afterConnectMs: number; afterOurIdentification: boolean } | null;
  readonly greeting: Greeting | null;
  /** One line per observation, e.g. `connected in 1 ms`, `received "Exceeded MaxStartups"`, `closed by server (FIN) 2 ms after connect, before our identification`. */
  readonly evidence: string[];
}

export interface SshDetails {
  readonly identification: SshIdentification;
  /** Text lines the server sent before its identification (RFC 4253 allows them). */
  readonly preIdentificationLines: string[];
  readonly algorithms: ServerOffer | null;
  readonly kexinitError: string | null;
  readonly compatibility: Compatibility | null;
  readonly weak: WeakAlgorithm[];
  readonly terrapin: Terrapin | null;
}

export interface Cause {
  readonly id: string;
  readonly text: string;
  readonly check: string;
  /** The change, as every command gives it (src/advice/). */
  readonly advice?: Advice;
}

export interface AddressReport {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly attempts: number;
  /** Attempts per kind. */
  readonly counts: Partial<Record<AttemptKind, number>>;
  /** Refusal texts seen, with counts (e.g. `Exceeded MaxStartups: 9`). */
  readonly refusalTexts: Record<string, number>;
  readonly verdict: VerdictId;
  readonly headline: string;
  /** The first attempt in full, plus the first attempt of each other kind. */
  readonly examples: AttemptSummary[];
  readonly ssh: SshDetails | null;
  /** The extra TLS handshake made when the port stayed silent or closed on our identification. */
  readonly tlsSniff: TlsSniff | null;
}

export interface Verdict {
  readonly id: VerdictId;
  readonly ok: boolean;
  readonly headline: string;
  readonly causes: Cause[];
  readonly evidence: string[];
}

const REFUSAL_KINDS = new Set<GreetingKind>(['openssh_maxstartups', 'openssh_not_allowed']);
const REJECTED_KINDS = new Set<GreetingKind>(['openssh_invalid_ident', 'openssh_protocol_mismatch']);

function closeText(how: string): string {
  return how === 'fin' ? 'closed by the server (FIN)' : how === 'rst' ? 'reset by the server (RST)' : how === 'timeout' ? 'no more data until our timeout' : how === 'deadline' ? 'still sending when our timeout ran out (a slow trickle)' : how === 'done' ? 'we closed' : 'ended with an error';
}

export function summariseAttempt(a: AttemptResult): AttemptSummary {
  const evidence: string[] = [];
  const c = a.connect;
  if (c.outcome !== 'connected') {
    const kind: AttemptKind = c.outcome === 'refused' ? 'refused' : c.outcome === 'timeout' ? 'no_answer' : c.outcome === 'unreachable' ? 'unreachable' : 'connect_error';
    const what =
      kind === 'refused'
        ? `connection refused after ${c.ms} ms (RST or ICMP port unreachable to our SYN${c.errno ? `, ${c.errno}` : ''})`
        : kind === 'no_answer'
          ? `no answer to our SYN within ${c.ms} ms`
          : kind === 'unreachable'
            ? `unreachable after ${c.ms} ms (${c.errno})`
            : `connect failed after ${c.ms} ms (${c.errno})`;
    evidence.push(what);
    return { kind, connectMs: c.ms, errno: c.errno, firstByteMs: null, close: null, greeting: null, evidence };
  }
  evidence.push(`TCP connected in ${c.ms} ms`);
  const since = (ms: number) => Math.max(0, ms - c.ms);
  const firstByte = a.firstByteMs === null ? null : since(a.firstByteMs);
  const close = a.close
    ? { how: a.close.how, afterConnectMs: since(a.close.ms), afterOurIdentification: a.sentIdentMs !== null && a.sentIdentMs <= a.close.ms }
    : null;
  const greeting = classifyGreeting(a.preIdent);
  let kind: AttemptKind;
  if (a.ident) {
    kind = 'ssh';
    for (const l of splitLines(a.preIdent.toString('latin1')).slice(0, 3)) evidence.push(`pre-identification line "${printable(l)}"`);
    evidence.push(`SSH identification "${printable(a.ident.line)}" ${firstByte} ms after connect`);
  } else if (greeting) {
    kind = REFUSAL_KINDS.has(greeting.kind) ? 'ssh_refused' : REJECTED_KINDS.has(greeting.kind) ? 'ssh_rejected_us' : 'wrong_service';
    evidence.push(`received ${greeting.lines.slice(0, 3).map((l) => `"${l}"`).join(', ')} ${firstByte} ms after connect (${greeting.kind})`);
  } else if (close?.how === 'fin') kind = 'closed_without_banner';
  else if (close?.how === 'rst') kind = 'reset_without_banner';
  else kind = 'silent';
  if (close && !(kind === 'ssh' && close.how === 'done')) {
    evidence.push(`${closeText(close.how)} ${close.afterConnectMs} ms after connect, ${close.afterOurIdentification ? 'after' : 'before'} we sent our identification`);
  }
  return { kind, connectMs: c.ms, firstByteMs: firstByte, close, greeting, evidence };
}

function sshDetails(a: AttemptResult, client: ClientOffer | null): SshDetails | null {
  if (!a.ident) return null;
  const algorithms = a.kexinit ? serverOffer(a.kexinit) : null;
  return {
    identification: a.ident,
    preIdentificationLines: splitLines(a.preIdent.toString('latin1')).slice(0, 8).map(printable),
    algorithms,
    kexinitError: a.kexinit
      ? null
      : (a.kexinitError ??
        (a.close?.how === 'deadline'
          ? 'no complete KEXINIT within our timeout (the server sent too slowly)'
          : a.close?.how === 'timeout'
            ? 'the server sent no KEXINIT before our timeout'
            : 'the server closed before sending its KEXINIT')),
    compatibility: algorithms && client ? negotiate(client, algorithms) : null,
    weak: algorithms ? weakAlgorithms(algorithms) : [],
    terrapin: algorithms ? terrapin(algorithms) : null,
  };
}

function pct(n: number, of: number): string {
  return `${n}/${of} (${Math.round((100 * n) / of)}%)`;
}

/** Summarises every attempt made to one address. `attempts` are in start order. */
/** Does this attempt call for a second look with TLS (silent, or closed only once we spoke)? */
export function wantsTlsSniff(a: AttemptResult): boolean {
  const s = summariseAttempt(a);
  return s.kind === 'silent' || ((s.kind === 'closed_without_banner' || s.kind === 'reset_without_banner') && s.close?.afterOurIdentification === true);
}

export function reportAddress(attempts: readonly AttemptResult[], client: ClientOffer | null, tlsSniff: TlsSniff | null = null): AddressReport {
  const first = attempts[0];
  const summaries = attempts.map(summariseAttempt);
  const counts: Partial<Record<AttemptKind, number>> = {};
  const refusalTexts: Record<string, number> = {};
  for (const s of summaries) {
    counts[s.kind] = (counts[s.kind] ?? 0) + 1;
    if (s.kind === 'ssh_refused' && s.greeting) refusalTexts[s.greeting.lines[0]] = (refusalTexts[s.greeting.lines[0]] ?? 0) + 1;
  }
  const sshAttempt = attempts.find((a) => a.ident && a.kexinit) ?? attempts.find((a) => a.ident) ?? null;
  const ssh = sshAttempt ? sshDetails(sshAttempt, client) : null;
  const n = attempts.length;
  const kinds = Object.keys(counts) as AttemptKind[];
  const examples: AttemptSummary[] = [];
  for (const k of kinds) examples.push(summaries.find((s) => s.kind === k)!);

  let verdict: VerdictId;
  let headline: string;
  const refused = counts.ssh_refused ?? 0;
  const where = `${first.family === 6 ? `[${first.address}]` : first.address}:${first.port}`;
  if (refused > 0) {
    verdict = 'ssh_throttled';
    const texts = Object.keys(refusalTexts).map((t) => `"${t}"`).join(', ');
    headline = `${where}: sshd refused ${pct(refused, n)} of the attempts with ${texts}${counts.ssh ? `; ${pct(counts.ssh, n)} got an SSH banner` : ''}`;
  } else if (kinds.length > 1) {
    verdict = 'intermittent';
    headline = `${where}: attempts ended differently: ${kinds.map((k) => `${k} ${pct(counts[k]!, n)}`).join(', ')}`;
  } else {
    const k = kinds[0];
    const ex = examples[0];
    if (tlsSniff?.tls && (k === 'silent' || k === 'closed_without_banner' || k === 'reset_without_banner')) {
      verdict = 'wrong_service';
      headline = `${where}: this port speaks TLS, not SSH (silent to our SSH identification, but a TLS ${tlsSniff.how === 'handshake' ? `handshake completed${tlsSniff.protocol ? `, ${tlsSniff.protocol}` : ''}${tlsSniff.subject ? `, certificate CN=${printable(tlsSniff.subject)}` : ''}` : 'ClientHello got a TLS alert'}): wrong port or port translation`;
      return { address: first.address, family: first.family, port: first.port, attempts: n, counts, refusalTexts, verdict, headline, examples, ssh, tlsSniff };
    }
    switch (k) {
      case 'ssh': {
        const id = ssh!.identification;
        const sw = `${id.softwareVersion}${id.comments ? ` ${id.comments}` : ''}`;
        if (!ssh!.algorithms) {
          verdict = 'ssh_kexinit_unreadable';
          headline = `${where}: SSH banner "${printable(sw)}" but no readable key exchange (${ssh!.kexinitError})`;
        } else if (ssh!.compatibility && !ssh!.compatibility.ok) {
          verdict = 'ssh_no_common_algorithm';
          headline = `${where}: SSH (${printable(sw)}), but no common ${ssh!.compatibility.mismatched.map((c) => CATEGORY_INFO[c].label).join(', ')} algorithm with ${ssh!.compatibility.client.name}`;
        } else {
          verdict = 'ssh_ok';
          headline = `${where}: SSH answers (${printable(sw)})${ssh!.compatibility ? `, algorithms compatible with ${ssh!.compatibility.client.name}` : ''}`;
        }
        break;
      }
      case 'ssh_rejected_us':
        verdict = 'ssh_rejected_identification';
        headline = `${where}: sshd rejected our identification ("${ex.greeting?.lines[0]}")`;
        break;
      case 'wrong_service': {
        verdict = 'wrong_service';
        const g = ex.greeting!;
        headline = `${where}: this port speaks ${g.kind === 'http' ? `HTTP, not SSH (${g.http?.statusLine}${g.http?.server ? `, Server: ${g.http.server}` : ''})` : g.kind === 'tls' ? `TLS, not SSH${g.tls?.alert ? ` (alert: ${g.tls.alert})` : ''}` : `${g.label}, not SSH`}: wrong port or port translation`;
        break;
      }
      case 'closed_without_banner':
        if (ex.close?.afterOurIdentification) {
          verdict = 'closed_after_our_identification';
          headline = `${where}: accepted and silent; closed (FIN) only after our SSH identification, ${ex.close.afterConnectMs} ms after connect: a service that expects the client to speak first (wrong port)`;
        } else {
          verdict = 'closed_without_banner';
          headline = `${where}: accepted, then closed (FIN) ${ex.close?.afterConnectMs} ms later without a byte, before we said anything: a forward/container with no backend, TCP wrappers, or a crashing sshd`;
        }
        break;
      case 'reset_without_banner':
        verdict = 'reset_without_banner';
        headline = `${where}: accepted, then reset (RST) ${ex.close?.afterConnectMs} ms later without a byte`;
        break;
      case 'silent':
        verdict = 'silent';
        headline = `${where}: accepted, then silence for ${ex.close?.afterConnectMs} ms (no SSH banner): a tarpit, an overloaded sshd, or a forward waiting for its backend`;
        break;
      case 'refused':
        verdict = 'refused';
        headline = `${where}: connection refused: nothing listening, a REJECT rule, or a ban of your address`;
        break;
      case 'no_answer':
        verdict = 'no_answer';
        headline = `${where}: no answer to TCP SYN within ${ex.connectMs} ms: a DROP rule (firewall, security group, ban) or a wrong address`;
        break;
      case 'unreachable':
        verdict = 'unreachable';
        headline = `${where}: unreachable (${ex.errno}): no route from here or host unreachable`;
        break;
      default:
        verdict = 'unreachable';
        headline = `${where}: connect failed (${ex.errno})`;
    }
  }
  return { address: first.address, family: first.family, port: first.port, attempts: n, counts, refusalTexts, verdict, headline, examples, ssh, tlsSniff };
}

function fill(s: string, r: AddressReport): string {
  const server = r.examples.find((e) => e.greeting)?.greeting;
  const name = server?.http?.server ? `a web server (${server.http.server})` : server ? server.label : r.tlsSniff?.tls ? 'a TLS service' : 'another service';
  return s.replaceAll('{port}', String(r.port)).replaceAll('{address}', r.address).replaceAll('{server}', name);
}

function causesFor(id: VerdictId, r: AddressReport): Cause[] {
  let rules = CAUSES[id];
  // The 9.8+ text means MaxStartups or penalties; the 8.2-9.7 text means MaxStartups only.
  if (id === 'ssh_throttled' && !Object.keys(r.refusalTexts).some((t) => t.startsWith('Not allowed'))) {
    rules = rules.filter((c) => c.id !== 'per_source_penalties');
  }
  return rules.map((c) => {
    const advice = adviceFor(c.id, r);
    return advice ? { id: c.id, text: fill(c.text, r), check: fill(c.check, r), advice } : { id: c.id, text: fill(c.text, r), check: fill(c.check, r) };
  });
}

/** The advice behind a cause (the same words analyze and audit use). */
function adviceFor(cause: string, r: AddressReport): Advice | undefined {
  switch (cause) {
    case 'maxstartups': {
      // Our own refused attempts are connections of a user turned away; the server's value is not known from here.
      const refused = Object.values(r.refusalTexts).reduce((a, b) => a + b, 0);
      return maxStartupsAdvice({ current: null, ownUsersDropped: Math.max(1, refused) }) ?? undefined;
    }
    case 'per_source_penalties':
      return perSourcePenaltiesAdvice({ version: '9.8', disabled: false, exemptSet: false }) ?? undefined;
    case 'wrong_port':
      return wrongServiceAdvice({ host: r.address, port: r.port, service: fill('{server}', r) });
    default:
      return undefined;
  }
}

/** Combines the per-address reports into one verdict. */
export function overallVerdict(reports: readonly AddressReport[]): Verdict {
  const good = reports.filter((r) => r.verdict === 'ssh_ok');
  const bad = reports.filter((r) => r.verdict !== 'ssh_ok');
  const evidence = reports.flatMap((r) => r.examples.flatMap((e) => e.evidence.map((l) => `${r.family === 6 ? `[${r.address}]` : r.address}: ${l}`)));
  if (bad.length === 0) {
    return { id: 'ssh_ok', ok: true, headline: reports.length === 1 ? reports[0].headline : `every address answers SSH: ${reports.map((r) => r.address).join(', ')}`, causes: causesFor('ssh_ok', reports[0]), evidence };
  }
  if (good.length > 0 && bad.every((r) => r.verdict === 'unreachable')) {
    // Typical: the name has an AAAA record but this machine has no IPv6 route; ssh falls back to the next address.
    return {
      id: 'ssh_ok',
      ok: true,
      headline: `SSH answers on ${good.map((r) => r.address).join(', ')}; ${bad.map((r) => r.address).join(', ')} unreachable from here (no route), so ssh uses the others`,
      causes: causesFor('ssh_ok', good[0]),
      evidence,
    };
  }
  if (good.length > 0) {
    const failing = bad.map((r) => `${r.address} (${r.verdict})`).join(', ');
    const causes = causesFor('address_specific', bad[0]);
    return {
      id: 'address_specific',
      ok: false,
      headline: `SSH works on ${good.map((r) => r.address).join(', ')} but not on ${failing}: ${bad[0].headline.replace(/^[^ ]+: /, '')}`,
      causes: [...causes, ...causesFor(bad[0].verdict, bad[0])],
      evidence,
    };
  }
  // Every address fails: lead with the most informative one (the one that got furthest).
  const order: VerdictId[] = ['ssh_no_common_algorithm', 'ssh_throttled', 'ssh_rejected_identification', 'ssh_kexinit_unreadable', 'wrong_service', 'intermittent', 'closed_after_our_identification', 'closed_without_banner', 'reset_without_banner', 'silent', 'refused', 'no_answer', 'unreachable'];
  const lead = [...bad].sort((a, b) => order.indexOf(a.verdict) - order.indexOf(b.verdict))[0];
  const same = bad.every((r) => r.verdict === lead.verdict);
  return {
    id: lead.verdict,
    ok: false,
    headline: same || bad.length === 1 ? lead.headline : `${lead.headline} (other addresses: ${bad.filter((r) => r !== lead).map((r) => `${r.address} ${r.verdict}`).join(', ')})`,
    causes: causesFor(lead.verdict, lead),
    evidence,
  };
}
