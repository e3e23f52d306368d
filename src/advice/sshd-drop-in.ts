/**
 * Where sshd advice is written and how it is applied: one drop-in file (read first on
 * Debian/Ubuntu, whose sshd_config includes sshd_config.d/*.conf at the top: the first value
 * wins), checked with `sshd -t` and applied with a reload (running sessions stay up).
 */
import type { Advice, ConfigChange } from './types.ts';
import { shellCommand } from './shell.ts';

/** The drop-in every command's sshd advice goes to (also the file `audit --harden` prints). */
export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/50-hardening.conf';

/** Check the configuration, then reload (the unit is `ssh` on Debian/Ubuntu, `sshd` elsewhere). */
export const APPLY_SSHD: readonly string[] = ['sshd -t', 'systemctl reload ssh || systemctl reload sshd'];

/** One line of the drop-in. */
export function dropInLine(text: string): ConfigChange {
  return { file: SSHD_DROP_IN, text };
}

/** The command that shows a keyword's effective value (`sshd -T` prints keywords in lower case). */
export function verifyKeyword(keyword: string): string {
  return `${shellCommand(['sshd', '-T'])} | grep -i ${shellCommand([`^${keyword.toLowerCase()} `])}`;
}

/** Advice that writes `lines` to the drop-in, checks and reloads, and verifies `keywords`. */
export function sshdAdvice(id: string, summary: string, lines: readonly string[], keywords: readonly string[]): Advice {
  return { id, summary, changes: lines.map(dropInLine), commands: [...APPLY_SSHD], verify: keywords.map(verifyKeyword) };
}

/** The sshd_config text of a list of advice (its drop-in lines, in order, each once). */
export function dropInText(advice: readonly Advice[]): string[] {
  const out: string[] = [];
  for (const a of advice) for (const c of a.changes) if (c.file === SSHD_DROP_IN && !out.includes(c.text)) out.push(c.text);
  return out;
}

/** One line for a text report: the summary and, when there are any, the lines to write. */
export function adviceLine(a: Advice): string {
  const lines = a.changes.map((c) => `\`${c.text}\``);
  return lines.length ? `${a.summary} (${lines.join(', ')} in ${a.changes[0].file}; then \`${a.commands.join(' && ')}\`)` : a.summary;
}

/** A finding's short fix: the lines and where they go, or the summary when there is nothing to write. */
export function adviceFix(a: Advice): string {
  if (a.changes.length === 0) return a.summary;
  return `${a.changes.map((c) => c.text).join('; ')} (in ${a.changes[0].file}, then ${a.commands.join(' && ')})`;
}
