/**
 * A typed sshd event: one recognised message shape (a catalog entry) with its fields, or
 * `unrecognised`. Addresses and ports are only ever filled from trusted catalog positions and
 * validated as IP literals (src/events/match.ts); client text stays in `user`/`clientText`.
 */
import type { CatalogEntry, Effect } from '../catalog/index.ts';

export type MessagePrefix = 'error' | 'fatal' | 'debug' | null;

export interface SshdEvent {
  /** Catalog id (`invalid-user`, `connection-closed`, …), `debug` for an unmatched debug line, or `unrecognised`. */
  readonly type: string;
  readonly entry: CatalogEntry | null;
  readonly effect: Effect | 'unrecognised';
  /** The client's address (trusted position, validated; IPv4-mapped IPv6 normalised), or null. */
  readonly addr: string | null;
  readonly port: number | null;
  /** The server's own address and port (never a client). */
  readonly laddr: string | null;
  readonly lport: number | null;
  /** The user name the client sent (client text; may be empty, contain spaces, addresses, escapes). */
  readonly user: string | null;
  /** The line says `invalid user` (from sshd's own text, not from the name). */
  readonly invalidUser: boolean;
  /** The 7.5+ preamble is `user <name>` (not `authenticating user`/`invalid user`): written only for a logged-in session. */
  readonly sessionUser: boolean;
  readonly method: string | null;
  /** Other client text: identification string, disconnect message, algorithm offer, PTR name. */
  readonly clientText: string | null;
  /** sshd's own text: error, reason, what did not match, duration. */
  readonly text: string | null;
  /** SSH disconnect code, drop counter, signal number… (the shape says which). */
  readonly num: number | null;
  /** A process id named in the text (`pid = N`, `User child is on pid N`, `Session process N`). */
  readonly pidRef: number | null;
  /** Listener label addresses (`connection from A to B`); the engine decides which one is the client. */
  readonly idFrom: string | null;
  readonly idTo: string | null;
  readonly prefix: MessagePrefix;
  readonly preauth: boolean;
  readonly postauth: boolean;
  /** The message is at the 500-character syslog limit: its end may be missing. */
  readonly truncated: boolean;
  /** An address was present at a trusted position after client text but ignored because the line may be cut. */
  readonly addressDropped: boolean;
}
