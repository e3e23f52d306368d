/**
 * Joins sshd events into connections.
 *
 * - A connection's lines share (host, pid) for its lifetime. PIDs are reused: a `Connection from`
 *   line, a line naming another client address, or any non-trailer line after the connection ended
 *   starts a new connection on that pid.
 * - After `Accepted`, the post-auth user child logs with its own pid: its lines are joined by the
 *   (address, port) pair (present in almost every addressed line) or by `User child is on pid N`.
 * - Listener lines (drop connection, 9.8+ `Timeout before authentication …, pid = N`, crash lines)
 *   become their own `dropped` records or are joined to the session pid they name.
 * - Address-less identification lines (8.0+) get their address from the same process: a preceding
 *   VERBOSE `Connection from` or the 8.3+ follow-up `Connection closed by <ip> port <p>`.
 *
 * Pure: no clock (times come from the lines or from `sweep(now)`), no I/O.
 */
import type { FramedLine } from '../framing/framed-line.ts';
import type { SshdEvent } from '../events/index.ts';
import { identOutcome, settleOutcome, type ConnectionFacts, type Ending } from '../classify/outcome.ts';
import { PHASES, type Outcome } from '../vocabulary.ts';
import { isoTime } from './iso-time.ts';
import { ownString } from '../framing/own-string.ts';
import { IntMap } from './int-map.ts';
import { MAX_EVIDENCE_PER_CONNECTION, MAX_USERS_PER_CONNECTION, type ConnectionRecord, type Evidence } from './types.ts';

/** What the tracker reports to its owner (the Analyzer). */
export interface TrackerSink {
  connectionClosed(rec: ConnectionRecord, state: OpenConnection): void;
  authSuccess(address: string, port: number, user: string, method: string, ts: number | null, evidence: Evidence): void;
  authFailure(address: string, port: number, user: string | null, invalidUser: boolean, method: string | null, ts: number | null, evidence: Evidence): void;
  listenerLine(line: FramedLine, ev: SshdEvent, evidence: Evidence): void;
  trailer(line: FramedLine, ev: SshdEvent): void;
}

/** The connections of one host (log envelope host name): kept apart so pids of different hosts never mix. */
class HostState {
  /** Open (and recently finished) connections by pid; pid-less lines use -1 (address-less) or `byClient`. */
  readonly byPid = new IntMap<Tracked>(); // not a Map: see int-map.ts (memory)
  /** Other pids (user child) joined to a connection. */
  readonly aliases = new IntMap<Tracked>(16);
  /** Authenticated connections by `address port`, for post-auth lines on other pids. */
  readonly sessions = new Map<string, OpenConnection>();
  /**
   * How many `sessions` use each client port: most addressed lines belong to no session, and a
   * number lookup tells so without building the `address port` key (a string per line).
   */
  readonly sessionPorts = new Map<number, number>();
  /** pid-less lines (sshd -E) with an address, by `address port`. */
  readonly byClient = new Map<string, Tracked>();
}

/**
 * What a finished connection keeps while it stays registered (trailer window, PID reuse checks):
 * its identity only. The open connection's object (~30 fields, its arrays and strings) is
 * replaced by this one at close, because at thousands of connections per second (the guard) the
 * registered finished connections outnumber the open ones and all of them reach the old generation.
 */
export class ClosedConnection {
  readonly closed = true as const;
  readonly key: number | string;
  readonly hs: HostState;
  readonly src: string | null;
  readonly srcPort: number | null;
  readonly authOk: boolean;
  readonly lastTs: number | null;
  readonly aliasKeys: number[];
  constructor(c: OpenConnection) {
    this.key = c.key;
    this.hs = c.hs;
    this.src = c.src;
    this.srcPort = c.srcPort;
    this.authOk = c.authOk;
    this.lastTs = c.lastTs;
    this.aliasKeys = c.aliasKeys;
  }
}

/** A registered connection: open, or finished and still joinable. */
type Tracked = OpenConnection | ClosedConnection;

