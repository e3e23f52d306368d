/** A Runner that answers from recorded command outputs and files (unit tests of the checks). */
import type { CommandResult, FileInfo, Runner } from '../../src/doctor/runner.ts';

export interface Recording {
  /** `cmd arg arg` → result (partial: ok defaults to status 0) */
  commands?: Record<string, Partial<CommandResult> & { delayMs?: number }>;
  files?: Record<string, string>;
  stats?: Record<string, Partial<FileInfo>>;
  /** Link targets; "error:EACCES" records a link we may not read (a missing path reads as ENOENT). */
  links?: Record<string, string>;
  isRoot?: boolean;
  now?: number;
}

export function recordedRunner(rec: Recording): Runner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    isRoot: rec.isRoot ?? true,
    now: () => rec.now ?? Date.parse('2026-12-04T20:00:00Z'),
    async run(cmd, args) {
      const key = [cmd, ...args].join(' ');
      calls.push(key);
      const r = rec.commands?.[key];
      if (!r) return { ok: false, status: null, stdout: '', stderr: `${cmd}: not found`, failure: 'missing' };
      if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
      const status = r.status === undefined ? 0 : r.status;
      return { ok: r.ok ?? status === 0, status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', failure: r.failure };
    },
    async readFile(path) {
      const t = rec.files?.[path];
      return t === undefined ? { error: 'ENOENT' } : { text: t };
    },
    async stat(path) {
      const s = rec.stats?.[path];
      if (!s) return { error: 'ENOENT' };
      return { mtimeMs: 0, mode: 0o100600, uid: 0, size: 100, isDirectory: false, ...s };
    },
    async readlink(path) {
      const t = rec.links?.[path];
      if (t === undefined) return { error: 'ENOENT' };
      return t.startsWith('error:') ? { error: t.slice(6) } : { target: t };
    },
  };
}
