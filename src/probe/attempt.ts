/**
 * One probe attempt against one address (the I/O edge): TCP connect with a timeout, then
 * record what the server sends, when, and how the connection ends (FIN, RST, our timeout).
 * When the server speaks SSH, send our identification, read its KEXINIT and leave with a
 * polite SSH_MSG_DISCONNECT. Like a real ssh client we send our identification without being
 * asked, but only after a short silence (`listenFirstMs`), so that "closed before our
 * identification" and "closed after it" can be told apart.
 *
 * Node tells FIN and RST apart for us: `end` is a FIN from the peer, `error` ECONNRESET an RST.
 */
import net from 'node:net';
import tls from 'node:tls';
import { buildDisconnect, MAX_PACKET, parseIdentification, parseKexInit, readPacket, type KexInit, type SshIdentification } from './ssh-wire.ts';

export interface AttemptOptions {
  readonly connectTimeoutMs: number;
  /** Longest silence we wait for, after connect and after each piece of data. */
  readonly readTimeoutMs: number;
  /** Silence after connect before we send our identification. */
  readonly listenFirstMs: number;
  /** Our identification line, without CRLF. */
  readonly identification: string;
  /** Monotonic clock in ms (injected: the edge owns the clock). */
  readonly now: () => number;
}

export type ConnectOutcome = 'connected' | 'refused' | 'timeout' | 'unreachable' | 'error';

export interface AttemptResult {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly connect: { outcome: ConnectOutcome; ms: number; errno?: string };
  /** Bytes received before the server's SSH identification line (or all of them when none came), capped. */
  readonly preIdent: Buffer;
  readonly firstByteMs: number | null;
  /** When we sent our identification (ms since start), or null if we never did. */
  readonly sentIdentMs: number | null;
  readonly ident: SshIdentification | null;
  /** Pre-identification lines the server sent before `SSH-` (allowed by RFC 4253). */
  readonly kexinit: KexInit | null;
  readonly kexinitError: string | null;
  /**
   * How it ended: `fin`/`rst` by the server, `timeout` (we gave up on silence), `deadline` (the
   * exchange took longer than the timeout in all, e.g. a server trickling a byte a second),
   * `done` (we left after KEXINIT or enough data).
   */
  readonly close: { how: 'fin' | 'rst' | 'timeout' | 'deadline' | 'done' | 'error'; ms: number; errno?: string } | null;
}

const MAX_KEEP = 64 * 1024;
/** After the identification we keep up to one whole packet: RFC 4253 lets a packet be 256 KB (see ssh-wire.ts). */
const MAX_AFTER_IDENT = MAX_PACKET + 4;
const NON_SSH_SETTLE_MS = 1000;