export class OpenConnection implements ConnectionFacts {
  /** Where this connection is registered: pid (>= 0), -1 for pid-less address-less lines, or a `byClient` key. */
  key: number | string;
  readonly hs: HostState;
  readonly host: string | null;
  readonly pid: number | null;
  readonly pids: number[] = [];
  src: string | null = null;
  srcPort: number | null = null;
  local: string | null = null;
  localPort: number | null = null;
  firstTs: number | null = null;
  lastTs: number | null = null;
  phaseIndex = 0;
  users: string[] = NONE;
  methods: string[] = NONE;
  failures = 0;
  authOk = false;
  authAttempted = false;
  ident: { outcome: Outcome; detail: string } | null = null;
  /** Address-less kex_exchange_identification lines seen on this connection. */
  kexIdentLines = 0;
  clientVersion: string | null = null;
  disconnect: { code: number | null; message: string } | null = null;
  crash: string | null = null;
  /** sshd accepted the user's key (`Postponed publickey`, `Accepted key … found at`): it is in authorized_keys. */
  keyAccepted = false;
  /** A session-end line without `[preauth]` (since 7.5 only the post-auth process writes those) and no pre-auth line before it. */
  postAuthEnd = false;
  /** A line of this connection ended in `[preauth]`. */
  sawPreauth = false;
  /** `maximum authentication attempts exceeded`: at least MaxAuthTries attempts, however few were logged. */
  maxTriesExceeded = false;
  /** Failed password / keyboard-interactive attempts (guessing a secret, unlike a refused key). */
  /** `Failed password` / `Failed keyboard-interactive` lines (more than ssh prompts for is not a person mistyping: classify/source.ts). */
  secretFailures = 0;
  evidence: Evidence[] = [];
  evidenceOmitted = 0;
  closed = false;
  /** Other pids joined to this connection (aliases). */
  aliasKeys: number[] = NO_PIDS;
  /** The line that set `src` came after client text on a possibly cut line and was ignored. */
  addressDropped = false;
  constructor(hs: HostState, key: number | string, host: string | null, pid: number | null) {
    this.hs = hs;
    this.key = key;
    this.host = host;
    this.pid = pid;
    if (pid !== null) this.pids.push(pid);
  }
}

export interface TrackerOptions {
  graceMs: number;
  evidenceText: boolean;
  /** sshd's MaxAuthTries (default 6): a `maximum authentication attempts exceeded` connection made at least half of it as logged refusals. */
  maxAuthTries?: number;
  /** Most connections kept open at once (default MAX_OPEN); past it the oldest is let go (counted in `evicted`). */
  maxOpen?: number;
}

/**
 * The memory bound: at most this many connections open at once (about 1.7 KB each, so ~85 MB).
 * `analyze` takes a lower one from SSHWARDEN_ANALYZE_MAX_OPEN (for the fault test, see
 * cli/commands/analyze-run.ts).
 * A real sshd holds at most MaxStartups unauthenticated connections plus its sessions, far fewer;
 * only a log of millions of distinct sources whose ends were never logged reaches it. Past it the
 * oldest open connection is closed with outcome unknown (detail `evicted`) and counted.
 */
export const MAX_OPEN = 50_000;

/** How long a finished connection stays joinable by trailer lines (pam session close, …). */
const TRAILER_WINDOW_MS = 60_000;
/** A logged-in session silent this long is let go (its end was not logged, e.g. a rotated-away log): bounds memory. */
const SESSION_SILENCE_MS = 30 * 86_400_000;
/** Slack on top of LoginGraceTime (9.9+ adds up to 4 s of jitter; logs are written late). */
const GRACE_SLACK_MS = 10_000;

function clientKey(addr: string, port: number): string {
  return `${addr} ${port}`;
}

export class ConnectionTracker {
  private readonly hosts = new Map<string | null, HostState>();
  private lastHost: string | null = null;
  private lastHostState: HostState | null = null;
  private openConns = 0;
  /** Open connections in the order they were opened (entries may have closed since): the eviction order. */
  private openOrder: (OpenConnection | undefined)[] = [];
  private openHead = 0;
  /** Lines handled since the last sweep, and the connections the last sweep left registered (see sweepAfterLines). */
  private handledSinceSweep = 0;
  private registeredAfterSweep = 0;
  /** Open connections let go because more than `maxOpen` were open at once. */
  evicted = 0;
  /** Server addresses seen (`Connection from … on <lip>`, `Server listening on`), to tell the 9.8p1 swapped label. */
  readonly localAddresses = new Set<string>();
  private readonly sink: TrackerSink;
  private readonly opts: TrackerOptions;
  /** Latest line time seen: the tracker's notion of "now" for a log being read. */
  maxTs: number | null = null;

