/**
 * Where sshd advice is written and how it is applied. sshd keeps the FIRST value it reads for
 * most keywords, so a line only takes effect where sshd reads it before any other line setting
 * the same keyword:
 *   - a keyword set today: change the line that sets its effective value (file and line number);
 *   - a keyword set nowhere: the drop-in (50-hardening.conf) in a directory the configuration
 *     Includes outside any Match block (Debian/Ubuntu: sshd_config.d/*.conf at the top), else the
 *     main file, above its first Match block.
 * `sshdPlacement` works this out from a parsed configuration (as plain data, so it can travel in
 * a report) and `placeAdvice` applies it to a piece of advice. Callers without the configuration
 * (probe, explain-client, analyze without --config) keep the drop-in: it is right for an
 * unchanged Debian/Ubuntu configuration. Then `sshd -t` and a reload (running sessions stay up).
 */
import type { Advice, ConfigChange } from './types.ts';
import { shellCommand } from './shell.ts';

/** The drop-in every command's sshd advice goes to when the configuration is not known (also the file `audit --harden` prints). */
export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/50-hardening.conf';

/** The drop-in's file name, in whatever directory the configuration includes. */
const DROP_IN_NAME = '50-hardening.conf';

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

/** One line sshd reads, as the parser gives it (src/sshd-config/parse.ts Directive is one). */
export interface ConfigLine {
  file: string;
  line: number;
  /** Keyword key, lower case, aliases resolved (`include`, `match`, `logingracetime`, ...). */
  key: string;
  /** The keyword as written. */
  keyword: string;
  /** The text after the keyword, as written. */
  rest: string;
  /** Include: the absolute path pattern. */
  args: readonly string[];
  /** The Match block the line is in (null: global). */
  block: unknown;
  valid: boolean;
}

/** What placement needs of a configuration: the main file and every line sshd reads, in its order (a ParsedConfig is one). */
export interface ConfigLines {
  root: string;
  directives: readonly ConfigLine[];
}

/** Where a keyword's effective value comes from (the effective configuration's source): null = set nowhere (compiled-in default), undefined = not known (the first global line is taken). */
export type SourceOf = (key: string) => { file: string; line: number } | null | undefined;

/** `SourceOf` from an effective configuration (src/sshd-config/effective.ts): its source for the keywords it models, not known for the others. */
export function sourcesFrom(effective: ReadonlyMap<string, { source: { file: string; line: number } | null }>): SourceOf {
  return (key) => effective.get(key)?.source;
}

/** Where sshd lines go in one configuration, as plain data. */
export interface SshdPlacement {
  /** Keywords set today (lower case) → the line whose value sshd uses, and its text today. */
  set: Record<string, { file: string; line: number; text: string }>;
  /** Where a keyword set nowhere goes: a drop-in in an Included directory, or the main file (`above` its first Match block; absent: at the end). */
  add: { file: string; above?: number };
}

/** fnmatch(3) for one path component: `*`, `?`, `[...]` (what glob(3) matches an Include's file name with). */
function nameMatches(name: string, pattern: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  try {
    return new RegExp(`${re}$`).test(name);
  } catch {
    return false;
  }
}

