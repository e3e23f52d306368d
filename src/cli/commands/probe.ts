import type { Command } from '@commander-js/extra-typings';

// Placeholder until the probe command lands; replaced by its owner.
export function registerProbe(_program: Command): void {}
