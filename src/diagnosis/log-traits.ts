/**
 * What the log itself reveals about how it was written: the sshd LogLevel (VERBOSE-only shapes,
 * `debug1:` lines) and the OpenSSH version era (shapes that exist only in some versions). Used to
 * say what the log cannot tell. Pure observation of events; no I/O.
 */
import type { FramedLine } from '../framing/framed-line.ts';
import type { SshdEvent } from '../events/index.ts';
import type { EraFinding, LogLevelFinding } from '../engine/types.ts';

/** Versions as integers: 7.4 → 74, 10.5 → 105. */
type Range = readonly [number, number];

const ERA_BY_TYPE: Record<string, { range: Range; clue: string }> = {
  'did-not-receive-ident': { range: [70, 79], clue: '`Did not receive identification string` (≤7.9)' },
  'bad-protocol-version': { range: [70, 79], clue: '`Bad protocol version identification` (≤7.9)' },
  'protocol-major-differ-7': { range: [70, 79], clue: '7.x `Protocol major versions differ for` (≤7.9)' },
  'could-not-write-ident': { range: [70, 79], clue: '`Could not write ident string` (≤7.9)' },
  'could-not-load-host-key': { range: [70, 79], clue: '`Could not load host key` (≤7.9)' },
  'input-userauth-invalid-user': { range: [70, 74], clue: '`input_userauth_request: invalid user` (≤7.4)' },
  'kex-ident-closed': { range: [80, 105], clue: '`kex_exchange_identification` lines (8.0+)' },
  'kex-ident-read': { range: [80, 105], clue: '`kex_exchange_identification` lines (8.0+)' },
  'kex-ident-invalid-identifier': { range: [80, 105], clue: '`kex_exchange_identification` lines (8.0+)' },
  'bad-remote-protocol-version': { range: [80, 105], clue: '`Bad remote protocol version identification` (8.0+)' },
  'unable-to-load-host-key': { range: [80, 105], clue: '`Unable to load host key` (8.0+)' },
  'unable-to-load-host-key-err': { range: [80, 105], clue: '`Unable to load host key` (8.0+)' },
  'banner-exchange': { range: [83, 105], clue: '`banner exchange: Connection from` follow-up lines (8.3+)' },
  'maxstartups-begin': { range: [84, 99], clue: 'MaxStartups throttling lines (8.4–9.9)' },
  'maxstartups-in': { range: [84, 99], clue: 'MaxStartups throttling lines (8.4–9.9)' },
  'maxstartups-exit': { range: [84, 99], clue: 'MaxStartups throttling lines (8.4–9.9)' },
  'grace-timeout': { range: [85, 97], clue: '`fatal: Timeout before authentication for <ip> port <p>` (8.5–9.7)' },
  'terminating-inactive': { range: [92, 105], clue: '`terminating inactive connection` (9.2+)' },
  'grace-timeout-listener': { range: [98, 105], clue: 'listener `Timeout before authentication …, pid = N` (9.8+)' },
  'penalty-new': { range: [98, 105], clue: 'PerSourcePenalties lines (9.8+)' },
  'penalty-activating': { range: [98, 105], clue: 'PerSourcePenalties lines (9.8+)' },
  'session-unpriv-crash': { range: [98, 105], clue: 'listener session-process lines (9.8+)' },
  'administratively-prohibited': { range: [99, 105], clue: '`administratively prohibited connection` (9.9+)' },
  'maxstartups-ratelimited': { range: [100, 105], clue: '`Maxstartups logging rate-limited` (10.0+)' },
  'penalties-ratelimited': { range: [100, 105], clue: '`PerSourcePenalties logging rate-limited` (10.0+)' },
};

export function versionText(v: number): string {
  return `${Math.floor(v / 10)}.${v % 10}`;
}

export class LogTraits {
  private readonly verboseShapes = new Map<string, number>();
  private debugLines = 0;
  private sshdLines = 0;
  private readonly clues = new Map<string, Range>();
  private kexErrorPrefixed = 0;
  private kexUnprefixed = 0;
  private kexPreauth = 0;
  private pidless = 0;
  sawSessionProgram = false;
  /** Connections whose address-less kex line got no address from its process. */
  kexWithoutFollowUp = 0;
  kexWithFollowUp = 0;