  constructor(sink: TrackerSink, opts: TrackerOptions) {
    this.sink = sink;
    this.opts = opts;
  }

  /** Connections not yet finished. */
  get openCount(): number {
    return this.openConns;
  }

  private hostState(host: string | null): HostState {
    if (this.lastHostState !== null && host === this.lastHost) return this.lastHostState;
    let hs = this.hosts.get(host);
    if (hs === undefined) {
      hs = new HostState();
      this.hosts.set(host, hs);
    }
    this.lastHost = host;
    this.lastHostState = hs;
    return hs;
  }

  private lookup(hs: HostState, key: number | string): Tracked | undefined {
    if (typeof key === 'number') return hs.byPid.get(key) ?? hs.aliases.get(key);
    return hs.byClient.get(key);
  }

  private register(c: OpenConnection): void {
    if (typeof c.key === 'number') c.hs.byPid.set(c.key, c);
    else c.hs.byClient.set(c.key, c);
    this.openConns++;
    this.openOrder.push(c);
    if (this.openConns > (this.opts.maxOpen ?? MAX_OPEN)) this.evictOldest();
  }

  private evictOldest(): void {
    while (this.openHead < this.openOrder.length) {
      const c = this.openOrder[this.openHead];
      this.openOrder[this.openHead++] = undefined;
      if (c !== undefined && !c.closed && this.lookup(c.hs, c.key) === c) {
        this.evicted++;
        this.close(c, null, 'evicted');
        // close() left a ClosedConnection stub in its place (for trailers): an evicted connection
        // keeps none, or the stubs of millions of evicted connections would be the next unbounded table.
        const stub = this.lookup(c.hs, c.key);
        if (stub !== undefined && stub.closed) this.forget(stub);
        break;
      }
    }
    this.compactOpenOrder();
  }

  /** Drops finished and passed entries from the eviction order (it must not keep closed connections alive). */
  private compactOpenOrder(): void {
    const live = this.openOrder.length - this.openHead;
    // Amortised: only when the passed head is most of the array, or finished entries dominate.
    // The slack is small on purpose: every entry keeps a whole connection alive, and with 65,536 of
    // them a 1M-line log kept ~100 MB of finished connections and promoted all of them to V8's old
    // space (peak RSS 180 → 260-300 MB, +20 % CPU; issue 14).
    const headHeavy = this.openHead >= 65536 && this.openHead * 2 >= this.openOrder.length;
    if (!headHeavy && live < 2 * this.openConns + 1024) return;
    this.openOrder = this.openOrder.slice(this.openHead).filter((c) => c !== undefined && !c.closed);
    this.openHead = 0;
  }

