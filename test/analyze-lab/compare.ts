/**
 * Runs `./sshwarden analyze <log> --json` as a user would, and compares its connections and
 * sources with the lab's ground truth (what the clients did and saw). Produces one check per
 * (source address, source port) and one per source, so a wrong outcome fails on its own line.
 *
 * Matching is by (src, srcPort) as a multiset: the kernel may give a client the same source
 * port again once the earlier connection is closed (the flood's dropped connections do), so
 * for each key the sorted list of expected outcomes must equal the sorted list of reported ones.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LabRun, TruthConn, TruthSource } from './scenarios.ts';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface ReportedConnection {
  src: string | null;
  srcPort: number | null;
  outcome: string;
  phase?: string;
  failures?: number;
  detail?: string;
  inferred?: boolean;
  users?: string[];
}

export interface ReportedSource {
  address: string;
  class: string;
  why?: string;
  connections: number;
  outcomes: Record<string, number>;
  users?: string[];
}

export interface AnalyzeOutput {
  connections: ReportedConnection[];
  sources: ReportedSource[];
  [k: string]: unknown;
}

export interface AnalyzeRun {
  status: number | null;
  stdout: string;
  stderr: string;
  json: AnalyzeOutput | null;
  parseError?: string;
}

/** Spawns the CLI exactly as a user would (argument array, repo root as cwd). */
export function runAnalyze(logFile: string, extraArgs: string[] = [], opts: { json?: boolean } = {}): AnalyzeRun {
  const json = opts.json !== false;
  const r = spawnSync('./sshwarden', ['analyze', logFile, ...(json ? ['--json'] : []), ...extraArgs], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined },
  });
  const out: AnalyzeRun = { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', json: null };
  if (!json) return out;
  try {
    const parsed = JSON.parse(out.stdout) as AnalyzeOutput;
    if (!Array.isArray(parsed.connections) || !Array.isArray(parsed.sources)) throw new Error('no connections[] / sources[] in the JSON');
    out.json = parsed;
  } catch (e) {
    out.parseError = (e as Error).message;
  }
  return out;
}

export interface Check {
  name: string;
  ok: boolean;
  expected: unknown;
  actual: unknown;
  why: string;
  /** A known engine bug this check shows: reported as a node:test TODO (visible, not failing the run). */
  knownIssue?: string;
}

/** How far each kind of client got, from the client's side (undefined: the log cannot show it). */
export function expectedPhase(t: TruthConn): string | undefined {
  if (t.expected === 'dropped') return 'tcp';
  switch (t.did) {
    case 'silent-close':
    case 'rst':
    case 'flood':
      return 'tcp';
    case 'http':
    case 'tls':
    case 'protocol-mismatch':
      return 'identification';
    case 'ident-close':
    case 'keyscan':
    case 'kex-mismatch':
    case 'garbage':
      return 'kex';
    case 'inject-ident':
      return t.expected === 'non_ssh' ? 'identification' : 'kex';
    case 'invalid-user':
    case 'root-password':
    case 'failed-key':
    case 'key-spray':
    case 'inject-user':
    case 'no-method':
      return 'auth';
    case 'login':
    case 'flood-victim':
      return t.expected === 'authenticated' ? 'session' : undefined;
    default:
      return undefined; // grace-timeout: the client identified, but Debian's sshd logs nothing that shows it
  }
}

/** Engine bugs reported to the engine's owner; their checks run as TODO until fixed. */
const KNOWN_ISSUES: Array<{ applies: (t: TruthConn, reported: ReportedConnection[]) => boolean; note: string }> = [
  {
    applies: (t, reported) => t.did === 'failed-key' && reported.some((c) => c.phase === 'kex'),
    note: 'engine: `Connection closed by authenticating user root … [preauth]` alone (INFO) leaves phase kex; the user name shows auth was reached',
  },
];

const key = (src: string | null, port: number | null) => `${src} port ${port}`;

type TruthLike = Pick<LabRun, 'truth' | 'sources' | 'server'>;

