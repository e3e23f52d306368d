import type { Command } from '@commander-js/extra-typings';
import { describeFsError } from '../../sources/byte-sources.ts';
import { readFileBounded, readStreamBounded, TooLargeError } from '../../sources/bounded-read.ts';
import { explainTranscript, NotSshOutputError } from '../../explain-client/explain.ts';
import { renderExplanation } from '../../explain-client/render.ts';
import { EXIT } from '../exit-codes.ts';
import { colors } from '../terminal.ts';
import { UserError } from '../user-error.ts';

/** Largest transcript we read (an -vvv run is a few hundred KB at most). */
const MAX_BYTES = 32 * 1024 * 1024;

/**
 * The transcript: stdin read as a stream (a pipe from `ssh -vvv` pauses while ssh waits: that
 * is waited for, never an EAGAIN), a file read with the limit checked while reading (so
 * /dev/zero or a 500 MB file stop at the limit).
 */
async function readInput(file: string): Promise<string> {
  try {
    const buf = file === '-' ? await readStreamBounded(process.stdin, MAX_BYTES) : readFileBounded(file, MAX_BYTES);
    return buf.toString('utf8');
  } catch (e) {
    if (e instanceof TooLargeError) throw new UserError(`${file === '-' ? 'stdin' : file}: ${e.message}: not an ssh transcript (an -vvv run is a few hundred KB)`);
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
Several pasted runs: the last one is explained (each run starts at ssh's version line, "OpenSSH_…").
Exit codes: 0 the transcript shows a successful login, 1 it shows a failure (explained when recognised),
2 not ssh output (or usage), 3 the file cannot be read.
With --json, input that cannot be read or is not ssh output still gives a JSON document: {file, error}.`,
    )
    .action(async (file, opts) => {
      let e;
      try {
        e = explainTranscript(await readInput(file));
      } catch (err) {
        const userError = err instanceof NotSshOutputError ? new UserError(`${file === '-' ? 'stdin' : file}: ${err.message}`) : err;
        // --json: still a JSON document on stdout (as doctor --json names what it could not read); the one line on stderr and the exit code stay.
        if (opts.json && userError instanceof UserError) process.stdout.write(`${JSON.stringify({ file, error: userError.message }, null, 2)}\n`);
        throw userError;
      }
      if (opts.json) process.stdout.write(`${JSON.stringify({ file, ...e }, null, 2)}\n`);
      else process.stdout.write(renderExplanation(e, file, colors));
      process.exitCode = e.ok ? EXIT.OK : EXIT.FINDINGS;
    });
}
