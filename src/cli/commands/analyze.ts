import type { Command } from '@commander-js/extra-typings';

// Placeholder until the analyze command lands; replaced by its owner.
export function registerAnalyze(_program: Command): void {}
