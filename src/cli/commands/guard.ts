import { Option, type Command } from '@commander-js/extra-typings';
import { existsSync } from 'node:fs';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { GuardDaemon, sourcePlan } from '../../guard/daemon.ts';
import { createFirewall } from '../../guard/firewall/index.ts';
import { ConfigError, configTarget, DEFAULT_CONFIG } from '../../guard/config-default.ts';
import { loadConfigApart } from '../../guard/config-apart.ts';
import type { GuardConfig } from '../../guard/config.ts';
import { jsonLogger } from '../../guard/log.ts';
import { SystemdNotifier } from '../../guard/sd-notify.ts';
import { tuneV8ForDaemon } from '../../guard/daemon-v8.ts';

export function registerGuard(program: Command): void {
  program
    .command('guard')
    .description(
      'Run the guard daemon: follow the sshd log (journald or files) live and ban scanners and brute-forcers in the ' +
        'firewall (nftables table `inet sshwarden`, or ipset/iptables, or a command); never loopback, this server\'s own ' +
        'addresses, the allowlist, or sources that recently logged in. Decisions are stored in SQLite before they are ' +
        'applied and re-applied at start. SIGHUP (systemctl reload) re-reads the config.',
    )
    .option('-c, --config <file>', `config file (YAML; missing default file = built-in defaults)`, undefined as string | undefined)
    .option('--dry-run', 'decide and log only: touch no firewall, keep no state')
    .option('--replay', 'read the log from its beginning (default: from the end, or from the saved position)')
    .option('--once', 'with --replay and log files: stop at the end of the files (ban, then exit) instead of following them')
    .option('--check', 'validate the config and exit (0 = valid)')
    .option('--reload', 'validate the config, then make the running guard re-read it; exit 0 only if it did (systemctl reload runs this)')
    .option('--uninstall', 'remove exactly what the guard created in the firewall (table/sets/chains), then exit')
    .addOption(new Option('--firewall-exec <prefix>', 'internal: prefix for firewall programs').hideHelp())
    .addOption(new Option('--silent-warning <seconds>', 'internal: warn when no sshd line was read this long after the start (default 600)').hideHelp())
    .addHelpText(
      'after',
      `
Examples:
  sshwarden guard --config /etc/sshwarden/config.yaml     # the daemon (see packaging/sshwarden-guard.service)
  sshwarden guard --dry-run                               # decide and log, touch no firewall
  sshwarden guard --dry-run --replay --once -c my.yaml    # what it would ban on the whole file, then exit
  sshwarden guard --check -c /etc/sshwarden/config.yaml    # validate a config (file:line: key: problem)
  sshwarden guard --reload -c /etc/sshwarden/config.yaml   # validate, then reload the running guard (non-zero if refused)
  sshwarden guard --uninstall                             # remove the guard's firewall table

Default config: ${DEFAULT_CONFIG} (example with every key: packaging/config.example.yaml).
Logs: one JSON object per line on stdout. Metrics: http://127.0.0.1:9687/metrics.
Then: sshwarden status | ban ADDR --for 1h | unban ADDR | allow CIDR`,
    )
    .action(async (opts) => {
      // The daemon validates its config in a child process (config-apart.ts: the validator's modules
      // never load into it); the one-shot modes load it here.
      const asDaemon = !opts.check && !opts.reload && !opts.uninstall;
      if (asDaemon) tuneV8ForDaemon();
      const { path, config } = asDaemon ? await readConfigApartOrFail(opts.config) : (await import('../guard-client.ts')).readConfigOrFail(opts.config);
      if (opts.check) {
        const plan = sourcePlan(config.log);
        const follows = plan.journal ? `the journal (units ${config.log.journal_units.join(', ')})` : `the files ${plan.files.join(', ')}`;
        if (existsSync(path)) process.stdout.write(`${path}: valid; the guard would follow ${follows}\n`);
        else process.stdout.write(`no config file at ${path}: the built-in defaults apply (valid); the guard would follow ${follows}\n`);
        return;
      }
      if (opts.reload) {
        const { ask } = await import('../guard-client.ts');
        const r = (await ask(config, { cmd: 'reload' })) as { reloaded: boolean; error?: string } | null;
        if (r === null) throw new UserError(`reload: the guard is not running (no socket at ${config.state.socket})`, EXIT.RUNTIME);
        if (!r.reloaded) throw new UserError(`reload refused, the guard keeps its running config: ${r.error ?? 'unknown error'}`, EXIT.USAGE);
        process.stdout.write(`${path}: valid; the guard reloaded it\n`);
        return;
      }
      if (opts.once && !opts.replay) throw new UserError('--once needs --replay (it stops at the end of what --replay reads)');
      if (opts.once && sourcePlan(config.log).journal)
        throw new UserError('--once reads log files to their end, and this config follows the journal (set log.source: files and log.files)');
      let silentWarningMs: number | undefined;
      if (opts.silentWarning !== undefined) {
        const n = Number(opts.silentWarning);
        if (!Number.isFinite(n) || n <= 0) throw new UserError(`--silent-warning: not a number of seconds: ${opts.silentWarning}`);
        silentWarningMs = n * 1000;
      }
      if (opts.uninstall) {
        const fw = createFirewall(config, { exec: opts.firewallExec ? opts.firewallExec.split(' ') : undefined });
        try {
          await fw.uninstall();
        } catch (e) {
          throw new UserError(`uninstall: ${(e as Error).message}`, EXIT.RUNTIME);
        } finally {
          fw.close();
        }
        process.stdout.write(`removed the guard's ${fw.name} objects (${config.firewall.name}); the store ${config.state.database} is kept\n`);
        return;
      }
      // Logs go to stdout (the journal under systemd): a broken pipe must not kill the daemon.
      process.stdout.on('error', () => {});
      const logger = jsonLogger();
      // Under systemd (Type=notify): ready after start, status line, watchdog pings.
      const notifier = new SystemdNotifier(process.env, (message) => logger.log('warn', 'systemd notification failed', { error: message }));
      let endOfInput: () => void = () => {};
      const daemon = new GuardDaemon({
        logger,
        notifyStatus: (line) => notifier.status(line),
        configPath: path,
        config,
        dryRun: Boolean(opts.dryRun),
        replay: Boolean(opts.replay),
        once: Boolean(opts.once),
        onEndOfInput: () => endOfInput(),
        silentWarningMs,
        firewallExec: opts.firewallExec ? opts.firewallExec.split(' ') : undefined,
        onFatal: (reason) => giveUp(reason),
      });
      // Set by onFatal: the guard follows nothing; stop and exit non-zero so systemd sees it.
      let fatal: string | null = null;
      let giveUp = (reason: string): void => {
        fatal = reason;
      };
      try {
        await daemon.start();
      } catch (e) {
        await daemon.stop().catch(() => {});
        const err = e as NodeJS.ErrnoException;
        throw new UserError(`guard did not start: ${err.message}`, EXIT.RUNTIME);
      }
      notifier.ready(daemon.sourceSummary());
      await new Promise<void>((resolve) => {
        const stop = (): void => {
          notifier.stopping();
          void daemon.stop().then(resolve);
        };
        endOfInput = stop;
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
        process.on('SIGHUP', () => void daemon.reload());
        giveUp = (reason) => {
          fatal = reason;
          stop();
        };
        if (fatal) stop();
      });
      if (fatal) throw new UserError(`guard stopped: ${fatal}`, EXIT.RUNTIME);
    });
}

/** readConfigOrFail (guard-client.ts) for the daemon: the same config and error lines, validated in a child process. */
async function readConfigApartOrFail(named: string | undefined): Promise<{ path: string; config: GuardConfig }> {
  const { path, optional } = configTarget(named);
  try {
    return { path, config: await loadConfigApart(path, { optional }) };
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, EXIT.USAGE);
    throw new UserError((e as Error).message, EXIT.RUNTIME);
  }
}
