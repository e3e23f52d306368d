/**
 * Orders file inputs so that the rotations of one log are read oldest first:
 * `auth.log.3.gz auth.log.2.gz auth.log.1 auth.log` (numbered: higher number = older), and
 * logrotate's dateext `auth.log-20261101.gz auth.log-20261108 auth.log` (older date first),
 * whatever order the command line gave. Files are grouped by base name (path without the
 * rotation suffix and `.gz`); groups keep the order in which their first member was given.
 *
 * Unrelated logs (different base names) are read one after the other in the given order,
 * not interleaved by time: a k-way merge by timestamp would need every input framed ahead,
 * different hosts stay apart anyway through FramedLine.host, and the engine keys connections
 * by (host, pid), so reading one whole log before the next loses nothing but global order.
 * The same path given twice is read once.
 */
export interface RotationKey {
  base: string;
  /** 0 = the live file; larger = older (numbered), or a date suffix (dated). */
  kind: 'live' | 'numbered' | 'dated';
  n: number;
}

const RE_ROTATION = /^(.*?)(?:\.(\d{1,4})|-(\d{8}(?:\d{2})?))?(?:\.gz)?$/;

export function rotationKey(path: string): RotationKey {
  const m = RE_ROTATION.exec(path);
  if (m === null) return { base: path, kind: 'live', n: 0 };
  if (m[2] !== undefined) return { base: m[1], kind: 'numbered', n: Number(m[2]) };
  if (m[3] !== undefined) return { base: m[1], kind: 'dated', n: Number(m[3]) };
  return { base: m[1], kind: 'live', n: 0 };
}

/** Sort rank inside a group: numbered (oldest = highest number first), dated (oldest first), live last. */
function rank(a: RotationKey, b: RotationKey): number {
  const order = { numbered: 0, dated: 1, live: 2 } as const;
  if (a.kind !== b.kind) {
    // dateext and numbered rotations do not mix in practice; numbered first.
    return order[a.kind] - order[b.kind];
  }
  if (a.kind === 'numbered') return b.n - a.n;
  if (a.kind === 'dated') return a.n - b.n;
  return 0;
}

/** Orders `paths` (stdin `-` stays where it was given, as its own group). */
export function orderInputs(paths: readonly string[]): string[] {
  const groups = new Map<string, { path: string; key: RotationKey; index: number }[]>();
  const seen = new Set<string>();
  paths.forEach((path, index) => {
    if (path !== '-' && seen.has(path)) return;
    seen.add(path);
    const key = path === '-' ? { base: `-\0${index}`, kind: 'live' as const, n: 0 } : rotationKey(path);
    let g = groups.get(key.base);
    if (g === undefined) groups.set(key.base, (g = []));
    g.push({ path, key, index });
  });
  const out: string[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => rank(a.key, b.key) || a.index - b.index);
    for (const e of g) out.push(e.path);
  }
  return out;
}
