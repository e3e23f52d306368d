/**
 * Every rsyslog built-in file template and syslog-ng's default file format, written by the
 * real daemons from a real sshd's lines (a lab namespace, a real ssh client), read by the real
 * `sshwarden analyze`: the format is detected, every sshd line is recognised, and the client's
 * connection is there. rsyslog: RSYSLOG_FileFormat, RSYSLOG_TraditionalFileFormat,
 * RSYSLOG_SyslogProtocol23Format, RSYSLOG_ForwardFormat, and RSYSLOG_SyslogProtocol23Format
 * forwarded over TCP and over UDP (loopback) to a second and third rsyslogd that write it to
 * their files; and the forwarded TCP streams themselves (RSYSLOG_ForwardFormat, omfwd's default,
 * and RSYSLOG_SyslogProtocol23Format), captured as received, as a collector that stores the raw
 * stream keeps them (RSYSLOG_ForwardFormat has no line end of its own: it exists on the wire,
 * where TCP framing adds the LF). Before, every sshd line of the 5424 files was unrecognised
 * (the message kept rsyslog's leading space) and the forward format was refused ("cannot detect
 * the log format"). busybox syslogd (the real daemon, `host auth.info sshd[pid]:`) was skipped as
 * another program's lines.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Lab, requireRoot, type Host } from '../lab/netns.ts';
import { startRsyslog, type Rsyslog } from '../lab/rsyslog.ts';
import { startSyslogNg } from '../lab/syslog-ng.ts';
import { startBusyboxSyslogd } from '../lab/busybox-syslogd.ts';
import { startSshd } from '../lab/sshd.ts';
import { runSsh } from '../lab/clients.ts';

const REPO = resolve(import.meta.dirname, '../..');
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

interface AnalyzeJson {
  sources: { address: string }[];
  summary: { lines: { sshd: number; recognised: number; unrecognised: number }; connections: number };
  inputs: { files: { file: string; format: string }[] };
}

function analyze(file: string): AnalyzeJson {
  const r = spawnSync('./sshwarden', ['analyze', '--json', file], { cwd: REPO, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, `analyze ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as AnalyzeJson;
}

/** A free TCP and UDP port on 127.0.0.1 (asked from the kernel, then released). */
async function freeLoopbackPort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

/** A TCP listener on 127.0.0.1 that appends every byte it receives to `file` (a raw stream capture). */
async function captureTcp(file: string): Promise<{ port: number; server: Server }> {
  const out = createWriteStream(file, { flags: 'a' });
  const server = createServer((sock) => sock.on('data', (b) => out.write(b)));
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  cleanups.push(async () => {
    await new Promise<void>((res) => server.close(() => res()));
    out.end();
  });
  return { port: (server.address() as { port: number }).port, server };
}

/** A failed login (unknown user, no usable method) and its lines in the daemon's file. */
async function failedLogin(cli: Host, target: string, port: number, daemon: Rsyslog, extraWait: (() => Promise<unknown>)[] = []) {
  const r = runSsh(cli, { target, port, user: 'nosuchuser', timeoutMs: 20_000 });
  assert.notEqual(r.status, 0, 'the login must fail');
  await daemon.waitFor(/(Connection closed by|Disconnected from) invalid user nosuchuser/, 15_000);
  for (const w of extraWait) await w();
  await daemon.sync();
}

function checkFile(path: string, format: string, client: string, raw: string) {
  const a = analyze(path);
  assert.deepEqual(a.inputs.files.map((f) => f.format), [format], `${path}\n${raw}`);
  assert.ok(a.summary.lines.sshd >= 3, `${path}: ${JSON.stringify(a.summary.lines)}\n${raw}`);
  assert.equal(a.summary.lines.unrecognised, 0, `${path}: unrecognised sshd lines\n${raw}`);
  assert.ok(a.sources.some((s) => s.address === client), `${path}: no source ${client}: ${JSON.stringify(a.sources)}`);
}

