import type { Command } from '@commander-js/extra-typings';
import { mkdtempSync, writeFileSync, rmSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { colors, warn } from '../terminal.ts';
import { parseConfig } from '../../sshd-config/parse.ts';
import { runAudit, hostKeyTypes } from '../../sshd-config/audit.ts';
import { parseConnectionSpec } from '../../sshd-config/match.ts';
import { buildHardening } from '../../sshd-config/harden.ts';
import { parseSshdT, MODELLED, type Defaults } from '../../sshd-config/effective.ts';
import { NEWEST, OLDEST, tableVersion } from '../../sshd-config/keyword-table.ts';
import { normaliseVersion, cmpVersion } from '../../sshd-config/versions.ts';
import { fsSource, localSshd, localAlgorithms, tempHostKey, sshdTest, sshdDump, localDefaults, tcpListeners, sshSocket, resolvesHost, groupsOf } from '../../sshd-config/system.ts';
import { getProfile, profileNames } from '../../profiles/index.ts';
import type { Finding } from '../../sshd-config/findings.ts';

const DEFAULT_CONFIG = '/etc/ssh/sshd_config';

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
    .option('--no-sshd', 'do not run the local sshd to confirm (offline audit only)')
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
Exit codes: 0 nothing needs attention, 1 errors found (or --harden refused), 2 usage, 3 file unreadable.`,
    )
    .action(async (file, opts) => {
      const code = audit(file, opts);
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

function audit(file: string, opts: Opts): number {
  const root = resolve(file);
  const local = opts.sshd === false ? null : localSshd();
  let version = local?.version ?? NEWEST;
  if (opts.openssh) {
    const v = normaliseVersion(opts.openssh);
    if (!v) throw new UserError(`--openssh: "${opts.openssh}" is not a version like 9.2`);
    if (cmpVersion(v, OLDEST) < 0 || cmpVersion(v, NEWEST) > 0) throw new UserError(`--openssh: ${v} is outside the versions the keyword table covers (${OLDEST}-${NEWEST})`);
    version = v;
  }
  const sameAsLocal = local !== null && local.version === version;
  const flavour = sameAsLocal ? local.flavour : 'upstream';
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

  const extra = sameAsLocal ? localAlgorithms() : undefined;
  const fs = fsSource();
  const cfg = parseConfig(root, fs, { version, flavour, extraAlgorithms: extra, resolveHost: resolvesHost });
  if (cfg.files.length === 0) {
    // the top file itself could not be read: one clear line
    const d = cfg.diagnostics[0];
    process.stderr.write(`sshwarden: ${d.message}\n`);
    return EXIT.INPUT;
  }

  let key: ReturnType<typeof tempHostKey> | null = null;
  try {
    let defaults: Defaults | undefined;
    let sshdCheck: { ok: boolean; stderr: string } | null = null;
    let sshdEffective: Map<string, string[]> | null = null;
    if (sameAsLocal) {
      key = tempHostKey();
      const dflt = localDefaults(key.key, local.path);
      if (dflt) {
        defaults = { all: extra, algorithms: { kexalgorithms: dflt.get('kexalgorithms')?.[0]?.split(','), ciphers: dflt.get('ciphers')?.[0]?.split(','), macs: dflt.get('macs')?.[0]?.split(','), hostkeyalgorithms: dflt.get('hostkeyalgorithms')?.[0]?.split(',') } };
      }
      if (fs.tooLarge.length) warn(`sshd -t not run: ${fs.tooLarge[0]} is larger than any sshd configuration (sshd would read it all)`);
      const t = fs.tooLarge.length ? null : sshdTest(root, key.key, local.path);
      sshdCheck = t && { ok: t.ok, stderr: t.stderr };
      if (opts.effective !== undefined && t?.ok) {
        const d = sshdDump(root, key.key, opts.effective || null, local.path);
        if (d.ok) sshdEffective = parseSshdT(d.stdout);
      }
    }
    const live = root === DEFAULT_CONFIG;
    const { report, effective } = runAudit(cfg, {
      spec,
      clients,
      defaults,
      listeners: live ? tcpListeners() : null,
      socket: live ? sshSocket() : null,
      strictKexBackported: flavour === 'debian' && sameAsLocal && debianHasStrictKex(),
      groupsOf,
    });

    let hardenText: string | null = null;
    let hardenError: string | null = null;
    if (opts.harden) {
      const h = buildHardening({ version, effective, clients, hostKeyTypes: hostKeyTypes(cfg), exempt, all: defaults?.all, strictKex: cmpVersion(version, '9.6') >= 0 || (flavour === 'debian' && sameAsLocal && debianHasStrictKex()) });
      hardenText = h.text;
      if (h.stillIncompatible.length) hardenError = `cannot keep ${h.stillIncompatible.join(', ')} able to connect with this sshd's algorithms`;
      if (!cfg.verdict.accepted) hardenError = `the configuration itself is rejected by sshd (${cfg.verdict.message}); fix that first: a drop-in cannot`;
      if (!hardenError && sameAsLocal && key) {
        const v = validateDropIn(root, h.text, key.key, local.path);
        if (!v.ok) hardenError = `sshd -t rejects the configuration with this drop-in: ${v.stderr.trim().split('\n')[0]}`;
      } else if (!hardenError && !sameAsLocal) warn(`no local sshd ${version} to validate the drop-in with sshd -t; checked offline only`);
    }

    const agree = sshdCheck ? sshdCheck.ok === cfg.verdict.accepted : null;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ ...report, sshd: sshdCheck ? { binary: local!.path, version: local!.version, accepted: sshdCheck.ok, message: firstLine(sshdCheck.stderr), agrees: agree } : null, sshdEffective: sshdEffective ? Object.fromEntries(sshdEffective) : null, harden: opts.harden ? { text: hardenError ? null : hardenText, error: hardenError } : undefined }, null, 2) + '\n');
    } else if (opts.harden) {
      if (hardenError) throw new UserError(`--harden: ${hardenError}`, EXIT.FINDINGS);
      process.stdout.write(hardenText!);
      if (!hasDropInInclude(cfg)) warn(`${root} has no "Include /etc/ssh/sshd_config.d/*.conf" before its settings: put these lines at the top of ${root} instead`);
      return EXIT.OK;
    } else if (opts.effective !== undefined) {
      printEffective(report.effective, sshdEffective, report.matchBlocks ?? []);
    } else {
      printReport(report.findings, report, sshdCheck, agree);
    }
    if (opts.harden && hardenError) return EXIT.FINDINGS;
    // The real `sshd -t` has the last word whenever it ran.
    if (sshdCheck && !sshdCheck.ok) return EXIT.FINDINGS;
    return report.findings.some((f) => f.severity === 'error') ? EXIT.FINDINGS : EXIT.OK;
  } finally {
    key?.cleanup();
  }
}

