/**
 * `sshwarden probe` against real non-SSH situations in network namespaces (documentation
 * addresses only): nginx on the SSH port (the seed's case), a DROP rule, a REJECT rule,
 * nothing listening, an accept-and-close forwarder with no backend, a tarpit that never
 * answers, an unreachable network, names that do not resolve, bad input. The same servers are
 * probed with Debian's ssh-audit to show where it cannot tell the causes apart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Lab, type Host } from '../lab/netns.ts';
import { comparison, nft, nftFlush, printComparison, probe, sshAudit, sshwarden, startBehaviour, startNginx, stopChild } from './helpers.ts';

let lab: Lab;
let srv: Host;
let cli: Host;

before(() => {
  lab = Lab.create('pn');
  srv = lab.host('srv', 1);
  cli = lab.host('cli', 11);
});
after(async () => {
  await lab?.destroy();
  printComparison('probe-network: our verdict beside ssh-audit');
});

/** An nft ruleset (inet: IPv4 and IPv6) with one verdict for TCP port 22. */
function portRule(verdict: string): string {
  return `table inet probe_test {\n  chain in {\n    type filter hook input priority 0;\n    tcp dport 22 ${verdict}\n  }\n}\n`;
}

function record(name: string, ours: string, address: string, port = 22): string {
  const a = sshAudit(cli, address, port);
  comparison.push({ case: name, ours, sshAudit: a.summary });
  return a.summary;
}

test('nginx on the SSH port: HTTP, the web server named, wrong port or port translation (IPv4 and IPv6)', async () => {
  const ng = await startNginx(srv, 22);
  try {
    for (const addr of [srv.v4, `[${srv.v6}]`]) {
      const r = probe(cli, [addr, '--timeout', '3']);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.json.verdict.id, 'wrong_service');
      const a = r.json.addresses[0];
      assert.equal(a.examples[0].greeting.kind, 'http');
      assert.equal(a.examples[0].greeting.http.status, 400);
      assert.match(a.examples[0].greeting.http.server, /^nginx\/1\.22/);
      assert.match(r.json.verdict.headline, /speaks HTTP.*nginx\/1\.22.*wrong port or port translation/);
      assert.ok(a.examples[0].close.afterOurIdentification, 'nginx answers only after our identification');
      assert.deepEqual(r.json.verdict.causes.map((c: { id: string }) => c.id).slice(0, 2), ['wrong_port', 'port_translation']);
    }
    const audit = record('nginx on port 22', 'wrong_service: HTTP 400, Server: nginx/1.22.1', srv.v4);
    assert.match(audit, /did not receive banner/);
  } finally {
    await ng.stop();
  }
});

test('a TLS service on the SSH port that hangs up silently on our identification: named TLS by one ClientHello', async () => {
  const t = await startBehaviour(srv, 'tls', 22);
  try {
    const r = probe(cli, [srv.v4, '--timeout', '3']);
    assert.equal(r.json.verdict.id, 'wrong_service', r.json.verdict.headline);
    const a = r.json.addresses[0];
    assert.equal(a.examples[0].kind, 'closed_without_banner');
    assert.equal(a.examples[0].close.afterOurIdentification, true);
    assert.equal(a.tlsSniff.tls, true);
    assert.equal(a.tlsSniff.subject, 'srv.test');
    assert.match(r.json.verdict.headline, /speaks TLS.*CN=srv\.test/);
    record('TLS service, silent hang-up', 'wrong_service: TLS (one ClientHello: handshake, CN=srv.test)', srv.v4);
  } finally {
    await stopChild(t);
  }
});

test('nothing listening: refused', () => {
  const r = probe(cli, [srv.v4, '--timeout', '2']);
  assert.equal(r.status, 1);
  assert.equal(r.json.verdict.id, 'refused');
  assert.equal(r.json.verdict.causes[0].id, 'nothing_listening');
  record('nothing listening', 'refused (nothing listening / REJECT / ban)', srv.v4);
});

test('REJECT rule in front of a listening service: refused, not a timeout', async () => {
  const tar = await startBehaviour(srv, 'tarpit', 22);
  try {
    nft(srv, portRule('reject with tcp reset'));
    const r = probe(cli, [srv.v4, '--timeout', '2']);
    assert.equal(r.json.verdict.id, 'refused');
    assert.ok(r.json.verdict.causes.some((c: { id: string }) => c.id === 'reject_rule'));
    assert.ok(r.json.addresses[0].examples[0].connectMs < 1000, 'a REJECT answers at once');
    record('REJECT rule (tcp reset)', 'refused', srv.v4);
  } finally {
    nftFlush(srv);
    await stopChild(tar);
  }
});

test('DROP rule: no answer to the SYN, told apart from refused', async () => {
  const tar = await startBehaviour(srv, 'tarpit', 22);
  try {
    nft(srv, portRule('drop'));
    const t0 = Date.now();
    const r = probe(cli, [srv.v4, '--timeout', '1.5']);
    assert.equal(r.status, 1);
    assert.equal(r.json.verdict.id, 'no_answer');
    assert.equal(r.json.verdict.causes[0].id, 'drop_rule');
    assert.ok(Date.now() - t0 < 15_000, 'bounded by --timeout');
    record('DROP rule', 'no_answer (DROP / wrong address / path filter)', srv.v4);
  } finally {
    nftFlush(srv);
    await stopChild(tar);
  }
});

