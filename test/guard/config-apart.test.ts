/**
 * The daemon's config loader (config-apart.ts) validates in a child process: the same config and the
 * same error lines as loadConfig in-process, and the guard daemon itself (a real `guard --replay
 * --once` run) never loads the validator's modules (zod, yaml) nor undici
 * (node:http's lazy exports).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../src/guard/config.ts';
import { loadConfigApart } from '../../src/guard/config-apart.ts';

const REPO = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'sw-config-apart-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function both(path: string, optional = false): Promise<{ inProcess: unknown; apart: unknown }> {
  const run = async (f: () => unknown) => {
    try {
      return { config: await f() };
    } catch (e) {
      assert.ok(e instanceof ConfigError, `a ConfigError, not ${String(e)}`);
      return { error: e.message, file: e.file };
    }
  };
  return { inProcess: await run(() => loadConfig(path, { optional })), apart: await run(() => loadConfigApart(path, { optional })) };
}

test('the same config as loadConfig: the full example, an empty file, a missing default file', async () => {
  const example = await both(join(REPO, 'packaging/config.example.yaml'));
  assert.ok('config' in (example.apart as object), 'the example is valid');
  assert.deepEqual(example.apart, example.inProcess);
  const empty = await both(file('empty.yaml', ''));
  assert.deepEqual(empty.apart, empty.inProcess);
  const missing = await both(join(dir, 'absent.yaml'), true);
  assert.deepEqual(missing.apart, missing.inProcess);
});

test('the same error lines (file:line: key: problem) as loadConfig', async () => {
  const cases = [
    file('bad.yaml', 'policy:\n  threshold: "x"\n  weights:\n    auth_failur: 3\nnever_ban:\n  allow:\n    - 10.0.0.0/33\nban:\n  duration: 5q\nbogus: 1\n'),
    file('syntax.yaml', 'log:\n  files: [a\n'),
    file('list.yaml', '- a\n- b\n'),
    file('cross.yaml', 'ban:\n  duration: 2h\n  max_duration: 1h\n'),
    join(dir, 'absent-named.yaml'),
  ];
  for (const path of cases) {
    const r = await both(path);
    assert.ok('error' in (r.inProcess as object), `${path} is refused`);
    assert.deepEqual(r.apart, r.inProcess, path);
  }
});

test('the guard daemon loads neither the validator (zod, yaml) nor undici', () => {
  const mods = mkdtempSync(join(dir, 'modules-'));
  const log = file('auth.log', `${new Date(Date.now() - 60_000).toISOString().replace('Z', '+00:00')} srv sshd[5000]: Invalid user u from 203.0.113.66 port 40000\n`);
  const cfg = file(
    'guard.yaml',
    `log:\n  source: files\n  files: [${JSON.stringify(log)}]\nfirewall:\n  backend: none\nstate:\n  database: ${JSON.stringify(join(dir, 'g.db'))}\n  socket: ${JSON.stringify(join(dir, 'g.sock'))}\nmetrics:\n  enabled: false\n`,
  );
  const hook = join(REPO, 'test/guard/loaded-modules-hook.ts');
  const r = spawnSync('./sshwarden', ['guard', '-c', cfg, '--replay', '--once'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: `--import ${hook}`, SSHWARDEN_TEST_MODULES_DIR: mods },
  });
  assert.equal(r.status, 0, r.stderr);
  const lists = readdirSync(mods).map((f) => readFileSync(join(mods, f), 'utf8').split('\n'));
  const daemon = lists.find((l) => l.some((m) => m.endsWith('/src/guard/daemon.ts')));
  const checker = lists.find((l) => l.some((m) => m.endsWith('/src/guard/config-apart-main.ts')));
  assert.ok(daemon, `the daemon's module list (${lists.length} lists)`);
  assert.ok(checker, 'the config check ran in its own process');
  assert.ok(checker.some((m) => m.includes('/node_modules/zod/')), 'the check loads zod');
  for (const unwanted of ['/node_modules/zod/', '/node_modules/yaml/', 'undici']) {
    assert.deepEqual(daemon.filter((m) => m.includes(unwanted)), [], `the daemon loaded ${unwanted}`);
  }
});
