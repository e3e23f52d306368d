/**
 * The text report of `sshwarden analyze`: the diagnosis first, then connections, sources, server
 * events, log level / era and blind spots, unrecognised lines. Pure: returns a string; colour comes
 * in as functions (identity when stdout is not a TTY).
 */
import type { AnalysisResult, ConnectionRecord, SourceRecord } from '../engine/types.ts';
import { OUTCOMES, OUTCOME_WORDS, type Outcome } from '../vocabulary.ts';
import { plural } from '../diagnosis/summary.ts';
import { changesText, plainAdd } from '../advice/sshd-drop-in.ts';
import { JOURNAL_TRUST_RULE, untrustedJournalSentence } from './untrusted-journal.ts';

export interface Paint {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

export const NO_PAINT: Paint = { bold: (s) => s, dim: (s) => s, red: (s) => s, yellow: (s) => s, green: (s) => s, cyan: (s) => s };

export interface TextReportInput {
  result: AnalysisResult;
  /** Connections to list (all of them with --connections, one source's with --source). */
  connections: readonly ConnectionRecord[];
  listConnections: boolean;
  /** Only this source (`--source`). */
  source: string | null;
  limit: number;
  inputs: { file: string; format: string }[];
  readCounts: {
    lines: number;
    framed: number;
    skipped: number;
    malformed: number;
    /** Other programs' lines that read like sshd's (see framing/sshd-like.ts), and the first. */
    sshdLike?: number;
    sshdLikeExample?: { file: string; line: number; program: string; text: string } | null;
    /** Journal records that claimed to be sshd's but failed the trust rule, and the first. */
    untrusted?: number;
    untrustedExample?: { file: string; line: number; identifier: string | null; comm: string | null; uid: number | null } | null;
  };
  timeRange: { first: number | null; last: number | null };
  /** The bound on connections open at once, and how many were let go at it (connections/tracker.ts). */
  openConnections?: { max: number; evicted: number };
}

function outcomeColour(p: Paint, o: Outcome): (s: string) => string {
  if (o === 'authenticated') return p.green;
  if (o === 'auth_failed' || o === 'dropped') return p.red;
  if (o === 'unknown') return p.dim;
  return p.yellow;
}

function iso(ms: number | null): string {
  return ms === null ? '?' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}

export function renderText(input: TextReportInput, p: Paint = NO_PAINT): string {
  const { result, limit } = input;
  const s = result.summary;
  const out: string[] = [];
  const files = input.inputs.length ? input.inputs.map((i) => `${i.file} (${i.format})`).join(', ') : 'no input';
  out.push(p.bold(`sshwarden analyze: ${s.lines.sshd} sshd lines from ${files}`));
  if (input.timeRange.first !== null) out.push(p.dim(`  ${iso(input.timeRange.first)} → ${iso(input.timeRange.last)}`));
  out.push('');

  if (input.source !== null) return renderSource(input, p, out);

  out.push(p.bold('What happened'));
  for (const f of s.findings) out.push(wrap(`• ${f}`, '  '));
  out.push('');
  if (s.advice.length) {
    out.push(p.bold('What to change') + p.dim(result.server ? ` (settings from ${result.server.from})` : ' (sshd settings not known: defaults assumed; --config FILE)'));
    for (const a of s.advice) {
      out.push(wrap(`• ${a.summary}`, '  '));
      if (a.changes.length) {
        if (plainAdd(a.changes)) out.push(`    ${p.dim(`in ${a.changes[0].file}:`)} ${a.changes.map((c) => c.text).join(' / ')}`);
        else out.push(`    ${p.dim('where:')} ${changesText(a.changes)}`);
      }
      if (a.commands.length) out.push(`    ${p.dim('then:')} ${a.commands.join(' && ')}`);
      if (a.verify.length) out.push(`    ${p.dim('check:')} ${a.verify.join('; ')}`);
    }
    out.push('');
  }

  if (s.connections > 0) {
    out.push(p.bold(`Connections: ${s.connections}`));
    for (const o of OUTCOMES) {
      const n = s.outcomes[o];
      if (!n) continue;
      out.push(`  ${outcomeColour(p, o)(pad(o, 20))} ${lpad(String(n), 7)}  ${p.dim(OUTCOME_WORDS[o])}`);
    }
    if (result.unattributed.connections) out.push(`  ${p.dim(`(${result.unattributed.connections} without a client address: see "unattributed" in --json)`)}`);
    out.push('');
  }

  if (result.sources.length > 0) {
    // Past the bound on source records (a spoofed-source flood) the total is the summary's, not the records'.
    const total = result.sources.length + (result.sourcesOmitted ?? 0);
    out.push(p.bold(`Sources: ${total}`) + p.dim(total > limit ? ` (top ${limit} by connections; --limit N for more${result.sourcesOmitted ? `, up to ${result.sources.length} kept` : ''})` : ''));
    for (const src of result.sources.slice(0, limit)) out.push(sourceLine(src, p));
    out.push('');
  }

  if (input.listConnections && input.connections.length > 0) {
    out.push(p.bold(`Connection list`) + p.dim(input.connections.length > limit ? ` (first ${limit}; --limit N for more)` : ''));
    for (const c of input.connections.slice(0, limit)) out.push(connectionLine(c, p));
    out.push('');
  }

  const ev = serverEventLines(result, p);
  if (ev.length) {
    out.push(p.bold('Server events'));
    out.push(...ev);
    out.push('');
  }

  out.push(p.bold('About this log'));
  // The why-texts hold parentheses of their own: set off with a dash, never nested in parentheses.
  out.push(`  LogLevel: ${p.cyan(result.logLevel.level)} ${p.dim(`— ${result.logLevel.why}`)}`);
  out.push(`  OpenSSH:  ${p.cyan(result.era.range)} ${p.dim(`— ${result.era.clues.slice(0, 3).join('; ')}`)}`);
  const rc = input.readCounts;
  out.push(p.dim(`  Read ${rc.lines} lines: ${rc.framed} from sshd, ${rc.skipped} from other programs, ${rc.malformed} malformed.`));
  const untrusted = untrustedJournalSentence(rc.untrusted ?? 0, rc.untrustedExample);
  if (untrusted !== null) out.push(wrap(p.yellow(`  ${untrusted}`) + ` ${JOURNAL_TRUST_RULE}`, '  '));
  const omitted = input.result.sourcesOmitted ?? 0;
  if (omitted > 0)
    out.push(wrap(p.yellow(`  ${plural(omitted, 'source address', 'source addresses')} counted but not listed: more than ${input.result.sources.length.toLocaleString('en-US')} sources (the memory bound); those listed are the ones that logged in, then the most active.`), '  '));
  const oc = input.openConnections;
  if (oc !== undefined && oc.evicted > 0)
    out.push(wrap(p.yellow(`  ${plural(oc.evicted, 'connection')} let go while still open: more than ${oc.max.toLocaleString('en-US')} were open at once (the memory bound); their outcome is unknown (detail "evicted").`), '  '));
  if (rc.sshdLike && rc.sshdLikeExample) {
    const ex = rc.sshdLikeExample;
    out.push(
      wrap(
        p.yellow(`  ${plural(rc.sshdLike, 'line')} that read like sshd's ${rc.sshdLike === 1 ? 'was' : 'were'} skipped as another program's`) +
          ` (first: ${ex.file}:${ex.line}, program "${ex.program}": ${JSON.stringify(ex.text.slice(0, 100))}). ` +
          'Only sshd, sshd-session, sshd-auth and sshd-* are read; if that program is your sshd, log it under its own name (SyslogFacility/ident).',
        '  ',
      ),
    );
  }
  if (s.blindSpots.length) {
    out.push(p.bold('What this log cannot tell'));
    for (const b of s.blindSpots) out.push(wrap(`• ${b}`, '  '));
  }
  if (result.unrecognised.count > 0) {
    out.push('');
    out.push(p.bold(`Unrecognised sshd lines: ${result.unrecognised.count}`) + p.dim(' (examples)'));
    for (const u of result.unrecognised.examples.slice(0, Math.min(limit, 10))) out.push(`  ${p.dim(`${u.file}:${u.line}:`)} ${u.text}`);
  }
  return `${out.join('\n')}\n`;
}

function renderSource(input: TextReportInput, p: Paint, out: string[]): string {
  const src = input.result.sources.find((x) => x.address === input.source);
  if (!src) {
    out.push(`No connection from ${input.source} in this log.`);
    return `${out.join('\n')}\n`;
  }
  out.push(p.bold(`Source ${src.address}: ${src.class}`));
  out.push(wrap(`  ${src.why}`, '  '));
  out.push(`  ${plural(src.connections, 'connection')}, first ${src.firstSeen ?? '?'}, last ${src.lastSeen ?? '?'}`);
  out.push(`  outcomes: ${Object.entries(src.outcomes).map(([o, n]) => `${o} ${n}`).join(', ')}`);
  if (src.users.length) out.push(`  users tried: ${src.users.map((u) => JSON.stringify(u)).join(', ')}`);
  out.push('');
  out.push(p.bold('Connection by connection') + p.dim(input.connections.length > input.limit ? ` (first ${input.limit}; --limit N for more)` : ''));
  for (const c of input.connections.slice(0, input.limit)) out.push(connectionLine(c, p, true));
  return `${out.join('\n')}\n`;
}

function sourceLine(src: SourceRecord, p: Paint): string {
  const cls = src.class === 'legit' ? p.green : src.class === 'bruteforce' ? p.red : src.class === 'scanner' ? p.yellow : p.dim;
  return `  ${pad(src.address, 18)} ${cls(pad(src.class, 10))} ${lpad(String(src.connections), 6)}  ${p.dim(src.why)}`;
}

function connectionLine(c: ConnectionRecord, p: Paint, long = false): string {
  const who = c.src === null ? p.dim('(no address)') : `${c.src}${c.srcPort !== null ? ` port ${c.srcPort}` : ''}`;
  const when = c.start ? c.start.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?';
  const bits = [`${outcomeColour(p, c.outcome)(c.outcome)}${c.detail ? p.dim(` (${c.detail}${c.inferred ? ', inferred' : ''})`) : ''}`];
  if (c.users.length) bits.push(`users ${c.users.slice(0, 3).map((u) => JSON.stringify(u)).join(',')}${c.users.length > 3 ? ',…' : ''}`);
  if (c.methods.length) bits.push(`methods ${c.methods.join(',')}`);
  if (long && c.reason) bits.push(p.dim(c.reason));
  if (long && c.clientVersion) bits.push(`sent ${JSON.stringify(c.clientVersion)}`);
  if (long && c.disconnect) bits.push(`disconnect ${c.disconnect.code ?? ''} ${JSON.stringify(c.disconnect.message)}`);
  const lines = c.evidence.length ? p.dim(` [${c.evidence[0].file}:${c.evidence.map((e) => e.line).slice(0, 8).join(',')}${c.evidence.length > 8 ? ',…' : ''}]`) : '';
  return `  ${when}  ${pad(who, 30)} pid ${pad(c.pid === null ? '-' : String(c.pid), 7)} ${pad(c.phase, 14)} ${bits.join('  ')}${lines}`;
}

function serverEventLines(result: AnalysisResult, p: Paint): string[] {
  const counts = new Map<string, number>();
  for (const e of result.events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  const out: string[] = [];
  const d = result.summary.drops;
  if (d.throttlingEpisodes) out.push(`  MaxStartups throttling began ${d.throttlingEpisodes}×${d.reportedByThrottleLines ? `, ${d.reportedByThrottleLines} drops reported by the throttling lines` : ''}`);
  for (const e of result.events) {
    if (e.type === 'maxstartups_end' || e.type === 'maxstartups_status' || e.type.startsWith('drops_ratelimited')) {
      // sshd prints whole seconds: `after 00:00:00` is an episode shorter than a second. A log
      // without times (journal cat, sshd -E) says so instead of a duration with no start.
      const msg = e.message.replace(/ (after|for) 00:00:00,/, ' $1 less than a second,');
      out.push(`  ${e.time ?? 'time not in this log:'} ${msg}`);
    }
  }
  const named: Record<string, string> = {
    listening: '`Server listening` lines (listener starts and restarts, one per address)',
    restart: 'SIGHUP restarts',
    stopped: 'stops (signal)',
    bind_failed: p.red('bind failures'),
    host_key: p.red('host key errors'),
    resource: p.red('resource errors (accept/fork/exec)'),
    startup: p.red('startup failures'),
    session_crash: p.red('session process crashes'),
    penalty: 'PerSourcePenalties decisions',
  };
  for (const [type, words] of Object.entries(named)) {
    const n = counts.get(type);
    if (n) out.push(`  ${lpad(String(n), 5)} ${words}`);
  }
  const bad = result.events.filter((e) => ['bind_failed', 'host_key', 'resource', 'startup', 'session_crash'].includes(e.type)).slice(0, 5);
  for (const e of bad) out.push(`        ${p.dim(`${e.evidence.file}:${e.evidence.line}:`)} ${e.message}`);
  return out;
}

function wrap(text: string, indent: string, width = 100): string {
  const words = text.split(' ');
  const lines: string[] = [];
  let cur = indent;
  for (const w of words) {
    if (cur.length + w.length + 1 > width && cur.trim().length > 0) {
      lines.push(cur);
      cur = `${indent}  ${w}`;
    } else cur += (cur === indent ? '' : ' ') + w;
  }
  lines.push(cur);
  return lines.join('\n');
}
