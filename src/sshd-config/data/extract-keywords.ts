/**
 * Developer tool (not used at run time): regenerates `keywords.generated.json` from the
 * `keywords[]` table of openssh-portable's servconf.c (and, from 10.4 on, the
 * SSHD_CONFIG_ENTRIES X-macros in servconf.h) at every release tag from 7.4 to 10.5.
 *
 *   node src/sshd-config/data/extract-keywords.ts /path/to/openssh-portable.git > src/sshd-config/data/keywords.generated.json
 *
 * Build flags assumed (Debian's): USE_PAM, KRB5, GSSAPI, WITH_OPENSSL on; USE_AFS, DISABLE_LASTLOG off.
 * Compile-time branches only change a keyword between "supported" and "unsupported" (never its scope).
 */
import { execFileSync } from 'node:child_process';

const repo = process.argv[2];
if (!repo) throw new Error('usage: extract-keywords.ts <openssh-portable git dir>');
const TAGS = ['7_4', '7_5', '7_6', '7_7', '7_8', '7_9', '8_0', '8_1', '8_2', '8_3', '8_4', '8_5', '8_6', '8_7', '8_8', '8_9', '9_0', '9_1', '9_2', '9_3', '9_4', '9_5', '9_6', '9_7', '9_8', '9_9', '10_0', '10_1', '10_2', '10_3', '10_4', '10_5'];
const ON = new Set(['USE_PAM', 'KRB5', 'GSSAPI', 'WITH_OPENSSL', 'HAVE_LOGIN_CAP', 'ENABLE_SK', 'SSH_AUDIT_EVENTS']);
const OFF = new Set(['USE_AFS', 'DISABLE_LASTLOG', 'NO_UID_RESTORATION_TEST']);

function show(tag: string, file: string): string {
  try {
    return execFileSync('git', ['--git-dir', repo, 'show', `V_${tag}_P1:${file}`], { encoding: 'utf8', maxBuffer: 1 << 26 });
  } catch {
    return '';
  }
}

/** Keeps the lines of the active #if branches (one nesting-aware pass). */
function preprocess(text: string): string[] {
  const out: string[] = [];
  const stack: { active: boolean; taken: boolean }[] = [];
  const active = () => stack.every((s) => s.active);
  const cond = (c: string): boolean => {
    const m = /^(?:defined\s*\(?\s*)?(\w+)\)?$/.exec(c.trim());
    if (!m) return true;
    if (OFF.has(m[1])) return false;
    if (ON.has(m[1])) return true;
    return !m[1].startsWith('DISABLE_');
  };
  // join continuation lines
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const d = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b\s*(.*)$/.exec(line);
    if (d) {
      const [, kw, rest] = d;
      if (kw === 'ifdef') stack.push({ active: cond(rest), taken: cond(rest) });
      else if (kw === 'ifndef') { const v = !ON.has(rest.trim()); stack.push({ active: v, taken: v }); }
      else if (kw === 'if') { const v = cond(rest.replace(/\/\*.*\*\//, '')); stack.push({ active: v, taken: v }); }
      else if (kw === 'elif') { const top = stack[stack.length - 1]; const v = !top.taken && cond(rest); top.active = v; top.taken ||= v; }
      else if (kw === 'else') { const top = stack[stack.length - 1]; top.active = !top.taken; top.taken = true; }
      else stack.pop();
      continue;
    }
    if (active()) out.push(line);
  }
  return out;
}

type Entry = { keyword: string; opcode: string; scope: string };

function extract(tag: string): Entry[] {
  const c = show(tag, 'servconf.c');
  const entries: Entry[] = [];
  const lines = preprocess(c);
  const start = lines.findIndex((l) => /keywords\[\]\s*=\s*\{/.test(l));
  for (let i = start + 1; i < lines.length && !/^\};/.test(lines[i]); i++) {
    const m = /\{\s*"([^"]+)",\s*(\w+),\s*([\w|]+)\s*\}/.exec(lines[i]);
    if (m) entries.push({ keyword: m[1], opcode: m[2], scope: m[3] });
  }
  if (lines.slice(start, start + 3).some((l) => l.includes('SSHD_CONFIG_ENTRIES'))) {
    const h = preprocess(show(tag, 'servconf.h')).join('\n');
    // expand the macro groups that make up SSHD_CONFIG_ENTRIES
    const defs = new Map<string, string>();
    for (const m of h.matchAll(/#define\s+(SSHD_CONFIG_\w+)\s+(.*)/g)) defs.set(m[1], m[2]);
    const expand = (s: string, depth = 0): string => (depth > 5 ? s : s.replace(/\bSSHD_CONFIG_\w+\b/g, (n) => (defs.has(n) ? expand(defs.get(n)!, depth + 1) : '')));
    const body = expand('SSHD_CONFIG_ENTRIES');
    for (const m of body.matchAll(/SSHCONF_(\w+)\(([^)]*)\)/g)) {
      const kind = m[1];
      const a = m[2].split(',').map((s) => s.trim());
      const pick: Record<string, [number, number, (a: string[]) => string]> = {
        INT: [1, 2, (x) => `s${x[1]}`], INTFLAG: [1, 2, (x) => `s${x[1]}`], STRING: [1, 2, (x) => `s${x[1]}`],
        STRARRAY: [2, 3, (x) => `s${x[2]}`], CUSTOM: [0, 2, (x) => `s${x[0]}`],
        DEPRECATE: [0, 1, (x) => (x[2] === 'SSHCONF_IGNORE' ? 'sIgnore' : 'sDeprecated')],
        UNSUPPORTED_INT: [1, 2, () => 'sUnsupported'], UNSUPPORTED_STRING: [1, 2, () => 'sUnsupported'],
        ALIAS: [0, 2, (x) => `s${x[1]}`],
      };
      const p = pick[kind];
      if (!p) continue;
      entries.push({ keyword: a[p[0]].toLowerCase(), opcode: p[2](a), scope: a[p[1]] });
    }
  }
  return entries;
}

/** Canonical spelling of each keyword from sshd_config.5 (`.It Cm Keyword`). */
function spellings(tag: string): Map<string, string> {
  const man = show(tag, 'sshd_config.5');
  const m = new Map<string, string>();
  for (const x of man.matchAll(/^\.It Cm (\w+)/gm)) m.set(x[1].toLowerCase(), x[1]);
  return m;
}

const result: Record<string, { name: string; versions: Record<string, { opcode: string; scope: string }> }> = {};
for (const tag of TAGS) {
  const v = tag.replace('_', '.');
  const sp = spellings(tag);
  for (const e of extract(tag)) {
    const k = e.keyword.toLowerCase();
    result[k] ??= { name: sp.get(k) ?? e.keyword, versions: {} };
    if (sp.has(k)) result[k].name = sp.get(k)!;
    result[k].versions[v] = { opcode: e.opcode, scope: e.scope };
  }
}
process.stdout.write(JSON.stringify({ source: 'openssh-portable servconf.c/servconf.h keywords[] at V_7_4_P1..V_10_5_P1', tags: TAGS.map((t) => t.replace('_', '.')), keywords: result }, null, 1) + '\n');
