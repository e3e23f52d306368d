/**
 * Parses what the user typed as the probe's target: `host`, `host:port`, `[v6]:port`, a bare
 * IPv6 address, `ssh://[user@]host[:port]`. Pure; throws an Error with one clear line.
 */
import net from 'node:net';

export interface Target {
  readonly input: string;
  readonly host: string;
  readonly port: number;
  /** The host is an IP literal (no DNS lookup). */
  readonly literal: 4 | 6 | null;
}

export function parsePort(text: string, what: string): number {
  if (!/^[0-9]{1,5}$/.test(text)) throw new Error(`${what}: "${text}" is not a port number (1-65535)`);
  const n = Number(text);
  if (n < 1 || n > 65535) throw new Error(`${what}: ${n} is out of range (1-65535)`);
  return n;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

export function parseTarget(input: string, defaultPort: number): Target {
  let s = input.trim();
  if (s === '') throw new Error('target: empty host');
  const url = /^ssh:\/\/(?:[^@/]*@)?(.*?)\/?$/i.exec(s);
  if (url) s = url[1];
  else if (/^[^@:/[\]]+@/.test(s)) s = s.slice(s.indexOf('@') + 1); // user@host, as ssh takes it
  let host: string;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = parsePort(bracket[2], `target ${input}`);
    if (!net.isIPv6(host)) throw new Error(`target ${input}: "${host}" inside [ ] is not an IPv6 address`);
  } else if (net.isIPv6(s)) {
    host = s;
  } else {
    const i = s.lastIndexOf(':');
    if (i >= 0) {
      host = s.slice(0, i);
      port = parsePort(s.slice(i + 1), `target ${input}`);
    } else host = s;
  }
  const literal = net.isIPv4(host) ? 4 : net.isIPv6(host) ? 6 : null;
  if (!literal) {
    if (/^[0-9.]+$/.test(host)) throw new Error(`target ${input}: "${host}" is not a valid IPv4 address`);
    if (!HOSTNAME.test(host)) throw new Error(`target ${input}: "${host}" is not a valid host name or address`);
  }
  return { input, host, port, literal };
}
