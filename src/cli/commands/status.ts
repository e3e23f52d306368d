import type { Command } from '@commander-js/extra-typings';
import { colors } from '../terminal.ts';
import { UserError } from '../user-error.ts';
import { EXIT } from '../exit-codes.ts';
import { ask, readConfigOrFail, requireRootHint, storeExists } from '../../guard/cli-support.ts';
import { GuardStore, StoreError } from '../../guard/store.ts';
import { banView, type BanView } from '../../guard/ban-view.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Show the guard's bans (what, why, until when) from the running daemon, or from its store when it is not running.")
    .option('-c, --config <file>', 'guard config (for the socket and store paths)', undefined as string | undefined)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples:
  sudo sshwarden status
  sudo sshwarden status --json | jq '.bans[].target'`)
    .action(async (opts) => {
      const { config } = readConfigOrFail(opts.config);
      let status = (await ask(config, { cmd: 'status' })) as Record<string, unknown> | null;
      if (status === null) {
        if (!storeExists(config)) throw new UserError(`the guard is not running and has no store at ${config.state.database}${requireRootHint()}`, EXIT.RUNTIME);
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
          recent: store.recentDecisions(20),
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
