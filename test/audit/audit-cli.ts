/**
 * Runs `sshwarden audit ...` through the real command registration and the CLI's error
 * handling, without loading the other commands (so a half-finished sibling command cannot
 * break these tests). Usage: node test/audit/audit-cli.ts audit FILE [options]
 */
import { Command, CommanderError } from '@commander-js/extra-typings';
import { registerAudit } from '../../src/cli/commands/audit.ts';
import { UserError } from '../../src/cli/user-error.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';

const program = new Command('sshwarden').exitOverride().configureOutput({ outputError: (str, write) => write(str) });
registerAudit(program);
for (const c of program.commands) c.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.code === 'commander.helpDisplayed' ? EXIT.OK : EXIT.USAGE;
  else if (err instanceof UserError) {
    process.stderr.write(`sshwarden: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else throw err;
}
