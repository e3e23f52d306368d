/**
 * `doctor user@host`, from the client machine: probe (probeTarget), then a real
 * `ssh -vvv -o BatchMode=yes` to the same target (never asks for a password, never writes
 * known_hosts), explained by explain-client's engine; both become facts for the ranking.
 */
import type { Runner } from './runner.ts';
import { commandText } from './runner.ts';
import type { CheckResult, DoctorReport, Fact } from './types.ts';
import { assemble, bounded } from './run.ts';
import type { ProbeReport } from '../probe/probe.ts';
import { explainTranscript, NotSshOutputError, type Explanation } from '../explain-client/explain.ts';

export interface ClientDoctorOptions {
  runner: Runner;
  /** user@host[:port] as given */
  target: string;
  port?: string;
  sshConfigFile?: string;
  timeoutSeconds: number;
  probe: (o: { target: string; port?: string; sshConfigFile?: string; timeoutSeconds: number }) => Promise<ProbeReport>;
}

/** Pure: facts from a probe report. */
export function probeFacts(r: ProbeReport): Fact[] {
  const a = r.addresses.find((x) => x.verdict === r.verdict.id) ?? r.addresses[0] ?? null;
  return [{ type: 'probe', verdict: r.verdict.id, headline: r.verdict.headline, address: a?.address ?? null, port: r.target.port, evidence: r.verdict.evidence.slice(0, 6).map((text) => ({ where: `probe ${r.target.host}:${r.target.port}`, text })) }];
}

/** Pure: facts from an explained ssh transcript. */
export function sshFacts(e: Explanation, where: string): Fact[] {
  if (e.ok) return [];
  return e.findings.slice(0, 3).map((f) => ({ type: 'ssh_client' as const, finding: f.id, title: f.title, fix: f.fix, evidence: f.evidence.slice(0, 4).map((x) => ({ where: `${where} (line ${x.line})`, text: x.text })) }));
}

/** `ssh -vvv` arguments for the target (`[user@]host[:port]`, `[v6]:port`). */
export function sshArgs(target: string, port: string | undefined, configFile: string | undefined): string[] {
  let user: string | null = null;
  let rest = target;
  const at = target.lastIndexOf('@');
  if (at >= 0) {
    user = target.slice(0, at);
    rest = target.slice(at + 1);
  }
  let host = rest;
  let p = port ?? null;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    host = v6[1];
    p = p ?? v6[2] ?? null;
  } else if (/^[^:]+:\d+$/.test(rest)) {
    host = rest.slice(0, rest.lastIndexOf(':'));
    p = p ?? rest.slice(rest.lastIndexOf(':') + 1);
  }
  const args = ['-vvv', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'StrictHostKeyChecking=yes', '-T'];
  if (configFile) args.push('-F', configFile);
  if (p) args.push('-p', p);
  if (user) args.push('-l', user);
  args.push('--', host, 'true');
  return args;
}

export async function doctorClient(o: ClientDoctorOptions): Promise<DoctorReport> {
  const ms = o.timeoutSeconds * 1000;
  const probe = bounded('probe', ms * 3 + 5000, async (): Promise<CheckResult> => {
    const r = await o.probe({ target: o.target, port: o.port, sshConfigFile: o.sshConfigFile, timeoutSeconds: o.timeoutSeconds });
    return { check: 'probe', status: 'looked', note: r.verdict.headline, facts: probeFacts(r) };
  });
  const ssh = bounded('ssh -vvv', ms * 3 + 5000, async (): Promise<CheckResult> => {
    const args = sshArgs(o.target, o.port, o.sshConfigFile);
    const r = await o.runner.run('ssh', args, ms * 3);
    if (r.failure === 'missing') return { check: 'ssh -vvv', status: 'unchecked', reason: 'ssh is not installed', facts: [] };
    const where = commandText('ssh', args.slice(0, -1));
    let e: Explanation;
    try {
      e = explainTranscript(r.stderr);
    } catch (err) {
      if (err instanceof NotSshOutputError) return { check: 'ssh -vvv', status: 'unchecked', reason: `ssh printed no debug output${r.failure === 'timeout' ? ' (timed out)' : ''}`, facts: [] };
      throw err;
    }
    return { check: 'ssh -vvv', status: 'looked', note: e.headline, facts: sshFacts(e, where) };
  });
  const results = await Promise.all([probe, ssh]);
  return assemble(results, { side: 'client', client: null, windowText: '', window: null, target: o.target });
}
