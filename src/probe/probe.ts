/**
 * The probe's orchestration: resolve, then for each address run `repeat` attempts with at most
 * `concurrency` in flight, then build the report. The I/O (resolver, attempts) comes in
 * through `ProbeIo`, so this file decides only what to do and in which order.
 */
import type { AttemptResult, TlsSniff } from './attempt.ts';
import type { SshDestination } from './local-client.ts';
import type { ClientOffer } from './negotiation.ts';
import type { Resolved } from './resolve.ts';
import type { Target } from './target.ts';
import { overallVerdict, reportAddress, wantsTlsSniff, type AddressReport, type Verdict } from './verdict.ts';

/** Politeness bounds: never more than the user asked for, and never more than these. */
export const LIMITS = { repeatMax: 100, concurrencyMax: 8, timeoutMaxSeconds: 60 } as const;

export interface ProbeOptions {
  readonly target: Target;
  readonly repeat: number;
  readonly concurrency: number;
  readonly family: 4 | 6 | null;
  readonly client: ClientOffer | null;
  /** Why there is no client to compare with, when `client` is null. */
  readonly clientNote: string | null;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Where the user's ssh would connect (HostName/Port/ProxyJump from ssh_config), when it changed the target or matters. */
  readonly sshConfig: SshDestination | null;
  /** Lines worth saying before the verdict (e.g. "your ssh uses ProxyJump"). */
  readonly notes: string[];
}

export interface ProbeIo {
  resolve(t: Target, only: 4 | 6 | null): Promise<Resolved>;
  attempt(address: string, port: number): Promise<AttemptResult>;
  /** One TLS handshake, when the port was silent or closed only once we spoke. */
  sniffTls(address: string, port: number): Promise<TlsSniff>;
  /** Called after each attempt (progress display). */
  onAttempt?(done: number, total: number): void;
}

export interface ProbeReport {
  readonly target: { input: string; host: string; port: number };
  readonly dns: Resolved | null;
  readonly client: { name: string; source: string } | null;
  readonly clientNote: string | null;
  readonly sshConfig: SshDestination | null;
  readonly notes: string[];
  readonly options: { repeat: number; concurrency: number; connectTimeoutMs: number; readTimeoutMs: number };
  readonly addresses: AddressReport[];
  readonly verdict: Verdict;
}

/** Runs `count` tasks with at most `limit` at once; results keep task order. */
async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

export async function runProbe(o: ProbeOptions, io: ProbeIo): Promise<ProbeReport> {
  const dns = await io.resolve(o.target, o.family);
  const addresses = [...dns.a, ...dns.aaaa];
  const total = addresses.length * o.repeat;
  let done = 0;
  const reports: AddressReport[] = [];
  for (const address of addresses) {
    const attempts = await pool(o.repeat, o.concurrency, async () => {
      const r = await io.attempt(address, o.target.port);
      io.onAttempt?.(++done, total);
      return r;
    });
    const sniff = wantsTlsSniff(attempts[0]) ? await io.sniffTls(address, o.target.port) : null;
    reports.push(reportAddress(attempts, o.client, sniff));
  }
  return {
    target: { input: o.target.input, host: o.target.host, port: o.target.port },
    dns: o.target.literal ? null : dns,
    client: o.client ? { name: o.client.name, source: o.client.source } : null,
    clientNote: o.clientNote,
    sshConfig: o.sshConfig,
    notes: o.notes,
    options: { repeat: o.repeat, concurrency: o.concurrency, connectTimeoutMs: o.connectTimeoutMs, readTimeoutMs: o.readTimeoutMs },
    addresses: reports,
    verdict: overallVerdict(reports),
  };
}
