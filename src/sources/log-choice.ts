/**
 * Which sshd log to read on this host, as the guard picks it (`log.source` in guard.toml):
 * `journal`, `files`, or `auto` = the listed files that exist, or journald when none does.
 * Shared by the guard and `doctor`.
 */
import { existsSync } from 'node:fs';

export const DEFAULT_LOG_FILES: readonly string[] = ['/var/log/auth.log', '/var/log/secure'];

export type LogChoice = { journal: true } | { journal: false; files: string[] };

export function chooseLogSource(source: 'auto' | 'journal' | 'files', files: readonly string[], exists: (f: string) => boolean = existsSync): LogChoice {
  if (source === 'journal') return { journal: true };
  if (source === 'files') return { journal: false, files: [...files] };
  const present = files.filter((f) => exists(f));
  return present.length === 0 ? { journal: true } : { journal: false, files: present };
}
