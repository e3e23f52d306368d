/**
 * Classifies the bytes a server sent before its SSH identification (or instead of one).
 * Pure: bytes in, description out. The rules are data in greeting-rules.ts.
 */
import { OPENSSH_REFUSALS, SERVICE_GREETINGS, TLS_ALERTS, TLS_RECORD_TYPES, type GreetingKind } from './greeting-rules.ts';

export interface Greeting {
  readonly kind: GreetingKind;
  /** One human line: what it is. */
  readonly label: string;
  /** Printable first lines as received (at most 8, each at most 200 characters), for evidence. */
  readonly lines: string[];
  /** HTTP only: status line and `Server:` header. */
  readonly http?: { status: number; statusLine: string; server: string | null };
  /** TLS only: record type and, for alerts, the alert name. */
  readonly tls?: { record: string; alert?: string };
}

const MAX_LINES = 8;
const MAX_LINE = 200;

/** Makes text safe for a terminal: control characters (escape sequences included) become `\xNN`. */
export function sanitize(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Like `sanitize`, and the length is capped. */
export function printable(s: string): string {
  const cleaned = sanitize(s);
  return cleaned.length > MAX_LINE ? `${cleaned.slice(0, MAX_LINE)}…` : cleaned;
}

/** Splits received text into lines (CRLF or LF), dropping a trailing partial empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function looksBinary(buf: Buffer): boolean {
  const n = Math.min(buf.length, 256);
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === 9 || c === 10 || c === 13) continue;
    if (c < 0x20 || c === 0x7f) bad++;
  }
  return bad > n / 10;
}

/** Returns null for an empty buffer (the server said nothing). */
export function classifyGreeting(buf: Buffer): Greeting | null {
  if (buf.length === 0) return null;
  const rec = TLS_RECORD_TYPES[buf[0]];
  if (rec && buf.length >= 3 && buf[1] === 0x03) {
    const alert = rec === 'alert' && buf.length >= 7 ? (TLS_ALERTS[buf[6]] ?? `alert ${buf[6]}`) : undefined;
    return {
      kind: 'tls',
      label: alert ? `a TLS server (it answered with a TLS alert: ${alert})` : 'a TLS server (it sent a TLS handshake record)',
      lines: [printable(buf.subarray(0, 16).toString('hex'))],
      tls: alert ? { record: rec, alert } : { record: rec },
    };
  }
  // MySQL/MariaDB greeting: 3-byte length, sequence 0, protocol version 10.
  if (buf.length >= 5 && buf[3] === 0 && buf[4] === 10 && buf.readUIntLE(0, 3) === buf.length - 4) {
    return { kind: 'mysql', label: 'a MySQL/MariaDB server', lines: [printable(buf.toString('latin1', 5, Math.min(buf.length, 40)).split('\0')[0])] };
  }
  const text = buf.toString('latin1');
  const lines = splitLines(text).slice(0, MAX_LINES).map(printable);
  for (const line of splitLines(text).slice(0, MAX_LINES)) {
    for (const r of OPENSSH_REFUSALS) if (r.line.test(line)) return { kind: r.kind, label: r.label, lines };
  }
  if (looksBinary(buf)) return { kind: 'binary', label: 'a service speaking a binary protocol', lines: [printable(buf.subarray(0, 16).toString('hex'))] };
  const first = splitLines(text)[0] ?? '';
  for (const r of SERVICE_GREETINGS) {
    if (!r.line.test(first)) continue;
    if (r.kind === 'http') {
      const all = splitLines(text);
      const status = Number(/^HTTP\/[0-9.]+ ([0-9]{3})/.exec(first)?.[1] ?? 0);
      let server: string | null = null;
      for (const l of all) {
        if (l === '') break;
        const m = /^Server:[ \t]*(.*)$/i.exec(l);
        if (m) {
          server = printable(m[1].trim());
          break;
        }
      }
      return { kind: 'http', label: `an HTTP server${server ? ` (${server})` : ''}`, lines, http: { status, statusLine: printable(first), server } };
    }
    return { kind: r.kind, label: r.label, lines };
  }
  // An HTML page with no status line: an HTTP server answering as to HTTP/0.9 (Python's
  // http.server does so for a request line it cannot parse, such as our SSH identification).
  if (/^\s*<(?:!DOCTYPE\s+html|html|head|body)\b/i.test(text)) {
    const title = /<title>([^<]{0,120})<\/title>/i.exec(text)?.[1]?.trim() ?? '';
    const code = /\b(?:Error code|Status)[: ]+([1-5][0-9]{2})\b/i.exec(text)?.[1];
    const statusLine = printable(`no status line; an HTML page${title ? ` titled "${title}"` : ''}${code ? `, error code ${code}` : ''}`);
    return { kind: 'http', label: 'an HTTP server (it sent an HTML page)', lines, http: { status: code ? Number(code) : 0, statusLine, server: null } };
  }
  return { kind: 'other_text', label: 'text that is not an SSH identification', lines };
}
