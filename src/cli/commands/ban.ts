import type { Command } from '@commander-js/extra-typings';
import { UserError } from '../user-error.ts';
import { ask, readConfigOrFail } from '../guard-client.ts';
import { banDurationProblem, parseDuration } from '../../guard/duration.ts';
import { parseCidr } from '../../net/address.ts';
import { offlineBan } from '../guard-offline.ts';
import { broadBanProblem } from '../../guard/broad-prefix.ts';

export function registerBan(program: Command): void {
  program
    .command('ban')
    .description('Ban an address or network now (through the running guard, or directly when it is not running).')
    .argument('<address>', 'IPv4/IPv6 address or CIDR')
    .option('--for <duration>', 'how long (90s, 10m, 1h, 7d); default: the config\'s ban.duration')
    .option('--reason <text>', 'recorded with the ban', 'manual')
    .option('--force', 'allow a network wider than an IPv4 /16 or an IPv6 /32')
    .option('-c, --config <file>', 'guard config', undefined as string | undefined)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples (as root: the guard's socket and store are root-only):
  sshwarden ban 192.0.2.50 --for 1h --reason manual
  sshwarden ban 2001:db8:5::/64 --for 7d
Longest ban: 365d. Networks wider than an IPv4 /16 or an IPv6 /32 need --force.`)
    .action(async (address, opts) => {
      const { config } = readConfigOrFail(opts.config);
      const c = parseCidr(address);
      if (!c) throw new UserError(`<address>: not an IP address or CIDR: ${address}`);
      const broad = broadBanProblem(c);
      if (broad && !opts.force) throw new UserError(`<address>: refused: ${broad}`);
      let seconds: number | null = null;
      if (opts.for !== undefined) {
        const ms = parseDuration(opts.for);
        const problem = banDurationProblem(ms);
        if (problem) throw new UserError(`--for: ${problem}: ${opts.for}`);
        seconds = Math.round(ms! / 1000);
      }
      let result = await ask(config, { cmd: 'ban', target: c.text, seconds, reason: opts.reason, force: Boolean(opts.force) });
      let via = 'guard';
      if (result === null) {
        result = await offlineBan(config, c.text, seconds, opts.reason);
        via = 'store and firewall directly (guard not running)';
      }
      const r = result as { target: string; until: string };
      process.stdout.write(opts.json ? `${JSON.stringify({ ...r, via })}\n` : `banned ${r.target} until ${r.until} (via ${via})\n`);
    });
}