/** The drop-in an Include pattern reads: `DIR/50-hardening.conf` when the pattern's file name matches it and its directory is a plain path. */
function dropInOf(pattern: string): string | null {
  const slash = pattern.lastIndexOf('/');
  if (slash <= 0) return null;
  const dir = pattern.slice(0, slash);
  if (/[*?[]/.test(dir)) return null;
  return nameMatches(DROP_IN_NAME, pattern.slice(slash + 1)) ? `${dir}/${DROP_IN_NAME}` : null;
}

/**
 * Where lines go in `cfg`: for each keyword set today, the line sshd takes its value from
 * (`sourceOf`, the effective configuration's source, when it knows the keyword; else the first
 * valid line outside any Match block); for the others, the drop-in of the first Include outside
 * any Match block whose files it would be among, else the main file above its first Match block.
 */
export function sshdPlacement(cfg: ConfigLines, sourceOf: SourceOf = () => undefined): SshdPlacement {
  const at = new Map<string, ConfigLine>();
  const firstGlobal = new Map<string, ConfigLine>();
  for (const d of cfg.directives) {
    at.set(`${d.line}:${d.file}`, d);
    if (d.valid && d.block === null && !firstGlobal.has(d.key)) firstGlobal.set(d.key, d);
  }
  const set: SshdPlacement['set'] = {};
  const keys = new Set(cfg.directives.map((d) => d.key).filter((k) => k !== 'include' && k !== 'match'));
  for (const key of keys) {
    const s = sourceOf(key);
    const d = s === undefined ? firstGlobal.get(key) : s === null ? undefined : at.get(`${s.line}:${s.file}`);
    if (s) set[key] = { file: s.file, line: s.line, text: d ? `${d.keyword} ${d.rest.trim()}` : '' };
    else if (d) set[key] = { file: d.file, line: d.line, text: `${d.keyword} ${d.rest.trim()}` };
  }
  let dropIn: string | null = null;
  for (const d of cfg.directives) {
    if (d.key !== 'include' || d.block !== null) continue;
    dropIn = d.args.map(dropInOf).find((x) => x !== null) ?? null;
    if (dropIn !== null) break;
  }
  const firstMatch = cfg.directives.find((d) => d.key === 'match' && d.file === cfg.root);
  const add = dropIn !== null ? { file: dropIn } : firstMatch ? { file: cfg.root, above: firstMatch.line } : { file: cfg.root };
  return { set, add };
}

/** The keyword of an sshd_config line, lower case. */
function keyOf(text: string): string {
  return (/^\s*([^\s=]+)/.exec(text)?.[1] ?? '').toLowerCase();
}

/** `changes` with their drop-in lines placed where they take effect in the configuration `p` describes (the same array without `p` or without drop-in lines). */
export function placeChanges(changes: ConfigChange[], p: SshdPlacement | null | undefined): ConfigChange[] {
  if (!p || !changes.some((c) => c.file === SSHD_DROP_IN && c.line === undefined)) return changes;
  return changes.map((c): ConfigChange => {
    if (c.file !== SSHD_DROP_IN || c.line !== undefined) return c;
    const now = Object.hasOwn(p.set, keyOf(c.text)) ? p.set[keyOf(c.text)] : undefined;
    if (now) return { file: now.file, line: now.line, ...(now.text ? { was: now.text } : {}), text: c.text };
    return { file: p.add.file, ...(p.add.above !== undefined ? { above: p.add.above } : {}), text: c.text };
  });
}

/** `a` with its drop-in lines placed where they take effect in the configuration `p` describes (unchanged without `p`). */
export function placeAdvice(a: Advice, p: SshdPlacement | null | undefined): Advice;
export function placeAdvice(a: Advice | null, p: SshdPlacement | null | undefined): Advice | null;
export function placeAdvice(a: Advice | null, p: SshdPlacement | null | undefined): Advice | null {
  if (a === null) return a;
  const changes = placeChanges(a.changes, p);
  return changes === a.changes ? a : { ...a, changes };
}

/** The sshd_config text of a list of advice (its drop-in lines, in order, each once). */
export function dropInText(advice: readonly Advice[]): string[] {
  const out: string[] = [];
  for (const a of advice) for (const c of a.changes) if (c.file === SSHD_DROP_IN && c.line === undefined && !out.includes(c.text)) out.push(c.text);
  return out;
}

/** Every change is a line added at the end of one file (the drop-in): the short form. */
export function plainAdd(changes: readonly ConfigChange[]): boolean {
  return changes.every((c) => c.line === undefined && c.above === undefined && c.file === changes[0].file);
}

/** Where and what, in words (no parentheses: reports put it in some): `in FILE line N: change \`OLD\` to \`NEW\``; `add \`NEW\` to FILE, above line N where its first Match block starts`. */
export function changesText(changes: readonly ConfigChange[]): string {
  const parts: (string | ConfigChange[])[] = [];
  const added = new Map<string, ConfigChange[]>();
  for (const c of changes) {
    if (c.line !== undefined) {
      parts.push(`in ${c.file} line ${c.line}: ${c.was ? `change \`${c.was}\` to` : 'make it'} \`${c.text}\``);
      continue;
    }
    const k = `${c.above ?? ''}:${c.file}`;
    const l = added.get(k);
    if (l) l.push(c);
    else {
      added.set(k, [c]);
      parts.push(added.get(k)!);
    }
  }
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const where = p[0].above !== undefined ? `${p[0].file}, above line ${p[0].above} where its first Match block starts` : p[0].file;
      return `add ${p.map((c) => `\`${c.text}\``).join(', ')} to ${where}`;
    })
    .join('; ');
}

/** One line for a text report: the summary and, when there are any, the lines to write and where. */
export function adviceLine(a: Advice): string {
  if (a.changes.length === 0) return a.summary;
  if (plainAdd(a.changes)) return `${a.summary} (${a.changes.map((c) => `\`${c.text}\``).join(', ')} in ${a.changes[0].file}; then \`${a.commands.join(' && ')}\`)`;
  return `${a.summary} (${changesText(a.changes)}; then \`${a.commands.join(' && ')}\`)`;
}

/** A finding's short fix: the lines and where they go, or the summary when there is nothing to write. */
export function adviceFix(a: Advice): string {
  if (a.changes.length === 0) return a.summary;
  if (plainAdd(a.changes)) return `${a.changes.map((c) => c.text).join('; ')} (in ${a.changes[0].file}, then ${a.commands.join(' && ')})`;
  return `${changesText(a.changes)} (then ${a.commands.join(' && ')})`;
}
