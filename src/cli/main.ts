#!/usr/bin/env node
import { Command, CommanderError } from '@commander-js/extra-typings';
import { EXIT } from './exit-codes.ts';
import { UserError } from './user-error.ts';
import { printable } from './terminal.ts';
import { COMMANDS, commandsFor } from './commands/index.ts';
import { VERSION } from '../version.ts';

/** The program with the sub-commands that `args` (the arguments after `sshwarden`) needs. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('sshwarden')
    .description(
      'Explain and stop SSH pre-auth disconnects ("kex_exchange_identification: Connection closed by remote host"):\n' +
        'log analysis, client-side probe, sshd_config audit and a firewall guard.',
    )
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });
  for (const name of commandsFor(args)) (await COMMANDS[name]())(program);
  program.exitOverride();
  for (const c of program.commands) c.exitOverride();
  return program;
}

/**
 * A reader that went away (`sshwarden … --help | head`) ends the output, not the program with a
 * stack trace: stop quietly, as `cat` does on SIGPIPE. Other stream errors are reported in one line.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream, name: string): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK);
    if (name !== 'stderr') process.stderr.write(`sshwarden: cannot write to ${name}: ${err.message}\n`);
    process.exit(EXIT.RUNTIME);
  });
}

export async function main(argv: string[]): Promise<number> {
  quietOnClosedPipe(process.stdout, 'stdout');
  quietOnClosedPipe(process.stderr, 'stderr');
  const program = await buildProgram(argv.slice(2));
  if (argv.length <= 2) {
    // No command: usage on stderr, exit 2 (README "Exit codes").
    process.stderr.write(program.helpInformation());
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.OK;
      return EXIT.USAGE;
    }
    if (err instanceof UserError) {
      process.stderr.write(`sshwarden: ${printable(err.message)}\n`);
      return err.exitCode;
    }
    const e = err as Error;
    process.stderr.write(`sshwarden: internal error: ${e?.message ?? String(err)}\n`);
    if (process.env.SSHWARDEN_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    else process.stderr.write('sshwarden: (set SSHWARDEN_DEBUG=1 for a stack trace, and please report it)\n');
    return EXIT.RUNTIME;
  }
}

const code = await main(process.argv);
process.exitCode = code;
