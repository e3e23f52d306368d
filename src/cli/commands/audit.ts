import type { Command } from '@commander-js/extra-typings';
import { openSync, closeSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeFsError } from '../../sources/byte-sources.ts';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { colors, warn } from '../terminal.ts';
import { auditConfig, DEFAULT_CONFIG, type SshdVerdict } from '../../sshd-config/audit-config.ts';
import { parseConnectionSpec } from '../../sshd-config/match.ts';
import { MODELLED } from '../../sshd-config/effective.ts';
import { NEWEST, OLDEST } from '../../sshd-config/keyword-table.ts';
import { normaliseVersion, cmpVersion } from '../../openssh-versions.ts';
import { getProfile, profileNames } from '../../profiles/index.ts';
import type { Finding } from '../../sshd-config/findings.ts';

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('Check an sshd_config (with its Includes and Match blocks) the way sshd reads it: errors sshd would reject, weak or incompatible algorithms, MaxStartups/penalty settings that cause "kex_exchange_identification" drops, lock-outs.')
    .argument('[file]', 'sshd_config to audit', DEFAULT_CONFIG)
    .option('--openssh <version>', `judge the file for another OpenSSH version (${OLDEST}-${NEWEST}; default: the installed sshd)`)
    .option('--effective <spec>', 'show the effective configuration for a connection, like sshd -T -C (user=,addr=,host=,laddr=,lport=)')
    .option('--clients <profiles>', 'comma-separated client profiles that must be able to connect (e.g. openssh-7.4,putty-0.76,paramiko-2.9)')
    .option('--harden', 'print a drop-in (sshd_config.d/50-hardening.conf) that fixes what was found, checked with sshd -t')
    .option('--exempt <addresses>', 'with --harden: addresses/CIDRs of your own automation for PerSourcePenaltyExemptList (9.8+)')
    .option('--no-sshd', 'do not run the local sshd on the file to confirm (sshd -t, -T): offline audit only; the installed version is still the default for --openssh')
    .option('--json', 'machine-readable report on stdout')
    .addHelpText(
      'after',
      `
Examples:
  sshwarden audit                                   # ${DEFAULT_CONFIG} with its Includes
  sshwarden audit ./sshd_config --openssh 8.2       # judge a file for another version
  sshwarden audit --effective user=alice,addr=198.51.100.20
  sshwarden audit --clients openssh-7.4,putty-0.76,paramiko-2.9
  sshwarden audit --harden > /etc/ssh/sshd_config.d/50-hardening.conf
  sshwarden audit --json

Client profiles: ${profileNames().join(', ')}
  (any openssh-X.Y works: the nearest older release's defaults are used)
Exit codes: 0 nothing needs attention, 1 errors found (or --harden refused), 2 usage, 3 file unreadable
(with --json, also a JSON document: {root, error}).`,
    )
    .action(async (file, opts) => {
      const code = await audit(file, opts);
      process.exitCode = code;
    });
}

interface Opts {
  openssh?: string;
  effective?: string;
  clients?: string;
  harden?: boolean;
  exempt?: string;
  sshd?: boolean;
  json?: boolean;
}

