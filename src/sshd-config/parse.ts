/**
 * Parses an sshd_config and its Includes into directives, Match blocks and the diagnostics sshd
 * would print, in sshd's order, with the file and line sshd names. Also works out what `sshd -t`
 * would decide: the first fatal error stops sshd; non-fatal errors ("Bad configuration option",
 * "extra arguments") stop it at the end of the file that holds them. The audit keeps going past
 * both so every problem is reported. Pure: files come through `ConfigSource`.
 */
import { splitLine } from './lexer.ts';
import { lookupKeyword, keywordHistory, keywordsIn, type Flavour, type KeywordInfo } from './keyword-table.ts';
import { checkValue } from './value-syntax.ts';
import { parseMatch, type ParsedMatch } from './match.ts';
import { cmpVersion } from '../openssh-versions.ts';
import type { AlgoKind } from './algorithms.ts';

export interface ConfigSource {
  /**
   * File text, or the error sshd's perror() would print (e.g. "No such file or directory").
   * `onlyHere`: this reader could not read it where sshd could (permission denied to a user who is
   * not root): not a reason for sshd to stop, only an unknown here.
   */
  read(path: string): { text: string } | { error: string; onlyHere?: boolean; tooLarge?: boolean };
  /** Sorted glob(3) results; [] when nothing matches. */
  glob(pattern: string): string[];
}

export interface MatchBlock {
  id: number;
  file: string;
  line: number;
  match: ParsedMatch;
  /** The block the `Include` that brought this file in sat in (null: global). */
  parent: MatchBlock | null;
  /** Matches inside an Include inside an inactive block never match in syntax mode. */
  neverMatch: boolean;
}

export interface Directive {
  file: string;
  line: number;
  /** As written. */
  keyword: string;
  /** Table row (null for unknown keywords). */
  info: KeywordInfo | null;
  /** Target keyword key (aliases resolved), e.g. `tcpkeepalive` for KeepAlive. */
  key: string;
  args: string[];
  rest: string;
  block: MatchBlock | null;
  /** Value accepted by sshd (false when the line had an error). */
  valid: boolean;
}

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  severity: Severity;
  code: string;
  file: string;
  /** 0 when sshd names no line (missing top-level file). */
  line: number;
  /** One line, with file and line, in sshd's wording when sshd prints one. */
  message: string;
  /** sshd stops at once (fatal) rather than at the end of the file. */
  fatal?: boolean;
}

export interface SshdVerdict {
  accepted: boolean;
  /** The first error sshd prints (its file and line), when it rejects the configuration. */
  file?: string;
  line?: number;
  message?: string;
}

export interface ParsedConfig {
  root: string;
  version: string;
  flavour: Flavour;
  directives: Directive[];
  blocks: MatchBlock[];
  diagnostics: Diagnostic[];
  verdict: SshdVerdict;
  files: string[];
}

export interface ParseOptions {
  version: string;
  flavour?: Flavour;
  /** Directory relative Includes resolve against (sshd's compiled-in SSHDIR). */
  sshDir?: string;
  extraAlgorithms?: Partial<Record<AlgoKind, string[]>>;
  /** Whether a ListenAddress host name resolves; absent = assume it does (no lookups in the core). */
  resolveHost?: (name: string) => boolean;
}

const MAX_DEPTH = 16; // servconf.h SERVCONF_MAX_DEPTH

