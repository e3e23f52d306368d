/**
 * The `sshwarden probe` command a person should run to see what a port answers, for the host and
 * port at hand (explain-client fills it in from the ssh transcript, so the port is kept). Pure.
 */
import { shellCommand } from './shell.ts';

export interface ProbeTarget {
  host: string;
  port: number | null;
}

/** `sshwarden probe HOST[:PORT] [--repeat N]`, quoted; an IPv6 literal in brackets when a port follows. */
export function probeCommand(target: ProbeTarget, repeat?: number): string {
  const host = target.host.includes(':') && target.port !== null ? `[${target.host}]` : target.host;
  const words = ['sshwarden', 'probe', target.port !== null && target.port !== 22 ? `${host}:${target.port}` : target.host];
  if (repeat !== undefined) words.push('--repeat', String(repeat));
  return shellCommand(words);
}

/**
 * Fills the `sshwarden probe HOST`, `HOST:PORT` and `HOST --repeat N` placeholders of advice text
 * with the real target; text without a target is returned as it is.
 */
export function withProbeTarget(text: string, target: ProbeTarget | null): string {
  if (target === null) return text;
  return text.replace(/`sshwarden probe HOST(?::PORT)?(?: --repeat (\d+))?`/g, (_m, repeat: string | undefined) => `\`${probeCommand(target, repeat === undefined ? undefined : Number(repeat))}\``);
}
