/**
 * Text rendering of a probe report for a terminal. Pure: returns the text; colour functions
 * come in from the CLI edge (identity functions when stdout is not a TTY).
 */
import { CATEGORY_INFO } from './negotiation.ts';
import type { ProbeReport } from './probe.ts';
import type { AddressReport } from './verdict.ts';

export interface Paint {
  bold(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
}

function list(xs: readonly string[], max = 12): string {
  return xs.length === 0 ? '(none)' : xs.length > max ? `${xs.slice(0, max).join(', ')}, … (+${xs.length - max})` : xs.join(', ');
}

function renderAddress(r: AddressReport, p: Paint, out: string[]): void {
  const name = r.family === 6 ? `[${r.address}]:${r.port}` : `${r.address}:${r.port}`;
  out.push('', `${p.bold(name)}  ${r.verdict === 'ssh_ok' ? p.green(r.verdict) : p.red(r.verdict)}${r.attempts > 1 ? `  (${r.attempts} attempts)` : ''}`);
  if (r.attempts > 1) {
    out.push(`  outcomes: ${Object.entries(r.counts).map(([k, n]) => `${k} ${n}/${r.attempts}`).join(', ')}`);
    for (const [t, n] of Object.entries(r.refusalTexts)) out.push(`  refusal text "${t}": ${n} times`);
  }
  for (const ex of r.examples) for (const e of ex.evidence) out.push(`  ${e}`);
  if (r.tlsSniff) out.push(`  second look, one TLS ClientHello: ${r.tlsSniff.tls ? `TLS answers (${r.tlsSniff.how}${r.tlsSniff.protocol ? `, ${r.tlsSniff.protocol}` : ''}${r.tlsSniff.subject ? `, CN=${r.tlsSniff.subject}` : ''})` : `not TLS (${r.tlsSniff.how})`}`);
  const s = r.ssh;
  if (!s) return;
  const id = s.identification;
  out.push(`  software: ${id.software}${id.version ? ` ${id.version}` : ''}${id.comments ? ` (${id.comments})` : ''}, protocol ${id.protoVersion}`);
  if (!s.algorithms) {
    out.push(`  ${p.yellow(`no key exchange packet: ${s.kexinitError}`)}`);
    return;
  }
  const a = s.algorithms;
  out.push('  server algorithms:');
  out.push(`    kex:         ${list(a.kex)}`);
  out.push(`    host key:    ${list(a.hostKey)}`);
  out.push(`    ciphers:     ${list(a.ciphers)}`);
  out.push(`    MACs:        ${list(a.macs)}`);
  out.push(`    compression: ${list(a.compression)}`);
  out.push(`    markers:     ${list(a.markers)}${a.strictKex ? ' (strict kex)' : ''}${a.extInfo ? ' (ext-info)' : ''}`);
  const c = s.compatibility;
  if (c) {
    const chosen = c.categories.filter((x) => x.chosen && x.relevant).map((x) => `${CATEGORY_INFO[x.category].label} ${x.chosen}`);
    out.push(`  with ${c.client.name}: ${c.ok ? p.green('compatible') : p.red('NO COMMON ALGORITHM')}${chosen.length ? ` — would use ${chosen.join(', ')}` : ''}`);
    for (const x of c.categories) {
      if (!x.fix) continue;
      out.push(`    ${p.red(`no matching ${CATEGORY_INFO[x.category].sshMessage}`)}`);
      out.push(`      client offers: ${list(x.client, 8)}`);
      out.push(`      server offers: ${list(x.server, 8)}`);
      out.push(`      fix on the client: ${x.fix.client}`);
      out.push(`      fix on the server: ${x.fix.server}`);
    }
  }
  for (const w of s.weak) out.push(`  ${w.level === 'fail' ? p.red('weak') : p.yellow('weak')} ${CATEGORY_INFO[w.category].label} ${w.algorithm}: ${w.why}`);
  if (s.terrapin) out.push(`  Terrapin (CVE-2023-48795): ${s.terrapin.exposed ? p.red(s.terrapin.summary) : s.terrapin.summary}`);
}

export function renderProbe(r: ProbeReport, p: Paint): string {
  const out: string[] = [];
  out.push(`${p.bold('sshwarden probe')} ${r.target.host} port ${r.target.port}`);
  if (r.dns) out.push(`  DNS: A ${list(r.dns.a)}; AAAA ${list(r.dns.aaaa)}${r.dns.errors.length ? ` (${r.dns.errors.map((e) => `IPv${e.family}: ${e.code}`).join(', ')})` : ''}`);
  if (r.sshConfig) out.push(`  from your ssh config: HostName ${r.sshConfig.hostName}, Port ${r.sshConfig.port}${r.sshConfig.proxyJump ? `, ProxyJump ${r.sshConfig.proxyJump}` : ''}${r.sshConfig.proxyCommand ? `, ProxyCommand ${r.sshConfig.proxyCommand}` : ''}`);
  out.push(`  compared with: ${r.client ? r.client.name : `nothing (${r.clientNote})`}`);
  for (const n of r.notes) out.push(`  ${p.yellow('note:')} ${n}`);
  out.push('', `${p.bold('Verdict:')} ${r.verdict.ok ? p.green(r.verdict.headline) : p.red(r.verdict.headline)}`);
  for (const a of r.addresses) renderAddress(a, p, out);
  out.push('', p.bold(r.verdict.ok ? 'Next:' : 'Likely causes (most likely first):'));
  r.verdict.causes.forEach((c, i) => {
    out.push(`  ${i + 1}. ${c.text}`);
    out.push(`     ${p.dim('check:')} ${c.check}`);
  });
  return `${out.join('\n')}\n`;
}
