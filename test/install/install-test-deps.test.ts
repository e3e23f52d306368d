/**
 * test.sh's install phase (scripts/install-test-deps.sh) leaves the machine as it found it,
 * apart from the packages: /usr/sbin/policy-rc.d is gone after every run that created it
 * (success and failure), a policy-rc.d that was there before is kept, an already-satisfied list
 * does nothing, and a package with a service that the run installs is left disabled at boot
 * (no link in /etc/systemd/system/*.wants, no S link in /etc/rc?.d) and not running: checked
 * through test.sh itself (SSHWARDEN_TEST_EXTRA_DEBS adds the package) with a failing test, so
 * test.sh must also hand on the runner's exit status and clean up after it (it used to `exec`
 * node, so its `trap … EXIT` never ran and policy-rc.d stayed behind).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireRoot } from '../lab/netns.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/install-test-deps.sh');
const POLICY = '/usr/sbin/policy-rc.d';
/** A small Debian package with a systemd unit and a SysV script, not used by anything else here. */
const SERVICE_PKG = 'uptimed';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(SCRIPT, args, { encoding: 'utf8', timeout: 300_000, env: { ...process.env, SSHWARDEN_APT_UPDATE: '0', ...env } });
}
function installed(pkg: string): boolean {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('ok installed');
}

let purge = false;
after(() => {
  if (purge) spawnSync('apt-get', ['purge', '-y', '-qq', '-o', 'DPkg::Lock::Timeout=600', SERVICE_PKG], { encoding: 'utf8', timeout: 300_000 });
});

test('an already-satisfied list installs nothing and creates no policy-rc.d', () => {
  requireRoot();
  const r = run(['openssh-client', 'procps']);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /installing|policy-rc\.d/);
});

test('a failing install still removes the policy-rc.d it created', () => {
  requireRoot();
  assert.ok(!existsSync(POLICY), `${POLICY} exists before the test: another install is running, or one left it behind`);
  const r = run(['sshwarden-no-such-package-xyz']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /created \/usr\/sbin\/policy-rc\.d/);
  assert.match(r.stderr, /apt-get install failed/);
  assert.ok(!existsSync(POLICY), 'policy-rc.d left behind after a failed install');
});

test("a policy-rc.d that was there before is the owner's: kept as it was", () => {
  requireRoot();
  assert.ok(!existsSync(POLICY), `${POLICY} exists before the test`);
  const own = '#!/bin/sh\n# the admin\'s own\nexit 0\n';
  writeFileSync(POLICY, own, { mode: 0o755 });
  try {
    const r = run(['sshwarden-no-such-package-xyz']);
    assert.notEqual(r.status, 0);
    assert.doesNotMatch(r.stderr, /created/);
    assert.equal(readFileSync(POLICY, 'utf8'), own);
  } finally {
    rmSync(POLICY, { force: true });
  }
});

test('test.sh that installs a package with a service, then runs a failing test: exit 1, policy-rc.d gone, the service neither started nor enabled at boot', () => {
  requireRoot();
  assert.ok(!installed(SERVICE_PKG), `${SERVICE_PKG} is installed on this machine already; this test installs and purges it`);
  assert.ok(!existsSync(POLICY), `${POLICY} exists before the test`);
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-testsh-'));
  purge = true;
  try {
    const file = join(dir, 'fails.test.ts');
    writeFileSync(file, "import { test } from 'node:test';\ntest('fails on purpose', () => { throw new Error('on purpose'); });\n");
    // Its own TMPDIR, to see what the run leaves there (tsc and npm turn on Node's compile cache, by default $TMPDIR/node-compile-cache).
    const innerTmp = join(dir, 'tmp');
    mkdirSync(innerTmp);
    const env: Record<string, string | undefined> = { ...process.env, TMPDIR: innerTmp, SSHWARDEN_APT_UPDATE: '0', SSHWARDEN_TEST_EXTRA_DEBS: SERVICE_PKG };
    delete env.NODE_TEST_CONTEXT; // else the inner node --test thinks it is nested and runs nothing
    delete env.NODE_COMPILE_CACHE; // the outer test.sh's: the inner one must set its own
    const r = spawnSync(join(ROOT, 'test.sh'), [file], { encoding: 'utf8', timeout: 600_000, cwd: ROOT, env });
    // The old test.sh ended in `exec node …`: its `trap … EXIT` never ran and policy-rc.d stayed.
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /fails on purpose/);
    assert.match(r.stderr, /created \/usr\/sbin\/policy-rc\.d/);
    assert.ok(installed(SERVICE_PKG), r.stderr);
    assert.ok(!existsSync(POLICY), 'policy-rc.d left behind');
    assert.ok(!existsSync(join(innerTmp, 'node-compile-cache')), 'test.sh left $TMPDIR/node-compile-cache behind');
    const wants = readdirSync('/etc/systemd/system')
      .filter((d) => d.endsWith('.wants'))
      .flatMap((d) => readdirSync(join('/etc/systemd/system', d)).map((f) => `${d}/${f}`));
    assert.deepEqual(wants.filter((w) => w.includes(SERVICE_PKG)), [], 'enabled at boot (systemd)');
    const rcLinks = readdirSync('/etc').filter((d) => /^rc[0-6S]\.d$/.test(d)).flatMap((d) => readdirSync(join('/etc', d)).map((f) => `${d}/${f}`));
    assert.deepEqual(rcLinks.filter((l) => /\/S\d*uptimed$/.test(l)), [], 'enabled at boot (SysV)');
    const ps = spawnSync('pgrep', ['-x', 'uptimed'], { encoding: 'utf8' });
    assert.equal(ps.status, 1, `uptimed is running: ${ps.stdout}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