export function parseConfig(root: string, src: ConfigSource, opts: ParseOptions): ParsedConfig {
  const version = opts.version;
  const flavour = opts.flavour ?? 'upstream';
  const sshDir = opts.sshDir ?? '/etc/ssh';
  const out: ParsedConfig = { root, version, flavour, directives: [], blocks: [], diagnostics: [], verdict: { accepted: true }, files: [] };
  let stopped = false; // sshd has stopped (fatal, or end of a file with bad options)
  /** Subsystem names defined so far where sshd reads them at start (before 9.5 a second definition is fatal). */
  const subsystems = new Map<string, string>();

  const report = (d: Diagnostic, sshdSees: boolean, sshdText?: string) => {
    out.diagnostics.push(d);
    if (sshdSees && !stopped && out.verdict.accepted) {
      out.verdict = { accepted: false, file: d.file, line: d.line, message: sshdText ?? d.message };
    }
    if (sshdSees && d.fatal) stopped = true;
  };

  const top = src.read(root);
  if ('error' in top) {
    report({ severity: 'error', code: 'file-unreadable', file: root, line: 0, message: `${root}: ${top.error}`, fatal: true }, true);
    return out;
  }

  const parseFile = (file: string, text: string, depth: number, ctx: { block: MatchBlock | null; neverMatch: boolean }, includeChain: string[]) => {
    out.files.push(file);
    let badOptions = 0;
    let block = ctx.block;
    let blockActiveSyntax = ctx.block === null ? true : syntaxActive(ctx.block);
    if (text.includes('\0')) {
      const ln = text.slice(0, text.indexOf('\0')).split('\n').length;
      report({ severity: 'error', code: 'binary-file', file, line: ln, message: `${file} line ${ln}: binary data (NUL byte): this is not a text sshd_config; sshd reads it up to the NUL only` }, false);
    }
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const lineNo = i + 1;
      const raw = lines[i].split('\0')[0];
      const sl = splitLine(raw);
      if (sl.keyword === null) continue;
      const where = `${file} line ${lineNo}`;
      if (sl.rest.trim() === '' ) {
        badOptions++;
        report({ severity: 'error', code: 'no-argument', file, line: lineNo, message: `${where}: no argument after keyword "${sl.keyword}"` }, true);
        continue;
      }
      const info = lookupKeyword(sl.keyword, version, flavour);
      if (!info) {
        badOptions++;
        const h = keywordHistory(sl.keyword);
        let hint = '';
        if (h && cmpVersion(version, h.since) < 0) hint = ` (${h.name} exists only from OpenSSH ${h.since})`;
        else if (h && h.removedIn) hint = ` (${h.name} was removed in OpenSSH ${h.removedIn})`;
        else hint = suggest(sl.keyword, version, flavour);
        report({ severity: 'error', code: 'unknown-keyword', file, line: lineNo, message: `${file}: line ${lineNo}: Bad configuration option: ${sl.keyword}${hint}` }, true, `${file}: line ${lineNo}: Bad configuration option: ${sl.keyword}`);
        continue;
      }
      if (sl.args === null) {
        badOptions++;
        report({ severity: 'error', code: 'invalid-quotes', file, line: lineNo, message: `${where}: invalid quotes` }, true);
        continue;
      }
      // global-only keyword inside a Match block
      if (!blockActiveSyntax && info.scope === 'global' && info.key !== 'match' && info.key !== 'include') {
        report({ severity: 'error', code: 'global-in-match', file, line: lineNo, fatal: true, message: `${where}: Directive '${sl.keyword}' is not allowed within a Match block (${info.name} is global only: move it above the first Match)` }, true, `${where}: Directive '${sl.keyword}' is not allowed within a Match block`);
      }
      if (info.key === 'include') {
        if (sl.args.length === 0) {
          report({ severity: 'error', code: 'value', file, line: lineNo, fatal: true, message: `${where}: ${sl.keyword} missing filename argument` }, true);
          continue;
        }
        for (const a of sl.args) {
          if (a === '') { badOptions++; report({ severity: 'error', code: 'value', file, line: lineNo, message: `${where}: keyword ${sl.keyword} empty argument` }, true); break; }
          const pattern = a.startsWith('/') || a.startsWith('~') ? a : `${sshDir}/${a}`;
          const matches = src.glob(pattern);
          out.directives.push({ file, line: lineNo, keyword: sl.keyword, info, key: 'include', args: [pattern], rest: sl.rest, block, valid: true });
          for (const m of matches) {
            if (depth + 1 > MAX_DEPTH || includeChain.includes(m)) {
              report({ severity: 'error', code: 'include-loop', file, line: lineNo, fatal: true, message: `${where}: Include of ${m} loops back (${[...includeChain, m].join(' -> ')}); sshd stops with "Too many recursive configuration includes"` }, true, 'Too many recursive configuration includes');
              continue;
            }
            const r = src.read(m);
            if ('error' in r && r.onlyHere === true) {
              report({ severity: 'warning', code: 'include-not-read', file, line: lineNo, message: `${where}: included file ${m} was not read here: ${r.error}; sshd (root) reads it, so what it sets is not known to this audit` }, false);
              continue;
            }
            if ('error' in r) {
              report({ severity: 'error', code: r.tooLarge ? 'include-too-large' : 'include-unreadable', file, line: lineNo, fatal: true, message: `${where}: cannot read included file ${m}: ${r.error}` }, true, `${m}: ${r.error}`);
              continue;
            }
            parseFile(m, r.text, depth + 1, { block, neverMatch: !blockActiveSyntax }, [...includeChain, m]);
          }
        }
        continue;
      }
      if (info.key === 'match') {
        const pm = parseMatch(sl.rest, version);
        const mb: MatchBlock = { id: out.blocks.length, file, line: lineNo, match: pm, parent: ctx.block, neverMatch: ctx.neverMatch || (ctx.block !== null && !syntaxActive(ctx.block)) };
        out.blocks.push(mb);
        if (pm.errors.length) {
          report({ severity: 'error', code: 'bad-match', file, line: lineNo, fatal: true, message: `${where}: Bad Match condition: ${pm.errors.join('; ')}` }, true, pm.errors[0].startsWith('Invalid Match') ? `${pm.errors[0]} at line ${lineNo}` : `${where}: Bad Match condition`);
        }
        block = mb;
        blockActiveSyntax = syntaxActive(mb);
        out.directives.push({ file, line: lineNo, keyword: sl.keyword, info, key: 'match', args: sl.args, rest: sl.rest, block: mb, valid: pm.errors.length === 0 });
        continue;
      }
      let valid = true;
      if (info.status === 'ok') {
        const ve = checkValue(info.target, { version, keyword: sl.keyword, args: sl.args, rest: sl.rest, extraAlgorithms: opts.extraAlgorithms, resolveHost: opts.resolveHost });
        if (ve) {
          valid = false;
          if (!ve.fatal) badOptions++;
          report({ severity: 'error', code: 'value', file, line: lineNo, fatal: ve.fatal, message: `${where}: ${ve.message}` }, true);
        }
      }
      if (valid && info.target === 'subsystem' && blockActiveSyntax) {
        // servconf.c before 9.5: fatal("Subsystem '%s' already defined."); from 9.5 the first one wins (a debug line).
        const name = sl.args[0];
        const first = subsystems.get(name);
        if (first === undefined) subsystems.set(name, `${file}:${lineNo}`);
        else if (cmpVersion(version, '9.5') < 0) {
          valid = false;
          report({ severity: 'error', code: 'subsystem-duplicate', file, line: lineNo, fatal: true, message: `${where}: Subsystem '${name}' already defined (first at ${first}): sshd ${version} refuses a second definition` }, true, `${where}: Subsystem '${name}' already defined.`);
        } else report({ severity: 'warning', code: 'subsystem-redefined', file, line: lineNo, message: `${where}: Subsystem '${name}' already defined (first at ${first}): sshd ${version} keeps the first definition and ignores this one` }, false);
      }
      out.directives.push({ file, line: lineNo, keyword: sl.keyword, info, key: info.target, args: sl.args, rest: sl.rest, block, valid });
    }
    if (badOptions > 0 && !stopped) stopped = true; // fatal("%s: terminating, %d bad configuration options")
  };
  parseFile(root, top.text, 0, { block: null, neverMatch: false }, [root]);
  postParseChecks();
  return out;

  /** Checks sshd.c main() makes on the global options after parsing (its messages name no line). */
  function postParseChecks(): void {
    const globalFirst = (key: string) => out.directives.find((d) => d.key === key && d.valid && (d.block === null || syntaxActive(d.block)));
    const where = (d: Directive) => `${d.file} line ${d.line}`;
    for (const [cmd, user] of [['authorizedkeyscommand', 'AuthorizedKeysCommandUser'], ['authorizedprincipalscommand', 'AuthorizedPrincipalsCommandUser']]) {
      const d = globalFirst(cmd);
      if (d && d.rest.trim().toLowerCase() !== 'none' && !globalFirst(user.toLowerCase())) {
        report({ severity: 'error', code: 'post-parse', file: d.file, line: d.line, fatal: true, message: `${where(d)}: ${d.info!.name} set without ${user}` }, true, `${d.info!.name} set without ${user}`);
      }
    }
    const am = globalFirst('authenticationmethods');
    if (am && !am.args.includes('any')) {
      const flag = (k: string, def: boolean) => { const d = globalFirst(k); return d ? d.args[0].toLowerCase() === 'yes' : def; };
      const enabled: Record<string, boolean> = {
        none: true,
        publickey: flag('pubkeyauthentication', true),
        password: flag('passwordauthentication', true),
        'keyboard-interactive': flag('kbdinteractiveauthentication', true),
        hostbased: flag('hostbasedauthentication', false),
        'gssapi-with-mic': flag('gssapiauthentication', false),
      };
      const ok = am.args.some((list) => list.split(',').every((m) => enabled[m.split(':')[0]] === true));
      if (!ok) {
        const disabled = [...new Set(am.args.flatMap((l) => l.split(',')).map((m) => m.split(':')[0]).filter((m) => !enabled[m]))];
        report({ severity: 'error', code: 'post-parse', file: am.file, line: am.line, fatal: true, message: `${where(am)}: AuthenticationMethods cannot be satisfied by enabled authentication methods (disabled: ${disabled.join(', ')})` }, true, 'AuthenticationMethods cannot be satisfied by enabled authentication methods');
      }
    }
  }

  function syntaxActive(b: MatchBlock): boolean {
    if (b.neverMatch) return false;
    if (b.match.errors.length) return false;
    if (b.match.criteria.length === 1 && b.match.criteria[0].attr === 'all') return true;
    // with no connection, every criterion but Version fails
    return b.match.criteria.length > 0 && b.match.criteria.every((c) => c.attr === 'version' && matchesVersion(c.arg ?? '', version));
  }
}

function matchesVersion(list: string, version: string): boolean {
  const s = `OpenSSH_${version}`;
  return list.split(',').some((p) => !p.startsWith('!') && new RegExp('^' + p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$').test(s));
}

function suggest(word: string, version: string, flavour: Flavour): string {
  const w = word.toLowerCase();
  let best: { name: string; d: number } | null = null;
  for (const k of keywordsIn(version, flavour)) {
    const d = editDistance(w, k.key);
    if (d <= Math.max(1, Math.floor(w.length / 6)) && (!best || d < best.d)) best = { name: k.name, d };
  }
  return best ? ` (did you mean ${best.name}?)` : '';
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}
