/**
 * Resolves allowlist host names to addresses (all families) at start and at each refresh.
 * A name that does not resolve is reported, never fatal: the rest of the allowlist still
 * protects, and the last good answer for that name is kept.
 */
import { lookup } from 'node:dns/promises';
import { canonicalAddress } from './address.ts';

export interface NameResolution {
  readonly name: string;
  readonly addresses: string[];
  readonly error?: string;
}

export async function resolveNames(names: readonly string[], timeoutMs = 5000): Promise<NameResolution[]> {
  return Promise.all(
    names.map(async (name): Promise<NameResolution> => {
      try {
        const res = await Promise.race([
          lookup(name, { all: true, verbatim: true }),
          new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
        ]);
        const addresses = res.map((r) => canonicalAddress(r.address)).filter((a): a is string => a !== null);
        return { name, addresses };
      } catch (e) {
        return { name, addresses: [], error: (e as Error).message };
      }
    }),
  );
}
