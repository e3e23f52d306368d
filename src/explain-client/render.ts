/** Text rendering of an explained ssh transcript. Pure. */
import { printable, sanitize } from '../probe/greeting.ts';
import type { Paint } from '../probe/render.ts';
import type { Explanation } from './explain.ts';

export function renderExplanation(e: Explanation, file: string, p: Paint): string {
  const out: string[] = [];
  const where = e.target ? ` to ${e.target.host}${e.target.port ? ` port ${e.target.port}` : ''}` : '';
  out.push(`${p.bold('sshwarden explain-client')} ${file === '-' ? '(stdin)' : file}: ${e.client ?? 'ssh'}${where}, got as far as: ${e.stage}`);
  if (e.runs.total > 1) out.push(p.dim(`(${e.runs.total} ssh runs in this input: the last one, from line ${e.runs.from}, is explained; the ${e.runs.total === 2 ? 'earlier one was' : `${e.runs.total - 1} earlier ones were`} ignored)`));
  out.push('', `${p.bold(e.ok ? 'Result:' : 'Cause:')} ${e.ok ? p.green(sanitize(e.headline)) : p.red(sanitize(e.headline))}`);
  if (e.verbosity < 1 && !e.ok) out.push(p.dim('(not verbose: run `ssh -vvv … 2>&1 | sshwarden explain-client -` for a fuller explanation)'));
  e.findings.forEach((f, i) => {
    out.push('', `${i + 1}. ${p.bold(sanitize(f.title))}  ${p.dim(`[${f.id}]`)}`);
    out.push(`   ${sanitize(f.meaning)}`);
    for (const x of f.fix) out.push(`   ${p.green('fix:')} ${x}`);
    for (const ev of f.evidence.slice(0, 6)) out.push(`   ${p.dim(`line ${ev.line}:`)} ${printable(ev.text.length > 160 ? `${ev.text.slice(0, 160)}…` : ev.text)}`);
  });
  return `${out.join('\n')}\n`;
}
