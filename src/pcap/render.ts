/**
 * The text report of `sshwarden pcap`: what the wire shows (outcomes, Zeek conn_state), each
 * connection (who closed first and when, bytes, identification lines, key exchange), sources,
 * and with `--log` the joined view. Pure: data and a paint in, text out.
 */
import { OUTCOMES, OUTCOME_WORDS, type Outcome } from '../vocabulary.ts';
import type { PcapResult } from './analyze.ts';
import type { JoinResult } from './join.ts';
import type { WireConnection } from './types.ts';

export interface Paint {
  bold: (s: string) => string;
  dim: (s: string) => string;
  red: (s: string) => string;
  yellow: (s: string) => string;
  green: (s: string) => string;
  cyan: (s: string) => string;
}

export interface PcapReportInput {
  file: string;
  result: PcapResult;
  /** Connections to list (already capped), and how many there were. */
  listed: readonly WireConnection[];
  total: number;
  join: JoinResult | null;
  limit: number;
}

const CATEGORY_WORDS: Record<string, string> = { kex: 'kex', hostKey: 'host key', ciphers: 'cipher', macs: 'MAC', compression: 'compression' };

/** `addr:port`, IPv6 in brackets. */
export function endpoint(addr: string, port: number): string {
  return addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`;
}

function time(iso: string): string {
  return iso.slice(11, 23);
}

function counts(o: Partial<Record<string, number>>): string {
  return Object.entries(o)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

export function connectionLines(c: WireConnection, p: Paint): string[] {
  const out: string[] = [];
  const close = c.firstClose === null ? 'open at end of capture' : `${c.firstClose.by} ${c.firstClose.kind} after ${c.firstClose.afterMs.toFixed(1)} ms`;
  const colour = c.outcome === 'dropped' || c.outcome === 'kex_failed' ? p.red : c.outcome === 'unknown' ? p.dim : c.outcome === 'authenticated_or_failed' ? p.green : p.yellow;
  out.push(`  ${time(c.start)}  ${endpoint(c.client, c.clientPort)} → ${endpoint(c.server, c.serverPort)}  ${colour(c.outcome)} ${p.dim(`(${c.detail})`)}  ${c.connState}  ${close}`);
  const extra: string[] = [];
  if (c.midstream) extra.push('capture began mid-connection');
  if (c.payloadCut) extra.push('payload cut by the snap length');
  const rt = c.fromClient.retransmissions + c.fromServer.retransmissions;
  if (rt) extra.push(`${rt} retransmission${rt === 1 ? '' : 's'}`);
  const zw = c.fromClient.zeroWindow + c.fromServer.zeroWindow;
  if (zw) extra.push(`${zw} zero-window segment${zw === 1 ? '' : 's'}`);
  out.push(`      bytes client→server ${c.fromClient.bytes}, server→client ${c.fromServer.bytes}; ${c.durationMs.toFixed(1)} ms${extra.length ? `; ${extra.join(', ')}` : ''}`);
  if (c.fromServer.ident || c.serverText) out.push(`      server: ${[...(c.serverText ?? []).map((t) => JSON.stringify(t)), c.fromServer.ident ?? ''].filter(Boolean).join(' then ')}`);
  if (c.fromClient.ident) out.push(`      client: ${c.fromClient.ident}`);
  if (c.instead) out.push(`      client sent instead: ${c.instead.text}`);
  if (c.kex) {
    const k = c.kex;
    const chosen = k.negotiated.filter((n) => n.relevant).map((n) => (n.chosen === null ? p.red(`no common ${CATEGORY_WORDS[n.category]}`) : n.chosen)).join(' / ');
    const strict = k.strictKex ? 'strict kex both sides' : k.serverMarkers.includes('kex-strict-s-v00@openssh.com') ? 'strict kex: server only' : '';
    if (chosen) out.push(`      kex: ${chosen}${strict ? `; ${strict}` : ''}`);
    for (const n of k.negotiated) if (n.chosen === null && n.relevant) out.push(`        no common ${CATEGORY_WORDS[n.category]}: client offers ${(n.client ?? []).join(',') || '(none)'}; server offers ${(n.server ?? []).join(',') || '(none)'}`);
  }
  if (c.disconnect) out.push(`      ${c.disconnect.by} sent DISCONNECT ${c.disconnect.code}: ${c.disconnect.message}`);
  out.push(`      ${p.dim(c.reason)}`);
  return out;
}

export function renderPcapText(r: PcapReportInput, p: Paint): string {
  const s = r.result.summary;
  const lines: string[] = [];
  const span = s.first && s.last ? `, ${s.first.replace('T', ' ').slice(0, 19)} → ${s.last.replace('T', ' ').slice(0, 19)} UTC` : '';
  lines.push(p.bold(`sshwarden pcap: ${r.file}`) + ` (${s.format ?? 'unreadable'}${s.linkTypes.length ? `, ${s.linkTypes.join(', ')}` : ''}): ${s.packets} packets, ${s.sshPackets} on the SSH port(s), ${s.connections} connections from ${s.sources} sources${span}`);
  if (s.error) lines.push(p.red(`  capture damaged at ${s.error}; the packets before it were analysed`));
  lines.push('', p.bold('What the wire shows'));
  for (const o of OUTCOMES) {
    const n = s.outcomes[o];
    if (n) lines.push(`  ${String(n).padStart(6)}  ${o.padEnd(24)} ${p.dim(OUTCOME_WORDS[o as Outcome])}`);
  }
  lines.push(`  TCP (Zeek conn_state): ${counts(s.connStates) || 'none'}`);
  const notes: string[] = [];
  if (s.midstream) notes.push(`${s.midstream} began before the capture`);
  if (s.payloadCut) notes.push(`${s.payloadCut} with payload cut by the snap length`);
  if (s.retransmissions) notes.push(`${s.retransmissions} retransmitted segments`);
  if (s.evicted) notes.push(`${s.evicted} flows reported early (too many open at once)`);
  if (notes.length) lines.push(`  ${notes.join('; ')}`);
  lines.push('', p.bold(`Connections${r.total > r.listed.length ? ` (first ${r.listed.length} of ${r.total})` : ''}`));
  for (const c of r.listed) lines.push(...connectionLines(c, p));
  if (r.listed.length === 0) lines.push('  none');
  lines.push('', p.bold('Sources (from the wire alone)'));
  for (const src of r.result.sources.slice(0, r.limit)) lines.push(`  ${src.address.padEnd(24)} ${src.class.padEnd(10)} ${p.dim(src.why)}`);
  if (r.result.sources.length > r.limit) lines.push(p.dim(`  (${r.result.sources.length - r.limit} more)`));
  if (r.join) lines.push('', ...joinLines(r.join, r.limit, p));
  return `${lines.join('\n')}\n`;
}

function joinLines(j: JoinResult, limit: number, p: Paint): string[] {
  const out: string[] = [p.bold('Joined with the log')];
  out.push(`  clock offset (log − capture): ${j.clockOffsetMs === null ? 'unknown (no unambiguous pair)' : `${j.clockOffsetMs} ms, from ${j.offsetPairs} pairs`}`);
  out.push(`  both saw ${j.both.length} connections (${j.disagreements.length} disagree), only the wire ${j.wireOnly.length}, only the log ${j.logOnly.length}`);
  out.push(`  joined outcomes: ${counts(j.outcomes) || 'none'}`);
  if (j.disagreements.length) {
    out.push('', p.bold('  Where the log and the wire disagree'));
    for (const d of j.disagreements.slice(0, limit)) out.push(`  ${time(d.wire.start)}  ${endpoint(d.client, d.clientPort)}  wire ${p.yellow(d.wire.outcome)} (${d.wire.detail}), log ${p.yellow(d.log.outcome)} (${d.log.detail}) → ${d.joinedOutcome}`);
  }
  if (j.wireOnly.length) {
    out.push('', p.bold('  Only the wire saw'));
    for (const w of j.wireOnly.slice(0, limit)) out.push(`  ${time(w.wire.start)}  ${endpoint(w.wire.client, w.wire.clientPort)}  ${w.wire.outcome} (${w.wire.detail})`, `      ${p.dim(w.why)}`);
    if (j.wireOnly.length > limit) out.push(p.dim(`  (${j.wireOnly.length - limit} more)`));
  }
  if (j.logOnly.length) {
    out.push('', p.bold('  Only the log saw'));
    for (const l of j.logOnly.slice(0, limit)) out.push(`  ${l.log.start ? time(l.log.start) : '?'}  ${l.log.client === null ? '?' : endpoint(l.log.client, l.log.clientPort ?? 0)}  ${l.log.outcome} (${l.log.detail})`, `      ${p.dim(l.why)}`);
    if (j.logOnly.length > limit) out.push(p.dim(`  (${j.logOnly.length - limit} more)`));
  }
  out.push('', p.bold('  Sources (wire and log joined)'));
  for (const s of j.sources.slice(0, limit)) out.push(`  ${s.address.padEnd(24)} ${s.class.padEnd(10)} ${p.dim(s.why)}`);
  return out;
}
