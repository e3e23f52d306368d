/**
 * `sshwarden report`: the run itself (loaded lazily by ./report.ts, which holds the options).
 * analyzeLogs (src/analyze/) → PageDataBuilder (report/page-data.ts) → one self-contained HTML page
 * (report/html-page.ts, assets read by report/page-assets.ts), written to -o.
 */
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { warn } from '../terminal.ts';
import { PageOutput } from '../page-output.ts';
import { logInputs } from '../log-inputs.ts';
import { serverSettingsFor } from '../../analyze/server-settings.ts';
import { analyzeLogs } from '../../analyze/analyze-logs.ts';
import { readerThreadWanted } from '../reader-thread-choice.ts';
import type { LogFormat } from '../../framing/index.ts';
import { PageDataBuilder, type PageData } from '../../report/page-data.ts';
import { renderPage } from '../../report/html-page.ts';
import { readPageAssets } from '../../report/page-assets.ts';
import { auditConfig, type AuditConfigRun } from '../../sshd-config/audit-config.ts';
import { newTally, runFacts, tallyConnection } from '../../doctor/checks/logs.ts';
import { configFacts } from '../../doctor/checks/config.ts';
import { rank } from '../../doctor/rank.ts';
import { windowText } from '../../doctor/window.ts';
import { admissionSettings, admissionValuesOf, ArrivalCollector, recommend, SettingsError } from '../../simulate/index.ts';
import { simulationSection } from '../../report/page-simulation.ts';
import { joinSpan, readWire, wireFacts, type WireRead } from '../../doctor/checks/capture.ts';
import { joinWireWithLog } from '../../pcap/join.ts';
import { wireSection } from '../../report/page-wire.ts';
import { untrustedJournalNote } from '../../report/untrusted-journal.ts';
import type { ConnectionRecord } from '../../engine/types.ts';

export interface ReportOpts {
  /** --fleet: the report over the whole fleet from PostgreSQL (./report-fleet.ts). */
  fleet?: string;
  passwordFile?: string;
  hours: number;
  output?: string;
  config?: string;
  format?: string;
  timezone?: string;
  year?: number;
  journal?: boolean;
  since?: string;
  until?: string;
  unit?: string[];
  loginGraceTime: number;
  json?: boolean;
  pcap?: string;
}

