/**
 * The guard's journal trust rule on plain records: the process (journald's _COMM/_EXE) must be sshd's
 * when journald could read it, and the user (_UID, from the message's kernel credentials, always
 * there) must be root or sshd's privilege-separation user. A short-lived sshd child that exited
 * before journald read /proc has neither _COMM nor _EXE: its uid decides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JournalJsonFramer } from '../../src/framing/journal-json-framer.ts';

const rec = (fields: Record<string, string>) =>
  JSON.stringify({ __REALTIME_TIMESTAMP: '1764800000000000', _HOSTNAME: 'srv', SYSLOG_IDENTIFIER: 'sshd', _PID: '4242', MESSAGE: 'Failed password for root from 198.51.100.8 port 40000 ssh2', ...fields });

test('sshd as root, or as the privsep user, is trusted; anything else claiming to be sshd is not', () => {
  const f = new JournalJsonFramer('journal', { uids: [0, 105] });
  assert.ok(f.frame(rec({ _COMM: 'sshd', _EXE: '/usr/sbin/sshd', _UID: '0' }), 1));
  assert.ok(f.frame(rec({ _COMM: 'sshd-session', _UID: '105' }), 2));
  assert.ok(f.frame(rec({ _UID: '0' }), 3), 'the process had exited: _COMM and _EXE absent, root');
  assert.equal(f.frame(rec({ _UID: '65534' }), 4), null, 'exited, but not root nor the privsep user');
  assert.equal(f.frame(rec({ _COMM: 'logger', _UID: '0' }), 5), null, 'root, but not sshd');
  assert.equal(f.frame(rec({ _COMM: 'logger', _UID: '65534' }), 6), null);
  assert.equal(f.frame(rec({ _COMM: 'sshd' }), 7), null, 'no uid: not trusted');
  assert.equal(f.untrusted, 4);
});
