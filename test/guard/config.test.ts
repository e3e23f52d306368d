/** Config validation: every error names file:line: key; defaults are complete. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseConfig } from '../../src/guard/config.ts';

function errorOf(yaml: string): string {
  try {
    parseConfig(yaml, '/etc/sshwarden/config.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

test('empty file: every default', () => {
  const c = parseConfig('', 'x.yaml');
  assert.equal(c.policy.threshold, 30);
  assert.equal(c.policy.window, 600_000);
  assert.equal(c.ban.duration, 600_000);
  assert.equal(c.ban.max_duration, 7 * 86_400_000);
  assert.equal(c.aggregate.ipv6_prefix, 64);
  assert.equal(c.firewall.backend, 'nftables');
  assert.equal(c.firewall.scope, 'ssh');
  assert.equal(c.never_ban.authenticated_for, 30 * 86_400_000);
  assert.equal(c.metrics.listen, '127.0.0.1:9687');
});

test('unknown key, wrong type, bad CIDR, bad duration: file:line: key', () => {
  const msg = errorOf('policy:\n  threshold: "x"\n  weights:\n    auth_failur: 3\nnever_ban:\n  allow:\n    - 198.51.100.0/24\n    - 10.0.0.0/33\nban:\n  duration: 5q\nbogus: 1\n');
  assert.match(msg, /^\/etc\/sshwarden\/config\.yaml:2: policy\.threshold: .*expected number/m);
  assert.match(msg, /^\/etc\/sshwarden\/config\.yaml:4: policy\.weights\.auth_failur: unknown key/m);
  assert.match(msg, /^\/etc\/sshwarden\/config\.yaml:8: never_ban\.allow\[1\]: not a CIDR/m);
  assert.match(msg, /^\/etc\/sshwarden\/config\.yaml:10: ban\.duration: not a duration/m);
  assert.match(msg, /^\/etc\/sshwarden\/config\.yaml:11: bogus: unknown key/m);
});

test('a time zone that does not exist is a config error, not a crash later', () => {
  assert.match(errorOf('log:\n  timezone: Mars/Olympus\n'), /config\.yaml:2: log\.timezone: not an IANA time zone/);
  assert.equal(parseConfig('log:\n  timezone: Europe/Berlin\n', 'x').log.timezone, 'Europe/Berlin');
});

test('YAML syntax errors carry the line', () => {
  assert.match(errorOf('policy:\n  threshold: 3\n weights: [\n'), /config\.yaml:\d+: /);
});

test('cross-field checks: command backend needs templates; max_duration ≥ duration', () => {
  assert.match(errorOf('firewall:\n  backend: command\n'), /config\.yaml:2: firewall\.command: required/);
  assert.match(errorOf('ban:\n  duration: 2h\n  max_duration: 1h\n'), /config\.yaml:3: ban\.max_duration/);
});

test('host names are accepted in the allowlist; octal-looking junk is not', () => {
  assert.deepEqual(parseConfig('never_ban:\n  allow: [office.example.org, 2001:db8::/48]\n', 'x').never_ban.allow, ['office.example.org', '2001:db8::/48']);
  assert.match(errorOf('never_ban:\n  allow: ["1.2.3"]\n'), /not a CIDR/);
});

test('the shipped example config is valid', () => {
  const p = fileURLToPath(new URL('../../packaging/config.example.yaml', import.meta.url));
  parseConfig(readFileSync(p, 'utf8'), p);
});