  handle(line: FramedLine, ev: SshdEvent): void {
    this.handledSinceSweep++;
    if (line.ts !== null && (this.maxTs === null || line.ts > this.maxTs)) this.maxTs = line.ts;
    const entry = ev.entry;
    if (entry !== null && entry.scope === 'listener') {
      this.handleListener(line, ev);
      return;
    }
    const host = line.host;
    const hs = this.hostState(host);
    let key: number | string;
    if (line.pid !== null) key = line.pid;
    else if (ev.addr !== null && ev.port !== null) key = clientKey(ev.addr, ev.port);
    else key = -1;

    let c: Tracked | undefined = this.lookup(hs, key);
    // No pid (sshd -E / stderr logs): an address-less identification line is joined to the next
    // addressed line of the stream, which is its 8.3+ follow-up (nothing else can tell them apart).
    if (c === undefined && line.pid === null && typeof key === 'string') {
      const pending = hs.byPid.get(-1);
      if (pending !== undefined && !pending.closed && pending.src === null && pending.ident !== null) {
        hs.byPid.delete(-1);
        pending.key = key;
        hs.byClient.set(key, pending);
        c = pending;
      }
    }
    // Time bounds the life of a key: a finished connection takes trailers only for a while, and an
    // unauthenticated one cannot outlive LoginGraceTime (PIDs are reused).
    if (c !== undefined && line.ts !== null && c.lastTs !== null) {
      const idle = line.ts - c.lastTs;
      if (c.closed ? idle > TRAILER_WINDOW_MS : !c.authOk && idle > this.opts.graceMs + GRACE_SLACK_MS) {
        if (!c.closed) this.close(c, null, 'expired');
        c = undefined;
      }
    }
    // A post-auth line from the user child (another pid) joins its session by (address, port).
    if (ev.addr !== null && ev.port !== null && hs.sessionPorts.has(ev.port) && (c === undefined || (c.closed && !sameClient(c, ev)))) {
      const s = hs.sessions.get(clientKey(ev.addr, ev.port));
      if (s !== undefined && s !== c) {
        c = s;
        if (line.pid !== null && !c.pids.includes(line.pid)) c.pids.push(line.pid);
        if (typeof key === 'number' && !hs.byPid.has(key) && (hs.aliases.get(key)?.closed ?? true)) {
          hs.aliases.set(key, c);
          addAlias(c, key);
        }
      }
    }

    if (c !== undefined && c.closed) {
      if (ev.effect === 'connect') c = undefined;
      else if (ev.addr !== null ? sameClient(c, ev) : entry === null || entry.trailer === true || c.authOk) {
        this.sink.trailer(line, ev);
        return;
      } else c = undefined;
    } else if (c !== undefined) {
      if (ev.effect === 'connect' || (ev.addr !== null && c.src !== null && !sameClient(c, ev))) {
        this.close(c, null, 'superseded');
        c = undefined;
      }
    }

    if (c === undefined) {
      // Lines that cannot start a connection: unrecognised/debug lines, and trailers of a connection we never saw.
      if (entry === null || (entry.trailer === true && ev.addr === null)) {
        this.sink.trailer(line, ev);
        return;
      }
      c = new OpenConnection(hs, key, host, line.pid);
      this.register(c);
    }
    this.apply(c, line, ev);
  }

  /** Kept for the whole run: a flat copy (a slice would keep the reader's decoded text alive). */
  private addLocal(addr: string): void {
    if (!this.localAddresses.has(addr)) this.localAddresses.add(ownString(addr));
  }

  private evidenceOf(line: FramedLine): Evidence {
    // The text is kept with the record: a flat copy, not a view into the reader's decoded text (see framing/own-string.ts).
    return this.opts.evidenceText ? { file: line.file, line: line.line, text: ownString(line.message) } : { file: line.file, line: line.line };
  }

  private addEvidence(c: OpenConnection, ev: Evidence): void {
    if (c.evidence.length < MAX_EVIDENCE_PER_CONNECTION) c.evidence.push(ev);
    else c.evidenceOmitted++;
  }

