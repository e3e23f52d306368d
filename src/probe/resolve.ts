/**
 * Name resolution for the probe (I/O edge): the system resolver (getaddrinfo, so /etc/hosts
 * and nsswitch apply, as for ssh itself), A and AAAA asked separately so the report can say
 * which record is missing.
 */
import dns from 'node:dns/promises';
import type { Target } from './target.ts';

export interface Resolved {
  readonly a: string[];
  readonly aaaa: string[];
  /** Per-family lookup errors (e.g. `ENOTFOUND`), when a family has no address. */
  readonly errors: { family: 4 | 6; code: string }[];
}

export class ResolveError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.code = code;
  }
}

const CODES: Readonly<Record<string, string>> = {
  ENOTFOUND: 'name does not resolve',
  ENODATA: 'name has no address records',
  EAI_AGAIN: 'temporary DNS failure (no DNS server reachable?)',
  ESERVFAIL: 'DNS server failure',
  ETIMEOUT: 'DNS timed out',
};

export async function resolveTarget(t: Target, only: 4 | 6 | null): Promise<Resolved> {
  if (t.literal) return { a: t.literal === 4 ? [t.host] : [], aaaa: t.literal === 6 ? [t.host] : [], errors: [] };
  const errors: { family: 4 | 6; code: string }[] = [];
  const look = async (family: 4 | 6): Promise<string[]> => {
    if (only && only !== family) return [];
    try {
      const r = await dns.lookup(t.host, { family, all: true });
      return [...new Set(r.map((x) => x.address))];
    } catch (e) {
      errors.push({ family, code: (e as NodeJS.ErrnoException).code ?? 'ERROR' });
      return [];
    }
  };
  const [a, aaaa] = await Promise.all([look(4), look(6)]);
  if (a.length === 0 && aaaa.length === 0) {
    const code = errors[0]?.code ?? 'ENOTFOUND';
    throw new ResolveError(`${t.host}: ${CODES[code] ?? code} (${code})${only ? ` for IPv${only}` : ''}`, code);
  }
  return { a, aaaa, errors };
}
