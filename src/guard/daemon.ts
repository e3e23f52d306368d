/**
 * `sshwarden guard`, the daemon: follows the sshd log live (files through inotify, or journald),
 * frames each line, feeds the incremental engine (the same one `analyze` uses, so every decision
 * carries the same evidence lines), turns its updates into decisions (decide.ts), writes each ban
 * to the firewall and, in the same turn, to SQLite (the commit runs while nft applies the change;
 * the ban is marked applied when nft confirms it, in a later turn). At start the firewall is
 * reconciled with the store (bans survive restarts, SIGKILL and reboots); failed firewall
 * operations stay in the store and are retried. SIGHUP re-reads the config (a bad one is
 * refused and the old one keeps running); SIGTERM/SIGINT stop cleanly.
 */
import { chooseLogSource, type LogChoice } from '../sources/log-choice.ts';
import type { Server } from 'node:net';
import { createFramer, detectFormat, type Framer, type LogFormat } from '../framing/index.ts';
import type { FramedLine } from '../framing/framed-line.ts';
import { JournalJsonFramer } from '../framing/journal-json-framer.ts';
import { sshdUids } from './sshd-users.ts';
import { canonicalAddress, familyOf, NetworkSet, parseCidr, cidrCovers, isLoopback, type Cidr } from '../net/address.ts';
import { ownAddresses } from '../net/own-addresses.ts';
import { resolveNames } from '../net/resolve-names.ts';
import { FileFollower, type FilePosition } from '../sources/follow-file.ts';
import { JournalFollower } from '../sources/follow-journal.ts';
import { MAX_LINE } from '../sources/line-limit.ts';
import type { GuardConfig } from './config.ts';
import { loadConfigApart } from './config-apart.ts';
import { Decider, type BanDecision, type Decision } from './decide.ts';
import { createFirewall, type FirewallBackend, type FirewallEntry } from './firewall/index.ts';
import { serveControl, type ControlRequest } from './control.ts';
import { jsonLogger, type Logger } from './log.ts';
import { banDurationProblem, formatDuration } from './duration.ts';
import { broadAllowProblem, broadBanProblem } from './broad-prefix.ts';
import { GuardMetrics } from './metrics.ts';
import { GuardStore } from './store.ts';
import type { GuardUpdate } from './updates.ts';
import { banView, isoTime } from './ban-view.ts';
import { createAnalyzer, type LineAnalyzer } from './engine-link.ts';
import { SourceHealth } from './source-health.ts';
import { FleetSync, type FleetHost } from './fleet-sync.ts';
import { VERSION } from '../version.ts';
import { decisionView } from './status-view.ts';
import { ResumePoint } from './resume-point.ts';
import { BurstPolicy, releaseHeap } from './burst-release.ts';

export interface GuardOptions {
  /** Path of the config file (for reload). */
  configPath: string;
  config: GuardConfig;
  /** Decide and log only: no firewall, an in-memory store. */
  dryRun?: boolean;
  /** Read the logs from their beginning (and score by their timestamps). */
  replay?: boolean;
  /** With replay, files only: call `onEndOfInput` once everything the files hold has been read. */
  once?: boolean;
  onEndOfInput?: () => void;
  /** Warn once when no sshd line has been read this long after the start (default 10 min). */
  silentWarningMs?: number;
  /** Prefix for firewall programs (tests only: `ip netns exec NS`). */
  firewallExec?: readonly string[];
  logger?: Logger;
  /** Clock (ms); tests may not override it in production paths. */
  now?: () => number;
  /** The guard gave up (no log source could be followed); the caller stops it and exits non-zero. */
  onFatal?: (reason: string) => void;
  /** What the guard follows changed: one line for the service manager's status. */
  notifyStatus?: (line: string) => void;
}

interface SourceInput {
  name: string;
  framer: Framer | null;
  pending: { text: string; line: number }[];
  format: LogFormat | 'auto';
}

const TICK_MS = 1000;
/** How often bans longer than the firewall's longest entry timeout (ipset) are re-added (see renewLongBans). */
const RENEW_EVERY_MS = 3_600_000;
/** Wait before restarting a follower that ended. */
const FOLLOWER_RETRY_MS = 5000;

export type SourcePlan = LogChoice;

/** Which log the guard follows, and why (the "following" log line, `guard --check`). Reads only file existence. */
export function sourcePlan(log: GuardConfig['log']): SourcePlan {
  return chooseLogSource(log.source, log.files);
}

export class GuardDaemon {
  private cfg: GuardConfig;
  private readonly opts: GuardOptions;
  private readonly log: Logger;
  private readonly now: () => number;
  readonly metrics = new GuardMetrics();
  private readonly health = new SourceHealth();
  private store!: GuardStore;
  private fw!: FirewallBackend;
  private decider!: Decider;
  private analyzer!: LineAnalyzer;
  private readonly activeBans = new Map<string, number>();
  /** When renewLongBans last ran (the start counts: reconcile then set every entry). */
  private lastRenew = 0;
  private readonly allow = new NetworkSet();
  private readonly own = new NetworkSet();
  /** Allow entries published by other servers of the fleet: target → server. */
  private readonly fleetAllows = new Map<string, string>();
  private fleet: FleetSync | null = null;
  private files: FileFollower[] = [];
  private readonly resumePoints = new Map<FileFollower, ResumePoint>();
  private journal: JournalFollower | null = null;
  private inputs = new Map<string, SourceInput>();
  private control: Server | null = null;
  private timers: NodeJS.Timeout[] = [];
  private fwQueue: { add: FirewallEntry[]; remove: FirewallEntry[]; readAt: (number | null)[] } = { add: [], remove: [], readAt: [] };
  private fwBusy = false;
  /** The last firewall attempt failed as a whole (not one refused element). */
  private firewallDown = false;
  private reconcileTimer: NodeJS.Timeout | null = null;
  private lastCursorSave = 0;
  private lastStoreRetry = 0;
  private tickCount = 0;
  private stopped = false;
  private resolvedNames = new Map<string, string[]>();
  /** When the line being processed was read (for the reaction-time metric). */
  private readAt: number | null = null;
  private sshdLines = 0;
  /** Lines read from every source (for the burst release: burst-release.ts). */
  private linesRead = 0;
  private readonly burst = new BurstPolicy();
  /** Lines delivered while starting, handled once "guard started" is logged (null: not starting). */
  private held: (() => void)[] | null = null;
  private startedAt = 0;
  private silentWarned = false;

