/**
 * Runs inside a private mount namespace with a private systemd-journald (see journal.test.ts):
 * exercises the journald follower and the daemon's journal source for real, prints one JSON
 * result line. Not a test file by itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JournalFollower } from '../../src/sources/follow-journal.ts';
import { GuardDaemon } from '../../src/guard/daemon.ts';
import { parseConfig } from '../../src/guard/config.ts';

function cat(ident: string, text: string): void {
  const r = spawnSync('systemd-cat', ['-t', ident], { input: text });
  if (r.status !== 0) throw new Error(`systemd-cat failed: ${r.stderr}`);
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

const out: Record<string, unknown> = {};
// A fresh journald creates its journal file with the first message: journalctl -f needs it to exist.
cat('warmup', 'journal ready\n');
await new Promise((r) => setTimeout(r, 1500));
const got: string[] = [];
let cursor: string | null = null;
const f = new JournalFollower({ start: 'end', onRecords: (lines, c) => { got.push(...lines); cursor = c; } });
f.start();
// journalctl -n 0 seeks to the end when it has started: give it time (no readiness signal exists).
await new Promise((r) => setTimeout(r, 1500));
const t0 = performance.now();
cat('cron', 'not ours\n');
cat('sshd', 'Connection closed by 203.0.113.5 port 4242 [preauth]\n');
cat('sshd-session', 'Failed password for root from 203.0.113.6 port 22 ssh2\n');
out.live = await until(() => got.length >= 2, 5000);
out.latencyMs = performance.now() - t0;
out.messages = got.map((l) => (JSON.parse(l) as { MESSAGE: string }).MESSAGE);
f.stop();
cat('sshd', 'Connection closed by 203.0.113.7 port 4243 [preauth]\n');
const resumed: string[] = [];
const f2 = new JournalFollower({ start: { cursor: cursor! }, onRecords: (lines) => resumed.push(...lines) });
f2.start();
await until(() => resumed.length >= 1, 5000);
await new Promise((r) => setTimeout(r, 300));
out.resumed = resumed.map((l) => (JSON.parse(l) as { MESSAGE: string }).MESSAGE);
f2.stop();

// The daemon with `log.source: journal` (dry run): a silent-connection flood logged by "sshd" gets banned.
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-journal-'));
const logs: { msg: string; target?: string; reason?: string }[] = [];
const d = new GuardDaemon({
  configPath: join(dir, 'none.yaml'),
  config: parseConfig(`log:\n  source: journal\nstate:\n  database: ${join(dir, 'g.db')}\n  socket: ${join(dir, 'g.sock')}\nmetrics:\n  enabled: false\n`, 'inline'),
  dryRun: true,
  logger: { log: (_level, msg, fields) => logs.push({ msg, ...(fields as object) }) },
});
await d.start();
await new Promise((r) => setTimeout(r, 1500));
for (let i = 0; i < 10; i++) cat('sshd', `error: kex_exchange_identification: Connection closed by remote host\nConnection closed by 198.51.100.44 port ${5000 + i}\n`);
out.daemonBan = await until(() => logs.some((l) => l.msg === 'ban' && l.target === '198.51.100.44'), 5000);
out.daemonReason = logs.find((l) => l.msg === 'ban')?.reason ?? null;
await d.stop();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(out)}\n`);
