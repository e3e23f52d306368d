import type { Command } from '@commander-js/extra-typings';

// Placeholder until the explain-client command lands; replaced by its owner.
export function registerExplainClient(_program: Command): void {}
