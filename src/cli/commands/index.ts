import type { Command } from '@commander-js/extra-typings';
import { registerAnalyze } from './analyze.ts';
import { registerAudit } from './audit.ts';
import { registerProbe } from './probe.ts';
import { registerExplainClient } from './explain-client.ts';
import { registerGuard } from './guard.ts';
import { registerStatus } from './status.ts';
import { registerBan } from './ban.ts';
import { registerUnban } from './unban.ts';
import { registerAllow } from './allow.ts';

/** Every sub-command registers itself on the program; one file per command. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerAnalyze,
  registerAudit,
  registerProbe,
  registerExplainClient,
  registerGuard,
  registerStatus,
  registerBan,
  registerUnban,
  registerAllow,
];