  constructor(opts: GuardOptions) {
    this.opts = opts;
    this.cfg = opts.config;
    this.log = opts.logger ?? jsonLogger();
    this.now = opts.now ?? Date.now;
  }

  get backendName(): string {
    return this.fw.name;
  }

  /** Opens the store, reconciles the firewall, starts the sources, socket and metrics. Throws on a fatal problem. */
  async start(): Promise<void> {
    const cfg = this.cfg;
    // A full or read-only disk never stops the guard: the store keeps running in memory (degraded).
    this.store = new GuardStore(this.opts.dryRun ? ':memory:' : cfg.state.database, { keepRunningInMemory: true });
    this.reportStore();
    this.fw = createFirewall(cfg, { dryRun: this.opts.dryRun, exec: this.opts.firewallExec });
    this.analyzer = await createAnalyzer();
    this.decider = new Decider(cfg, {
      priorOffences: (t) => this.store.priorOffences(t, this.now(), this.cfg.ban.remember),
      activeBans: this.activeBans,
      allow: this.allow,
      own: this.own,
      onScore: (source, weight) => this.fleet?.addScore(source, weight),
    });
    const now = this.now();
    for (const r of this.store.expire(now)) this.log.log('info', 'expired', { target: r.target, while: 'stopped' });
    for (const a of this.store.authenticatedSince(now - cfg.never_ban.authenticated_for)) this.decider.learnAuthenticated(a.address, a.last);
    await this.refreshProtected();
    if (!this.opts.dryRun && (this.store.created || this.store.startedEmpty)) await this.rebuildFromFirewall(now);
    const bans = this.store.activeBans(now);
    for (const b of bans) this.activeBans.set(b.target, b.until);
    this.lastRenew = now; // the reconcile below sets every entry
    try {
      await this.reconcile();
      this.log.log('info', 'firewall reconciled', { backend: this.fw.name, bans: bans.length });
    } catch (e) {
      // Not fatal: the bans are in the store and the retry loop keeps trying; say so loudly.
      this.log.log('error', 'firewall setup failed; decisions are kept and retried', { backend: this.fw.name, error: (e as Error).message });
      this.metrics.firewallErrors.inc();
      this.scheduleReconcile();
    }
    if (!this.opts.dryRun) this.control = await serveControl(cfg.state.socket, (req) => this.handleControl(req));
    if (cfg.metrics.enabled) {
      try {
        await this.metrics.listen(cfg.metrics.listen);
      } catch (e) {
        this.log.log('warn', 'metrics endpoint not started', { listen: cfg.metrics.listen, error: (e as Error).message });
      }
    }
    if (cfg.fleet && !this.opts.dryRun) {
      this.fleet = new FleetSync(cfg, this.fleetHost());
      await this.fleet.start(VERSION);
    }
    // The sources start (positioned: a line written after "guard started" is read), but what
    // they deliver is held until "guard started" is logged: a replay would otherwise ban first.
    const plan = this.sourcePlan();
    this.held = [];
    this.startedAt = this.now();
    this.startSources(plan);
    this.log.log('info', 'guard started', {
      backend: this.fw.name,
      dryRun: Boolean(this.opts.dryRun),
      sources: plan.journal ? ['journal'] : plan.files,
      database: this.store.path,
      socket: this.opts.dryRun ? null : cfg.state.socket,
      threshold: cfg.policy.threshold,
      window: cfg.policy.window / 1000,
    });
    this.log.log('info', 'following', plan.journal ? { source: 'journal', units: cfg.log.journal_units, why: plan.why } : { source: 'files', files: plan.files, why: plan.why });
    const held = this.held;
    this.held = null;
    for (const h of held) h();
    this.timers.push(setInterval(() => this.tick(), TICK_MS));
    this.timers.push(setInterval(() => void this.refreshProtected(), Math.max(10_000, cfg.never_ban.refresh)));
    if (this.opts.once) this.timers.push(setInterval(() => this.checkEndOfInput(), 200));
  }

  private sourcePlan(): SourcePlan {
    return sourcePlan(this.cfg.log);
  }

  /** --once: stop reading when every file has been read to its end and the engine has had it. */
  private checkEndOfInput(): void {
    if (this.stopped || this.files.length === 0 || !this.files.every((f) => f.atEnd())) return;
    const cb = this.opts.onEndOfInput;
    this.opts.onEndOfInput = undefined;
    cb?.();
  }

  /** Warns once when the source has given no sshd line for a while: likely the wrong source. */
  private checkSilence(now: number): void {
    if (this.silentWarned || this.sshdLines > 0 || this.startedAt === 0) return;
    const after = this.opts.silentWarningMs ?? 10 * 60_000;
    if (now - this.startedAt < after) return;
    this.silentWarned = true;
    this.log.log('warn', 'no sshd line read yet: is this where sshd logs? (set log.source and log.files)', {
      seconds: Math.round((now - this.startedAt) / 1000),
      sources: [...this.inputs.keys()],
    });
  }

  /**
   * A new (or unreadable) store while the firewall still holds bans (the old store was moved
   * aside, or could not be read): those bans are taken back into the store, for one ban.duration
   * each (their original end is not known), instead of being flushed by the first reconcile.
   */
  private async rebuildFromFirewall(now: number): Promise<void> {
    let targets: string[];
    try {
      targets = await this.fw.list();
    } catch {
      return;
    }
    const known = new Set(this.store.activeBans(now).map((b) => b.target));
    let n = 0;
    for (const t of targets) {
      const c = parseCidr(t);
      if (!c || known.has(c.text)) continue;
      this.store.recordBan({ target: c.text, family: c.family, since: now, until: now + this.cfg.ban.duration, reason: 'rebuilt from the firewall (the store was new or unreadable)', origin: 'auto', offence: 1, evidence: '[]' }, now);
      n++;
    }
    if (n) this.log.log('warn', 'store rebuilt from the firewall', { database: this.store.path, bans: n, until: isoTime(now + this.cfg.ban.duration) });
  }

