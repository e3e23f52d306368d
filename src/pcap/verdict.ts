/**
 * A finished flow → its record: Zeek's conn_state, and the outcome in analyze's vocabulary judged
 * from the wire alone. Pure.
 *
 * The wire rules (sshd always sends its identification first, RFC 4253 §4.2):
 *   no handshake                              → unknown (syn_unanswered / syn_rejected)
 *   server closes, never sent an identification → dropped (MaxStartups / penalty text, or none)
 *   client closes having sent nothing          → closed_before_ident (FIN) / reset_before_ident (RST)
 *   client's first bytes not SSH               → non_ssh (http / tls with SNI / junk)
 *   client identification not SSH-2.0          → protocol_mismatch
 *   both sent NEWKEYS                          → authenticated_or_failed (the rest is encrypted)
 *   no common algorithm, bad packet, DISCONNECT → kex_failed
 *   server closes after the client fell silent → timeout (LoginGraceTime)
 *   otherwise, client closed after identification/KEXINIT → closed_after_ident
 */
import { isoTime } from '../connections/iso-time.ts';
import type { Outcome, Phase } from '../vocabulary.ts';
import type { Direction, Flow } from './flow.ts';
import type { ConnState, KexFacts, SideFacts, WireConnection } from './types.ts';

export interface VerdictOptions {
  /** sshd's LoginGraceTime in ms when the user gave it; null: a server close after ≥ 1 s of client silence is an (inferred) timeout. */
  graceMs: number | null;
}

const INFERRED_TIMEOUT_SILENCE_MS = 1000;

export function connState(f: Flow): ConnState {
  const cSyn = f.c.synTs !== null;
  const sSynAck = f.synAck;
  const cR = f.c.rstTs !== null;
  const sR = f.s.rstTs !== null;
  const cF = f.c.finTs !== null;
  const sF = f.s.finTs !== null;
  if (cSyn && !sSynAck) {
    if (sR) return 'REJ';
    if (cR) return 'RSTOS0';
    if (cF) return 'SH';
    return 'S0';
  }
  if (!cSyn && sSynAck) {
    if (sR) return 'RSTRH';
    if (sF) return 'SHR';
    return f.established ? closedState(f) : 'OTH';
  }
  if (!cSyn && !sSynAck) return 'OTH';
  return closedState(f);
}

function closedState(f: Flow): ConnState {
  const cR = abortTs(f.c, f.s);
  const sR = abortTs(f.s, f.c);
  if (cR !== null || sR !== null) return sR === null || (cR !== null && cR <= sR) ? 'RSTO' : 'RSTR';
  const cF = f.c.finTs !== null;
  const sF = f.s.finTs !== null;
  if (cF && sF) return 'SF';
  if (cF) return 'S2';
  if (sF) return 'S3';
  return 'S1';
}

/**
 * When this side aborted the connection (its first RST), or null. As Zeek: a RST from a side that had
 * already sent its FIN, once the peer sent its FIN too, aborts nothing: the FIN exchange closed the
 * connection (a kernel answering a late segment, e.g. a duplicate ACK after its socket closed).
 */
function abortTs(d: Direction, peer: Direction): number | null {
  const r = d.rstTs;
  if (r === null) return null;
  const fin = d.finTs;
  return fin !== null && fin < r && peer.finTs !== null ? null : r;
}

