import type { Command } from '@commander-js/extra-typings';

// Placeholder until the guard command lands; replaced by its owner.
export function registerGuard(_program: Command): void {}
