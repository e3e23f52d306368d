/** OpenSSH version strings ("9.2", "10.0", "8.2p1") and their order. Pure. */

export function parseVersion(v: string): [number, number] | null {
  const m = /^(?:openssh[_-])?(\d+)\.(\d+)(?:p\d+)?$/i.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function cmpVersion(a: string, b: string): number {
  const pa = parseVersion(a) ?? [0, 0];
  const pb = parseVersion(b) ?? [0, 0];
  return pa[0] - pb[0] || pa[1] - pb[1];
}

export const atLeast = (v: string, min: string): boolean => cmpVersion(v, min) >= 0;
export const before = (v: string, limit: string): boolean => cmpVersion(v, limit) < 0;

/** Normalises "8.2p1" / "OpenSSH_8.2" to "8.2". */
export function normaliseVersion(v: string): string | null {
  const p = parseVersion(v);
  return p ? `${p[0]}.${p[1]}` : null;
}