/** Per connection key: reported outcomes equal the expected ones (only connections sshd logs at this level). */
export function connectionChecks(run: TruthLike, out: AnalyzeOutput): Check[] {
  const checks: Check[] = [];
  const byKey = new Map<string, ReportedConnection[]>();
  for (const c of out.connections) {
    const k = key(c.src, c.srcPort);
    byKey.set(k, [...(byKey.get(k) ?? []), c]);
  }
  const truthByKey = new Map<string, TruthConn[]>();
  for (const t of run.truth) {
    const k = key(t.src, t.srcPort);
    truthByKey.set(k, [...(truthByKey.get(k) ?? []), t]);
  }
  for (const [k, ts] of truthByKey) {
    const logged = ts.filter((t) => t.logged);
    const reported = byKey.get(k) ?? [];
    const expected = logged.map((t) => t.expected).sort();
    const actual = reported.map((c) => c.outcome).sort();
    const what = [...new Set(ts.map((t) => `${t.scenario}: ${t.did}`))].join(', ');
    if (logged.length === 0) {
      // sshd logs nothing for these at this level: a record may only exist if it carries the right outcome.
      checks.push({
        name: `${k} (${what}; not logged at this level) → no record or ${ts[0].expected}`,
        ok: actual.every((o) => o === ts[0].expected),
        expected: `[] or [${ts[0].expected}]`,
        actual,
        why: `client saw: ${ts.map((t) => t.saw).join(' / ')}`,
      });
      continue;
    }
    checks.push({
      name: `${k} (${what}) → ${expected.join(', ')}`,
      ok: JSON.stringify(expected) === JSON.stringify(actual),
      expected,
      actual,
      why: `client sent ${ts.map((t) => t.sent).join(' / ')}; saw ${ts.map((t) => t.saw).join(' / ')}; reported ${JSON.stringify(reported.map((c) => ({ outcome: c.outcome, detail: c.detail, inferred: c.inferred })))}`,
    });
    const phases = logged.map(expectedPhase);
    if (phases.every((p) => p !== undefined)) {
      const want = [...phases].sort();
      const got = reported.map((c) => c.phase ?? null).sort();
      const issue = KNOWN_ISSUES.find((i) => logged.some((t) => i.applies(t, reported)));
      checks.push({
        name: `${k} (${what}) phase ${want.join(', ')}`,
        ok: JSON.stringify(want) === JSON.stringify(got),
        expected: want,
        actual: got,
        why: `how far the client got: sent ${ts.map((t) => t.sent).join(' / ')}`,
        knownIssue: issue && JSON.stringify(want) !== JSON.stringify(got) ? issue.note : undefined,
      });
    }
    for (const t of logged) {
      // Facts the client knows that the record must carry.
      const rec = reported.find((c) => c.outcome === t.expected);
      const facts: Array<[string, unknown, unknown]> = [];
      if (t.did === 'http') facts.push(['detail', 'http', rec?.detail]);
      if (t.expected === 'dropped') facts.push(['detail', 'maxstartups', rec?.detail]);
      if (t.did === 'grace-timeout') facts.push(['inferred', true, rec?.inferred]);
      if (t.passwordFailures !== undefined) facts.push(['failures', t.passwordFailures, rec?.failures]);
      for (const [field, want, got] of facts) {
        checks.push({ name: `${k} (${t.did}) ${field} = ${JSON.stringify(want)}`, ok: got === want, expected: want, actual: got ?? null, why: `client sent ${t.sent}` });
      }
      for (const u of t.users ?? []) {
        const rec = reported.find((c) => c.outcome === t.expected);
        checks.push({
          name: `${k} (${t.did}) records user ${JSON.stringify(u)}`,
          ok: Boolean(rec?.users?.includes(u)),
          expected: u,
          actual: rec?.users ?? null,
          why: 'the user name the client sent',
        });
      }
    }
  }
  // No connection the clients did not make (nothing attributed to the server or to an address named in attacker text).
  const phantom = out.connections.filter((c) => !truthByKey.has(key(c.src, c.srcPort)));
  checks.push({
    name: 'no reported connection that no client made',
    ok: phantom.length === 0,
    expected: [],
    actual: phantom.map((c) => ({ src: c.src, srcPort: c.srcPort, outcome: c.outcome, detail: c.detail })),
    why: 'every record must match a client connection by (src, srcPort)',
  });
  return checks;
}

