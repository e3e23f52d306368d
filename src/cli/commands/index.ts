import type { Command } from '@commander-js/extra-typings';

type Register = (program: Command) => void;

/**
 * Every sub-command registers itself on the program; one file per command. Loaded lazily: a
 * run of `sshwarden analyze` loads only analyze's code (the other commands' modules, e.g. the
 * sshd_config keyword table or the guard's SQLite store, are never parsed), which keeps start-up
 * time and memory low. Help and unknown commands load them all.
 */
export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  analyze: async () => (await import('./analyze.ts')).registerAnalyze,
  audit: async () => (await import('./audit.ts')).registerAudit,
  probe: async () => (await import('./probe.ts')).registerProbe,
  'explain-client': async () => (await import('./explain-client.ts')).registerExplainClient,
  guard: async () => (await import('./guard.ts')).registerGuard,
  status: async () => (await import('./status.ts')).registerStatus,
  ban: async () => (await import('./ban.ts')).registerBan,
  unban: async () => (await import('./unban.ts')).registerUnban,
  allow: async () => (await import('./allow.ts')).registerAllow,
  pcap: async () => (await import('./pcap.ts')).registerPcap,
  fleet: async () => (await import('./fleet.ts')).registerFleet,
  doctor: async () => (await import('./doctor.ts')).registerDoctor,
  report: async () => (await import('./report.ts')).registerReport,
};

/** The commands a command line needs: the one it names, or all of them (help, errors). */
export function commandsFor(args: readonly string[]): string[] {
  if (args.length === 1 && (args[0] === '-V' || args[0] === '--version')) return [];
  const first = args.find((a) => !a.startsWith('-'));
  return first !== undefined && Object.hasOwn(COMMANDS, first) ? [first] : Object.keys(COMMANDS);
}
