/**
 * explain-client's advice names the real target: `sshwarden probe HOST:PORT` keeps the port the
 * transcript connected to (before: a bare `sshwarden probe HOST`, which probes port 22).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { explainTranscript } from '../../src/explain-client/explain.ts';
import { probeCommand, withProbeTarget } from '../../src/advice/probe.ts';

const FIX = new URL('./fixtures/', import.meta.url);

test('the probe advice keeps the port of the transcript', () => {
  for (const name of ['00-http_banner.txt', '01-closed_before_banner.txt', '02-reset_before_banner.txt']) {
    const text = readFileSync(new URL(name, FIX), 'utf8').replaceAll('port 22.', 'port 2222.').replaceAll(' port 22:', ' port 2222:');
    const e = explainTranscript(text);
    const fixes = e.findings.flatMap((f) => f.fix).join('\n');
    assert.match(fixes, /`sshwarden probe 192\.0\.2\.1:2222`/, `${name}: ${fixes}`);
    assert.doesNotMatch(fixes, /sshwarden probe HOST/, name);
  }
});

test('probeCommand: port 22 left out, IPv6 in brackets with a port, odd host names quoted', () => {
  assert.equal(probeCommand({ host: 'example.org', port: 22 }), 'sshwarden probe example.org');
  assert.equal(probeCommand({ host: 'example.org', port: 2222 }, 20), 'sshwarden probe example.org:2222 --repeat 20');
  assert.equal(probeCommand({ host: '2001:db8::1', port: 2222 }), "sshwarden probe '[2001:db8::1]:2222'"); // brackets are glob characters: quoted
  assert.equal(probeCommand({ host: "a'b", port: null }), "sshwarden probe 'a'\\''b'");
  assert.equal(withProbeTarget('measure it: `sshwarden probe HOST --repeat 20`', { host: 'h', port: 80 }), 'measure it: `sshwarden probe h:80 --repeat 20`');
  assert.equal(withProbeTarget('`sshwarden probe HOST`', null), '`sshwarden probe HOST`');
});