  /** Logs the store's state when it changes (degraded: running from memory; recovered). */
  private storeState: string | null = null;
  private reportStore(): void {
    const d = this.store.degraded;
    this.metrics.storeDegraded.set(d ? 1 : 0);
    const state = d ? 'degraded' : 'ok';
    if (state === this.storeState) return;
    if (d) this.log.log('error', 'store cannot be written: decisions are kept in memory and enforced; retrying the disk', { database: this.store.path, error: d.error, retryEvery: this.cfg.firewall.retry / 1000 });
    else if (this.storeState) this.log.log('info', 'store writable again: state written back to disk', { database: this.store.path });
    this.storeState = state;
  }

  // ---- sources -------------------------------------------------------------------------------

  private startSources(plan = this.sourcePlan()): void {
    const cfg = this.cfg;
    if (plan.journal) {
      const saved = this.opts.replay ? null : this.store.getCursor('journal');
      // Trusted fields only: a local user's `logger -t sshd` must not speak for sshd.
      const input: SourceInput = { name: 'journal', framer: new JournalJsonFramer('journal', { uids: sshdUids() }), pending: [], format: 'journal-json' };
      this.inputs.set('journal', input);
      let lineNo = 0;
      let prev = saved;
      const resume = new ResumePoint(saved);
      const follower = new JournalFollower({
        start: this.opts.replay ? 'beginning' : saved ? { cursor: saved } : 'end',
        units: cfg.log.journal_units,
        // First start: record where following began, so a crash during the first batch loses nothing.
        onStartCursor: (cursor) => {
          prev = cursor;
          resume.noteBatch(this.now(), null, cursor);
          this.saveCursor('journal', cursor);
        },
        onRecords: (lines, cursor) => {
          this.health.delivered('journal');
          const at = this.now();
          this.onLines(input, lines, lineNo + 1);
          lineNo += lines.length;
          resume.noteBatch(at, prev, cursor);
          prev = cursor;
          const p = resume.position(this.now(), this.cfg.policy.window + 2000);
          if (p) this.saveCursor('journal', p);
        },
        onExit: (reason) => {
          if (this.stopped) return;
          // Restarted only while it is still the guard's follower (a reload may have replaced it).
          this.onFollowerFailed('journal', reason, () => this.journal === follower, () => follower.start());
        },
      });
      this.journal = follower;
      this.health.started('journal', this.now());
      follower.start();
      this.updateFollowing();
      return;
    }
    for (const file of plan.files) {
      const format = cfg.log.format;
      const input: SourceInput = { name: file, framer: format === 'auto' ? null : this.framerFor(format, file), pending: [], format };
      this.inputs.set(file, input);
      const savedText = this.opts.replay ? null : this.store.getCursor(`file:${file}`);
      const saved = savedText ? (JSON.parse(savedText) as FilePosition) : null;
      const resume = new ResumePoint(savedText);
      const f = new FileFollower(file, {
        start: this.opts.replay ? 'beginning' : saved ?? 'end',
        onLines: (lines, first, _file, before) => {
          const at = this.now();
          this.onLines(input, lines, first);
          const after = f.position();
          resume.noteBatch(at, JSON.stringify(before), after && JSON.stringify(after));
          this.saveFilePosition(f);
        },
        onNotice: (message) => this.log.log('info', 'log source', { file, message }),
        onLongLine: (line, bytes) => {
          this.metrics.lines.inc({ result: 'malformed' });
          this.log.log('warn', 'over-long line skipped (not a log line)', { file, line, bytes, limit: MAX_LINE });
        },
        followSymlinks: cfg.log.follow_symlinks,
      });
      this.files.push(f);
      this.health.started(file, this.now());
      this.resumePoints.set(f, resume);
      f.start();
      // First start: record where reading began (the end of the file), so that a crash during the
      // first batch resumes there instead of at the (then later) end of the file.
      if (!savedText && !this.opts.replay) {
        const p = f.position();
        if (p) resume.noteBatch(this.now(), null, JSON.stringify(p));
        this.saveFilePosition(f, true);
      }
    }
    this.updateFollowing();
  }

  /**
   * A follower ended: restart it after a pause, unless it failed `maxFailures` times in a row;
   * then the guard gives up loudly (a daemon that follows nothing must not look healthy).
   */
  private onFollowerFailed(source: string, reason: string, isCurrent: () => boolean, restart: () => void): void {
    const failures = this.health.failed(source, reason, this.now());
    this.metrics.sourceFailures.inc({ source });
    this.updateFollowing();
    const following = this.health.following();
    const fields = { source, reason, failures, maxFailures: this.health.maxFailures, following };
    if (failures >= this.health.maxFailures) {
      this.log.log('error', following.length ? 'log source given up' : 'not following anything: giving up', fields);
      if (following.length === 0) this.opts.onFatal?.(`not following anything: ${source} failed ${failures} times in a row; last: ${reason}`);
      return;
    }
    this.log.log('error', `${following.length ? 'log source stopped' : 'not following anything'}; restarting it in ${FOLLOWER_RETRY_MS / 1000} s`, fields);
    const t = setTimeout(() => {
      if (this.stopped || !isCurrent()) return;
      this.health.started(source, this.now());
      restart();
    }, FOLLOWER_RETRY_MS);
    t.unref();
  }

  private updateFollowing(): void {
    this.metrics.following.set(this.health.following().length);
    this.opts.notifyStatus?.(this.sourceSummary());
  }

  /** One line: what the guard follows, or that it follows nothing and why. */
  sourceSummary(): string {
    const following = this.health.following();
    if (following.length) return `following ${following.join(', ')}`;
    const failing = this.health.states().find((s) => s.state === 'failing');
    return `not following anything${failing ? `: ${failing.source}: ${failing.lastError ?? 'unknown error'}` : ''}`;
  }

