/**
 * `sshwarden report`: the run itself (loaded lazily by ./report.ts, which holds the options).
 * Inputs → engine → PageDataBuilder (report/page-data.ts) → one self-contained HTML page
 * (report/html-page.ts, assets read by report/page-assets.ts), written to -o.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { warn } from '../terminal.ts';
import { readInputs, type InputSpec } from '../../sources/read-inputs.ts';
import { isLogFormat, isValidTimeZone, type LogFormat } from '../../framing/index.ts';
import { Analyzer } from '../../engine/analyzer.ts';
import type { EngineUpdate } from '../../engine/types.ts';
import { PageDataBuilder, type PageData } from '../../report/page-data.ts';
import { renderPage } from '../../report/html-page.ts';
import { readPageAssets } from '../../report/page-assets.ts';
import { parseConfig } from '../../sshd-config/parse.ts';
import { runAudit } from '../../sshd-config/audit.ts';
import { NEWEST } from '../../sshd-config/keyword-table.ts';
import { fsSource, localSshd, resolvesHost } from '../../sshd-config/system.ts';
import type { ReportOpts } from './report.ts';

export async function report(files: string[], opts: ReportOpts): Promise<number> {
  if (opts.format !== undefined && !isLogFormat(opts.format)) throw new UserError(`--format: unknown format "${opts.format}"`);
  if (opts.timezone !== undefined && !isValidTimeZone(opts.timezone)) throw new UserError(`--timezone: unknown time zone "${opts.timezone}" (use an IANA name such as UTC or Europe/Berlin)`);
  if (!opts.journal && (opts.since !== undefined || opts.until !== undefined || opts.unit !== undefined)) throw new UserError('--since/--until/--unit need --journal');
  if (opts.output === undefined && opts.json !== true) throw new UserError('-o/--output: say where to write the page (e.g. -o ssh-report.html, or "-" for stdout)');
  const inputs: InputSpec[] = [...files];
  if (opts.journal) inputs.push({ journal: { since: opts.since, until: opts.until, units: opts.unit } });
  if (inputs.length === 0) {
    if (process.stdin.isTTY) throw new UserError('no input: give log files, "-" for stdin, or --journal (see --help)');
    inputs.push('-');
  }
  // Open the output first: a wrong path fails before minutes of reading.
  const toStdout = opts.output === undefined || opts.output === '-';
  let fd = 1;
  if (!toStdout) {
    try {
      fd = openSync(opts.output!, 'w');
    } catch (e) {
      throw new UserError(`-o ${opts.output}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, EXIT.USAGE);
    }
  }

  try {
    const audit = opts.config !== undefined ? auditFor(opts.config) : null;

    let inputFailed = false;
    const reader = readInputs(inputs, {
      format: opts.format as LogFormat | undefined,
      timezone: opts.timezone,
      year: opts.year,
      onError: (file, line, message) => {
        inputFailed = true;
        warn(`${file}${line === null ? '' : `:${line}`}: ${message}`);
      },
    });
    const analyzer = new Analyzer({ keepConnections: false, loginGraceTime: opts.loginGraceTime });
    const page = new PageDataBuilder();
    const take = (updates: EngineUpdate[]) => {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u.kind === 'connection-closed') page.connection(u.connection);
      }
    };
    let first: number | null = null;
    let last: number | null = null;
    for await (const batch of reader.batches()) {
      for (let i = 0; i < batch.length; i++) {
        const line = batch[i];
        if (line.ts !== null) {
          if (first === null || line.ts < first) first = line.ts;
          if (last === null || line.ts > last) last = line.ts;
        }
        const updates = analyzer.push(line);
        if (updates.length) take(updates);
      }
    }
    const { finalUpdates, connections: _none, ...result } = analyzer.finish();
    void _none;
    take(finalUpdates);
    const rc = reader.counts;

    const data = page.finish(result, {
      meta: {
        generated: Math.round(Date.now() / 1000),
        command: commandLine(files, opts),
        inputs: rc.formats.map((f) => ({ file: f.file, format: f.format })),
        lines: rc.lines,
        sshdLines: rc.framed,
        otherPrograms: rc.skipped,
        malformed: rc.malformed,
        failedInputs: rc.failedInputs,
        first: first === null ? null : first / 1000,
        last: last === null ? null : last / 1000,
      },
      audit: audit?.audit ?? null,
      auditError: audit?.error ?? null,
    });
    const text = opts.json === true ? JSON.stringify(data) + '\n' : renderPage(data, readPageAssets());
    const buf = Buffer.from(text, 'utf8');
    for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    return inputFailed || rc.failedInputs > 0 ? EXIT.INPUT : EXIT.OK;
  } finally {
    if (fd !== 1) closeSync(fd);
  }
}

/** The sshd_config audit (offline: the config as this machine's sshd version reads it). */
function auditFor(file: string): { audit: PageData['audit']; error: string | null } {
  const root = resolve(file);
  const local = localSshd();
  const version = local?.version ?? NEWEST;
  const cfg = parseConfig(root, fsSource(), { version, flavour: local?.flavour ?? 'upstream', resolveHost: resolvesHost });
  if (cfg.files.length === 0) throw new UserError(`--config: ${cfg.diagnostics[0]?.message ?? `cannot read ${file}`}`, EXIT.USAGE);
  const { report } = runAudit(cfg, { spec: null, clients: [] });
  return {
    audit: { root: report.root, version: report.version, findings: report.findings.map((f) => ({ severity: f.severity, file: f.file, line: f.line, title: f.title, impact: f.impact, fix: f.fix })) },
    error: null,
  };
}

/** The command line as the page shows it (file names as given). */
function commandLine(files: string[], opts: ReportOpts): string {
  const parts = ['sshwarden', 'report', ...files];
  if (opts.journal) parts.push('--journal');
  if (opts.since !== undefined) parts.push('--since', JSON.stringify(opts.since));
  if (opts.until !== undefined) parts.push('--until', JSON.stringify(opts.until));
  if (opts.config !== undefined) parts.push('--config', opts.config);
  return parts.join(' ');
}