async function audit(file: string, opts: Opts): Promise<number> {
  let version: string | undefined;
  if (opts.openssh) {
    const v = normaliseVersion(opts.openssh);
    if (!v) throw new UserError(`--openssh: "${opts.openssh}" is not a version like 9.2`);
    if (cmpVersion(v, OLDEST) < 0 || cmpVersion(v, NEWEST) > 0) throw new UserError(`--openssh: ${v} is outside the versions the keyword table covers (${OLDEST}-${NEWEST})`);
    version = v;
  }
  const clients = (opts.clients ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((n) => {
    const p = getProfile(n);
    if (!p) throw new UserError(`--clients: unknown profile "${n}" (known: ${profileNames().join(', ')})`);
    return p;
  });
  let spec = null;
  if (opts.effective !== undefined) {
    try {
      spec = parseConnectionSpec(opts.effective);
    } catch (e) {
      throw new UserError(`--effective: ${(e as Error).message}`);
    }
  }
  let exempt: string[] | undefined;
  if (opts.exempt) exempt = opts.exempt.split(',').map((s) => s.trim()).filter(Boolean);

  try {
    // The file named on the command line: the same one line as every command's unreadable input.
    closeSync(openSync(file, 'r'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR') return unreadable(file, `${file}: cannot read: ${describeFsError(e)}`, opts.json === true);
  }
  const run = await auditConfig({ file, version, clients, spec, specText: opts.effective ?? null, useSshd: opts.sshd !== false, harden: opts.harden ? { exempt } : undefined });
  // the top file itself could not be read: one clear line
  if ('unreadable' in run) return unreadable(file, run.unreadable, opts.json === true);
  const { report, sshd, sshdEffective, harden } = run;
  if (run.sshdSkipped) warn(run.sshdSkipped);
  if (opts.json) {
    process.stdout.write(JSON.stringify({ ...report, sshd, sshdEffective: sshdEffective ? Object.fromEntries(sshdEffective) : null, harden: harden ? { text: harden.text, error: harden.error } : undefined }, null, 2) + '\n');
  } else if (harden) {
    if (harden.warning) warn(harden.warning);
    if (harden.error) throw new UserError(`--harden: ${harden.error}`, EXIT.FINDINGS);
    process.stdout.write(harden.text!);
    if (!harden.hasDropInInclude) warn(`${run.root} has no "Include /etc/ssh/sshd_config.d/*.conf" before its settings: put these lines at the top of ${run.root} instead`);
    return EXIT.OK;
  } else if (opts.effective !== undefined) {
    const rejected = sshd ? !sshd.accepted : !run.cfg.verdict.accepted;
    if (rejected) warn(`sshd rejects this configuration (${sshd && !sshd.accepted ? sshd.message : run.cfg.verdict.message}): these are the values sshd would use if it accepted it; today it refuses to start or reload with it`);
    printEffective(report.effective, sshdEffective, report.matchBlocks ?? []);
  } else {
    printReport(report.findings, report, sshd);
  }
  if (harden?.error) return EXIT.FINDINGS;
  // The real `sshd -t` has the last word whenever it ran.
  if (sshd && !sshd.accepted) return EXIT.FINDINGS;
  return report.findings.some((f) => f.severity === 'error') ? EXIT.FINDINGS : EXIT.OK;
}

/**
 * The file to audit cannot be read: one line on stderr, exit 3; with --json also a JSON document
 * on stdout, {root, error} (as doctor --json names what it could not read), so `| jq` still works.
 */
function unreadable(file: string, message: string, json: boolean): number {
  process.stderr.write(`sshwarden: ${message}\n`);
  if (json) process.stdout.write(JSON.stringify({ root: resolve(file), error: message }, null, 2) + '\n');
  return EXIT.INPUT;
}

function printReport(findings: Finding[], report: { root: string; version: string; flavour: string; files: string[]; compat: { profile: string; ok: boolean; kex: string | null; cipher: string | null; failure: string | null }[] }, sshd: SshdVerdict | null): void {
  const out: string[] = [];
  out.push(colors.bold(`sshd_config audit: ${report.root} (${report.files.length} file${report.files.length === 1 ? '' : 's'}) for OpenSSH ${report.version}${report.flavour === 'debian' ? ' (Debian)' : ''}`));
  if (sshd) out.push(`  real sshd -t: ${sshd.accepted ? colors.green('accepts') : colors.red('rejects: ' + sshd.message)}${!sshd.agrees ? colors.yellow('  (sshwarden disagrees: please report)') : ''}`);
  const sev = { error: colors.red('ERROR  '), warning: colors.yellow('WARNING'), info: colors.cyan('INFO   ') };
  for (const f of findings) {
    const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ''}` : '(defaults)';
    out.push('', `${sev[f.severity]} ${where}`, `  ${f.title}`, `  ${colors.dim('who:')} ${f.impact}`, `  ${colors.dim('fix:')} ${f.fix}`);
  }
  if (report.compat.length) {
    out.push('', colors.bold('Clients:'));
    for (const c of report.compat) out.push(`  ${c.ok ? colors.green('ok  ') : colors.red('FAIL')} ${c.profile.padEnd(18)} ${c.ok ? `${c.kex} / ${c.cipher}` : c.failure}`);
  }
  const n = (s: string) => findings.filter((f) => f.severity === s).length;
  out.push('', `${n('error')} error(s), ${n('warning')} warning(s), ${n('info')} note(s)`);
  process.stdout.write(out.join('\n') + '\n');
}

function printEffective(eff: Record<string, { values: string[]; source: string | null }>, sshdT: Map<string, string[]> | null, blocks: { file: string; line: number; condition: string; matched: boolean }[]): void {
  const out: string[] = [];
  if (blocks.length) {
    out.push(colors.bold('Match blocks (the first value found wins, and values from matching blocks replace the global ones):'));
    for (const b of blocks) out.push(`  ${b.matched ? colors.green('applies ') : colors.dim('no      ')} ${b.file}:${b.line}  Match ${b.condition}`);
    out.push('');
  }
  for (const k of Object.keys(MODELLED).sort()) {
    const e = eff[k];
    if (!e) continue;
    const mismatch = sshdT && sshdT.has(k) && JSON.stringify(sshdT.get(k)) !== JSON.stringify(e.values);
    for (const v of e.values) out.push(`${k} ${v}${' '.repeat(Math.max(1, 40 - k.length - v.length))}${colors.dim(e.source ?? 'default')}${mismatch ? colors.yellow(`  (sshd -T says: ${sshdT!.get(k)!.join(' ')})`) : ''}`);
  }
  if (sshdT) out.push(colors.dim(`(checked against the real sshd -T -C: ${Object.keys(MODELLED).filter((k) => eff[k] && sshdT.has(k) && JSON.stringify(sshdT.get(k)) === JSON.stringify(eff[k].values)).length} of ${Object.keys(MODELLED).filter((k) => sshdT.has(k)).length} keywords agree)`));
  process.stdout.write(out.join('\n') + '\n');
}