  private framerFor(format: LogFormat, file: string): Framer {
    return createFramer(format, file, { timezone: this.cfg.log.timezone, referenceTime: this.now() });
  }

  /** Lines from a source: framed (format detected from the first lines when `auto`), pushed into the engine. */
  private onLines(input: SourceInput, lines: string[], first: number): void {
    if (this.held !== null) {
      this.held.push(() => this.onLines(input, lines, first));
      return;
    }
    this.readAt = performance.now();
    this.linesRead += lines.length;
    if (!input.framer) {
      for (let i = 0; i < lines.length; i++) input.pending.push({ text: lines[i], line: first + i });
      const fmt = detectFormat(input.pending.slice(0, 50).map((p) => p.text));
      if (!fmt && input.pending.length < 20) return;
      const format: LogFormat = fmt ?? 'syslog';
      if (!fmt) this.log.log('warn', 'log format not recognised; assuming syslog', { file: input.name });
      input.framer = this.framerFor(format, input.name);
      this.log.log('info', 'log format', { file: input.name, format });
      const pending = input.pending;
      input.pending = [];
      for (const p of pending) this.frameOne(input.framer, p.text, p.line);
    } else {
      const framer = input.framer;
      for (let i = 0; i < lines.length; i++) this.frameOne(framer, lines[i], first + i);
    }
    this.readAt = null;
  }

  private frameOne(framer: Framer, text: string, line: number): void {
    const malformed = framer.counts.malformed;
    const untrusted = framer instanceof JournalJsonFramer ? framer.untrusted : 0;
    const fl = framer.frame(text, line);
    if (!fl && framer instanceof JournalJsonFramer && framer.untrusted > untrusted) {
      this.metrics.lines.inc({ result: 'untrusted' });
      // Logged (the first 20, then every 1000th): a flood of forged records must not flood the log.
      if (framer.untrusted <= 20 || framer.untrusted % 1000 === 0)
        this.log.log('warn', 'journal record claims to be sshd but is not from sshd: ignored', { ...framer.lastUntrusted, count: framer.untrusted });
      return;
    }
    if (!fl) {
      // Garbage is counted and skipped; other programs' lines are just skipped.
      this.metrics.lines.inc({ result: framer.counts.malformed > malformed ? 'malformed' : 'skipped' });
      return;
    }
    this.metrics.lines.inc({ result: 'sshd' });
    this.sshdLines++;
    if (fl.ts !== null) this.metrics.lag.set(Math.max(0, (this.now() - fl.ts) / 1000));
    this.pushLine(fl);
  }

  private pushLine(fl: FramedLine): void {
    let updates: readonly GuardUpdate[];
    try {
      updates = this.analyzer.push(fl);
    } catch (e) {
      this.metrics.lines.inc({ result: 'engine_error' });
      this.log.log('warn', 'line skipped: engine error', { file: fl.file, line: fl.line, error: (e as Error).message });
      return;
    }
    for (const u of updates) this.onUpdate(u);
  }

  private onUpdate(u: GuardUpdate): void {
    if (u.kind === 'connection-closed') this.metrics.events.inc({ outcome: u.connection.outcome });
    else if (u.kind === 'auth-failure') this.metrics.events.inc({ outcome: 'auth_failure' });
    else if (u.kind === 'auth-success') this.metrics.events.inc({ outcome: 'auth_success' });
    const decisions = this.decider.onUpdate(u, this.now(), Boolean(this.opts.replay));
    for (const d of decisions) this.onDecision(d);
  }

  private onDecision(d: Decision): void {
    const now = this.now();
    switch (d.type) {
      case 'authenticated':
        this.store.rememberAuthenticated(d.address, d.user, d.ts);
        this.fleet?.publishLogin(d.address, d.ts);
        return;
      case 'refused':
        this.store.recordRefused(d.target, d.reason, JSON.stringify(d.evidence), now);
        this.metrics.refused.inc();
        this.metrics.decisions.inc({ action: 'refused', origin: 'auto' });
        this.log.log('warn', 'ban refused', { target: d.target, address: d.address, reason: d.reason, evidence: d.evidence });
        return;
      case 'ban':
        this.ban(d, 'auto');
        return;
    }
  }

  /**
   * Queues a ban for the firewall (its write to nft happens in enqueue, when no transaction is in
   * flight), then stores it in the same turn, while nft applies it: the SQLite commit is off the
   * reaction path, and a store that fails does not delay enforcement. The firewall's answer is
   * handled in a later turn, so the row is always there to be marked applied.
   */
  private ban(d: BanDecision, origin: 'auto' | 'manual' | 'fleet'): void {
    const now = this.now();
    const removes: FirewallEntry[] = [];
    for (const r of d.replaces) {
      if (r === d.target) continue;
      const until = this.activeBans.get(r);
      if (until === undefined) continue;
      this.activeBans.delete(r);
      removes.push({ target: r, family: familyOf(r.split('/')[0]), until });
    }
    this.activeBans.set(d.target, d.until);
    this.enqueue([{ target: d.target, family: d.family, until: d.until }], removes);
    this.store.recordBan(
      { target: d.target, family: d.family, since: now, until: d.until, reason: d.reason, origin, offence: d.offence, evidence: JSON.stringify(d.evidence) },
      now,
    );
    for (const r of removes) this.store.recordUnban(r.target, `covered by ${d.target}`, 'auto', now);
    this.metrics.decisions.inc({ action: 'ban', origin });
    this.log.log('info', 'ban', { target: d.target, until: isoTime(d.until), seconds: Math.round((d.until - now) / 1000), offence: d.offence, origin, reason: d.reason, evidence: d.evidence, dryRun: Boolean(this.opts.dryRun) });
    if (origin !== 'fleet') this.fleet?.publishBan(d.target, now, d.until, d.reason, d.evidence as unknown[], origin);
  }

