/**
 * Reader for fail2ban's annotated sample logs (fail2ban/tests/files/logs/sshd and
 * sshd-journal), following the semantics of fail2ban's own harness
 * (fail2ban/tests/samplestestcase.py at the corpus snapshot deffcbcd):
 *
 *  - `# failJSON: {...}` applies to the next line; a log line without one must not match;
 *  - `# filterOptions: {...}` or `[{...}, ...]` starts a block run once per option set (the
 *    filter instance for that option set sees only the blocks that list it);
 *  - `# fileOptions: {...}` are defaults merged into every option set of the rest of the run
 *    (the harness never resets them: `sshd-journal` sets `logtype: journal`);
 *  - `test.condition` (a Python expression over `name`) disables a block for a filter;
 *  - `constraint` in a failJSON (over `name` and `opts`) skips that line for option sets
 *    where it is false;
 *  - `# addFILE: "name"` appends another file to the run.
 * The Python expressions are evaluated by a tiny evaluator that knows exactly the forms the
 * corpus uses (`name == '...'`, `opts.get('k') == / != '...'`, joined by `and`); anything else
 * throws, so a new corpus form is noticed instead of silently misread.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export type FilterOptions = Record<string, string>;

export interface FailJson {
  match: boolean;
  host?: string;
  ip4?: string;
  ip6?: string;
  time?: string;
  desc?: string;
  user?: string;
  users?: string[];
  attempts?: number;
  constraint?: string;
  dns?: unknown;
}

export interface CorpusLine {
  /** Corpus file name (`sshd`, `sshd-journal`). */
  file: string;
  /** 1-based line number in that file. */
  lineNo: number;
  /** The log line as written. */
  text: string;
  /** Its annotation; null when the line has none (then it must not match). */
  failJson: FailJson | null;
  /** Option sets of the block the line is in (fileOptions merged in); test.condition-disabled ones removed. */
  optionSets: FilterOptions[];
}

export interface CorpusFile {
  name: string;
  path: string;
  lines: CorpusLine[];
}

const DIRECTIVE = /^#+ ?(failJSON|fileOptions|filterOptions|addFILE):(.+)$/;

/** Evaluates the corpus's constraint / test.condition expressions. */
export function evalCondition(expr: string, name: string, opts: FilterOptions): boolean {
  return expr.split(/\s+and\s+/).every((part) => {
    const p = part.trim();
    let m = /^name\s*(==|!=)\s*(['"])(.*)\2$/.exec(p);
    if (m) return (name === m[3]) === (m[1] === '==');
    m = /^opts\.get\((['"])([^'"]+)\1\)\s*(==|!=)\s*(['"])(.*)\4$/.exec(p);
    if (m) return (opts[m[2]] === m[5]) === (m[3] === '==');
    throw new Error(`fail2ban corpus: unsupported condition expression ${JSON.stringify(expr)}`);
  });
}

/**
 * Reads `start` and every file it pulls in with `# addFILE:`, as fail2ban's harness does for
 * the filter called `filterName` (`sshd`).
 */
export function readCorpus(dir: string, start = 'sshd', filterName = 'sshd'): CorpusFile[] {
  if (!existsSync(dir)) {
    throw new Error(
      `fail2ban peer corpus not found at ${dir}: the test reads it in place from ../shared/peer-corpus/fail2ban/ (relative to the repo root)`,
    );
  }
  const files: CorpusFile[] = [];
  const queue = [start];
  let commonOpts: FilterOptions = {};
  for (let fi = 0; fi < queue.length; fi++) {
    const name = queue[fi];
    const path = join(dir, name);
    if (!existsSync(path)) throw new Error(`fail2ban peer corpus: ${path} is missing (pulled in by # addFILE)`);
    const raw = readFileSync(path, 'utf8').split('\n');
    if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
    const out: CorpusLine[] = [];
    let optionSets: FilterOptions[] = [{ ...commonOpts }];
    let ignoreBlock = false;
    for (let i = 0; i < raw.length; i++) {
      const line = raw[i].replace(/\r$/, '');
      const d = DIRECTIVE.exec(line);
      let failJson: FailJson | null = null;
      let text = line;
      let lineNo = i + 1;
      if (d) {
        let data: unknown;
        try {
          data = JSON.parse(d[2]);
        } catch (e) {
          throw new Error(`fail2ban corpus ${name}:${i + 1}: bad JSON in ${d[1]}: ${(e as Error).message}`);
        }
        if (d[1] === 'fileOptions') {
          commonOpts = data as FilterOptions;
          optionSets = [{ ...commonOpts }];
          continue;
        }
        if (d[1] === 'filterOptions') {
          const sets = Array.isArray(data) ? (data as FilterOptions[]) : [data as FilterOptions];
          optionSets = [];
          ignoreBlock = false;
          for (const s of sets) {
            const opts = { ...commonOpts, ...s };
            const cond = opts['test.condition'];
            if (cond) ignoreBlock = !evalCondition(cond, filterName, opts);
            if (!ignoreBlock) optionSets.push(opts);
          }
          continue;
        }
        if (d[1] === 'addFILE') {
          queue.push(String(data));
          continue;
        }
        // failJSON: the next physical line is the annotated log line
        failJson = data as FailJson;
        i++;
        if (i >= raw.length) throw new Error(`fail2ban corpus ${name}:${i}: failJSON at end of file`);
        text = raw[i].replace(/\r$/, '');
        lineNo = i + 1;
      } else if (ignoreBlock || line.startsWith('#') || line.trim() === '') {
        continue;
      }
      if (ignoreBlock) continue;
      out.push({ file: name, lineNo, text, failJson, optionSets: optionSets.map((o) => ({ ...o })) });
    }
    files.push({ name, path, lines: out });
  }
  return files;
}

/** The option set of a line's block with the given mode (e.g. `aggressive`), or null. */
export function optionSetWithMode(line: CorpusLine, mode: string | undefined): FilterOptions | null {
  return line.optionSets.find((o) => o.mode === mode) ?? null;
}

/** Whether the filter instance with options `opts` processes this line (constraint honoured). */
export function runsUnder(line: CorpusLine, opts: FilterOptions, filterName = 'sshd'): boolean {
  const c = line.failJson?.constraint;
  return !c || evalCondition(c, filterName, opts);
}

/** The address a failJSON expects (`host`, or `ip4`/`ip6` in a few journal samples). */
export function expectedHost(fj: FailJson | null): string | null {
  if (!fj || !fj.match) return null;
  return fj.host ?? fj.ip4 ?? fj.ip6 ?? null;
}
