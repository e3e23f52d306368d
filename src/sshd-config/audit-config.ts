/**
 * auditConfig: one audit run with its I/O (used by `audit`, `doctor` and `report`): read the
 * config and its Includes, ask the local sshd (version, defaults, `sshd -t`, `sshd -T -C`), read
 * the live listeners and ssh.socket when the config is the live one, then the pure audit
 * (./audit.ts) and, when asked, the hardening drop-in checked with `sshd -t`.
 *
 *   const r = await auditConfig({ file: '/etc/ssh/sshd_config', clients: [], spec: null });
 *   if ('unreadable' in r) …; else r.report.findings, r.sshd?.accepted
 */
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { readFileBounded } from '../sources/bounded-read.ts';
import { join, resolve } from 'node:path';
import { parseConfig, type ConfigSource, type ParsedConfig } from './parse.ts';
import { runAudit, hostKeyTypes, type AuditReport } from './audit.ts';
import type { ConnectionSpec } from './match.ts';
import { buildHardening } from './harden.ts';
import { penaltyState } from './findings.ts';
import { parseSshdT, type Defaults, type Effective } from './effective.ts';
import { NEWEST } from './keyword-table.ts';
import { cmpVersion } from '../openssh-versions.ts';
import { fsSource, localSshd, localAlgorithms, tempHostKey, sshdTest, sshdDump, localDefaults, tcpListeners, sshSocket, resolvesHost, groupsOf, type LocalSshd } from './system.ts';
import type { ClientProfile } from '../profiles/index.ts';

import { DEFAULT_CONFIG } from './default-config.ts';

export { DEFAULT_CONFIG };

export interface AuditConfigOptions {
  file: string;
  /** Judge for this OpenSSH version (validated by the caller); default: the local sshd's. */
  version?: string;
  clients: ClientProfile[];
  /** A connection to compute the effective config for (Match), and its text for `sshd -T -C`. */
  spec: ConnectionSpec | null;
  specText?: string | null;
  /** Run the local sshd (-t, -T) to confirm (default true). */
  useSshd?: boolean;
  /** Look at the live listeners and ssh.socket (default: when `file` is /etc/ssh/sshd_config). */
  live?: boolean;
  /** Build the hardening drop-in (with these PerSourcePenaltyExemptList addresses). */
  harden?: { exempt?: string[] };
}

export interface SshdVerdict {
  binary: string;
  version: string;
  accepted: boolean;
  /** sshd's first meaningful stderr line. */
  message: string;
  /** Whether sshwarden's own parse agrees with sshd. */
  agrees: boolean;
}

export interface AuditConfigRun {
  root: string;
  cfg: ParsedConfig;
  report: AuditReport;
  effective: Effective;
  local: LocalSshd | null;
  /** The real `sshd -t` on this config (null when no local sshd of this version ran). */
  sshd: SshdVerdict | null;
  /** The real `sshd -T [-C spec]`, when a spec was given and sshd -t accepted. */
  sshdEffective: Map<string, string[]> | null;
  harden: { text: string | null; error: string | null; warning: string | null; hasDropInInclude: boolean } | null;
  /** Why the real `sshd -t` was not run although a matching sshd is installed (a file too large), or null. */
  sshdSkipped: string | null;
}