  // ---- fleet ---------------------------------------------------------------------------------

  /** The daemon as the fleet side sees it (fleet-sync.ts holds the rules). */
  private fleetHost(): FleetHost {
    return {
      now: () => this.now(),
      log: (level, msg, fields) => this.log.log(level, msg, fields),
      cursor: () => Number(this.store.getCursor('fleet:seq') ?? 0),
      saveCursor: (seq) => this.store.setCursor('fleet:seq', String(seq)),
      localBans: () => this.store.activeBans(this.now()).filter((b) => b.origin !== 'fleet'),
      logins: () => this.store.authenticatedSince(this.now() - this.cfg.never_ban.authenticated_for).filter((a) => !(a.user ?? '').startsWith('fleet:')),
      allows: () => this.store.allows(),
      applyBan: (target, until, reason, seq) => this.applyFleetBan(target, until, reason, seq),
      liftFleetBan: (target, reason) => {
        if (this.store.getBan(target)?.origin !== 'fleet') return;
        this.lift(target, reason, 'fleet');
      },
      setFleetAllow: (target, allowed, from) => {
        const c = parseCidr(target);
        if (!c) return;
        if (allowed) this.fleetAllows.set(c.text, from);
        else this.fleetAllows.delete(c.text);
        void this.refreshProtected();
        if (allowed) this.liftCovered(c.text, `allowlisted on ${from}`, 'fleet');
        this.log.log('info', allowed ? 'fleet allow' : 'fleet allow removed', { target: c.text, server: from });
      },
      learnLogin: (address, from) => {
        const a = canonicalAddress(address);
        if (!a) return;
        this.decider.learnAuthenticated(a, this.now());
        this.store.rememberAuthenticated(a, `fleet:${from}`, this.now());
        this.log.log('info', 'fleet login', { address: a, server: from });
      },
      countApplied: (kind) => this.metrics.fleetApplied.inc({ kind }),
    };
  }

  /** Another server's ban (or the fleet rule's), under this server's own protections; idempotent per seq. */
  private applyFleetBan(target: string, until: number, reason: string, seq: number): void {
    const c = parseCidr(target);
    if (!c) return;
    const now = this.now();
    const existing = this.store.getBan(c.text);
    if (existing && existing.until >= now && (existing.reason.startsWith(`fleet #${seq} `) || existing.until >= until)) return;
    const first = c.text.split('/')[0];
    const single = !c.text.includes('/');
    const prot = single ? this.decider.protectedReason(first, now) : protectedNetwork(c.text, this.own, this.allow);
    if (prot) {
      this.store.recordRefused(c.text, `${reason}; not banned here: ${prot}`, '[]', now);
      this.metrics.refused.inc();
      this.log.log('warn', 'fleet ban refused', { target: c.text, reason: prot, fleet: reason, seq });
      return;
    }
    const replaces = [...this.activeBans.keys()].filter((t) => t !== c.text && cidrCovers(c, parseCidr(t)!));
    this.ban({ type: 'ban', target: c.text, family: c.family, address: first, until, offence: 1, reason, evidence: [], replaces }, 'fleet');
    this.log.log('info', 'fleet ban applied', { target: c.text, seq, until: new Date(until).toISOString() });
  }

  /** Lifts the active ban of `target` (store, memory, firewall). */
  private lift(target: string, reason: string, origin: string): void {
    const until = this.activeBans.get(target);
    this.store.recordUnban(target, reason, origin, this.now());
    this.activeBans.delete(target);
    const c = parseCidr(target);
    if (c && until !== undefined) this.enqueue([], [{ target, family: c.family, until }]);
    this.log.log('info', 'unban', { target, origin, reason });
  }

  /** Lifts every active ban that `cidr` covers or that covers it (a new allow entry wins). */
  private liftCovered(cidr: string, reason: string, origin: string): string[] {
    const c = parseCidr(cidr)!;
    const lifted: string[] = [];
    for (const t of [...this.activeBans.keys()]) {
      const tc = parseCidr(t);
      if (covers(c, tc) || covers(tc, c)) {
        this.lift(t, reason, origin);
        lifted.push(t);
      }
    }
    return lifted;
  }

  // ---- firewall queue ------------------------------------------------------------------------

  /**
   * The kernel keeps an ipset entry at most `maxTimeoutSeconds` (about 24.8 days): a longer ban
   * is capped there (said once, here) and re-added every hour by renewLongBans until it ends, the
   * last time with its exact remaining time.
   */
  private noteCapped(add: readonly FirewallEntry[], now: number): void {
    const max = this.fw.maxTimeoutSeconds;
    if (max === undefined) return;
    for (const a of add)
      if (a.until - now > max * 1000)
        this.log.log('info', `ban longer than ${this.fw.name} keeps an entry (${formatDuration(max * 1000)}): the kernel entry is capped there and the guard re-adds it every hour until the ban ends`, { target: a.target, until: isoTime(a.until) });
  }

  /** Re-adds every ban the kernel would drop before it ends (see noteCapped). */
  private renewLongBans(now: number): void {
    const max = this.fw.maxTimeoutSeconds;
    if (max === undefined) return;
    // Remaining time above max less two renewal periods: the last re-add then sets the exact end.
    const renew = this.store
      .activeBans(now)
      .filter((r) => r.until - now > max * 1000 - 2 * RENEW_EVERY_MS && parseCidr(r.target)?.text === r.target)
      .map((r) => ({ target: r.target, family: r.family, until: r.until }));
    if (renew.length) {
      this.log.log('info', 'long bans re-added to the firewall before their capped entry runs out', { backend: this.fw.name, bans: renew.length });
      this.enqueue(withoutCovered(renew), []);
    }
  }

  private enqueue(add: FirewallEntry[], remove: FirewallEntry[]): void {
    this.noteCapped(add, this.now());
    this.fwQueue.add.push(...add);
    this.fwQueue.remove.push(...remove);
    for (let i = 0; i < add.length; i++) this.fwQueue.readAt.push(this.readAt);
    void this.flushFirewall();
  }

