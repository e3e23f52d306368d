/** `sshwarden doctor`: the run (loaded lazily by ./doctor.ts, which holds the options). */
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import type { Paint } from '../../report/text.ts';
import { parseClient } from '../../doctor/context.ts';
import { realRunner } from '../../doctor/runner.ts';
import { doctorServer } from '../../doctor/run.ts';
import { doctorClient } from '../../doctor/client-side.ts';
import { renderDoctor } from '../../doctor/render.ts';
import { parseWhen, windowText } from '../../doctor/window.ts';
import { chooseLogSource, DEFAULT_LOG_FILES } from '../../sources/log-choice.ts';
import type { InputSpec } from '../../sources/read-inputs.ts';
import { probeTarget, ProbeInputError, ResolveError } from '../../probe/probe-target.ts';
import { readerThreadWanted } from '../reader-thread-choice.ts';

export interface DoctorOpts {
  client?: string;
  since?: string;
  until?: string;
  log?: string[];
  config?: string;
  offline?: boolean;
  pcap?: string;
  fail2banSocket?: string;
  port?: string;
  sshConfigFile?: string;
  timeout: string;
  json?: boolean;
}

export async function runDoctor(target: string | undefined, opts: DoctorOpts, paint: Paint): Promise<number> {
  const timeout = Number(opts.timeout);
  if (!/^\d+(\.\d+)?$/.test(opts.timeout) || timeout <= 0 || timeout > 120) throw new UserError(`--timeout: "${opts.timeout}" must be a number of seconds in (0, 120]`);
  const runner = realRunner();
  let report;
  if (target !== undefined) {
    if (opts.client || opts.log || opts.offline || opts.pcap) throw new UserError('a target (user@host) diagnoses from the client side: --client, --log, --pcap and --offline are for the server side');
    try {
      report = await doctorClient({
        runner, target, port: opts.port, sshConfigFile: opts.sshConfigFile, timeoutSeconds: timeout,
        probe: (o) => probeTarget({ target: o.target, port: o.port, sshConfigFile: o.sshConfigFile, timeoutSeconds: o.timeoutSeconds }),
      });
    } catch (e) {
      if (e instanceof ProbeInputError) throw new UserError(e.message);
      if (e instanceof ResolveError) throw new UserError(e.message, EXIT.FINDINGS);
      throw e;
    }
  } else {
    if (opts.port || opts.sshConfigFile) throw new UserError('--port and --ssh-config-file go with a target (user@host)');
    const now = Date.now();
    // This host's logs: the last 24 h by default. Files named with --log (often copies from another
    // machine, written days ago): the whole file unless --since says otherwise.
    const sinceText = opts.since ?? (opts.log ? null : '24h');
    const since = sinceText === null ? null : parseWhen(sinceText, now);
    if (sinceText !== null && since === null) throw new UserError(`--since: "${opts.since}" is not a time (use 24h, "2 hours ago", 2026-12-04 10:00)`);
    const until = opts.until === undefined ? null : parseWhen(opts.until, now);
    if (opts.until !== undefined && until === null) throw new UserError(`--until: "${opts.until}" is not a time`);
    if (since !== null && until !== null && since >= until) throw new UserError(`--since (${new Date(since).toISOString()}) must be before --until (${new Date(until).toISOString()})`);
    let client = null;
    if (opts.client !== undefined) {
      const c = parseClient(opts.client);
      if (typeof c === 'string') throw new UserError(`--client: ${c}`);
      client = c;
    }
    if (opts.offline && !opts.log && opts.config === undefined && !opts.pcap) throw new UserError('--offline needs something to read: --log FILE, --config FILE or --pcap FILE');
    let logs: InputSpec[];
    if (opts.log) logs = opts.log;
    else if (opts.offline) logs = [];
    else {
      const choice = chooseLogSource('auto', DEFAULT_LOG_FILES);
      logs = choice.journal ? [{ journal: { since: since === null ? undefined : new Date(since).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC'), until: until === null ? undefined : new Date(until).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC') } }] : choice.files;
    }
    report = await doctorServer({
      runner, client, window: { since, until }, windowText: windowText(since, until, now), config: opts.config ?? (opts.offline ? '' : '/etc/ssh/sshd_config'), logs, readerThread: readerThreadWanted(logs), offline: opts.offline === true,
      timeoutMs: timeout * 1000, fail2banSocket: opts.fail2banSocket, pcap: opts.pcap,
    });
  }
  if (opts.json) {
    const { side, verdict, causes, checked, unchecked, window, client, inputFailed } = report;
    process.stdout.write(`${JSON.stringify({ verdict, side, client, window, causes: causes.map((c) => ({ id: c.id, ...(c.by ? { by: c.by } : {}), confidence: c.confidence, action: c.action, summary: c.summary, affects: c.affects, evidence: c.evidence, fix: c.fix, verify: c.verify })), checked, unchecked, inputFailed: inputFailed === true }, null, 2)}\n`);
  } else process.stdout.write(renderDoctor(report, paint));
  return report.action ? EXIT.FINDINGS : report.inputFailed ? EXIT.INPUT : EXIT.OK;
}
