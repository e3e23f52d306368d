/**
 * Real `ssh -vvv` runs against real servers in lab namespaces, one per client-side failure
 * `explain-client` must explain. Each scenario sets up its server, runs Debian's OpenSSH client
 * once from the client namespace and returns the transcript (ssh's stderr), then tears down.
 * Used live by explain-client-lab.test.ts and by capture-transcripts.ts (fixtures for the
 * unit tests).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Host, Lab } from '../lab/netns.ts';
import { spawnRaw } from '../lab/clients.ts';
import { startSshd, type Sshd } from '../lab/sshd.ts';
import { nft, nftFlush, startBehaviour, startNginx, stopChild } from '../probe/helpers.ts';

export interface Ctx {
  lab: Lab;
  srv: Host;
  cli: Host;
  /** Second server host: the bastion for ProxyJump, and the holder of idle connections. */
  aux: Host;
  tmp: string;
}

export interface Scenario {
  readonly name: string;
  /** The finding id explain-client must put first. */
  readonly expect: string;
  run(ctx: Ctx): Promise<string>;
}

function keygen(path: string, type = 'ed25519'): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', type, ...(type === 'rsa' ? ['-b', '2048'] : []), '-N', '', '-C', 'lab', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
}

/** `ssh -vvv` from the client namespace, no user config, batch mode, bounded. */
function ssh(ctx: Ctx, target: string, extra: string[], timeoutMs = 20_000): string {
  const args = ['-vvv', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-o', 'IdentityAgent=none', ...extra, target, 'true'];
  const r = ctx.cli.run('ssh', args, { timeoutMs, env: { PATH: process.env.PATH, HOME: ctx.tmp } });
  return r.stderr;
}

function trust(sshd: Sshd): string[] {
  return ['-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes'];
}

function key(sshd: Sshd, k: string = sshd.clientKey): string[] {
  return ['-i', k, '-o', 'IdentitiesOnly=yes'];
}

async function withSshd<T>(ctx: Ctx, opts: Parameters<typeof startSshd>[1], fn: (s: Sshd) => Promise<T> | T, host: Host = ctx.srv): Promise<T> {
  const s = await startSshd(host, opts);
  try {
    return await fn(s);
  } finally {
    await s.stop();
  }
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'nginx answers on port 22 (the seed case)',
    expect: 'http_banner',
    async run(ctx) {
      const ng = await startNginx(ctx.srv, 22);
      try {
        return ssh(ctx, `root@${ctx.srv.v4}`, []);
      } finally {
        await ng.stop();
      }
    },
  },
  {
    name: 'accept-and-close forwarder: closed before the server identification',
    expect: 'closed_before_banner',
    async run(ctx) {
      const c = await startBehaviour(ctx.srv, 'close', 22);
      try {
        return ssh(ctx, `root@${ctx.srv.v4}`, []);
      } finally {
        await stopChild(c);
      }
    },
  },
  {
    name: 'reset after accept',
    expect: 'reset_before_banner',
    async run(ctx) {
      const c = await startBehaviour(ctx.srv, 'reset', 22);
      try {
        return ssh(ctx, `root@${ctx.srv.v4}`, []);
      } finally {
        await stopChild(c);
      }
    },
  },
  {
    name: 'MaxStartups refusal text in a banner line',
    expect: 'maxstartups_refusal',
    async run(ctx) {
      return withSshd(ctx, { options: { MaxStartups: '1:100:1' } }, async () => {
        const hold = spawnRaw(ctx.aux, { host: ctx.srv.v4, port: 22, count: 1, then: 'hold', holdMs: 30_000 });
        try {
          await hold.ready;
          return ssh(ctx, `root@${ctx.srv.v4}`, []);
        } finally {
          hold.release();
          await hold.results.catch(() => undefined);
        }
      });
    },
  },
  {
    name: 'tarpit: no banner until the client gives up',
    expect: 'banner_timeout',
    async run(ctx) {
      const c = await startBehaviour(ctx.srv, 'tarpit', 22);
      try {
        return ssh(ctx, `root@${ctx.srv.v4}`, []);
      } finally {
        await stopChild(c);
      }
    },
  },
  {
    name: 'connection refused',
    expect: 'connection_refused',
    async run(ctx) {
      return ssh(ctx, `root@${ctx.srv.v4}`, []);
    },
  },
  {
    name: 'DROP rule: connect timeout (IPv6)',
    expect: 'connect_timeout',
    async run(ctx) {
      const c = await startBehaviour(ctx.srv, 'tarpit', 22);
      try {
        nft(ctx.srv, 'table inet t {\n chain in {\n  type filter hook input priority 0;\n  tcp dport 22 drop\n }\n}\n');
        return ssh(ctx, `root@${ctx.srv.v6}`, []);
      } finally {
        nftFlush(ctx.srv);
        await stopChild(c);
      }
    },
  },
  {
    name: 'name does not resolve',
    expect: 'name_not_resolved',
    async run(ctx) {
      return ssh(ctx, 'root@no-such-host.invalid', []);
    },
  },
  {
    name: 'no matching key exchange method',
    expect: 'no_matching_algorithm',
    async run(ctx) {
      return withSshd(ctx, { options: { KexAlgorithms: 'diffie-hellman-group14-sha1' } }, (s) => ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), ...key(s)]));
    },
  },
  {
    name: 'no matching cipher',
    expect: 'no_matching_algorithm',
    async run(ctx) {
      return withSshd(ctx, { options: { Ciphers: 'aes128-cbc' } }, (s) => ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), ...key(s)]));
    },
  },
  {
    name: 'no matching host key type',
    expect: 'no_matching_algorithm',
    async run(ctx) {
      return withSshd(ctx, {}, (s) => ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), ...key(s), '-o', 'HostKeyAlgorithms=rsa-sha2-512']));
    },
  },
  {
    name: 'host key changed',
    expect: 'host_key_changed',
    async run(ctx) {
      return withSshd(ctx, {}, (s) => {
        const kh = join(ctx.tmp, 'known_hosts_changed');
        const other = join(ctx.tmp, 'other_host_key');
        rmSync(other, { force: true });
        rmSync(`${other}.pub`, { force: true });
        keygen(other);
        writeFileSync(kh, `${ctx.srv.v4} ${readFileSync(`${other}.pub`, 'utf8').trim()}\n`);
        return ssh(ctx, `root@${ctx.srv.v4}`, ['-o', `UserKnownHostsFile=${kh}`, '-o', 'StrictHostKeyChecking=yes', ...key(s)]);
      });
    },
  },
  {
    name: 'unknown host key with strict checking',
    expect: 'host_key_unknown',
    async run(ctx) {
      return withSshd(ctx, {}, (s) => ssh(ctx, `root@${ctx.srv.v4}`, ['-o', `UserKnownHostsFile=${join(ctx.tmp, 'empty_known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', ...key(s)]));
    },
  },
  {
    name: 'Permission denied (publickey): the key is not authorised',
    expect: 'permission_denied',
    async run(ctx) {
      return withSshd(ctx, { options: { PasswordAuthentication: 'no' } }, (s) => ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), ...key(s, s.otherKey)]));
    },
  },
  {
    name: 'Too many authentication failures',
    expect: 'too_many_auth_failures',
    async run(ctx) {
      return withSshd(ctx, { options: { MaxAuthTries: 2 } }, (s) => {
        const keys: string[] = [];
        for (let i = 0; i < 3; i++) {
          const k = join(ctx.tmp, `many_${i}`);
          rmSync(k, { force: true });
          rmSync(`${k}.pub`, { force: true });
          keygen(k);
          keys.push('-i', k);
        }
        return ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), ...keys, '-o', 'IdentitiesOnly=yes']);
      });
    },
  },
  {
    name: 'Bad owner or permissions on the ssh config file',
    expect: 'bad_permissions',
    async run(ctx) {
      // ssh checks the permissions of ~/.ssh/config only (taken from the passwd entry, not $HOME): give root a
      // private home in a private mount namespace, so the real /root is never touched.
      const home = join(ctx.tmp, 'home');
      mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
      writeFileSync(join(home, '.ssh', 'config'), 'Host *\n  ServerAliveInterval 30\n');
      chmodSync(join(home, '.ssh', 'config'), 0o666);
      const script = 'mount --bind "$1" /root && exec ssh -vvv -o BatchMode=yes -o ConnectTimeout=3 "$2" true';
      const r = ctx.cli.run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', home, `root@${ctx.srv.v4}`], { timeoutMs: 20_000 });
      return r.stderr;
    },
  },
  {
    name: 'private key readable by others',
    expect: 'unprotected_key',
    async run(ctx) {
      return withSshd(ctx, {}, (s) => {
        const k = join(ctx.tmp, 'loose_key');
        copyFileSync(s.clientKey, k);
        chmodSync(k, 0o644);
        return ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), '-i', k, '-o', 'IdentitiesOnly=yes']);
      });
    },
  },
  {
    name: 'agent refuses to sign (confirmation required, no askpass)',
    expect: 'agent_refused',
    async run(ctx) {
      return withSshd(ctx, {}, async (s) => {
        const sock = join(ctx.tmp, 'agent.sock');
        rmSync(sock, { force: true });
        const env = { PATH: process.env.PATH, HOME: ctx.tmp, SSH_AUTH_SOCK: sock, SSH_ASKPASS: '/nonexistent/askpass', SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':99' };
        const agent = ctx.cli.spawn('ssh-agent', ['-D', '-a', sock], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        try {
          for (let i = 0; i < 100 && ctx.cli.run('test', ['-S', sock]).status !== 0; i++) await new Promise((r) => setTimeout(r, 20));
          const add = ctx.cli.run('ssh-add', ['-c', s.clientKey], { env });
          if (add.status !== 0) throw new Error(`ssh-add -c failed: ${add.stderr}`);
          const r = ctx.cli.run('ssh', ['-vvv', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', `IdentityAgent=${sock}`, ...trust(s), `root@${ctx.srv.v4}`, 'true'], { timeoutMs: 20_000, env });
          return r.stderr;
        } finally {
          await stopChild(agent);
        }
      });
    },
  },
  {
    name: 'ProxyJump: the bastion cannot reach the target',
    expect: 'proxyjump_failed',
    async run(ctx) {
      return withSshd(
        ctx,
        {},
        (b) => {
          const cfg = join(ctx.tmp, 'jump_config');
          writeFileSync(cfg, `Host bastion\n  HostName ${ctx.aux.v4}\n  User root\n  IdentityFile ${b.clientKey}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${b.knownHostsFile}\n  StrictHostKeyChecking yes\n  BatchMode yes\n  IdentityAgent none\n`);
          chmodSync(cfg, 0o600);
          // Nothing listens on the target: the bastion's connect is refused.
          const r = ctx.cli.run('ssh', ['-vvv', '-F', cfg, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=3', '-J', 'bastion', `root@${ctx.srv.v4}`, 'true'], {
            timeoutMs: 30_000,
            env: { PATH: process.env.PATH, HOME: ctx.tmp },
          });
          return r.stderr;
        },
        ctx.aux,
      );
    },
  },
  {
    name: 'successful login',
    expect: 'success',
    async run(ctx) {
      return withSshd(ctx, {}, (s) => ssh(ctx, `root@${ctx.srv.v4}`, [...trust(s), ...key(s)]));
    },
  },
];

export function makeCtx(lab: Lab, srv: Host, cli: Host, aux: Host): Ctx {
  const tmp = mkdtempSync(join(tmpdir(), 'sshwarden-explain-'));
  chmodSync(tmp, 0o700);
  return { lab, srv, cli, aux, tmp };
}