function firstLine(s: string): string {
  return s.trim().split('\n').filter((l) => !/^(Unable to load host key|Deprecated option|debug)/.test(l))[0] ?? '';
}

function debianHasStrictKex(): boolean {
  // Debian 12 fixed Terrapin in 1:9.2p1-2+deb12u2 (DSA-5586); read the installed package version.
  try {
    const status = readFileSync('/var/lib/dpkg/status', 'utf8');
    const m = /Package: openssh-server\n(?:.*\n)*?Version: (\S+)/.exec(status);
    const u = m ? /deb12u(\d+)/.exec(m[1]) : null;
    return u ? Number(u[1]) >= 2 : false;
  } catch {
    return false;
  }
}

function hasDropInInclude(cfg: { directives: { key: string; args: string[]; block: unknown }[] }): boolean {
  return cfg.directives.some((d) => d.key === 'include' && d.block === null && d.args.some((a) => a.includes('sshd_config.d')));
}

/** sshd -t on a temporary copy: the drop-in first (as sshd_config.d is included first), then the whole configuration. */
function validateDropIn(root: string, dropIn: string, key: string, sshd: string): { ok: boolean; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-harden-'));
  try {
    const di = join(dir, '50-hardening.conf');
    writeFileSync(di, dropIn);
    const main = join(dir, 'sshd_config');
    const text = existsSync(root) ? readFileSync(root, 'latin1') : '';
    writeFileSync(main, `Include ${di}\n${text}`);
    const r = sshdTest(main, key, sshd);
    return { ok: r.ok, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function printReport(findings: Finding[], report: { root: string; version: string; flavour: string; files: string[]; compat: { profile: string; ok: boolean; kex: string | null; cipher: string | null; failure: string | null }[] }, sshd: { ok: boolean; stderr: string } | null, agree: boolean | null): void {
  const out: string[] = [];
  out.push(colors.bold(`sshd_config audit: ${report.root} (${report.files.length} file${report.files.length === 1 ? '' : 's'}) for OpenSSH ${report.version}${report.flavour === 'debian' ? ' (Debian)' : ''}`));
  if (sshd) out.push(`  real sshd -t: ${sshd.ok ? colors.green('accepts') : colors.red('rejects: ' + firstLine(sshd.stderr))}${agree === false ? colors.yellow('  (sshwarden disagrees: please report)') : ''}`);
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
void tableVersion;
