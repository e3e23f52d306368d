import type { Command } from '@commander-js/extra-typings';
import { colors } from '../terminal.ts';
import { UserError } from '../user-error.ts';
import { EXIT } from '../exit-codes.ts';
import { statSync } from 'node:fs';
import { ask, readConfigOrFail, requireRootHint } from '../guard-client.ts';
import { GuardStore, StoreError } from '../../guard/store.ts';
import type { SourceState } from '../../guard/source-health.ts';
import { banView, type BanView } from '../../guard/ban-view.ts';
import { decisionView } from '../../guard/status-view.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Show the guard's bans (what, why, until when) from the running daemon, or from its store when it is not running.")
    .option('-c, --config <file>', 'guard config (for the socket and store paths)', undefined as string | undefined)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples (as root: the guard's socket and store are root-only):
  sshwarden status
  sshwarden status --json | jq '.bans[].target'`)
    .action(async (opts) => {
      const { config } = readConfigOrFail(opts.config);
      let status = (await ask(config, { cmd: 'status' })) as Record<string, unknown> | null;
      if (status === null) {
        let noStore = false;
        try {
          statSync(config.state.database);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(`cannot read the guard's store ${config.state.database}${requireRootHint()}`, EXIT.RUNTIME);
          noStore = true;
        }
        if (noStore) {
          // Before the guard ever ran: nothing banned, which is an answer, not an error.
          if (opts.json) process.stdout.write(`${JSON.stringify({ running: false, bans: [], allow: [], recent: [] }, null, 2)}\n`);
          else process.stdout.write(`guard not running; no bans yet (no store at ${config.state.database})\n`);
          return;
        }
        let store: GuardStore;
        try {
          store = new GuardStore(config.state.database, { readonly: true });
        } catch (e) {
          throw new UserError(e instanceof StoreError ? e.message : `${config.state.database}: ${(e as Error).message}`, EXIT.RUNTIME);
        }
        const now = Date.now();
        status = {
          running: false,
          bans: store.activeBans(now).map(banView),
          allow: store.allows().map((a) => a.cidr),
          recent: store.recentDecisions(20).map(decisionView),
        };
        store.close();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        return;
      }
      const bans = status.bans as BanView[];
      const out: string[] = [];
      out.push(status.running ? `${colors.green('guard running')} (pid ${status.pid}, backend ${status.backend}${status.dryRun ? ', dry run' : ''})` : colors.yellow('guard not running (read from its store; the kernel still enforces bans until they expire)'));
      if (status.running && Array.isArray(status.following)) out.push(...followingLines(status.following as string[], (status.sourceStates ?? []) as SourceState[]));
      out.push(`${bans.length} active ban${bans.length === 1 ? '' : 's'}`);
      for (const b of bans) {
        const leftMs = Date.parse(b.until) - Date.now();
        const left = Number.isFinite(leftMs) ? `${Math.max(0, Math.round(leftMs / 60000))} min left` : 'bad stored date';
        out.push(`  ${colors.bold(b.target.padEnd(24))} until ${b.until} (${left}) ${b.origin}${b.offence > 1 ? ` #${b.offence}` : ''}${b.applied ? '' : colors.red(` NOT YET IN FIREWALL${b.error ? `: ${b.error}` : ''}`)}`);
        out.push(`    ${colors.dim(b.reason)}`);
      }
      const allow = status.allow as string[];
      if (allow.length) out.push(`allowlist: ${allow.join(', ')}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });
}

/** What the guard is following; "not following anything" in red when no source works (it sees no attacks). */
function followingLines(following: string[], states: SourceState[]): string[] {
  const out = [following.length ? `following ${following.join(', ')}` : colors.red('not following anything: the guard sees no attacks and bans nothing new')];
  for (const s of states) {
    if (s.state === 'failing') out.push(colors.red(`  ${s.source}: failing (${s.failures} in a row, retrying): ${s.lastError ?? 'unknown error'}`));
  }
  return out;
}
