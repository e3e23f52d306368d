import type { Command } from '@commander-js/extra-typings';
import { readFileSync } from 'node:fs';
import { describeFsError } from '../../sources/byte-sources.ts';
import { explainTranscript, NotSshOutputError } from '../../explain-client/explain.ts';
import { renderExplanation } from '../../explain-client/render.ts';
import { EXIT } from '../exit-codes.ts';
import { colors } from '../terminal.ts';
import { UserError } from '../user-error.ts';

/** Largest transcript we read (an -vvv run is a few hundred KB at most). */
const MAX_BYTES = 32 * 1024 * 1024;

function readInput(file: string): string {
  try {
    const buf = readFileSync(file === '-' ? 0 : file);
    if (buf.length > MAX_BYTES) throw new UserError(`${file}: larger than ${MAX_BYTES / 1024 / 1024} MB: is this an ssh transcript?`);
    return buf.toString('utf8');
  } catch (e) {
    if (e instanceof UserError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`${file === '-' ? 'stdin' : file}: cannot read: ${describeFsError(err)}`, EXIT.INPUT);
  }
}

export function registerExplainClient(program: Command): void {
  program
    .command('explain-client')
    .description('Explain the output of a failing `ssh -v`/`-vv`/`-vvv` run: the cause, the evidence lines, and the fix.')
    .argument('<file>', 'the transcript, or - for stdin')
    .option('--json', 'print the explanation as JSON')
    .addHelpText(
      'after',
      `
Examples:
  ssh -vvv user@host 2>&1 | sshwarden explain-client -
  sshwarden explain-client ssh-debug.txt --json

It recognises: HTTP or other non-SSH banners (wrong port, port translation), a close or reset
before the SSH banner, MaxStartups / PerSourcePenalties refusals, refused / timed-out / unroutable
connections, unresolvable names, "no matching key exchange/host key/cipher/MAC" with both offers,
changed or unknown host keys, Permission denied (which keys were offered), Too many authentication
failures, no mutual signature algorithm, bad permissions on config or key files, agent refusals,
and ProxyJump/bastion failures.
Exit status: 0 the transcript shows a successful login, 1 a failure was explained, 2 not ssh output.`,
    )
    .action((file, opts) => {
      const text = readInput(file);
      let e;
      try {
        e = explainTranscript(text);
      } catch (err) {
        if (err instanceof NotSshOutputError) throw new UserError(`${file === '-' ? 'stdin' : file}: ${err.message}`);
        throw err;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...e }, null, 2)}\n`);
      else process.stdout.write(renderExplanation(e, file, colors));
      process.exitCode = e.ok ? EXIT.OK : EXIT.FINDINGS;
    });
}
