/**
 * One voice: every command, run on the same inputs, gives the same advice. A real sshd (Debian's)
 * in a network namespace, MaxStartups 10:30:100 (the default) at LogLevel INFO, is made to turn
 * away connections of a client that also logs in (10 idle connections held from another host).
 * Then, on that server's own sshd_config and log:
 *   - `analyze --config` raises MaxStartups one step from the value audit reads (30:30:200),
 *     and its per-source, LogLevel advice is audit's, line for line (audit also says where each
 *     line takes effect in that configuration; analyze names the drop-in);
 *   - `audit` calls 10:30:100 fine (no log evidence) and `--harden` writes exactly audit's lines;
 *   - after the drop-in, audit advises none of them again, and analyze only what the log proves;
 *   - `probe` (which cannot read the server's config) and `explain-client` give the same rule.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Lab, type Host } from '../lab/netns.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { runSsh, spawnRaw } from '../lab/clients.ts';
import { probe, SSHWARDEN } from '../probe/helpers.ts';

interface Advice {
  id: string;
  summary: string;
  changes: { file: string; line?: number; was?: string; above?: number; text: string }[];
  commands: string[];
  verify: string[];
}

let lab: Lab;
let srv: Host;
let cli: Host;
let holder: Host;
let sshd: Sshd | null = null;
let dir = '';
let log = '';
let config = '';
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let probed: any = null;

const run = (args: string[]) => {
  const r = spawnSync(SSHWARDEN, args, { encoding: 'utf8', timeout: 120_000 });
  assert.ok(r.status === 0 || r.status === 1, `sshwarden ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};
const byId = (list: Advice[], id: string) => list.find((a) => a.id === id);
const lines = (a: Advice | undefined) => (a ? a.changes.map((c) => c.text) : []);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const auditAdvice = (j: any): Advice[] => j.findings.flatMap((f: { advice?: Advice }) => (f.advice ? [f.advice] : []));

before(async () => {
  lab = Lab.create('adv');
  srv = lab.host('srv', 1);
  cli = lab.host('cli', 11);
  holder = lab.host('hold', 12);
  dir = mkdtempSync(join(tmpdir(), 'sw-advice-'));
  sshd = await startSshd(srv, { options: { MaxStartups: '10:30:100', LogLevel: 'INFO' } });
  // 10 idle connections: from the next one on, sshd drops 30% (and more as they grow).
  const hold = spawnRaw(holder, { host: srv.v4, port: 22, count: 10, then: 'hold', holdMs: 90_000 });
  try {
    await hold.ready;
    probed = probe(cli, [srv.v4, '--repeat', '20', '--concurrency', '1', '--timeout', '3'], 120_000).json;
  } finally {
    hold.release();
    await hold.results.catch(() => undefined);
  }
  // The same client logs in (after the probe: the lab's ssh pins the namespace's source ports).
  const login = runSsh(cli, { target: srv.v4, user: 'root', key: sshd.clientKey });
  assert.ok(login.loggedIn, `the client logs in: ${login.stderr}`);
  config = join(dir, 'sshd_config');
  writeFileSync(config, readFileSync(sshd.configPath, 'latin1'));
  await new Promise((r) => setTimeout(r, 500));
  log = join(dir, 'sshd.log');
  writeFileSync(log, readFileSync(sshd.stderrLog!, 'latin1'));
});

after(async () => {
  await sshd?.stop();
  await lab?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('analyze, audit and --harden agree on the server\'s own config and log', () => {
  assert.ok(probed && probed.verdict.id === 'ssh_throttled', `the probe was refused by MaxStartups: ${JSON.stringify(probed?.verdict?.id)}`);
  const a = run(['analyze', '--json', '--config', config, log]);
  assert.ok(a.summary.drops.fromLegitSources > 0, `own users dropped: ${JSON.stringify(a.summary.drops)}`);
  assert.deepEqual(a.server.maxStartups, [10, 30, 100]);
  const adv: Advice[] = a.summary.advice;
  // One step from the value the config really has (read through the audit engine), never 100:30:200.
  assert.deepEqual(lines(byId(adv, 'maxstartups.raise')), ['MaxStartups 30:30:200']);

  const audit = run(['audit', '--json', config]);
  assert.equal(audit.effective.maxstartups.values[0], '10:30:100');
  const ms = audit.findings.find((f: { id: string }) => f.id === 'maxstartups');
  assert.equal(ms.advice, undefined, 'audit has no log evidence: the default is left alone');
  assert.match(ms.fix, /nothing to change/);
  const au = auditAdvice(audit);
  // The advice both give is the same, line for line.
  for (const id of ['per-source-maxstartups.set', 'log-level.verbose']) {
    assert.ok(byId(adv, id), `analyze advises ${id}`);
    assert.deepEqual(lines(byId(adv, id)), lines(byId(au, id)), id);
    assert.deepEqual(byId(adv, id)!.commands, byId(au, id)!.commands, id);
  }
  // Where: audit reads the configuration, so it says where each line takes effect. This one sets
  // LogLevel itself (sshd keeps the first value: that line is changed) and includes no sshd_config.d
  // (a drop-in there would never be read: the line goes into the file). analyze --config read the
  // same configuration: the same places.
  const logLine = readFileSync(config, 'latin1').split('\n').indexOf('LogLevel INFO') + 1;
  assert.ok(logLine > 0);
  assert.deepEqual(byId(au, 'log-level.verbose')!.changes, [{ file: config, line: logLine, was: 'LogLevel INFO', text: 'LogLevel VERBOSE' }]);
  assert.deepEqual(byId(au, 'per-source-maxstartups.set')!.changes.map((c) => c.file), [config, config]);
  assert.deepEqual(byId(adv, 'log-level.verbose')!.changes, byId(au, 'log-level.verbose')!.changes);
  assert.deepEqual(byId(adv, 'per-source-maxstartups.set')!.changes, byId(au, 'per-source-maxstartups.set')!.changes);

  // --harden writes exactly the lines audit advises (and no MaxStartups: audit calls it fine).
  const h = spawnSync(SSHWARDEN, ['audit', '--harden', config], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(h.status, 0, h.stderr);
  const written = h.stdout.split('\n').filter((l) => l && !l.startsWith('#'));
  for (const x of au) for (const c of x.changes) assert.ok(written.includes(c.text), `--harden writes audit's "${c.text}"`);
  assert.ok(!written.some((l) => l.startsWith('MaxStartups')), 'no MaxStartups line without evidence');
  assert.ok(!written.some((l) => /^(KexAlgorithms|Ciphers|MACs) [^-+]/.test(l)), 'no pinned algorithm list');

  // After the drop-in: audit advises none of it again; analyze keeps only what its log proves.
  const dropIn = join(dir, '50-hardening.conf');
  writeFileSync(dropIn, h.stdout);
  const hardened = join(dir, 'sshd_config.hardened');
  writeFileSync(hardened, `Include ${dropIn}\n${readFileSync(config, 'latin1')}`);
  const after2 = auditAdvice(run(['audit', '--json', hardened])).map((x) => x.id);
  for (const x of au) if (x.changes.length) assert.ok(!after2.includes(x.id), `audit still advises ${x.id} after --harden`);
  const a2: Advice[] = run(['analyze', '--json', '--config', hardened, log]).summary.advice;
  assert.deepEqual(a2.map((x) => x.id), ['maxstartups.raise'], 'only the MaxStartups step the log proves');
});

test('probe and explain-client (no access to the server\'s config) give the same MaxStartups rule', () => {
  const cause = probed.verdict.causes.find((c: { id: string }) => c.id === 'maxstartups');
  const p: Advice = cause.advice;
  assert.equal(p.id, 'maxstartups.raise');
  assert.deepEqual(p.changes, [], 'no line to write without the server\'s value');
  assert.match(p.summary, /below 10:30:100 to 10:30:100, from 10:30:100 to 30:30:200/);
  const e = run(['explain-client', '--json', join(import.meta.dirname, '..', 'explain-client', 'fixtures', '03-maxstartups_refusal.txt')]);
  const f = e.findings.find((x: { id: string }) => x.id === 'maxstartups_refusal');
  const ea: Advice = f.advice.find((x: Advice) => x.id === 'maxstartups.raise');
  assert.deepEqual({ ...ea, summary: ea.summary.replace(/\d+ connections?/, 'N') }, { ...p, summary: p.summary.replace(/\d+ connections?/, 'N') });
});
