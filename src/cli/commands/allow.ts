import type { Command } from '@commander-js/extra-typings';
import { UserError } from '../user-error.ts';
import { ask, readConfigOrFail } from '../guard-client.ts';
import { parseCidr } from '../../net/address.ts';
import { offlineAllow } from '../guard-offline.ts';
import { broadAllowProblem } from '../../guard/broad-prefix.ts';

export function registerAllow(program: Command): void {
  program
    .command('allow')
    .description('Never ban an address or network (kept in the guard\'s store, on top of never_ban.allow in the config); lifts bans it covers.')
    .argument('<address>', 'IPv4/IPv6 address or CIDR')
    .option('--comment <text>', 'why (shown by status --json)')
    .option('--remove', 'remove it from the runtime allowlist instead')
    .option('--force', 'allow a network wider than an IPv4 /8 or an IPv6 /16 (lifts every ban inside it)')
    .option('-c, --config <file>', 'guard config', undefined as string | undefined)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples (as root: the guard's socket and store are root-only):
  sshwarden allow 198.51.100.0/24 --comment "office"
  sshwarden allow 198.51.100.0/24 --remove`)
    .action(async (address, opts) => {
      const { config } = readConfigOrFail(opts.config);
      const c = parseCidr(address);
      if (!c) throw new UserError(`<address>: not an IP address or CIDR: ${address}`);
      const broad = opts.remove ? null : broadAllowProblem(c);
      if (broad && !opts.force) throw new UserError(`<address>: refused: ${broad}`);
      let result = (await ask(config, { cmd: 'allow', target: c.text, comment: opts.comment ?? null, remove: Boolean(opts.remove), force: Boolean(opts.force) })) as Record<string, unknown> | null;
      if (result === null) result = await offlineAllow(config, c.text, opts.comment ?? null, Boolean(opts.remove));
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else if (opts.remove) process.stdout.write(`${result.removed ? 'removed from' : 'was not in'} the allowlist: ${c.text}\n`);
      else process.stdout.write(`allowed ${c.text}${(result.lifted as string[]).length ? `; lifted bans: ${(result.lifted as string[]).join(', ')}` : ''}\n`);
    });
}