test('accept-and-close forwarder with no backend: closed before any byte, with the FIN timing', async () => {
  const fwd = await startBehaviour(srv, 'close', 2222);
  try {
    for (const addr of [`${srv.v4}:2222`, `[${srv.v6}]:2222`]) {
      const r = probe(cli, [addr, '--timeout', '2']);
      assert.equal(r.json.verdict.id, 'closed_without_banner');
      const ex = r.json.addresses[0].examples[0];
      assert.equal(ex.close.how, 'fin');
      assert.equal(ex.close.afterOurIdentification, false, 'closed before we sent anything');
      assert.ok(ex.close.afterConnectMs < 500, 'closed before our 500 ms listen-first window ended');
      assert.equal(r.json.verdict.causes[0].id, 'forward_no_backend');
    }
    record('accept-and-close forwarder', 'closed_without_banner (FIN after ~1 ms, before our identification)', srv.v4, 2222);
  } finally {
    await stopChild(fwd);
  }
});

test('ssh config aliases: HostName and Port come from ssh_config like ssh does; a ProxyJump is noted', async () => {
  const fwd = await startBehaviour(srv, 'close', 2222);
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-probe-cfg-'));
  try {
    const cfg = join(dir, 'config');
    writeFileSync(cfg, `Host fwd\n  HostName ${srv.v4}\n  Port 2222\nHost viajump\n  HostName ${srv.v4}\n  Port 2222\n  ProxyJump bastion.example.org\n`);
    const r = probe(cli, ['fwd', '-F', cfg, '--timeout', '2']);
    assert.equal(r.json.verdict.id, 'closed_without_banner', r.stderr);
    assert.deepEqual(r.json.sshConfig, { hostName: srv.v4, port: 2222, proxyJump: null, proxyCommand: null });
    assert.equal(r.json.target.port, 2222);
    const j = probe(cli, ['viajump', '-F', cfg, '--timeout', '2']);
    assert.equal(j.json.sshConfig.proxyJump, 'bastion.example.org');
    assert.match(j.json.notes[0], /ProxyJump bastion\.example\.org.*connects directly/);
    const raw = probe(cli, ['fwd', '-F', cfg, '--ignore-ssh-config', '--timeout', '2']);
    assert.equal(raw.status, 1);
    assert.match(raw.stderr, /^sshwarden: fwd: (name does not resolve|temporary DNS failure)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await stopChild(fwd);
  }
});

test('tarpit that never answers: silence until our timeout', async () => {
  const tar = await startBehaviour(srv, 'tarpit', 22);
  try {
    const r = probe(cli, [srv.v4, '--timeout', '1.5']);
    assert.equal(r.json.verdict.id, 'silent');
    const ex = r.json.addresses[0].examples[0];
    assert.equal(ex.close.how, 'timeout');
    assert.ok(ex.close.afterOurIdentification);
    assert.equal(r.json.verdict.causes[0].id, 'tarpit');
    record('tarpit (never answers)', 'silent (tarpit / overloaded sshd / forward waiting)', srv.v4);
  } finally {
    await stopChild(tar);
  }
});

test('unreachable network: a clear verdict and exit 1', () => {
  const r = probe(cli, ['198.51.100.7', '--timeout', '2']);
  assert.equal(r.status, 1);
  assert.equal(r.json.verdict.id, 'unreachable');
  assert.match(r.json.verdict.headline, /ENETUNREACH/);
  const text = sshwarden(cli, ['probe', '198.51.100.7', '--timeout', '2']);
  assert.equal(text.status, 1);
  assert.match(text.stdout.split('\n').find((l) => l.startsWith('Verdict:')) ?? '', /unreachable \(ENETUNREACH\)/);
});

test('names that do not resolve, bad ports, bad options: one line on stderr, non-zero exit', () => {
  const cases: Array<[string[], number, RegExp]> = [
    [['probe', 'no-such-host.invalid'], 1, /^sshwarden: no-such-host\.invalid: (name does not resolve|temporary DNS failure)/],
    [['probe', `${srv.v4}:70000`], 2, /^sshwarden: target .*: 70000 is out of range/],
    [['probe', `${srv.v4}:ssh`], 2, /is not a port number/],
    [['probe', 'bad_host!name'], 2, /not a valid host name/],
    [['probe', srv.v4, '--repeat', '1000'], 2, /--repeat: 1000 is out of range/],
    [['probe', srv.v4, '--concurrency', '0'], 2, /--concurrency: 0 is out of range/],
    [['probe', srv.v4, '--client', 'nosuchclient-1'], 2, /--client: unknown profile/],
  ];
  for (const [args, code, re] of cases) {
    const r = sshwarden(cli, args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
    assert.match(lines[0], re);
    assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, 'no stack trace');
  }
});