  observe(line: FramedLine, ev: SshdEvent): void {
    this.sshdLines++;
    if (line.pid === null) this.pidless++;
    if (ev.prefix === 'debug') this.debugLines++;
    const entry = ev.entry;
    if (entry === null) return;
    if (entry.verboseOnly) this.verboseShapes.set(entry.id, (this.verboseShapes.get(entry.id) ?? 0) + 1);
    if (!this.sawSessionProgram && line.program === 'sshd-session') {
      this.sawSessionProgram = true;
      this.addClue('program `sshd-session` (9.8+)', [98, 105]);
    }
    const known = ERA_BY_TYPE[entry.id];
    if (known !== undefined) this.addClue(known.clue, known.range);
    if (ev.type === 'kex-ident-closed' || ev.type === 'kex-ident-invalid-chars' || ev.type === 'kex-ident-too-long' || ev.type === 'kex-ident-invalid-identifier') {
      if (ev.preauth) {
        this.kexPreauth++;
        this.addClue('banner-exchange lines with `[preauth]` (10.3+)', [103, 105]);
      } else if (ev.prefix === 'error') {
        this.kexErrorPrefixed++;
        this.addClue('`error: kex_exchange_identification: Connection closed by remote host` at ERROR (8.0–9.4)', [80, 94]);
      } else if (line.pid !== null) {
        this.kexUnprefixed++;
        this.addClue('`kex_exchange_identification` lines without `error:` (VERBOSE, 9.5+)', [95, 105]);
      }
    }
    if (entry.id === 'drop-connection') {
      const t = ev.text ?? '';
      if (t === 'past MaxStartups') this.addClue('`past MaxStartups` drop lines (≤9.7)', [70, 97]);
      else if (t === 'past Maxstartups') this.addClue('`past Maxstartups` drop lines (9.8–9.9)', [98, 99]);
      else if (t === 'Maxstartups') this.addClue('`Maxstartups` drop lines (10.0+)', [100, 105]);
      else if (t.startsWith('penalty')) this.addClue('penalty drop lines (9.8+)', [98, 105]);
    }
    if (ev.effect === 'closed' || ev.effect === 'disconnected' || ev.effect === 'reset') {
      if (ev.user !== null) this.addClue('`authenticating user`/`invalid user` in close lines (7.5+)', [75, 105]);
    }
  }

  private addClue(clue: string, range: Range): void {
    if (!this.clues.has(clue)) this.clues.set(clue, range);
  }

  logLevel(): LogLevelFinding {
    if (this.sshdLines === 0) return { level: 'unknown', why: 'no sshd lines were read' };
    if (this.debugLines > 0) return { level: 'DEBUG', why: `${this.debugLines} \`debugN:\` lines` };
    if (this.verboseShapes.size > 0 || this.kexUnprefixed > 0) {
      const shapes = [...this.verboseShapes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([id, n]) => `${n}× ${id}`);
      if (this.kexUnprefixed) shapes.push(`${this.kexUnprefixed}× kex_exchange_identification without error:`);
      return { level: 'VERBOSE', why: `VERBOSE-only lines present: ${shapes.join(', ')}` };
    }
    return { level: 'INFO', why: 'no VERBOSE-only lines (`Connection from …`) and no debug lines: LogLevel INFO (the default) or a lower level' };
  }

  /** The version range consistent with every clue; if clues conflict (an upgrade inside the log), the union. */
  range(): Range | null {
    if (this.clues.size === 0) return null;
    let lo = 70;
    let hi = 105;
    for (const [a, b] of this.clues.values()) {
      lo = Math.max(lo, a);
      hi = Math.min(hi, b);
    }
    if (lo <= hi) return [lo, hi];
    let ulo = 105;
    let uhi = 70;
    for (const [a, b] of this.clues.values()) {
      ulo = Math.min(ulo, a);
      uhi = Math.max(uhi, b);
    }
    return [ulo, uhi];
  }

  era(): EraFinding {
    let r = this.range();
    const clues = [...this.clues.keys()];
    if (r !== null && this.kexWithoutFollowUp > 0 && this.kexWithFollowUp === 0 && !this.clues.has('`banner exchange: Connection from` follow-up lines (8.3+)') && this.logLevel().level === 'INFO') {
      const lo = Math.max(r[0], 80);
      const hi = Math.min(r[1], 82);
      if (lo <= hi) {
        r = [lo, hi];
        clues.push('address-less kex_exchange_identification lines never followed by `Connection closed by <ip>` (8.0–8.2)');
      }
    }
    if (r === null) return { range: 'unknown', clues: ['no version-specific lines seen'] };
    const conflicting = (() => {
      let lo = 70;
      let hi = 105;
      for (const [a, b] of this.clues.values()) {
        lo = Math.max(lo, a);
        hi = Math.min(hi, b);
      }
      return lo > hi;
    })();
    const text = r[0] === r[1] ? versionText(r[0]) : `${versionText(r[0])}–${versionText(r[1])}`;
    return { range: conflicting ? `mixed ${text}` : text, clues };
  }

  /** Whether the era may include versions in [lo, hi]. */
  mayBe(lo: number, hi: number): boolean {
    const r = this.range() ?? [70, 105];
    return r[0] <= hi && r[1] >= lo;
  }

  get linesWithoutPid(): number {
    return this.pidless;
  }

  unattributedReason(state: { pid: number | null; kexIdentLines: number; addressDropped: boolean }): string {
    if (state.pid === null) return 'no_pid: the log format carries no process ids, so address-less lines cannot be joined to their connection';
    if (state.kexIdentLines > 0) {
      this.kexWithoutFollowUp++;
      return 'kex_no_address: an address-less kex_exchange_identification line with no address line from the same process (OpenSSH 8.0–8.2 at LogLevel INFO logs none; set LogLevel VERBOSE)';
    }
    if (state.addressDropped) return 'truncated: the address was at the end of a line cut at the 500-character syslog limit';
    return 'no_address_line: no line of this connection names its client address';
  }

  noteKexFollowUp(): void {
    this.kexWithFollowUp++;
  }
}
