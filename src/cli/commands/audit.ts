import type { Command } from '@commander-js/extra-typings';

// Placeholder until the audit command lands; replaced by its owner.
export function registerAudit(_program: Command): void {}