  private async flushFirewall(): Promise<void> {
    // While the firewall itself is failing, everything waits for the reconcile; a few refused
    // elements (retried by the reconcile too) hold back nothing.
    if (this.fwBusy || (this.reconcileTimer && this.firewallDown)) return;
    if (this.fwQueue.add.length === 0 && this.fwQueue.remove.length === 0) return;
    const batch = this.fwQueue;
    this.fwQueue = { add: [], remove: [], readAt: [] };
    this.fwBusy = true;
    try {
      await this.fw.apply({ add: batch.add, remove: batch.remove }, this.now());
      const t = performance.now();
      this.store.markAppliedMany(batch.add);
      for (let i = 0; i < batch.add.length; i++) {
        const r = batch.readAt[i];
        if (r !== null && r !== undefined) this.metrics.reaction.observe((t - r) / 1000);
      }
    } catch (e) {
      const msg = (e as Error).message;
      this.metrics.firewallErrors.inc();
      // One bad element must not hold back the others: retry them one by one.
      const failed = batch.add.length + batch.remove.length > 1 ? await this.applyEach(batch.add, batch.remove) : new Map(batch.add.map((a) => [a.target, msg]));
      const ok = batch.add.filter((a) => !failed.has(a.target));
      if (ok.length) this.store.markAppliedMany(ok);
      for (const [target, error] of failed) this.store.markFailed(target, error);
      if (failed.size) {
        this.log.log('error', 'firewall update failed; kept in the store, retrying', { backend: this.fw.name, error: msg, targets: [...failed.keys()], applied: ok.map((a) => a.target) });
        this.firewallDown = ok.length === 0 && batch.add.length > 0;
        this.scheduleReconcile();
      }
    } finally {
      this.fwBusy = false;
    }
    if (!this.reconcileTimer || !this.firewallDown) void this.flushFirewall();
  }

  /**
   * Makes the firewall hold exactly the store's active bans (covered targets dropped: nft
   * intervals must not overlap). When the one-transaction reconcile fails, the bans are applied
   * one by one, so a single element the firewall refuses fails alone (kept, marked, retried)
   * and every other ban is in force; only when none can be applied is it a firewall failure.
   */
  private async reconcile(): Promise<void> {
    const now = this.now();
    const all = this.store.activeBans(now);
    // A stored target that is not a canonical address or network (written by something else) fails alone.
    const rows = all.filter((r) => parseCidr(r.target)?.text === r.target);
    for (const r of all) if (!rows.includes(r)) this.store.markFailed(r.target, 'not an address or network: remove it with `sshwarden unban`');
    const entries = withoutCovered(rows.map((r) => ({ target: r.target, family: r.family, until: r.until })));
    try {
      await this.fw.reconcile(entries, now);
      this.firewallDown = false;
    } catch (e) {
      this.firewallDown = true;
      if (entries.length < 2) throw e;
      const failed = await this.applyEach(entries, []);
      if (failed.size === entries.length) throw e;
      this.firewallDown = false;
      this.store.markAppliedMany(rows.filter((r) => !failed.has(r.target)));
      for (const [target, error] of failed) this.store.markFailed(target, error);
      this.metrics.firewallErrors.inc();
      this.log.log('error', 'firewall refused some bans; the others are applied, these are retried', { backend: this.fw.name, failed: Object.fromEntries(failed) });
      this.scheduleReconcile();
      return;
    }
    this.store.markAppliedMany(rows);
  }

  /** Applies each change on its own; the targets that failed, with the firewall's message. Stops early when the firewall is down. */
  private async applyEach(add: readonly FirewallEntry[], remove: readonly FirewallEntry[]): Promise<Map<string, string>> {
    const failed = new Map<string, string>();
    let okCount = 0;
    const all = [...remove.map((r) => ({ add: [], remove: [r] })), ...add.map((a) => ({ add: [a], remove: [] }))];
    for (const ch of all) {
      const target = (ch.add[0] ?? ch.remove[0]).target;
      try {
        await this.fw.apply(ch, this.now());
        okCount++;
      } catch (e) {
        failed.set(target, (e as Error).message);
        // Three failures before any success: the firewall itself is failing, not one element.
        if (okCount === 0 && failed.size >= 3) {
          for (const a of add) if (!failed.has(a.target)) failed.set(a.target, (e as Error).message);
          break;
        }
      }
    }
    for (const r of remove) failed.delete(r.target);
    return failed;
  }

  private scheduleReconcile(): void {
    if (this.reconcileTimer || this.stopped) return;
    this.reconcileTimer = setTimeout(async () => {
      this.reconcileTimer = null;
      if (this.stopped) return;
      // Anything queued meanwhile is in the store already: reconcile covers it.
      this.fwQueue = { add: [], remove: [], readAt: [] };
      try {
        await this.reconcile();
        this.log.log('info', 'firewall recovered: store and firewall reconciled', { backend: this.fw.name, bans: this.activeBans.size });
      } catch (e) {
        this.metrics.firewallErrors.inc();
        this.log.log('error', 'firewall still failing; retrying', { backend: this.fw.name, error: (e as Error).message });
        this.scheduleReconcile();
      }
    }, this.cfg.firewall.retry);
  }

  // ---- periodic work -------------------------------------------------------------------------

