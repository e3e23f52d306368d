import pc from 'picocolors';

/**
 * Colour and progress decisions for the terminal edge. Colour only when stdout is a TTY
 * (picocolors honours NO_COLOR / FORCE_COLOR); progress only when stderr is a TTY.
 */
export const colors = pc.createColors(pc.isColorSupported && Boolean(process.stdout.isTTY));

export function stderrIsTty(): boolean {
  return Boolean(process.stderr.isTTY);
}

/** Prints one `sshwarden: …` line on stderr (warnings and per-input errors). */
export function warn(message: string): void {
  process.stderr.write(`sshwarden: ${message}\n`);
}