  private apply(c: OpenConnection, line: FramedLine, ev: SshdEvent): void {
    const evidence = this.evidenceOf(line);
    this.addEvidence(c, evidence);
    if (line.ts !== null) {
      if (c.firstTs === null) c.firstTs = line.ts;
      c.lastTs = line.ts;
    }
    const entry = ev.entry;
    if (entry === null) return; // an unrecognised or debug line of this connection: evidence only
    if (entry.phase !== null) {
      let p = entry.phaseIndex;
      const e = ev.effect;
      if (ev.preauth && p < 2 && e !== 'closed' && e !== 'reset' && !entry.identPhase) p = 2;
      if ((e === 'closed' || e === 'reset' || e === 'disconnected') && ev.preauth && p < 2) p = 2;
      if (p > c.phaseIndex) c.phaseIndex = p;
    }
    if (ev.addressDropped) c.addressDropped = true;
    if (ev.preauth) c.sawPreauth = true;
    if (ev.addr !== null && c.src === null) {
      // Strings an open connection keeps are flat copies: lines are views into the reader's ~64 KiB
      // pieces, and a connection (a session can last hours) would otherwise keep its pieces alive.
      c.src = ownString(ev.addr);
      c.srcPort = ev.port;
      if (c.authOk && ev.port !== null) this.registerSession(c);
    } else if (ev.port !== null && c.srcPort === null && ev.addr === c.src) c.srcPort = ev.port;
    if (ev.user !== null) {
      c.users = addBounded(c.users, ev.user, MAX_USERS_PER_CONNECTION, true);
      // A user preamble (`authenticating user X`, `invalid user X`) on a pre-auth line: the client sent a user name.
      // (`user X` is the logged-in session's own preamble: no attempt.)
      if (!c.authOk && !ev.sessionUser) {
        c.authAttempted = true;
        if (c.phaseIndex < 3) c.phaseIndex = 3;
      }
    }

    switch (ev.effect) {
      case 'connect':
        if (ev.laddr !== null) {
          c.local = ownString(ev.laddr);
          c.localPort = ev.lport;
          this.addLocal(ev.laddr);
        }
        break;
      case 'ident_closed':
      case 'ident_reset':
      case 'ident_write':
      case 'ident_invalid':
      case 'ident_mismatch':
      case 'probe': {
        const io = identOutcome(ev);
        // The first failure explains the connection; a later generic one does not overwrite it.
        if (io !== null && (c.ident === null || ev.effect === 'probe')) c.ident = io;
        if (entry.kexIdent) c.kexIdentLines++;
        if (ev.clientText !== null && c.clientVersion === null) c.clientVersion = ownString(ev.clientText);
        break;
      }
      case 'ident_final':
        if (ev.clientText !== null && c.clientVersion === null) c.clientVersion = ownString(ev.clientText);
        break;
      case 'auth_invalid_user':
      case 'auth_not_allowed':
      case 'auth_refused':
      case 'auth_max':
        if (ev.effect === 'auth_max') c.maxTriesExceeded = true;
        c.authAttempted = true;
        this.reportFailure(c, ev, line, evidence, ev.effect === 'auth_invalid_user' || ev.invalidUser, null);
        break;
      case 'auth_pam_fail':
        c.authAttempted = true;
        this.reportFailure(c, ev, line, evidence, ev.invalidUser, null);
        break;
      case 'auth_fail':
        c.authAttempted = true;
        c.failures++;
        if (ev.method === 'password' || ev.method === 'keyboard-interactive') c.secretFailures++;
        if (ev.method !== null) c.methods = addBounded(c.methods, ev.method, 10);
        this.reportFailure(c, ev, line, evidence, ev.invalidUser, ev.method);
        break;
      case 'auth_partial':
        if (ev.method !== null) c.methods = addBounded(c.methods, ev.method, 10);
        if (ev.method === 'publickey') c.keyAccepted = true;
        break;
      case 'auth_info':
        if (entry.id === 'accepted-key-found') c.keyAccepted = true;
        break;
      case 'disconnected':
        this.notePostAuthEnd(c, ev);
        break;
      case 'auth_ok': {
        c.authOk = true;
        if (ev.method !== null) c.methods = addBounded(c.methods, ev.method, 10);
        if (c.phaseIndex < 4) c.phaseIndex = 4;
        const addr = ev.addr ?? c.src;
        const port = ev.port ?? c.srcPort;
        if (c.src !== null && c.srcPort !== null) this.registerSession(c);
        if (addr !== null && port !== null) this.sink.authSuccess(addr, port, ev.user ?? '', ev.method ?? '', line.ts, evidence);
        break;
      }
      case 'recv_disconnect': {
        this.notePostAuthEnd(c, ev);
        const message = (ev.clientText ?? '').trim();
        c.disconnect = { code: ev.num, message: ownString(message) };
        // 13 auth cancelled, 14 no more auth methods, 15 illegal user name; JSch sends 3 "Auth fail".
        // The client's own words only ever describe its own connection.
        if (ev.num === 13 || ev.num === 14 || ev.num === 15 || (ev.num === 3 && /auth/i.test(message))) c.authAttempted = true;
        break;
      }
      case 'session_child':
        if (ev.pidRef !== null) {
          const k = ev.pidRef;
          if (!c.hs.byPid.has(k)) {
            c.hs.aliases.set(k, c);
            addAlias(c, k);
          }
          if (!c.pids.includes(ev.pidRef)) c.pids.push(ev.pidRef);
        }
        break;
      default:
        break;
    }
    if (entry.final === true) this.close(c, ev, 'final');
  }

  /**
   * A session end without `[preauth]` and without a user preamble, on a connection that showed
   * nothing of pre-auth: since 7.5 (privilege separation mandatory) only the post-authentication
   * process writes those, so this client had logged in before the log starts (its `Accepted` line
   * rotated out, or the window begins later).
   */
  private notePostAuthEnd(c: OpenConnection, ev: SshdEvent): void {
    if (ev.preauth || c.sawPreauth || c.authOk || c.authAttempted || (ev.user !== null && !ev.sessionUser) || c.ident !== null || c.kexIdentLines > 0 || c.phaseIndex > 2) return;
    c.postAuthEnd = true;
  }

