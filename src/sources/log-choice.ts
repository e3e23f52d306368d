/**
 * Which sshd log to read on this host, as the guard picks it (`log.source` in its config):
 * `journal`, `files`, or `auto` = the listed files that exist, or journald when none does.
 * Shared by the guard (and `guard --check`) and `doctor`.
 */
import { existsSync } from 'node:fs';

export const DEFAULT_LOG_FILES: readonly string[] = ['/var/log/auth.log', '/var/log/secure'];

export interface LogChoice {
  journal: boolean;
  /** The files to follow (empty for the journal). */
  files: string[];
  /** Why, in the config's words (for `guard --check` and the start log). */
  why: string;
}

export function chooseLogSource(source: 'auto' | 'journal' | 'files', files: readonly string[], exists: (f: string) => boolean = existsSync): LogChoice {
  if (source === 'journal') return { journal: true, files: [], why: 'log.source: journal' };
  if (source === 'files') return { journal: false, files: [...files], why: 'log.source: files' };
  const present = files.filter((f) => exists(f));
  if (present.length === 0) return { journal: true, files: [], why: `log.source: auto, and none of log.files exists (${files.join(', ')})` };
  return { journal: false, files: present, why: 'log.source: auto, these files of log.files exist' };
}
