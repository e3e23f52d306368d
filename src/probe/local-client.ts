/**
 * The local OpenSSH client's effective offers for one destination (I/O edge): `ssh -G` prints
 * the configuration ssh would use (ssh_config, Host/Match blocks, defaults) without
 * connecting; `ssh -Q` lists what it could enable. Run with argument arrays, never a shell.
 */
import { spawnSync } from 'node:child_process';
import type { Category, ClientOffer } from './negotiation.ts';

const G_KEYS: Readonly<Record<string, Category>> = {
  kexalgorithms: 'kex',
  hostkeyalgorithms: 'hostKey',
  ciphers: 'ciphers',
  macs: 'macs',
  compression: 'compression',
};

/** Parses `ssh -G` output into offers. Pure (exported for tests). */
export function parseSshG(text: string): Record<Category, string[]> {
  const out: Record<Category, string[]> = { kex: [], hostKey: [], ciphers: [], macs: [], compression: [] };
  for (const line of text.split('\n')) {
    const m = /^([a-z]+) (.*)$/.exec(line.trim());
    if (!m) continue;
    const cat = G_KEYS[m[1]];
    if (!cat) continue;
    out[cat] = cat === 'compression' ? [m[2] === 'yes' ? 'yes' : 'no'] : m[2].split(',').filter(Boolean);
  }
  return out;
}

/** Returns the local ssh's offers, or an error line when ssh is missing or refuses the destination. */
export function localClientOffer(host: string, port: number, sshPath = 'ssh'): ClientOffer | { error: string } {
  const g = spawnSync(sshPath, ['-G', '-p', String(port), '--', host], { encoding: 'utf8', timeout: 10_000 });
  if (g.error) return { error: `cannot run ${sshPath} -G (${(g.error as NodeJS.ErrnoException).code ?? g.error.message}): is the OpenSSH client installed?` };
  if (g.status !== 0) return { error: `${sshPath} -G failed: ${(g.stderr || '').trim().split('\n')[0]}` };
  const offers = parseSshG(g.stdout);
  if (offers.kex.length === 0 || offers.ciphers.length === 0) return { error: `${sshPath} -G printed no kexalgorithms/ciphers` };
  const supported: Partial<Record<Category, string[]>> = {};
  const queries: Array<[Category, string]> = [
    ['kex', 'kex'],
    ['ciphers', 'cipher'],
    ['macs', 'mac'],
    ['hostKey', 'key-sig'],
  ];
  for (const [cat, q] of queries) {
    const r = spawnSync(sshPath, ['-Q', q], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) supported[cat] = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  }
  const v = spawnSync(sshPath, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const version = (v.stderr || v.stdout || '').trim().split(/[ ,]/)[0] || 'ssh';
  return { name: `local ${version} (ssh -G)`, source: 'local-ssh', ...offers, supported };
}
