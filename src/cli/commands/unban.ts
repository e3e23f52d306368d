import type { Command } from '@commander-js/extra-typings';
import { UserError } from '../user-error.ts';
import { ask, readConfigOrFail } from '../guard-client.ts';
import { parseCidr } from '../../net/address.ts';
import { offlineUnban } from '../guard-offline.ts';

export function registerUnban(program: Command): void {
  program
    .command('unban')
    .description('Lift a ban now (through the running guard, or directly in the store and firewall when it is not running).')
    .argument('<address>', 'the banned address or CIDR, as `sshwarden status` shows it')
    .option('-c, --config <file>', 'guard config', undefined as string | undefined)
    .option('--json', 'machine-readable output')
    .addHelpText('after', `
Examples (as root: the guard's socket and store are root-only):
  sshwarden unban 192.0.2.50
  sshwarden unban 2001:db8:5::/64
To keep an address from ever being banned again: sshwarden allow ADDRESS`)
    .action(async (address, opts) => {
      const { config } = readConfigOrFail(opts.config);
      const c = parseCidr(address);
      if (!c) throw new UserError(`<address>: not an IP address or CIDR: ${address}`);
      let result = (await ask(config, { cmd: 'unban', target: c.text })) as { target: string; wasBanned: boolean; stillCoveredBy?: string[] } | null;
      if (result === null) result = await offlineUnban(config, c.text);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const covered = result.stillCoveredBy?.length ? `; still covered by ${result.stillCoveredBy.join(', ')}` : '';
      process.stdout.write(`${result.wasBanned ? 'unbanned' : 'was not banned:'} ${result.target}${covered}\n`);
    });
}