export async function auditConfig(o: AuditConfigOptions): Promise<AuditConfigRun | { unreadable: string }> {
  const root = resolve(o.file);
  // The installed sshd's version (`sshd -V` reads no config) is the default even with --no-sshd, which
  // only skips running it on the file (-t, -T): judging a Debian 12 host's file for the newest
  // OpenSSH would warn about keywords its 9.2 does not have.
  const installed = localSshd();
  const local = o.useSshd === false ? null : installed;
  const version = o.version ?? installed?.version ?? NEWEST;
  const sameAsInstalled = installed !== null && installed.version === version;
  const sameAsLocal = local !== null && sameAsInstalled;
  const flavour = sameAsInstalled ? installed.flavour : 'upstream';
  const extra = sameAsInstalled ? localAlgorithms() : undefined;
  const fs = fsSource();
  const cfg = parseConfig(root, fs, { version, flavour, extraAlgorithms: extra, resolveHost: resolvesHost });
  if (cfg.files.length === 0) return { unreadable: cfg.diagnostics[0]?.message ?? `${root}: cannot be read` };

  let key: ReturnType<typeof tempHostKey> | null = null;
  try {
    let defaults: Defaults | undefined;
    let sshdCheck: { ok: boolean; stderr: string } | null = null;
    let sshdEffective: Map<string, string[]> | null = null;
    let sshdSkipped: string | null = null;
    if (sameAsLocal) {
      key = tempHostKey();
      const dflt = await localDefaults(key.key, local.path, key.dir);
      if (dflt) {
        defaults = { all: extra, algorithms: { kexalgorithms: dflt.get('kexalgorithms')?.[0]?.split(','), ciphers: dflt.get('ciphers')?.[0]?.split(','), macs: dflt.get('macs')?.[0]?.split(','), hostkeyalgorithms: dflt.get('hostkeyalgorithms')?.[0]?.split(',') } };
      }
      // A file larger than any sshd configuration (Include /dev/zero, a 200 MB file): sshd would read it all.
      if (fs.tooLarge.length) sshdSkipped = `sshd -t not run: ${fs.tooLarge[0]} is larger than any sshd configuration (sshd would read it all)`;
      const t = fs.tooLarge.length ? null : await sshdTest(root, key.key, local.path);
      sshdCheck = t && { ok: t.ok, stderr: t.stderr };
      if (o.specText !== undefined && o.specText !== null && t?.ok) {
        const d = await sshdDump(root, key.key, o.specText || null, local.path);
        if (d.ok) sshdEffective = parseSshdT(d.stdout);
      }
    }
    const live = o.live ?? root === DEFAULT_CONFIG;
    const strictKex = flavour === 'debian' && sameAsInstalled && debianHasStrictKex();
    const { report, effective } = runAudit(cfg, {
      spec: o.spec,
      clients: o.clients,
      defaults,
      listeners: live ? tcpListeners() : null,
      socket: live ? sshSocket() : null,
      strictKexBackported: strictKex,
      groupsOf,
    });

    let harden: AuditConfigRun['harden'] = null;
    if (o.harden) {
      const h = buildHardening({ version, effective, clients: o.clients, hostKeyTypes: hostKeyTypes(cfg), exempt: o.harden.exempt, all: defaults?.all, defaults: defaults?.algorithms, penalties: penaltyState(cfg), strictKex: cmpVersion(version, '9.6') >= 0 || strictKex });
      let error: string | null = null;
      let warning: string | null = null;
      if (h.stillIncompatible.length) error = `cannot keep ${h.stillIncompatible.join(', ')} able to connect with this sshd's algorithms`;
      if (!cfg.verdict.accepted) error = `the configuration itself is rejected by sshd (${cfg.verdict.message}); fix that first: a drop-in cannot`;
      if (!error && sameAsLocal && key) {
        const v = await validateDropIn(root, fs, h.text, key, local.path);
        if (!v.ok) error = `sshd -t rejects the configuration with this drop-in: ${v.stderr.trim().split('\n')[0]}`;
      } else if (!error && !sameAsLocal) warning = `no local sshd ${version} to validate the drop-in with sshd -t; checked offline only`;
      harden = { text: error ? null : h.text, error, warning, hasDropInInclude: hasDropInInclude(cfg) };
    }
    const sshd = sshdCheck && local ? { binary: local.path, version: local.version, accepted: sshdCheck.ok, message: sshdFirstLine(sshdCheck.stderr), agrees: sshdCheck.ok === cfg.verdict.accepted } : null;
    return { root, cfg, report, effective, local, sshd, sshdEffective, harden, sshdSkipped };
  } finally {
    key?.cleanup();
  }
}

/** sshd's first meaningful stderr line (not the host-key and deprecation noise). */
export function sshdFirstLine(s: string): string {
  return s.trim().split('\n').filter((l) => !/^(Unable to load host key|Deprecated option|debug)/.test(l))[0] ?? '';
}

/** dpkg's status file is a few MB on a busy server; past this it is not read (no strict-kex claim). */
const MAX_DPKG_STATUS = 64 * 1024 * 1024;

function debianHasStrictKex(): boolean {
  // Debian 12 fixed Terrapin in 1:9.2p1-2+deb12u2 (DSA-5586); read the installed package version.
  try {
    const status = readFileBounded('/var/lib/dpkg/status', MAX_DPKG_STATUS).toString('utf8');
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

/**
 * sshd -t on a temporary copy: the drop-in first (as sshd_config.d is included first), then the
 * whole configuration. The copy goes into the throw-away key's private directory, which the signal
 * handlers of tempHostKey remove (a SIGTERM during this `sshd -t` leaves nothing behind).
 */
async function validateDropIn(root: string, fs: ConfigSource, dropIn: string, key: { key: string; dir: string }, sshd: string): Promise<{ ok: boolean; stderr: string }> {
  const dir = join(key.dir, 'harden');
  mkdirSync(dir);
  try {
    const di = join(dir, '50-hardening.conf');
    writeFileSync(di, dropIn);
    const main = join(dir, 'sshd_config');
    // Read as it was parsed (system.ts fsSource: bounded, no FIFO).
    const read = fs.read(root);
    const text = 'text' in read ? read.text : '';
    writeFileSync(main, `Include ${di}\n${text}`);
    const r = await sshdTest(main, key.key, sshd);
    return { ok: r.ok, stderr: r.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
