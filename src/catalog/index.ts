/**
 * The compiled catalog and its dispatch table: entries grouped by the first word of the message
 * body, so matching a line costs one Map lookup and, typically, one or two anchored regexes.
 */
import { CATALOG_SPECS } from './entries.ts';
import { compileTemplate } from './template.ts';
import type { CatalogEntry } from './types.ts';

export type { CatalogEntry, CatalogEntrySpec, Effect, FieldSpec, Level, Scope } from './types.ts';

function compile(): CatalogEntry[] {
  const seen = new Set<string>();
  return CATALOG_SPECS.map((spec) => {
    if (seen.has(spec.id)) throw new Error(`catalog: duplicate id ${spec.id}`);
    seen.add(spec.id);
    const { pattern, fields, key } = compileTemplate(spec.template);
    return Object.freeze({ ...spec, scope: spec.scope ?? 'connection', pattern, fields, key });
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