/** Per source: counts and outcomes of its logged connections, and a class a correct tool may give. */
export function sourceChecks(run: TruthLike, out: AnalyzeOutput): Check[] {
  const checks: Check[] = [];
  const reported = new Map(out.sources.map((s) => [s.address, s]));
  for (const s of run.sources as TruthSource[]) {
    const logged = run.truth.filter((t) => t.src === s.address && t.logged);
    if (logged.length === 0) continue;
    const rec = reported.get(s.address);
    const outcomes: Record<string, number> = {};
    for (const t of logged) outcomes[t.expected] = (outcomes[t.expected] ?? 0) + 1;
    const got = rec ? Object.fromEntries(Object.entries(rec.outcomes).filter(([, n]) => n > 0).sort()) : null;
    checks.push({
      name: `source ${s.address}: ${logged.length} connection(s) ${JSON.stringify(outcomes)}`,
      ok: Boolean(rec) && rec!.connections === logged.length && JSON.stringify(got) === JSON.stringify(Object.fromEntries(Object.entries(outcomes).sort())),
      expected: { connections: logged.length, outcomes },
      actual: rec ? { connections: rec.connections, outcomes: rec.outcomes } : null,
      why: s.note,
    });
    checks.push({
      name: `source ${s.address} class ∈ {${s.classes.join(', ')}}`,
      ok: Boolean(rec) && s.classes.includes(rec!.class as never),
      expected: s.classes,
      actual: rec ? `${rec.class} (${rec.why ?? ''})` : null,
      why: s.note,
    });
  }
  for (const server of [run.server.v4, run.server.v6]) {
    checks.push({
      name: `server address ${server} is not a source`,
      ok: !reported.has(server),
      expected: 'absent',
      actual: reported.has(server) ? reported.get(server) : 'absent',
      why: 'the server address appears in Connection from … on <lip> and drop lines',
    });
  }
  const known = new Set(run.sources.map((s) => s.address));
  const extra = out.sources.filter((s) => !known.has(s.address));
  checks.push({
    name: 'no source that no client was',
    ok: extra.length === 0,
    expected: [],
    actual: extra.map((s) => s.address),
    why: 'attacker text names 192.0.2.12 and the server; only socket-derived fields may create a source',
  });
  return checks;
}

/** Every line a real Debian sshd wrote is recognised (the engine lists the ones it is not). */
export function recognitionChecks(out: AnalyzeOutput): Check[] {
  const u = out.unrecognised as { count?: number; examples?: Array<{ line: number; text?: string }> } | undefined;
  const examples = u?.examples ?? [];
  const truncatedOnly = examples.length > 0 && examples.every((e) => (e.text ?? '').length >= 400 && /^Connection closed by invalid user /.test(e.text ?? ''));
  return [
    {
      name: 'every sshd line of the lab log is recognised',
      ok: (u?.count ?? 0) === 0,
      expected: 0,
      actual: { count: u?.count, lines: examples.map((e) => `${e.line}: ${(e.text ?? '').slice(0, 120)}`) },
      why: 'the log comes from a real sshd 9.2p1: every shape it wrote is in the catalog',
      knownIssue: truncatedOnly
        ? 'engine: a relayed `Connection closed by invalid user <escaped user>` line cut at 500 characters (address lost) is not recognised; it should match by its prefix and join by PID'
        : undefined,
    },
  ];
}

/** Share of logged ground-truth connections whose outcome the tool got right (by key multiset). */
export function score(run: TruthLike, out: AnalyzeOutput): { right: number; total: number } {
  const pool = new Map<string, string[]>();
  for (const c of out.connections) {
    const k = `${key(c.src, c.srcPort)} ${c.outcome}`;
    pool.set(k, [...(pool.get(k) ?? []), c.outcome]);
  }
  let right = 0;
  let total = 0;
  for (const t of run.truth.filter((x) => x.logged)) {
    total++;
    const k = `${key(t.src, t.srcPort)} ${t.expected}`;
    const left = pool.get(k);
    if (left && left.length > 0) {
      left.pop();
      right++;
    }
  }
  return { right, total };
}
