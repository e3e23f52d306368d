/**
 * A tiny TCP server for probe lab tests, run inside a server namespace:
 *   node tcp-behaviour-server.ts <mode> <port> <address>...
 * modes: `tarpit` (accept, never write, never close: a tarpit that never answers),
 *        `close` (accept then close at once: a forwarder with no backend),
 *        `reset` (accept then RST),
 *        `tls` (a TLS server with a throw-away self-signed certificate, CN=srv.test, that hangs up
 *        without an alert on non-TLS input, like many HTTPS/VPN endpoints).
 * Prints `listening` on stdout once every address is bound. Ends on SIGTERM.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';

const [mode, portText, ...addresses] = process.argv.slice(2);
const port = Number(portText);
const held: net.Socket[] = [];
let pending = addresses.length;
let tlsOptions: tls.TlsOptions | null = null;
if (mode === 'tls') {
  const dir = mkdtempSync(join(tmpdir(), 'sshwarden-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=srv.test', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
  tlsOptions = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
  rmSync(dir, { recursive: true, force: true });
}
for (const address of addresses) {
  const srv = tlsOptions ? tls.createServer(tlsOptions, (sock) => sock.end('hello\n')) : net.createServer((sock) => {
    sock.on('error', () => {});
    if (mode === 'close') sock.end();
    else if (mode === 'reset') sock.resetAndDestroy();
    else held.push(sock); // tarpit: keep it, say nothing
  });
  srv.on('tlsClientError', () => {});
  srv.listen({ host: address, port, ipv6Only: address.includes(':') }, () => {
    if (--pending === 0) process.stdout.write('listening\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
