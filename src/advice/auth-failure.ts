/**
 * The client reached sshd and failed to authenticate: a wrong password, a user name that does not
 * exist, a key the server does not hold, too many keys offered (MaxAuthTries), or no method in
 * common. What to check, on which side, with the exact commands. Pure.
 */
import type { Advice } from './types.ts';
import { shellCommand } from './shell.ts';

export interface AuthFailureFacts {
  /** The user name the client logged in as (log text: used in commands only when it is a valid name). */
  user: string | null;
  /** sshd said `Invalid user`: no such account on the server. */
  invalidUser: boolean;
  /** Failed password / keyboard-interactive lines. */
  passwordFailures: number;
  /** A publickey was tried (`Failed publickey`, or the method list). */
  publickey: boolean;
  /** `Too many authentication failures` / `maximum authentication attempts exceeded`. */
  tooManyAttempts: boolean;
  /** `No supported authentication methods available`: nothing the client offered is enabled. */
  noCommonMethod: boolean;
}

/** A POSIX login name (useradd's rule); anything else is not put into a command. */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/i;

/** `auth-failure.*`: one piece of advice per thing to check, most likely first. */
export function authFailureAdvice(f: AuthFailureFacts): Advice[] {
  const user = f.user !== null && USER_NAME.test(f.user) ? f.user : null;
  const named = user ?? 'USER';
  const out: Advice[] = [];
  if (f.invalidUser) {
    out.push({
      id: 'auth-failure.user',
      summary: `sshd has no account ${user === null ? 'by that name' : `"${user}"`} ("Invalid user"): on the client, log in with the right name (\`ssh NAME@host\`, or \`User\` in ~/.ssh/config); on the server, check that the account exists`,
      changes: [],
      commands: [shellCommand(['getent', 'passwd', named])],
      verify: [],
    });
  }
  if (f.noCommonMethod) {
    out.push({
      id: 'auth-failure.methods',
      summary: 'the client offered no authentication method the server accepts for this user ("No supported authentication methods available"): password logins are off (PasswordAuthentication no) and the client has no key the server knows; install the key (from a session that works) or compare the methods',
      changes: [],
      commands: ["sshd -T | grep -Ei '^(passwordauthentication|pubkeyauthentication|kbdinteractiveauthentication|authenticationmethods) '"],
      verify: [],
    });
  }
  if (f.tooManyAttempts && f.publickey) {
    out.push({
      id: 'auth-failure.too-many-keys',
      summary: 'the client spent MaxAuthTries on keys the server does not hold (each key in the agent or in ~/.ssh counts): on the client, offer only the right key',
      changes: [],
      // `named` is a checked login name or the placeholder: nothing to quote; ssh expands the ~ itself.
      commands: [`ssh -o IdentitiesOnly=yes -i ~/.ssh/YOUR_KEY ${named}@SERVER`],
      verify: [],
    });
  }
  if (f.passwordFailures > 0 && !f.invalidUser) {
    out.push({
      id: 'auth-failure.password',
      summary: `sshd refused the password${user === null ? '' : ` for "${user}"`} ${f.passwordFailures === 1 ? 'once' : `${f.passwordFailures} times`}: check the password (keyboard layout, Caps Lock); on the server, check that the account is not locked or expired`,
      changes: [],
      commands: [shellCommand(['passwd', '-S', named]), shellCommand(['chage', '-l', named])],
      verify: [],
    });
  }
  if (f.publickey && !f.tooManyAttempts && !f.invalidUser) {
    out.push({
      id: 'auth-failure.key',
      summary: `sshd did not accept the key${user === null ? '' : ` for "${user}"`}: the public key must be in the user's ~/.ssh/authorized_keys on the server, with safe permissions (StrictModes); \`ssh -v\` on the client shows which keys it offered`,
      changes: [],
      // ~NAME is the shell's tilde expansion: only with a checked login name.
      commands: user === null ? [] : [`ls -ld ~${user}/.ssh ~${user}/.ssh/authorized_keys`],
      verify: [],
    });
  }
  return out;
}