test('rsyslog: every built-in file template, and RFC 5424 forwarded over TCP and UDP, read in full', async () => {
  requireRoot();
  const lab = Lab.create('rst');
  cleanups.push(() => lab.destroy());
  const srv = lab.host('srv', 1);
  const cli = lab.host('cli', 11);
  const [tcpPort, udpPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const P23 = 'RSYSLOG_SyslogProtocol23Format';
  const tcpRecv = await startRsyslog({ hostname: 'central', template: P23, listen: { protocol: 'tcp', port: tcpPort } });
  cleanups.push(() => tcpRecv.stop());
  const udpRecv = await startRsyslog({ hostname: 'central', template: P23, listen: { protocol: 'udp', port: udpPort } });
  cleanups.push(() => udpRecv.stop());
  const capDir = mkdtempSync(join(tmpdir(), 'sshwarden-capture-'));
  cleanups.push(async () => rmSync(capDir, { recursive: true, force: true }));
  const fwdCapture = await captureTcp(join(capDir, 'forward-stream.log'));
  const p23Capture = await captureTcp(join(capDir, 'protocol23-stream.log'));
  const syslog = await startRsyslog({
    hostname: 'web7',
    template: 'RSYSLOG_FileFormat',
    files: [
      { name: 'traditional.log', template: 'RSYSLOG_TraditionalFileFormat' },
      { name: 'protocol23.log', template: P23 },
    ],
    forward: [
      { protocol: 'tcp', port: tcpPort, template: P23 },
      { protocol: 'udp', port: udpPort, template: P23 },
      { protocol: 'tcp', port: fwdCapture.port, template: 'RSYSLOG_ForwardFormat' },
      { protocol: 'tcp', port: p23Capture.port, template: P23 },
    ],
  });
  cleanups.push(() => syslog.stop());
  const sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE' } });
  cleanups.push(() => sshd.stop());
  const done = /(Connection closed by|Disconnected from) invalid user nosuchuser/;
  await failedLogin(cli, srv.v4, sshd.port, syslog, [() => tcpRecv.waitFor(done, 15_000), () => udpRecv.waitFor(done, 15_000)]);
  const raw = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  for (const f of ['forward-stream.log', 'protocol23-stream.log']) {
    const end = Date.now() + 15_000;
    while (!done.test(raw(join(capDir, f)))) {
      assert.ok(Date.now() < end, `${f}: the forwarded stream did not arrive within 15 s: ${raw(join(capDir, f))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const p23 = raw(join(syslog.dir, 'protocol23.log'));
  assert.match(p23, /^<\d+>1 \S+ web7 sshd(-session)? \d+ - - {2}\S/m, 'rsyslog writes the message with its leading space (the case this covers)');
  checkFile(syslog.logFile, 'syslog-iso', cli.v4, syslog.read());
  checkFile(join(syslog.dir, 'traditional.log'), 'syslog', cli.v4, raw(join(syslog.dir, 'traditional.log')));
  checkFile(join(syslog.dir, 'protocol23.log'), 'rfc5424', cli.v4, p23);
  checkFile(join(capDir, 'forward-stream.log'), 'syslog-iso', cli.v4, raw(join(capDir, 'forward-stream.log')));
  checkFile(join(capDir, 'protocol23-stream.log'), 'rfc5424', cli.v4, raw(join(capDir, 'protocol23-stream.log')));
  checkFile(tcpRecv.logFile, 'rfc5424', cli.v4, tcpRecv.read());
  checkFile(udpRecv.logFile, 'rfc5424', cli.v4, udpRecv.read());
});

/** One real syslog daemon between a real sshd and analyze: its own line shape, then read in full. */
function daemonTest(title: string, labPrefix: string, start: () => Promise<Rsyslog>, shape: RegExp) {
  test(title, async () => {
    requireRoot();
    const lab = Lab.create(labPrefix);
    cleanups.push(() => lab.destroy());
    const srv = lab.host('srv', 1);
    const cli = lab.host('cli', 11);
    const syslog = await start();
    cleanups.push(() => syslog.stop());
    const sshd = await startSshd(srv, { syslog, options: { LogLevel: 'VERBOSE' } });
    cleanups.push(() => sshd.stop());
    await failedLogin(cli, srv.v4, sshd.port, syslog);
    assert.match(syslog.read(), shape);
    checkFile(syslog.logFile, 'syslog', cli.v4, syslog.read());
  });
}

daemonTest("syslog-ng's default file format, written by the real daemon, read in full", 'sng', () => startSyslogNg({ hostname: 'web8' }), /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d web8 sshd(-session)?\[\d+\]: /m);
daemonTest(
  'busybox syslogd (facility.level after the host), written by the real daemon, read in full',
  'bbx',
  () => startBusyboxSyslogd({ hostname: 'web9' }),
  /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d web9 auth(priv)?\.info sshd(-session)?\[\d+\]: /m,
);
