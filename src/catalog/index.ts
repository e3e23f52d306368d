/**
 * The compiled catalog and its dispatch table: entries grouped by the first word of the message
 * body, so matching a line costs one Map lookup and, typically, one or two anchored regexes.
 */
import { CATALOG_SPECS } from './entries.ts';
import { compileTemplate } from './template.ts';
import type { CatalogEntry } from './types.ts';
import { PHASES } from '../vocabulary.ts';

export type { CatalogEntry, CatalogEntrySpec, Effect, FieldSpec, Level, Scope } from './types.ts';

function compile(): CatalogEntry[] {
  const seen = new Set<string>();
  return CATALOG_SPECS.map((spec) => {
    if (seen.has(spec.id)) throw new Error(`catalog: duplicate id ${spec.id}`);
    seen.add(spec.id);
    const { pattern, fullPattern, lazyPattern, head, fields, captures, key } = compileTemplate(spec.template);
    const probeAt = head.length > key.length + 1 ? key.length + 1 : 0;
    const probeChar = probeAt > 0 ? head.charCodeAt(probeAt) : -1;
    const literals = spec.template.slice(head.length).split(/\{[^}]*\}/);
    const needle = literals.reduce((a, b) => (b.length > a.length ? b : a), '');
    return Object.freeze({ ...spec, scope: spec.scope ?? 'connection', pattern, fullPattern, lazyPattern, head, probeAt, probeChar, needle: needle.length >= 4 ? needle : '', fields, captures, key,
      phaseIndex: spec.phase === null ? -1 : PHASES.indexOf(spec.phase),
      kexIdent: spec.id.startsWith('kex-ident'),
      identPhase: spec.effect.startsWith('ident') || spec.effect === 'probe' || spec.effect === 'banner_exchange',
    });
  });
}

/** Every shape, compiled, in catalog order. */
export const CATALOG: readonly CatalogEntry[] = compile();

export const CATALOG_BY_ID: ReadonlyMap<string, CatalogEntry> = new Map(CATALOG.map((e) => [e.id, e]));

/** Entries keyed by the exact first word of the body. */
export const BY_FIRST_WORD: ReadonlyMap<string, readonly CatalogEntry[]> = (() => {
  const m = new Map<string, CatalogEntry[]>();
  for (const e of CATALOG) {
    if (isPrefixKey(e)) continue;
    const list = m.get(e.key) ?? [];
    list.push(e);
    m.set(e.key, list);
  }
  return m;
})();

/** Entries whose first word contains a placeholder (`pam_{pam}(…)`, `/{path}`, `chroot("{path}")`): matched by prefix. */
export const BY_PREFIX: readonly (readonly [string, readonly CatalogEntry[]])[] = (() => {
  const m = new Map<string, CatalogEntry[]>();
  for (const e of CATALOG) {
    if (!isPrefixKey(e)) continue;
    const list = m.get(e.key) ?? [];
    list.push(e);
    m.set(e.key, list);
  }
  return [...m.entries()];
})();

function isPrefixKey(e: { template: string; key: string }): boolean {
  return e.template.length > e.key.length && e.template[e.key.length] === '{';
}

/** One dispatch key: the first word of a body (or a prefix such as `pam_`), and its shapes in catalog order. */
export interface DispatchKey {
  readonly key: string;
  /** true: the key is a prefix of the first word (`pam_`, `/`, `chroot("`), not the whole word. */
  readonly prefix: boolean;
  readonly entries: readonly CatalogEntry[];
}

/**
 * Dispatch table indexed by the key's first character code (0–127): a line's first word is found
 * by comparing its length and then its text with the few keys that share its first character.
 * Measured on Node 24, this costs a third of a `Map#get` with a freshly sliced string key.
 */
export const BY_FIRST_CHAR: readonly (readonly DispatchKey[])[] = (() => {
  const table: DispatchKey[][] = Array.from({ length: 128 }, () => []);
  for (const [key, entries] of BY_FIRST_WORD) table[key.charCodeAt(0) & 127].push({ key, prefix: false, entries });
  for (const [key, entries] of BY_PREFIX) table[key.charCodeAt(0) & 127].push({ key, prefix: true, entries });
  return table;
})();