  private reportFailure(c: OpenConnection, ev: SshdEvent, line: FramedLine, evidence: Evidence, invalidUser: boolean, method: string | null): void {
    const addr = ev.addr ?? c.src;
    const port = ev.port ?? c.srcPort;
    if (addr === null) return;
    this.sink.authFailure(addr, port ?? 0, ev.user, invalidUser, method, line.ts, evidence);
  }

  private registerSession(c: OpenConnection): void {
    if (c.src === null || c.srcPort === null) return;
    const hs = c.hs;
    const k = clientKey(c.src, c.srcPort);
    if (!hs.sessions.has(k)) hs.sessionPorts.set(c.srcPort, (hs.sessionPorts.get(c.srcPort) ?? 0) + 1);
    hs.sessions.set(k, c);
  }

  private handleListener(line: FramedLine, ev: SshdEvent): void {
    const evidence = this.evidenceOf(line);
    switch (ev.effect) {
      case 'listener_drop':
      case 'refused_wrappers': {
        if (ev.laddr !== null) this.addLocal(ev.laddr);
        const c = new OpenConnection(this.hostState(line.host), -1, line.host, line.pid);
        c.src = ev.addr;
        c.srcPort = ev.port;
        c.local = ev.laddr;
        c.localPort = ev.lport;
        c.firstTs = c.lastTs = line.ts;
        c.evidence.push(evidence);
        const reason = ev.effect === 'refused_wrappers' ? 'refused by TCP wrappers (hosts.deny)' : dropReason(ev.text);
        this.emit(c, { outcome: 'dropped', detail: ev.effect === 'refused_wrappers' ? 'tcp_wrappers' : dropDetail(ev.text), reason });
        break;
      }
      case 'listener_timeout':
      case 'listener_child': {
        const target = ev.pidRef === null ? undefined : this.lookup(this.hostState(line.host), ev.pidRef);
        if (target !== undefined && !target.closed) {
          this.addEvidence(target, evidence);
          if (line.pid !== null && !target.pids.includes(line.pid)) target.pids.push(line.pid);
          if (line.ts !== null) target.lastTs = line.ts;
          if (target.src === null) this.setClientFromLabel(target, ev);
          if (ev.effect === 'listener_child') target.crash = ev.entry?.detail ?? 'crash';
          this.close(target, ev, 'final');
        } else if (ev.effect === 'listener_timeout') {
          // The session process logged nothing we kept (INFO on 9.8+): the listener's line is the whole story.
          const c = new OpenConnection(this.hostState(line.host), ev.pidRef ?? -1, line.host, ev.pidRef);
          if (line.pid !== null) c.pids.push(line.pid);
          this.setClientFromLabel(c, ev);
          c.firstTs = c.lastTs = line.ts;
          c.evidence.push(evidence);
          this.emit(c, { outcome: 'timeout', detail: 'login_grace_time', reason: 'LoginGraceTime expired before authentication' });
        }
        this.sink.listenerLine(line, ev, evidence);
        break;
      }
      default:
        if (ev.effect === 'daemon' && ev.laddr !== null && ev.laddr !== '0.0.0.0' && ev.laddr !== '::') this.addLocal(ev.laddr);
        this.sink.listenerLine(line, ev, evidence);
        break;
    }
  }

  /** The listener label is `connection from <client> to <server>` except in 9.8p1, which swapped them. */
  private setClientFromLabel(c: OpenConnection, ev: SshdEvent): void {
    let client = ev.idFrom;
    if (ev.idTo !== null && ev.idFrom !== null && this.localAddresses.has(ev.idFrom) && !this.localAddresses.has(ev.idTo)) client = ev.idTo;
    c.src = client === null ? null : ownString(client);
  }

