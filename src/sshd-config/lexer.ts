/**
 * sshd's own tokenisation of one sshd_config line, as misc.c does it (strdelim for the keyword,
 * argv_split with quotes, backslash escapes and `#` comments for the arguments). Pure.
 */

export interface SplitLine {
  /** The keyword as written (case kept), or null for blank and comment lines. */
  keyword: string | null;
  /** Raw text after the keyword and its separator (spaces or one `=`). */
  rest: string;
  /** Arguments after quote processing, up to a `#` comment; null when the quotes are unbalanced. */
  args: string[] | null;
}

const WS = ' \t\r\n';

/** Strips what load_server_config and process_server_config_line strip: leading " \t\r", trailing whitespace and \f. */
export function trimConfigLine(line: string): string {
  let s = line.replace(/^[ \t\r]+/, '');
  s = s.replace(/[ \t\r\n\f]+$/, '');
  return s;
}

/** misc.c strdelim(): first token ends at whitespace, `"` or `=`; one `=` may separate. Returns [token, rest]. */
export function strdelim(s: string): [string, string | null] {
  let i = 0;
  while (i < s.length && !(WS + '"=').includes(s[i])) i++;
  if (i >= s.length) return [s, null];
  const tok = s.slice(0, i);
  if (s[i] === '"') {
    const after = s.slice(i + 1);
    const q = after.indexOf('"');
    if (q < 0) return [tok + after, null];
    // quoted keyword: rare; approximate sshd by returning the text up to the closing quote
    const rest = after.slice(q + 1).replace(/^[ \t\r\n]+/, '');
    return [tok + after.slice(0, q), rest];
  }
  let wspace = false;
  if (s[i] === '=') wspace = true;
  let j = i + 1;
  while (j < s.length && WS.includes(s[j])) j++;
  if (!wspace && s[j] === '=') {
    j++;
    while (j < s.length && WS.includes(s[j])) j++;
  }
  return [tok, s.slice(j)];
}

/** misc.c argv_split(s, terminate_on_comment=1). Null when a quote is not closed. */
export function argvSplit(s: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    let quote = '';
    let arg = '';
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') {
        const n = s[i + 1];
        if (n === "'" || n === '"' || n === '\\' || (quote === '' && n === ' ')) {
          i++;
          arg += n;
        } else arg += c;
      } else if (quote === '' && (c === ' ' || c === '\t')) break;
      else if (quote === '' && (c === '"' || c === "'")) quote = c;
      else if (quote !== '' && c === quote) quote = '';
      else arg += c;
    }
    if (i >= s.length && quote !== '') return null;
    out.push(arg);
  }
  return out;
}

/** Splits one raw line the way process_server_config_line_depth does before looking the keyword up. */
export function splitLine(raw: string): SplitLine {
  const line = trimConfigLine(raw);
  if (line === '') return { keyword: null, rest: '', args: [] };
  let [kw, rest] = strdelim(line);
  if (kw === '' && rest !== null) [kw, rest] = strdelim(rest);
  if (!kw || kw.startsWith('#')) return { keyword: null, rest: '', args: [] };
  const r = rest ?? '';
  return { keyword: kw, rest: r, args: r === '' ? [] : argvSplit(r) };
}
