/**
 * A copy of `s` that does not keep its parent string alive.
 *
 * V8 represents `big.slice(a, b)` (13+ characters) as a view into `big`. The reader decodes
 * ~64 KiB pieces into one string each, and the framers hand out messages as such views (a copy
 * per line cost ~10% of `analyze`'s time and ~150 MB of allocation per 1M lines). So whatever
 * is kept past its connection (server events, examples, the source table, kept records, local
 * addresses, host names) is copied with this first; otherwise one kept user name would hold
 * its whole piece (measured earlier with 1 MiB pieces: 130 kept messages held 109 MB).
 * Concatenating forces a flat copy; slicing off the extra character then views that copy.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
