/**
 * The doctor's terminal report: the answer in one sentence, then the causes ranked (evidence,
 * fix commands, how to verify), then "checked and fine" (short) and "could not check, and why".
 * Pure: returns a string; colour comes in as functions.
 */
import type { Paint } from '../report/text.ts';
import type { DoctorReport } from './types.ts';

export function renderDoctor(r: DoctorReport, p: Paint): string {
  const out: string[] = [];
  out.push(p.bold(r.verdict), '');
  const action = r.causes.filter((c) => c.action);
  r.causes.forEach((c, i) => {
    const head = `${i + 1}. ${c.id}${c.by ? ` (by ${c.by})` : ''}  ${p.dim(`confidence ${Math.round(c.confidence * 100)} %`)}`;
    out.push(c.action ? p.bold(c.action && i === 0 ? p.red(head) : p.yellow(head)) : p.green(head));
    out.push(`   ${c.summary}`);
    if (c.evidence.length) {
      out.push(`   ${p.dim('evidence:')}`);
      for (const e of c.evidence) out.push(`     ${p.cyan(e.where)}  ${e.text}`);
    }
    if (c.fix.length) {
      out.push(`   ${p.dim('fix:')}`);
      for (const f of c.fix) {
        out.push(`     ${f.summary}`);
        let where: string | null = null;
        for (const ch of f.changes) {
          // A line replaced says which and what it is today; lines added above a Match block say so.
          const w = ch.line !== undefined ? `in ${ch.file} line ${ch.line}${ch.was ? `, instead of \`${ch.was}\`` : ''}:` : ch.above !== undefined ? `in ${ch.file}, above line ${ch.above} (its first Match block):` : `in ${ch.file}:`;
          if (w !== where) out.push(`       ${p.dim(w)}`);
          where = w;
          out.push(...ch.text.split('\n').map((l) => `         ${l}`));
        }
        for (const cmd of f.commands) out.push(`       ${p.bold('$')} ${cmd}`);
      }
    }
    if (c.verify.length) {
      out.push(`   ${p.dim('verify:')}`);
      for (const v of c.verify) out.push(`       ${p.bold('$')} ${v}`);
    }
    out.push('');
  });
  if (action.length === 0 && r.causes.length === 0) out.push('');
  if (r.checked.length) out.push(p.dim(`checked: ${r.checked.map((c) => `${c.check} (${c.note})`).join('; ')}`));
  if (r.unchecked.length) {
    out.push(p.yellow('could not check:'));
    for (const u of r.unchecked) out.push(`  ${u.check}: ${u.reason}`);
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n')}\n`;
}
