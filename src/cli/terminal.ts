import pc from 'picocolors';

/**
 * Colour and progress decisions for the terminal edge. Colour when stdout is a colour terminal;
 * NO_COLOR (non-empty) turns it off, FORCE_COLOR turns it on even through a pipe (FORCE_COLOR=0
 * or false: off). Progress only when stderr is a TTY.
 */
export function colourWanted(env: NodeJS.ProcessEnv, stdoutIsTty: boolean, supported: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stdoutIsTty && supported;
}

export const colors = pc.createColors(colourWanted(process.env, Boolean(process.stdout.isTTY), pc.isColorSupported));

export function stderrIsTty(): boolean {
  return Boolean(process.stderr.isTTY);
}

/**
 * `text` with control characters shown as `\xNN` (a tab stays): a file name or other text given to
 * the tool must not reach the terminal as an escape sequence (`analyze $'evil\e]0;x\a'`).
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Prints one `sshwarden: …` line on stderr (warnings and per-input errors). */
export function warn(message: string): void {
  process.stderr.write(`sshwarden: ${printable(message)}\n`);
}
