/**
 * A tiny TCP server for probe lab tests, run inside a server namespace:
 *   node tcp-behaviour-server.ts <mode> <port> <address>...
 * modes: `tarpit` (accept, never write, never close: a tarpit that never answers),
 *        `close` (accept then close at once: a forwarder with no backend),
 *        `reset` (accept then RST).
 * Prints `listening` on stdout once every address is bound. Ends on SIGTERM.
 */
import net from 'node:net';

const [mode, portText, ...addresses] = process.argv.slice(2);
const port = Number(portText);
const held: net.Socket[] = [];
let pending = addresses.length;
for (const address of addresses) {
  const srv = net.createServer((sock) => {
    sock.on('error', () => {});
    if (mode === 'close') sock.end();
    else if (mode === 'reset') sock.resetAndDestroy();
    else held.push(sock); // tarpit: keep it, say nothing
  });
  srv.listen({ host: address, port, ipv6Only: address.includes(':') }, () => {
    if (--pending === 0) process.stdout.write('listening\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
