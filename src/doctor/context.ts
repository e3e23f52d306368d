/**
 * What every check is given: the runner, the client being asked about (if any), the time
 * window, where the logs and config are, and what the config check learnt (ports, listen
 * addresses), which the live checks need.
 */
import type { InputSpec } from '../sources/read-inputs.ts';
import { canonicalAddress, parseCidr, cidrContains, prefixOf } from '../net/address.ts';
import type { Runner } from './runner.ts';

export interface ClientSpec {
  address: string;
  user: string | null;
}

export interface CheckContext {
  runner: Runner;
  client: ClientSpec | null;
  /** ms; null = open */
  window: { since: number | null; until: number | null };
  /** sshd_config path */
  config: string;
  /** Log inputs (files or the journal query). */
  logs: InputSpec[];
  /** Read them on a second thread (analyze/reader-thread.ts; the answer is the same). */
  readerThread?: boolean;
  /** The SSH ports and listen addresses from the config (default 22, any). */
  ports: number[];
  listenAddresses: string[];
  /** Per check, ms. */
  timeoutMs: number;
}

/** `ADDR` or `user@ADDR` (an IP address only: never a name), or an error message. */
export function parseClient(text: string): ClientSpec | string {
  const at = text.lastIndexOf('@');
  const user = at >= 0 ? text.slice(0, at) : null;
  const addrText = (at >= 0 ? text.slice(at + 1) : text).replace(/^\[|\]$/g, '');
  const address = canonicalAddress(addrText);
  if (address === null) return `"${text}" is not an IP address or user@address`;
  if (user !== null && !/^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/.test(user)) return `"${user}" is not a valid user name`;
  return { address, user };
}

/** The client's address and, for IPv6, its /64 (sshd's PerSource blocks and most bans are per /64 too). */
export function clientMatcher(c: ClientSpec): (address: string) => boolean {
  if (!c.address.includes(':')) return (a) => canonicalAddress(a) === c.address;
  const net = parseCidr(prefixOf(c.address, 64)) ?? parseCidr(c.address)!;
  return (a) => {
    const x = canonicalAddress(a);
    return x !== null && x.includes(':') && cidrContains(net, x);
  };
}

/** Whether a network or address text from a firewall (`198.51.100.0/24`, `2001:db8::/64`, an address) contains the client. */
export function coversClient(c: ClientSpec, text: string): boolean {
  const cidr = parseCidr(text);
  return cidr !== null && cidrContains(cidr, c.address);
}