  private tick(): void {
    const now = this.now();
    this.checkSilence(now);
    try {
      for (const u of this.analyzer.tick(now)) this.onUpdate(u);
    } catch (e) {
      this.log.log('warn', 'engine tick failed', { error: (e as Error).message });
    }
    const expired = this.store.expire(now);
    const removes: FirewallEntry[] = [];
    for (const r of expired) {
      this.activeBans.delete(r.target);
      this.metrics.decisions.inc({ action: 'expired', origin: r.origin });
      this.log.log('info', 'expired', { target: r.target, since: isoTime(r.since) });
      // nftables and ipset expire in the kernel; the command backend needs an explicit unban.
      if (this.fw.name === 'command') removes.push({ target: r.target, family: r.family, until: r.until });
    }
    if (removes.length) this.enqueue([], removes);
    if (this.fw.maxTimeoutSeconds !== undefined && now - this.lastRenew >= RENEW_EVERY_MS) {
      this.lastRenew = now;
      this.renewLongBans(now);
    }
    if (++this.tickCount % 10 === 0) this.decider.prune(now);
    if (this.tickCount % 600 === 0) {
      this.store.pruneAuthenticated(now - this.cfg.never_ban.authenticated_for);
      this.store.pruneHistory(now - this.cfg.ban.remember);
    }
    if (this.store.degraded || this.storeState === 'degraded') {
      if (this.store.degraded && now - this.lastStoreRetry >= this.cfg.firewall.retry) {
        this.lastStoreRetry = now;
        this.store.retryDisk();
      }
      this.reportStore();
    }
    this.metrics.activeBans.set({ backend: this.fw.name }, this.activeBans.size);
    this.metrics.pendingBans.set(this.store.countUnapplied(now));
    this.metrics.tracked.set(this.decider.trackedSources);
    this.metrics.trackedBytes.set(this.decider.sourceTableBytes);
    if (this.fleet) this.metrics.fleetUp.set(this.fleet.up ? 1 : 0);
    if (now - this.lastCursorSave > 5000) for (const f of this.files) this.saveFilePosition(f, true);
    if (this.burst.onTick(this.linesRead)) {
      const before = process.memoryUsage.rss();
      const ms = releaseHeap();
      if (ms !== null) this.log.log('debug', 'memory released after a burst of lines', { ms: Math.round(ms), rssBefore: before, rssAfter: process.memoryUsage.rss() });
    }
  }

  private saveFilePosition(f: FileFollower, force = false): void {
    const now = this.now();
    if (!force && now - this.lastCursorSave < 1000) return;
    const p = this.resumePoints.get(f)?.position(now, this.cfg.policy.window + 2000) ?? null;
    if (p && !this.opts.dryRun) this.store.setCursor(`file:${f.path}`, p);
    this.lastCursorSave = now;
  }

  private saveCursor(name: string, value: string): void {
    if (!this.opts.dryRun) this.store.setCursor(name, value);
  }

  /** Own addresses, config allowlist (with host names resolved), runtime allowlist. */
  private async refreshProtected(): Promise<void> {
    const own = new NetworkSet();
    for (const a of ownAddresses()) own.add(parseCidr(a)!);
    this.own.replaceWith(own);
    const names = this.cfg.never_ban.allow.filter((s) => parseCidr(s) === null);
    if (names.length) {
      for (const r of await resolveNames(names)) {
        if (r.error) this.log.log('warn', 'allowlist name did not resolve; keeping its last addresses', { name: r.name, error: r.error, kept: this.resolvedNames.get(r.name) ?? [] });
        else this.resolvedNames.set(r.name, r.addresses);
      }
    }
    const allow = new NetworkSet();
    for (const s of this.cfg.never_ban.allow) {
      const c = parseCidr(s);
      if (c) allow.add(c);
      else for (const a of this.resolvedNames.get(s) ?? []) allow.add(parseCidr(a)!);
    }
    for (const a of this.store.allows()) {
      const c = parseCidr(a.cidr);
      if (c) allow.add(c);
    }
    for (const t of this.fleetAllows.keys()) allow.add(parseCidr(t)!);
    this.allow.replaceWith(allow);
  }

  // ---- control socket ------------------------------------------------------------------------

  async handleControl(req: ControlRequest): Promise<unknown> {
    const now = this.now();
    switch (req.cmd) {
      case 'status':
        return this.status();
      case 'reload':
        return this.reload();
      case 'ban': {
        const c = parseCidr(req.target);
        if (!c) throw new Error(`not an address or CIDR: ${req.target}`);
        const first = c.text.split('/')[0];
        const broad = req.force ? null : broadBanProblem(c);
        if (broad) throw new Error(`refused: ${broad}`);
        const prot = protectedNetwork(c.text, this.own, this.allow);
        if (prot) {
          this.store.recordRefused(c.text, `manual ban refused: ${prot}`, '[]', now);
          this.metrics.refused.inc();
          this.log.log('warn', 'ban refused', { target: c.text, reason: prot, origin: 'manual' });
          throw new Error(`refused: ${c.text} ${prot}${prot.includes('allowlist') ? ' (remove it from the allowlist first)' : ''}`);
        }
        const seconds = req.seconds ?? this.cfg.ban.duration / 1000;
        const problem = typeof seconds === 'number' ? banDurationProblem(seconds * 1000) : 'not a number';
        if (problem) throw new Error(`seconds: ${problem}: ${JSON.stringify(req.seconds)}`);
        const replaces = [...this.activeBans.keys()].filter((t) => t !== c.text && covers(c, parseCidr(t)));
        this.ban({ type: 'ban', target: c.text, family: c.family, address: first, until: now + seconds * 1000, offence: this.store.priorOffences(c.text, now, this.cfg.ban.remember) + 1, reason: req.reason, evidence: [], replaces }, 'manual');
        return { target: c.text, until: new Date(now + seconds * 1000).toISOString() };
      }
      case 'unban': {
        const c = parseCidr(req.target);
        if (!c) throw new Error(`not an address or CIDR: ${req.target}`);
        const until = this.activeBans.get(c.text);
        const had = this.store.recordUnban(c.text, 'manual unban', 'manual', now);
        this.activeBans.delete(c.text);
        if (had) {
          this.metrics.decisions.inc({ action: 'unban', origin: 'manual' });
          this.log.log('info', 'unban', { target: c.text, origin: 'manual' });
        }
        // Also lift a covering prefix ban? No: say which one covers it.
        const covering = [...this.activeBans.keys()].filter((t) => t.includes('/') && covers(parseCidr(t), c));
        if (had || until !== undefined) this.enqueue([], [{ target: c.text, family: c.family, until: until ?? now }]);
        this.fleet?.publishUnban(c.text);
        return { target: c.text, wasBanned: had, stillCoveredBy: covering };
      }
      case 'allow': {
        const c = parseCidr(req.target);
        if (!c) throw new Error(`not an address or CIDR: ${req.target}`);
        if (req.remove) {
          const had = this.store.removeAllow(c.text);
          await this.refreshProtected();
          if (had) this.fleet?.publishAllow(c.text, false);
          return { target: c.text, removed: had };
        }
        const broad = req.force ? null : broadAllowProblem(c);
        if (broad) throw new Error(`refused: ${broad}`);
        this.store.addAllow(c.text, req.comment, now);
        await this.refreshProtected();
        const lifted = this.liftCovered(c.text, `allowlisted ${c.text}`, 'manual');
        this.fleet?.publishAllow(c.text, true);
        this.log.log('info', 'allow', { target: c.text, lifted });
        return { target: c.text, lifted };
      }
      default:
        throw new Error(`unknown command ${(req as { cmd: string }).cmd}`);
    }
  }