export async function report(files: string[], opts: ReportOpts): Promise<number> {
  if (opts.output === undefined && opts.json !== true) throw new UserError('-o/--output: say where to write the page (e.g. -o ssh-report.html, or "-" for stdout)');
  const inputs = logInputs(files, opts);
  // Open the output first: a wrong path fails before minutes of reading.
  const out = new PageOutput(opts.output);
  let failed = true;
  try {
    const audit = opts.config !== undefined ? await auditFor(opts.config) : null;

    const page = new PageDataBuilder();
    // doctor's ranking from the same pass: its tally of sshd's refusals (MaxStartups start from the config when given).
    const tally = newTally();
    // Without a config MaxStartups' start is not known (null): a low "#n" on a drop line then proves nothing about per-source limits.
    const maxStartupsBegin = audit === null ? null : Number((audit.effective.get('maxstartups')?.[0] ?? '10').split(':')[0]) || 10;
    // The simulator replays every connection: its collector keeps a small row of each, only when it will run.
    const arrivals = audit !== null ? new ArrivalCollector({ loginGraceTime: opts.loginGraceTime }) : null;
    // The same server settings as `analyze` (LoginGraceTime, MaxStartups, MaxAuthTries), so the page tells what analyze tells.
    const server = await serverSettingsFor(inputs, opts.config, opts.loginGraceTime);
    if (server !== null && 'unreadable' in server) throw new UserError(`--config: ${server.unreadable}`, EXIT.INPUT);
    // --pcap: the capture first (its span says which log connections the join needs).
    const ports = (audit?.effective.get('port') ?? ['22']).map(Number).filter((p) => Number.isInteger(p) && p > 0 && p < 65536);
    let wire: WireRead | null = null;
    if (opts.pcap !== undefined) {
      const read = await readWire(opts.pcap, { ports: ports.length ? ports : [22], loginGraceTime: opts.loginGraceTime });
      if ('error' in read) throw new UserError(read.error, EXIT.INPUT);
      wire = read;
    }
    const span = wire === null ? null : joinSpan(wire.wire);
    const logConns: ConnectionRecord[] = [];
    const run = await analyzeLogs({
      inputs,
      readerThread: readerThreadWanted(inputs),
      format: opts.format as LogFormat | undefined,
      timezone: opts.timezone,
      year: opts.year,
      loginGraceTime: opts.loginGraceTime,
      server,
      evidenceText: true,
      onConnection: (c) => {
        page.connection(c);
        tallyConnection(tally, c, maxStartupsBegin);
        arrivals?.add(c);
        if (span !== null && logConns.length < 200_000) {
          const t = Date.parse(c.start ?? c.end ?? '');
          if (t >= span.since && t <= span.until) logConns.push(c);
        }
      },
      onError: (file, line, message) => warn(`${file}${line === null ? '' : `:${line}`}: ${message}`),
    });
    const rc = run.readCounts;
    const { first, last } = run.timeRange;

    const join = wire === null ? null : joinWireWithLog(wire.wire, { connections: logConns, logLevel: run.result.logLevel, events: run.result.events, era: run.result.era }, ports);
    const facts = [...runFacts(run, tally), ...(audit !== null ? configFacts(audit.run, null) : []), ...(wire !== null ? wireFacts(opts.pcap!, wire.wire, join) : [])];
    const ranked = rank({ facts, client: null, side: 'server', windowText: windowText(null, null, 0) });
    const data = page.finish(run.result, {
      doctor: {
        verdict: ranked.verdict,
        causes: ranked.causes.map((c) => ({ id: c.id, by: c.by, confidence: c.confidence, action: c.action, summary: c.summary, evidence: c.evidence.slice(0, 5), fix: c.fix, verify: c.verify })),
      },
      meta: {
        generated: Math.round(Date.now() / 1000),
        command: commandLine(files, opts),
        inputs: run.inputs,
        lines: rc.lines,
        sshdLines: rc.framed,
        otherPrograms: rc.skipped,
        malformed: rc.malformed,
        failedInputs: rc.failedInputs,
        untrustedJournalRecords: rc.untrusted,
        untrustedJournalNote: untrustedJournalNote(rc.untrusted, rc.untrustedExample),
        first: first === null ? null : first / 1000,
        last: last === null ? null : last / 1000,
      },
      audit: audit?.audit ?? null,
      auditError: audit?.error ?? null,
      ...(audit !== null && arrivals !== null ? simulate(arrivals, audit.effective, audit.audit!.version) : {}),
    });
    if (wire !== null) data.wire = wireSection(opts.pcap!, wire.summary, wire.wire, join);
    const text = opts.json === true ? JSON.stringify(data) + '\n' : renderPage(data, readPageAssets());
    out.write(text);
    failed = false;
    return run.inputFailed ? EXIT.INPUT : EXIT.OK;
  } finally {
    out.close(failed);
  }
}

/** The MaxStartups simulation under the audited config's admission settings (src/simulate/). */
function simulate(collector: ArrivalCollector, effective: ReadonlyMap<string, readonly string[]>, version: string): { simulation: PageData['simulation']; simulationError: string | null } {
  let current;
  try {
    current = admissionSettings(admissionValuesOf(effective), version);
  } catch (e) {
    if (e instanceof SettingsError) return { simulation: null, simulationError: `No MaxStartups simulation: ${e.message}` };
    throw e;
  }
  const set = collector.finish();
  if (set.arrivals.length === 0) return { simulation: null, simulationError: 'No MaxStartups simulation: the log has no timed connections to replay.' };
  return { simulation: simulationSection(recommend(set.arrivals, current), set), simulationError: null };
}

/** The sshd_config audit, as `sshwarden audit FILE` makes it (with the local sshd's own check when it can). */
async function auditFor(file: string): Promise<{ audit: PageData['audit']; error: string | null; effective: Map<string, string[]>; run: AuditConfigRun }> {
  const run = await auditConfig({ file, clients: [], spec: null });
  if ('unreadable' in run) throw new UserError(`--config: ${run.unreadable}`, EXIT.USAGE);
  const r = run.report;
  const sshd = run.sshd === null ? null : { version: run.sshd.version, accepted: run.sshd.accepted, message: run.sshd.message };
  return {
    audit: { root: r.root, version: r.version, sshd, findings: r.findings.map((f) => ({ severity: f.severity, file: f.file, line: f.line, title: f.title, impact: f.impact, fix: f.fix })) },
    error: null,
    effective: new Map(Object.entries(r.effective).map(([k, v]) => [k, v.values])),
    run,
  };
}

/** The command line as the page shows it (file names as given). */
function commandLine(files: string[], opts: ReportOpts): string {
  const parts = ['sshwarden', 'report', ...files];
  if (opts.journal) parts.push('--journal');
  if (opts.since !== undefined) parts.push('--since', JSON.stringify(opts.since));
  if (opts.until !== undefined) parts.push('--until', JSON.stringify(opts.until));
  if (opts.config !== undefined) parts.push('--config', opts.config);
  if (opts.pcap !== undefined) parts.push('--pcap', opts.pcap);
  return parts.join(' ');
}
