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

/** Where ssh itself would connect for this destination, per its configuration (`ssh -G`). */
export interface SshDestination {
  readonly hostName: string;
  readonly port: number;
  /** `ProxyJump` / `ProxyCommand` from the configuration, null when none. */
  readonly proxyJump: string | null;
  readonly proxyCommand: string | null;
}

/** Parses the destination keys of `ssh -G` output. Pure (exported for tests). */
export function parseSshGDestination(text: string): SshDestination | null {
  const get = (k: string) => new RegExp(`^${k} (.*)$`, 'm').exec(text)?.[1]?.trim() ?? null;
  const hostName = get('hostname');
  const port = Number(get('port'));
  if (!hostName || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const none = (v: string | null) => (v === null || v === 'none' ? null : v);
  return { hostName, port, proxyJump: none(get('proxyjump')), proxyCommand: none(get('proxycommand')) };
}

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

export interface LocalClient {
  readonly offer: ClientOffer | null;
  readonly destination: SshDestination | null;
  /** Why there is no offer (ssh missing, ssh -G failed), or null. */
  readonly error: string | null;
}

/**
 * Runs `ssh -G [-F file] [-p port] host` once: the local ssh's offers for this destination and
 * where it would really connect (HostName, Port, ProxyJump from ssh_config), plus `ssh -Q` for
 * what it could enable.
 */
export function localClient(host: string, port: number | null, opts: { configFile?: string; sshPath?: string } = {}): LocalClient {
  const sshPath = opts.sshPath ?? 'ssh';
  const args = ['-G', ...(opts.configFile ? ['-F', opts.configFile] : []), ...(port !== null ? ['-p', String(port)] : []), '--', host];
  const g = spawnSync(sshPath, args, { encoding: 'utf8', timeout: 10_000 });
  if (g.error) return { offer: null, destination: null, error: `cannot run ${sshPath} -G (${(g.error as NodeJS.ErrnoException).code ?? g.error.message}): is the OpenSSH client installed?` };
  if (g.status !== 0) return { offer: null, destination: null, error: `${sshPath} -G failed: ${(g.stderr || '').trim().split('\n')[0]}` };
  const destination = parseSshGDestination(g.stdout);
  const offers = parseSshG(g.stdout);
  if (offers.kex.length === 0 || offers.ciphers.length === 0) return { offer: null, destination, error: `${sshPath} -G printed no kexalgorithms/ciphers` };
  const supported: Partial<Record<Category, string[]>> = {};
  const queries: Array<[Category, string]> = [
    ['kex', 'kex'],
    ['ciphers', 'cipher'],
    ['macs', 'mac'],
    ['hostKey', 'key-sig'],
  ];
  for (const [cat, q] of queries) {
    const r = spawnSync(sshPath, ['-Q', q], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) supported[cat] = r.stdout.split('\n').map((x) => x.trim()).filter(Boolean);
  }
  const v = spawnSync(sshPath, ['-V'], { encoding: 'utf8', timeout: 10_000 });
  const version = (v.stderr || v.stdout || '').trim().split(/[ ,]/)[0] || 'ssh';
  return { offer: { name: `local ${version} (ssh -G)`, source: 'local-ssh', ...offers, supported }, destination, error: null };
}