  status(): unknown {
    const now = this.now();
    return {
      running: true,
      pid: process.pid,
      backend: this.fw.name,
      dryRun: Boolean(this.opts.dryRun),
      sources: [...this.inputs.keys()],
      following: this.health.following(),
      sourceStates: this.health.states(),
      store: { database: this.store.path, degraded: this.store.degraded ? { since: isoTime(this.store.degraded.since), error: this.store.degraded.error } : null },
      bans: this.store.activeBans(now).map(banView),
      trackedSources: this.decider.trackedSources,
      authenticatedSources: this.decider.authenticatedCount(),
      allow: this.allow.entries(),
      recent: this.store.recentDecisions(20).map(decisionView),
      fleet: this.fleet?.status() ?? null,
    };
  }

  /** Re-reads the config; a bad config is refused and the running one stays. */
  async reload(): Promise<{ reloaded: boolean; error?: string }> {
    let next: GuardConfig;
    try {
      next = await loadConfigApart(this.opts.configPath, { optional: true });
    } catch (e) {
      const error = (e as Error).message;
      this.log.log('error', 'reload refused: config invalid; keeping the running config', { config: this.opts.configPath, error });
      return { reloaded: false, error };
    }
    const prev = this.cfg;
    this.cfg = next;
    this.decider.setConfig(next);
    await this.refreshProtected();
    if (JSON.stringify(prev.firewall) !== JSON.stringify(next.firewall)) {
      const old = this.fw;
      if (prev.firewall.backend !== next.firewall.backend || prev.firewall.name !== next.firewall.name) {
        await old.uninstall().catch((e: Error) => this.log.log('warn', 'old firewall backend not removed', { error: e.message }));
        old.close();
        this.fw = createFirewall(next, { dryRun: this.opts.dryRun, exec: this.opts.firewallExec });
      } else {
        old.close();
        this.fw = createFirewall(next, { dryRun: this.opts.dryRun, exec: this.opts.firewallExec });
      }
      try {
        await this.reconcile();
      } catch (e) {
        this.log.log('error', 'firewall update after reload failed; retrying', { error: (e as Error).message });
        this.scheduleReconcile();
      }
    }
    if (JSON.stringify(prev.log) !== JSON.stringify(next.log)) {
      this.stopSources();
      this.startSources();
    }
    for (const k of ['database', 'socket'] as const) {
      if (prev.state[k] !== next.state[k]) this.log.log('warn', `state.${k} changed: takes effect at the next restart`, {});
    }
    this.log.log('info', 'config reloaded', { config: this.opts.configPath });
    return { reloaded: true };
  }

  private stopSources(): void {
    for (const f of this.files) {
      this.saveFilePosition(f, true);
      f.close();
    }
    this.files = [];
    this.resumePoints.clear();
    this.journal?.stop();
    this.journal = null;
    for (const name of this.inputs.keys()) this.health.remove(name);
    this.inputs.clear();
    this.updateFollowing();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    if (this.reconcileTimer) clearTimeout(this.reconcileTimer);
    this.stopSources();
    // Let an in-flight firewall update finish (bounded).
    for (let i = 0; i < 50 && this.fwBusy; i++) await new Promise((r) => setTimeout(r, 20));
    this.control?.close();
    await this.fleet?.stop();
    this.metrics.close();
    this.fw.close();
    if (this.store.degraded && !this.store.retryDisk()) this.log.log('error', 'stopping with the store still unwritable: decisions made since it failed are lost (the kernel sets keep them until they expire)', { database: this.store.path });
    this.store.close();
    this.log.log('info', 'guard stopped', {});
  }
}

/** `a` covers `b` (false when either is not a network: a bad stored target). */
function covers(a: Cidr | null, b: Cidr | null): boolean {
  return a !== null && b !== null && cidrCovers(a, b);
}

/** Drops entries inside another entry (nft interval sets refuse overlaps); the wider ban wins. */
function withoutCovered(entries: FirewallEntry[]): FirewallEntry[] {
  const nets = entries.filter((e) => e.target.includes('/')).flatMap((e) => parseCidr(e.target) ?? []);
  return entries.filter((e) => {
    const c = parseCidr(e.target);
    // A stored target that is not an address (written by something else) is passed on: it fails alone.
    return c === null || !nets.some((n) => n.text !== c.text && cidrCovers(n, c));
  });
}

/** Why a manual ban of `target` must be refused (loopback, own address, allowlist), or null. */
export function protectedNetwork(target: string, own: NetworkSet, allow: NetworkSet): string | null {
  const c = parseCidr(target)!;
  const addr = c.text.split('/')[0];
  const max = c.family === 4 ? 32 : 128;
  if (c.bits === max && isLoopback(addr)) return 'is loopback';
  if (c.bits < max) {
    const lo = c.family === 4 ? parseCidr('127.0.0.0/8')! : parseCidr('::1')!;
    if (cidrCovers(c, lo) || cidrCovers(lo, c)) return 'covers loopback';
  }
  const o = own.overlaps(c);
  if (o) return `covers this server's own address ${o}`;
  const a = allow.overlaps(c);
  if (a) return `is allowlisted (${a})`;
  return null;
}

