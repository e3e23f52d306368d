/**
 * The daemon's V8 settings that NODE_OPTIONS cannot carry (Node accepts only a few V8 flags there,
 * and `sshwarden guard` is also started without the unit). Set once, before the daemon's code runs hot.
 *
 * No Maglev (V8's mid-tier optimizing compiler; hot functions go from the baseline compiler straight to
 * Turbofan): with 1,000,000 sources tracked the guard holds ~8 MB less (the compiler's code and
 * data, and Maglev's copies of functions Turbofan compiles later anyway), reads a burst as fast and
 * reacts as fast (bench/guard-load.ts `sources`, bench/guard-reaction.ts; bench/README.md).
 */
import { setFlagsFromString } from 'node:v8';

export function tuneV8ForDaemon(): void {
  setFlagsFromString('--no-maglev');
}