  private close(c: OpenConnection, ev: SshdEvent | null, ending: Ending): void {
    const gap = this.maxTs !== null && c.lastTs !== null ? this.maxTs - c.lastTs : null;
    const settled = settleOutcome(c, ev, ending, gap, this.opts.graceMs);
    if (ev !== null && ev.entry !== null && settled.reason === undefined && ev.text !== null && ev.effect !== 'closed') settled.reason = ev.text;
    if (ending === 'evicted') settled.reason = `let go while still open: more than ${(this.opts.maxOpen ?? MAX_OPEN).toLocaleString('en-US')} connections were open at once (the memory bound); its end was not followed`;
    this.emit(c, settled);
  }

  private emit(c: OpenConnection, s: { outcome: Outcome; detail: string; reason?: string; inferred?: boolean }): void {
    if (!c.closed && this.lookup(c.hs, c.key) === c) this.openConns--;
    c.closed = true;
    if (c.authOk && c.src !== null && c.srcPort !== null) {
      const k = clientKey(c.src, c.srcPort);
      if (c.hs.sessions.get(k) === c) {
        c.hs.sessions.delete(k);
        const n = c.hs.sessionPorts.get(c.srcPort) ?? 0;
        if (n > 1) c.hs.sessionPorts.set(c.srcPort, n - 1);
        else c.hs.sessionPorts.delete(c.srcPort);
      }
    }
    let phaseIndex = c.phaseIndex;
    if (s.outcome === 'authenticated') phaseIndex = 4;
    const rec: ConnectionRecord = {
      host: c.host,
      pid: c.pid,
      pids: c.pids,
      src: c.src,
      srcPort: c.srcPort,
      local: c.local,
      localPort: c.localPort,
      start: c.firstTs === null ? null : isoTime(c.firstTs),
      end: c.lastTs === null ? null : isoTime(c.lastTs),
      phase: PHASES[phaseIndex],
      outcome: s.outcome,
      detail: s.detail,
      users: c.users,
      methods: c.methods,
      failures: c.failures,
      evidence: c.evidence,
      reason: s.reason,
      inferred: s.inferred ? true : undefined,
      clientVersion: c.clientVersion ?? undefined,
      disconnect: c.disconnect ?? undefined,
      evidenceOmitted: c.evidenceOmitted ? c.evidenceOmitted : undefined,
      attemptsAtLeast: undefined,
    };
    if (c.maxTriesExceeded) {
      // At INFO, failures below half of MaxAuthTries are not logged for valid users: at least half were refused.
      const floor = Math.ceil((this.opts.maxAuthTries ?? 6) / 2);
      if (floor > c.failures) rec.attemptsAtLeast = floor;
    }
    this.sink.connectionClosed(rec, c);
    // Registered under its key or as an alias: the stub takes its place (see ClosedConnection).
    const hs = c.hs;
    let stub: ClosedConnection | null = null;
    if (typeof c.key === 'number') {
      if (hs.byPid.get(c.key) === c) hs.byPid.set(c.key, (stub = new ClosedConnection(c)));
    } else if (hs.byClient.get(c.key) === c) hs.byClient.set(c.key, (stub = new ClosedConnection(c)));
    for (const k of c.aliasKeys) if (hs.aliases.get(k) === c) hs.aliases.set(k, (stub ??= new ClosedConnection(c)));
    // The open object itself is no longer registered (the stub above is), but callers may still
    // hold it until the line is done: let the record and evidence go now, while they are young.
    c.evidence = NO_EVIDENCE;
    c.users = NONE;
    c.methods = NONE;
    c.ident = null;
    c.disconnect = null;
    c.clientVersion = null;
  }

  /**
   * sweep(maxTs) while a log is read, amortised: a sweep walks every registered connection, so it
   * runs once as many lines were handled since the last one as were left registered after it (at
   * least `minLines`): each sweep walks at most what the one before kept plus what was added since,
   * twice the lines handled. Without that, a log holding 250,000 open connections (the bound) walked
   * them all every 4,096 lines: 2M such lines took over 7 minutes. (Comparing with the entries
   * registered now, as before, never swept again once a sweep let nothing go: at 100 connections a
   * second every finished connection stayed, 550 MB for 600,000 lines.)
   */
  sweepAfterLines(minLines: number): void {
    if (this.maxTs === null) return;
    if (this.handledSinceSweep < minLines || this.handledSinceSweep < this.registeredAfterSweep) return;
    this.sweep(this.maxTs);
    this.registeredAfterSweep = this.registeredCount();
  }