function firstClose(f: Flow): WireConnection['firstClose'] {
  // no closure, no object until the answer (this runs once per connection)
  let ts = Number.POSITIVE_INFINITY;
  let which = -1;
  const c = f.c;
  const sv = f.s;
  if (c.finTs !== null && c.finTs < ts) {
    ts = c.finTs;
    which = 0;
  }
  if (c.rstTs !== null && c.rstTs < ts) {
    ts = c.rstTs;
    which = 1;
  }
  if (sv.finTs !== null && sv.finTs < ts) {
    ts = sv.finTs;
    which = 2;
  }
  if (sv.rstTs !== null && sv.rstTs < ts) {
    ts = sv.rstTs;
    which = 3;
  }
  if (which < 0) return null;
  return { by: which < 2 ? 'client' : 'server', kind: which % 2 === 0 ? 'FIN' : 'RST', afterMs: round(ts - f.firstTs) };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function side(d: Direction, f: Flow): SideFacts {
  return {
    packets: d.packets,
    bytes: d.bytes,
    retransmissions: d.retransmissions,
    zeroWindow: d.zeroWindow,
    ident: d.ssh.facts.ident,
    finAfterMs: d.finTs === null ? null : round(d.finTs - f.firstTs),
    rstAfterMs: d.rstTs === null ? null : round(d.rstTs - f.firstTs),
  };
}

function kexFacts(f: Flow): KexFacts | undefined {
  const ck = f.c.ssh.facts.kexinit;
  const sk = f.s.ssh.facts.kexinit;
  if (ck === null && sk === null) return undefined;
  const cNk = f.c.ssh.facts.newkeysTs;
  const sNk = f.s.ssh.facts.newkeysTs;
  const completed = cNk !== null && sNk !== null;
  // what the pair says is the same for every connection with that pair (cached, shared)
  const p = f.kex.pairFacts(ck, sk, f.c.ssh.facts.ident ?? 'client');
  // the pair's keys in PairFacts order, then completed (no object spread: it is slow before V8 optimizes this)
  const out: KexFacts = { negotiated: p.negotiated, noCommon: p.noCommon, clientMarkers: p.clientMarkers, serverMarkers: p.serverMarkers, strictKex: p.strictKex, completed };
  if (completed) {
    const startK = Math.min(f.c.ssh.facts.kexinitTs ?? Infinity, f.s.ssh.facts.kexinitTs ?? Infinity);
    if (Number.isFinite(startK)) out.durationMs = round(Math.max(cNk, sNk) - startK);
  }
  return out;
}

interface Judged {
  outcome: Outcome;
  phase: Phase;
  detail: string;
  reason: string;
  inferred?: boolean;
}

/** `reasons` false: the reason texts built from numbers are left empty (nobody reads them: the text report counts most connections). */
function judge(f: Flow, kex: KexFacts | undefined, close: WireConnection['firstClose'], opts: VerdictOptions, reasons: boolean): Judged {
  const c = f.c.ssh.facts;
  const s = f.s.ssh.facts;
  if (!f.established && !f.midstream) {
    if (f.synAck) return { outcome: 'unknown', phase: 'tcp', detail: 'handshake_incomplete', reason: 'the server answered the SYN but the client never completed the handshake' };
    // bytes flowed, so the handshake did take place: the capture lacks the SYN-ACK (and what else it dropped)
    if (f.c.bytes > 0 || f.s.bytes > 0) return { outcome: 'unknown', phase: 'tcp', detail: 'capture_gap', reason: `the capture lacks the server's SYN-ACK although ${f.s.bytes > 0 ? 'the server' : 'the client'} sent data (a segment it never recorded, e.g. tcpdump dropping packets under load): the wire cannot tell how this connection went on` };
    if (f.s.rstTs !== null) return { outcome: 'unknown', phase: 'tcp', detail: 'syn_rejected', reason: 'the SYN was answered with a RST: nothing listens on the port, or a firewall REJECTs it' };
    return { outcome: 'unknown', phase: 'tcp', detail: 'syn_unanswered', reason: 'the SYN got no answer: filtered by a firewall (DROP), or the server is down' };
  }
  if (f.midstream && c.ident === null && s.ident === null) {
    return { outcome: 'unknown', phase: 'tcp', detail: 'midstream', reason: 'the capture began after this connection did: its start is not in the capture' };
  }
  if (c.instead !== null) {
    return { outcome: 'non_ssh', phase: 'identification', detail: c.instead, reason: c.instead === 'http' ? `the client spoke HTTP: ${c.insteadText}` : c.instead === 'tls' ? `the client started a TLS handshake${c.sni ? ` for ${c.sni}` : ''}` : `the client sent junk instead of an SSH identification: ${c.insteadText}` };
  }
  const serverClosedFirst = close !== null && close.by === 'server';
  // (not when the capture lacks server bytes: its identification may be among them)
  if (s.ident === null && serverClosedFirst && !f.s.missing) {
    const text = s.preLines.join(' ');
    const detail = /MaxStartups/i.test(text) ? 'maxstartups' : /Not allowed at this time/i.test(text) ? 'penalty' : 'no_banner';
    const quick = !reasons ? '' : close.afterMs <= 1000 ? ` ${close.afterMs.toFixed(1)} ms after the connection opened` : ` after ${(close.afterMs / 1000).toFixed(1)} s`;
    return { outcome: 'dropped', phase: 'tcp', detail, reason: !reasons ? '' : `the server closed (${close.kind})${quick} without an SSH identification${text ? `, saying "${text}"` : ''}: MaxStartups, PerSourcePenalties or TCP wrappers` };
  }
  if (c.ident !== null) {
    const id = c.parsedIdent;
    if (id === null || (id.protoVersion !== '2.0' && id.protoVersion !== '1.99')) {
      return { outcome: 'protocol_mismatch', phase: 'identification', detail: id === null ? 'malformed_ssh' : `ssh_${id.protoVersion}`, reason: !reasons ? '' : `the client's identification "${c.ident}" is not one sshd accepts (SSH-2.0-software)` };
    }
  }
  if (kex?.completed) return { outcome: 'authenticated_or_failed', phase: 'auth', detail: 'kex_completed', reason: !reasons ? '' : `key exchange completed${kex.durationMs === undefined ? '' : ` in ${kex.durationMs.toFixed(1)} ms`}; the rest is encrypted (the log tells a login from a failure)` };
  if (kex !== undefined && kex.noCommon.length > 0) {
    const names = kex.noCommon.map((k) => (k === 'hostKey' ? 'host key' : k));
    return { outcome: 'kex_failed', phase: 'kex', detail: `no_common_${kex.noCommon[0]}`, reason: !reasons ? '' : `no common ${names.join(', no common ')} algorithm` };
  }
  if (c.ident !== null && c.broken !== null && c.broken.startsWith('bad_')) return { outcome: 'kex_failed', phase: 'kex', detail: 'bad_packet', reason: !reasons ? '' : `the client sent an unreadable packet after its identification (${c.broken})` };
  if (c.ident !== null && s.disconnect !== null) return { outcome: 'kex_failed', phase: 'kex', detail: 'server_disconnect', reason: !reasons ? '' : `the server disconnected: ${s.disconnect.message} (code ${s.disconnect.code})` };
  if (f.c.missing || f.s.missing) {
    // What follows is read from the bytes before a hole: a close "in kex" may be a login whose NEWKEYS the capture lost.
    const by = f.c.missing ? (f.s.missing ? 'both directions' : 'the client') : 'the server';
    return { outcome: 'unknown', phase: c.ident === null ? 'tcp' : c.kexinit === null ? 'identification' : 'kex', detail: 'capture_gap', reason: `the capture lacks bytes ${by} sent (a segment it never recorded, e.g. tcpdump dropping packets under load): the wire cannot tell how this connection went on` };
  }
  if (close === null) {
    return { outcome: 'unknown', phase: c.ident === null ? 'tcp' : 'identification', detail: 'open_at_end', reason: 'still open when the capture ended' };
  }
  if (serverClosedFirst) {
    const lastClient = f.c.lastDataTs !== -1 ? f.c.lastDataTs : (f.c.synTs ?? f.firstTs);
    const closeTs = f.firstTs + close.afterMs;
    const silence = closeTs - lastClient;
    const limit = opts.graceMs === null ? INFERRED_TIMEOUT_SILENCE_MS : opts.graceMs * 0.9;
    if (silence >= limit) {
      const r: Judged = { outcome: 'timeout', phase: c.ident === null ? 'identification' : c.kexinit === null ? 'identification' : 'kex', detail: 'server_closed_after_silence', reason: !reasons ? '' : `the server closed after ${(silence / 1000).toFixed(1)} s of client silence (LoginGraceTime)` };
      if (opts.graceMs === null) r.inferred = true;
      return r;
    }
  }
  if (c.ident === null) {
    return close.by === 'client'
      ? { outcome: close.kind === 'RST' ? 'reset_before_ident' : 'closed_before_ident', phase: 'tcp', detail: s.ident === null ? 'before_banner' : 'after_banner', reason: !reasons ? '' : `the client ${close.kind === 'RST' ? 'reset' : 'closed'} the connection ${close.afterMs.toFixed(1)} ms after it opened, without sending anything` }
      : { outcome: 'unknown', phase: 'identification', detail: 'server_closed', reason: !reasons ? '' : `the server closed (${close.kind}) before the client sent anything` };
  }
  const afterKexinit = c.kexinit !== null;
  return {
    outcome: 'closed_after_ident',
    phase: afterKexinit ? 'kex' : 'identification',
    detail: afterKexinit ? 'closed_in_kex' : 'closed_after_ident',
    reason: !reasons ? '' : `${close.by === 'client' ? 'the client' : 'the server'} closed (${close.kind}) after the client's identification${afterKexinit ? ' and KEXINIT, before key exchange completed (a banner or key scan)' : ''}`,
  };
}

export interface FlowVerdict {
  judged: Judged;
  kex: KexFacts | undefined;
  close: WireConnection['firstClose'];
  connState: ConnState;
}

/** The outcome and TCP state of a finished flow (what the counts need, without the full record); `reasons` false: judged.reason may be empty (no record will be built from it). */
export function verdictOf(f: Flow, opts: VerdictOptions, reasons = true): FlowVerdict {
  const kex = kexFacts(f);
  const close = firstClose(f);
  return { judged: judge(f, kex, close, opts, reasons), kex, close, connState: connState(f) };
}

export function toRecord(f: Flow, opts: VerdictOptions, v: FlowVerdict = verdictOf(f, opts)): WireConnection {
  const { kex, close } = v;
  const j = v.judged;
  const rec: WireConnection = {
    client: f.client,
    clientPort: f.clientPort,
    server: f.server,
    serverPort: f.serverPort,
    start: isoTime(f.firstTs),
    end: isoTime(f.lastTs),
    durationMs: round(f.lastTs - f.firstTs),
    frame: f.firstFrame,
    phase: j.phase,
    outcome: j.outcome,
    detail: j.detail,
    reason: j.reason,
    connState: v.connState,
    handshake: f.established && !f.midstream,
    midstream: f.midstream,
    firstClose: close,
    fromClient: side(f.c, f),
    fromServer: side(f.s, f),
    payloadCut: f.c.cut || f.s.cut,
  };
  if (j.inferred) rec.inferred = true;
  const cf = f.c.ssh.facts;
  if (cf.instead !== null) rec.instead = cf.sni === null ? { kind: cf.instead, text: cf.insteadText ?? '' } : { kind: cf.instead, text: cf.insteadText ?? '', sni: cf.sni };
  if (f.s.ssh.facts.preLines.length > 0) rec.serverText = f.s.ssh.facts.preLines;
  if (kex !== undefined) rec.kex = kex;
  const sd = f.s.ssh.facts.disconnect;
  const cd = cf.disconnect;
  if (sd !== null) rec.disconnect = { by: 'server', ...sd };
  else if (cd !== null) rec.disconnect = { by: 'client', ...cd };
  return rec;
}
