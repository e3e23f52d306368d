/**
 * The simulator's seeded random numbers (mulberry32): the same seed gives the same numbers on every
 * machine. Pure: no clock, no Math.random. sshd draws `arc4random_uniform(100)`; `uniform(100)`
 * stands in for it (same distribution; the stream itself is of course not sshd's).
 */

export interface Random {
  /** A uniform integer in [0, n), n ≥ 1 (unbiased: rejection sampling like arc4random_uniform). */
  uniform(n: number): number;
  /** A uniform number in [0, 1). */
  unit(): number;
}

/** A generator for `seed` (any integer; only its low 32 bits count). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    uniform(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new RangeError(`uniform(${n}): n must be an integer in 1..2^32`);
      const limit = 0x100000000 - (0x100000000 % n);
      for (;;) {
        const x = next();
        if (x < limit) return x % n;
      }
    },
    unit(): number {
      return next() / 0x100000000;
    },
  };
}

/** The seed of run `i` of a series started from `base` (runs of one series are independent streams). */
export function runSeed(base: number, i: number): number {
  let h = (base ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