export function runAttempt(address: string, port: number, opts: AttemptOptions): Promise<AttemptResult> {
  const family = net.isIPv6(address) ? 6 : 4;
  const t0 = opts.now();
  const ms = () => Math.round(opts.now() - t0);
  return new Promise((resolve) => {
    let connect: AttemptResult['connect'] | null = null;
    let close: AttemptResult['close'] = null;
    let buf = Buffer.alloc(0);
    let preIdent: Buffer | null = null;
    let firstByteMs: number | null = null;
    let sentIdentMs: number | null = null;
    let ident: SshIdentification | null = null;
    let kexinit: KexInit | null = null;
    let kexinitError: string | null = null;
    let timer: NodeJS.Timeout | null = null;
    let deadline: NodeJS.Timeout | null = null;
    let finished = false;

    const sock = net.connect({ host: address, port, family });
    sock.setNoDelay(true);

    const setTimer = (delay: number, fn: () => void) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(fn, delay);
    };
    const finish = () => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      if (deadline) clearTimeout(deadline);
      resolve({
        address,
        family,
        port,
        connect: connect ?? { outcome: 'error', ms: ms(), errno: 'unknown' },
        preIdent: preIdent ?? buf.subarray(0, MAX_KEEP),
        firstByteMs,
        sentIdentMs,
        ident,
        kexinit,
        kexinitError,
        close,
      });
    };
    const endByUs = (how: 'timeout' | 'deadline' | 'done') => {
      if (!close) close = { how, ms: ms() };
      sock.destroy();
    };
    const sendIdent = () => {
      if (sentIdentMs !== null || sock.destroyed) return;
      sentIdentMs = ms();
      sock.write(`${opts.identification}\r\n`);
    };

    setTimer(opts.connectTimeoutMs, () => {
      connect = { outcome: 'timeout', ms: ms() };
      sock.destroy();
    });

    sock.on('connect', () => {
      connect = { outcome: 'connected', ms: ms() };
      // The silence timer restarts with every byte; this one does not: the whole exchange gets the
      // timeout (after our first listening moment; a little later than a silent server's timeout, so silence stays "timeout").
      deadline = setTimeout(() => endByUs('deadline'), opts.listenFirstMs + opts.readTimeoutMs + 250);
      setTimer(opts.listenFirstMs, () => {
        sendIdent();
        setTimer(opts.readTimeoutMs, () => endByUs('timeout'));
      });
    });

    sock.on('data', (chunk: Buffer) => {
      if (firstByteMs === null) firstByteMs = ms();
      if (buf.length < (ident ? MAX_AFTER_IDENT : MAX_KEEP * 2)) buf = Buffer.concat([buf, chunk]);
      if (!ident) {
        // Look for an `SSH-` line; everything before it is pre-identification text.
        let start = 0;
        for (;;) {
          const nl = buf.indexOf(0x0a, start);
          if (nl < 0) break;
          const line = buf.toString('latin1', start, nl).replace(/\r$/, '');
          if (line.startsWith('SSH-')) {
            ident = parseIdentification(line);
            preIdent = buf.subarray(0, start);
            buf = buf.subarray(nl + 1);
            break;
          }
          start = nl + 1;
        }
        if (!ident) {
          // Not (yet) SSH: answer like a client would, then give the server a moment to say more.
          sendIdent();
          setTimer(NON_SSH_SETTLE_MS, () => endByUs('done'));
          if (buf.length > MAX_KEEP) endByUs('done');
          return;
        }
        sendIdent();
      }
      const p = readPacket(buf);
      if (p.kind === 'need-more' && buf.length >= MAX_AFTER_IDENT) {
        kexinitError = `the server's first packet is too large (more than ${MAX_PACKET / 1024} KB)`;
        endByUs('done');
        return;
      }
      if (p.kind === 'need-more') {
        setTimer(opts.readTimeoutMs, () => endByUs('timeout'));
        return;
      }
      if (p.kind === 'invalid') kexinitError = p.reason;
      else {
        try {
          kexinit = parseKexInit(p.payload);
        } catch (e) {
          kexinitError = (e as Error).message;
        }
      }
      if (!close) close = { how: 'done', ms: ms() };
      sock.end(buildDisconnect('sshwarden probe: done'));
      setTimer(500, () => sock.destroy());
    });

    sock.on('end', () => {
      if (!close) close = { how: 'fin', ms: ms() };
    });
    sock.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      if (!connect) {
        const outcome: ConnectOutcome =
          code === 'ECONNREFUSED' ? 'refused' : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL' ? 'unreachable' : code === 'ETIMEDOUT' ? 'timeout' : 'error';
        connect = { outcome, ms: ms(), errno: code };
      } else if (!close) {
        close = code === 'ECONNRESET' || code === 'EPIPE' ? { how: 'rst', ms: ms(), errno: code } : { how: 'error', ms: ms(), errno: code };
      }
    });
    sock.on('close', finish);
  });
}

/** What a TLS handshake attempt found (the second look at a port that closed on our SSH identification or stayed silent). */
export interface TlsSniff {
  readonly tls: boolean;
  /** `handshake` (completed), `alert` (the server answered with a TLS alert), or why it is not TLS. */
  readonly how: string;
  readonly protocol?: string;
  readonly subject?: string;
}

/**
 * One TLS ClientHello to the port: many TLS servers close silently on the line of text an SSH
 * client sends, so "closed after our identification" gets a second, single connection to name
 * the protocol. Certificates are not verified: we only want to know whether TLS answers.
 */
export function sniffTls(address: string, port: number, timeoutMs: number): Promise<TlsSniff> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: TlsSniff) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = tls.connect({ host: address, port, rejectUnauthorized: false, servername: net.isIP(address) ? undefined : address });
    const timer = setTimeout(() => finish({ tls: false, how: 'no answer to a TLS ClientHello' }), timeoutMs);
    sock.on('secureConnect', () => {
      const cert = sock.getPeerCertificate();
      const cn = cert && typeof cert === 'object' && cert.subject ? cert.subject.CN : undefined;
      finish({ tls: true, how: 'handshake', protocol: sock.getProtocol() ?? undefined, subject: Array.isArray(cn) ? cn[0] : cn });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const alert = /alert|ERR_SSL_(TLSV1|SSLV3)_ALERT/i.test(`${e.code} ${e.message}`);
      finish(alert ? { tls: true, how: 'alert' } : { tls: false, how: e.code ?? e.message });
    });
    sock.on('close', () => finish({ tls: false, how: 'closed without a TLS answer' }));
  });
}