  private registeredCount(): number {
    let n = 0;
    for (const hs of this.hosts.values()) n += hs.byPid.size + hs.byClient.size;
    return n;
  }

  /**
   * Ends connections that can no longer receive lines: pre-auth connections silent for longer than
   * LoginGraceTime (their end was not logged), and finished connections past the trailer window.
   * `now` is the caller's clock (live guard) or the newest line time (reading a file).
   */
  sweep(now: number): void {
    this.handledSinceSweep = 0;
    this.compactOpenOrder();
    const graceLimit = now - this.opts.graceMs - GRACE_SLACK_MS;
    const trailerLimit = now - TRAILER_WINDOW_MS;
    const sessionLimit = now - SESSION_SILENCE_MS;
    for (const hs of this.hosts.values()) {
      // First pass in any order (no sorted snapshot): let finished connections go, and see
      // whether any open one expired. Expiries are closed in a second pass, in insertion order
      // (the order of their records in the output), only when there are some.
      let expired = false;
      for (const list of [hs.byPid.valuesUnordered(), [...hs.byClient.values()]]) {
        for (const c of list) {
          if (c.lastTs === null) continue;
          if (c.closed) {
            if (c.lastTs < trailerLimit) this.forget(c);
          } else if (!c.authOk ? c.lastTs < graceLimit : c.lastTs < sessionLimit) expired = true;
        }
      }
      if (!expired) continue;
      for (const list of [hs.byPid.values(), [...hs.byClient.values()]]) {
        for (const c of list) {
          if (c.lastTs === null || c.closed) continue;
          if (!c.authOk ? c.lastTs < graceLimit : c.lastTs < sessionLimit) this.close(c, null, 'expired');
        }
      }
    }
  }


  private forget(c: Tracked): void {
    const hs = c.hs;
    if (typeof c.key === 'number') {
      if (hs.byPid.get(c.key) === c) hs.byPid.delete(c.key);
    } else if (hs.byClient.get(c.key) === c) hs.byClient.delete(c.key);
    for (const k of c.aliasKeys) if (hs.aliases.get(k) === c) hs.aliases.delete(k);
  }

  /** Ends every connection still open (end of the input). */
  finish(): void {
    for (const hs of this.hosts.values()) {
      for (const list of [hs.byPid.values(), [...hs.byClient.values()]]) for (const c of list) if (!c.closed) this.close(c, null, 'end-of-log');
    }
    this.hosts.clear();
    this.lastHostState = null;
    this.openConns = 0;
    this.openOrder = [];
    this.openHead = 0;
  }
}

/** Shared empty arrays (never mutated: addBounded/addAlias replace them on first use). */
const NONE: string[] = Object.freeze([]) as unknown as string[];
const NO_PIDS: number[] = Object.freeze([]) as unknown as number[];
const NO_EVIDENCE: Evidence[] = Object.freeze([]) as unknown as Evidence[];

function sameClient(c: { src: string | null; srcPort: number | null }, ev: SshdEvent): boolean {
  if (c.src === null) return false;
  if (ev.addr !== c.src) return false;
  return ev.port === null || c.srcPort === null || ev.port === c.srcPort;
}

/** Adds `v` to a bounded set-like list; returns the list (a new one when `list` was the shared empty one). */
function addBounded(list: string[], v: string, max: number, copy = false): string[] {
  if (list === NONE) return [copy ? ownString(v) : v];
  if (list.length < max && !list.includes(v)) list.push(copy ? ownString(v) : v);
  return list;
}

function addAlias(c: OpenConnection, k: number): void {
  if (c.aliasKeys === NO_PIDS) c.aliasKeys = [k];
  else c.aliasKeys.push(k);
}

/** Normalised drop detail from the drop line's reason text. */
export function dropDetail(text: string | null): string {
  const t = text ?? '';
  if (/max ?startups/i.test(t)) return 'maxstartups';
  if (t.startsWith('penalty:')) return 'penalty';
  if (t === 'too many penalised addresses') return 'penalty_table';
  return 'other';
}

function dropReason(text: string | null): string {
  const d = dropDetail(text);
  if (d === 'maxstartups') return `MaxStartups (${text})`;
  if (d === 'penalty') return `PerSourcePenalties (${text})`;
  return text ?? 'dropped by the listener';
}
