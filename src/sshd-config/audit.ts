/**
 * One audit run, pure: parse result + context in, report out (findings, effective config,
 * client compatibility). The CLI gathers the context (files, local sshd, listeners).
 */
import type { ParsedConfig } from './parse.ts';
import { effectiveConfig, matchBlocksFor, type Defaults, type Effective } from './effective.ts';
import { auditFindings, type Finding } from './findings.ts';
import type { ConnectionSpec } from './match.ts';
import type { ClientProfile } from '../profiles/index.ts';
import type { CompatResult } from './compat.ts';
import type { Listener, SocketActivation } from './system.ts';

export interface AuditReport {
  root: string;
  version: string;
  flavour: string;
  files: string[];
  sshdWouldAccept: boolean;
  sshdFirstError: { file?: string; line?: number; message?: string } | null;
  findings: Finding[];
  compat: CompatResult[];
  effective: Record<string, { values: string[]; source: string | null }>;
  /** With a connection spec: every Match block and whether it applies. */
  matchBlocks: { file: string; line: number; condition: string; matched: boolean }[] | null;
}

/** Host key types from HostKey lines (file names), or Debian's three defaults. */
export function hostKeyTypes(cfg: ParsedConfig): string[] {
  const hk = cfg.directives.filter((d) => d.key === 'hostkey' && d.valid).map((d) => d.args[0]);
  const files = hk.length ? hk : ['ssh_host_rsa_key', 'ssh_host_ecdsa_key', 'ssh_host_ed25519_key'];
  const types = new Set<string>();
  for (const f of files) {
    if (/ed25519/.test(f)) types.add('ed25519');
    else if (/ecdsa/.test(f)) types.add('ecdsa');
    else if (/dsa/.test(f)) types.add('dsa');
    else types.add('rsa');
  }
  return [...types];
}

export function runAudit(cfg: ParsedConfig, opts: { spec?: ConnectionSpec | null; clients: ClientProfile[]; defaults?: Defaults; listeners?: Listener[] | null; socket?: SocketActivation | null; strictKexBackported?: boolean; groupsOf?: (u: string) => string[] }): { report: AuditReport; effective: Effective } {
  const effective = effectiveConfig(cfg, opts.spec ?? null, { defaults: opts.defaults, groupsOf: opts.groupsOf });
  const { findings, compat } = auditFindings(cfg, {
    effective,
    clients: opts.clients,
    hostKeyTypes: hostKeyTypes(cfg),
    listeners: opts.listeners,
    socket: opts.socket,
    strictKexBackported: opts.strictKexBackported,
    defaults: opts.defaults,
  });
  const order = { error: 0, warning: 1, info: 2 } as const;
  findings.sort((a, b) => order[a.severity] - order[b.severity]);
  const eff: AuditReport['effective'] = {};
  for (const [k, v] of effective) eff[k] = { values: v.values, source: v.source ? `${v.source.file}:${v.source.line}` : null };
  return {
    effective,
    report: {
      root: cfg.root,
      version: cfg.version,
      flavour: cfg.flavour,
      files: cfg.files,
      sshdWouldAccept: cfg.verdict.accepted,
      sshdFirstError: cfg.verdict.accepted ? null : { file: cfg.verdict.file, line: cfg.verdict.line, message: cfg.verdict.message },
      findings,
      compat,
      effective: eff,
      matchBlocks: opts.spec ? matchBlocksFor(cfg, opts.spec, opts.groupsOf) : null,
    },
  };
}
