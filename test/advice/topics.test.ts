/**
 * The advice topics (src/advice/): each rule gives one answer, so the commands that call them
 * cannot contradict each other. These pin the rules; test/advice/agreement.test.ts runs the
 * commands themselves on the same inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  maxStartupsAdvice,
  loginGraceTimeAdvice,
  perSourceMaxStartupsAdvice,
  perSourcePenaltiesAdvice,
  logLevelAdvice,
  useDnsAdvice,
  algorithmLine,
  algorithmsAdvice,
  wrongServiceAdvice,
  SSHD_DROP_IN,
} from '../../src/advice/index.ts';

test('MaxStartups: the default is left alone without log evidence; below it is raised to it; own users dropped raise it to the busy value', () => {
  assert.equal(maxStartupsAdvice({ current: [10, 30, 100], ownUsersDropped: 0 }), null);
  assert.equal(maxStartupsAdvice({ current: null, ownUsersDropped: 0 }), null);
  // Without the server's value: the rule, no line to write.
  const unknown = maxStartupsAdvice({ current: null, ownUsersDropped: 2 })!;
  assert.equal(unknown.id, 'maxstartups.raise');
  assert.deepEqual(unknown.changes, []);
  assert.match(unknown.summary, /below 10:30:100 to 10:30:100, from 10:30:100 to 30:30:200/);
  // Below the floor with evidence: still one step, to the floor (what audit and --harden write).
  assert.deepEqual(maxStartupsAdvice({ current: [2, 50, 4], ownUsersDropped: 3 })!.changes.map((c) => c.text), ['MaxStartups 10:30:100']);
  const low = maxStartupsAdvice({ current: [3, 50, 10], ownUsersDropped: 0 })!;
  assert.deepEqual(low.changes.map((c) => c.text), ['MaxStartups 10:30:100']);
  const busy = maxStartupsAdvice({ current: [10, 30, 100], ownUsersDropped: 4 })!;
  assert.equal(busy.id, 'maxstartups.raise');
  assert.deepEqual(busy.changes, [{ file: SSHD_DROP_IN, text: 'MaxStartups 30:30:200' }]);
  assert.deepEqual(busy.commands, ['sshd -t', 'systemctl reload ssh || systemctl reload sshd']);
  // Raised once, evidence again: raised from the new value, never back down.
  assert.deepEqual(maxStartupsAdvice({ current: [30, 30, 200], ownUsersDropped: 1 })!.changes[0].text, 'MaxStartups 90:30:400');
  assert.equal(maxStartupsAdvice({ current: [30, 30, 200], ownUsersDropped: 0 }), null);
});

test('LoginGraceTime: 30 s or less is left alone; the default 120 and 0 are lowered to 30', () => {
  assert.equal(loginGraceTimeAdvice({ current: 30 }), null);
  assert.equal(loginGraceTimeAdvice({ current: 20 }), null);
  assert.equal(loginGraceTimeAdvice({ current: null })!.changes[0].text, 'LoginGraceTime 30');
  assert.equal(loginGraceTimeAdvice({ current: 0 })!.changes[0].text, 'LoginGraceTime 30');
});

test('PerSourceMaxStartups: only from 8.5, only when unset', () => {
  assert.equal(perSourceMaxStartupsAdvice({ version: '8.4', current: null, maxStartupsBegin: 10 }), null);
  assert.equal(perSourceMaxStartupsAdvice({ version: '9.2', current: '5', maxStartupsBegin: 10 }), null);
  assert.deepEqual(perSourceMaxStartupsAdvice({ version: '9.2', current: 'none', maxStartupsBegin: 10 })!.changes.map((c) => c.text), ['PerSourceMaxStartups 5', 'PerSourceNetBlockSize 32:64']);
});

test('PerSourcePenalties: exempt list only from validated addresses; nothing before 9.8', () => {
  assert.equal(perSourcePenaltiesAdvice({ version: '9.6', disabled: false, exemptSet: false }), null);
  assert.equal(perSourcePenaltiesAdvice({ version: '9.9', disabled: false, exemptSet: true }), null);
  const a = perSourcePenaltiesAdvice({ version: '9.9', disabled: false, exemptSet: false, exempt: ['192.0.2.10', '198.51.100.0/24', 'x; rm -rf /', '2001:db8::/200'] })!;
  assert.deepEqual(a.changes.map((c) => c.text), ['PerSourcePenaltyExemptList 192.0.2.10,198.51.100.0/24']);
  assert.equal(perSourcePenaltiesAdvice({ version: '9.9', disabled: false, exemptSet: false })!.changes.length, 0);
});

test('LogLevel: INFO gets the next step (drop-in, sshd -t, reload, verify); VERBOSE none', () => {
  assert.equal(logLevelAdvice({ current: 'VERBOSE' }), null);
  const a = logLevelAdvice({ current: 'INFO' })!;
  assert.deepEqual(a.changes, [{ file: SSHD_DROP_IN, text: 'LogLevel VERBOSE' }]);
  assert.equal(a.commands[0], 'sshd -t');
  assert.match(a.verify[0], /^sshd -T \| grep -i '\^loglevel '$/);
  assert.equal(logLevelAdvice({ current: 'DEBUG3' })!.changes[0].text, 'LogLevel VERBOSE');
});

test('UseDNS: only yes is advised against', () => {
  assert.equal(useDnsAdvice({ current: 'no' }), null);
  assert.equal(useDnsAdvice({ current: 'yes' })!.changes[0].text, 'UseDNS no');
});

test('algorithms: weak names removed with `-` relative to the default (7.5+), never a pinned full list; a full list only before 7.5', () => {
  const defaults = ['aes128-ctr', 'aes256-ctr', 'aes256-cbc'];
  assert.equal(algorithmLine('9.2', { keyword: 'Ciphers', defaults, wanted: defaults, removed: [] }), null);
  assert.deepEqual(algorithmLine('9.2', { keyword: 'Ciphers', defaults, wanted: ['aes128-ctr', 'aes256-ctr'], removed: ['aes256-cbc'] }), { text: 'Ciphers -aes256-cbc', pinned: false });
  assert.deepEqual(algorithmLine('9.2', { keyword: 'Ciphers', defaults: ['aes128-ctr'], wanted: ['aes128-ctr', 'aes128-cbc'], removed: [] }), { text: 'Ciphers +aes128-cbc', pinned: false });
  assert.deepEqual(algorithmLine('7.4', { keyword: 'Ciphers', defaults, wanted: ['aes128-ctr'], removed: ['aes256-cbc'] }), { text: 'Ciphers aes128-ctr', pinned: true });
  const adv = algorithmsAdvice('9.2', [{ keyword: 'Ciphers', defaults, wanted: ['aes128-ctr', 'aes256-ctr'], removed: ['aes256-cbc'] }])!;
  assert.equal(adv.id, 'algorithms.remove-weak');
  assert.match(adv.summary, /future defaults stay on/);
});

test('algorithms: a list of weak names only never becomes a line that removes every default (sshd would give the whole default back, hmac-sha1 included)', () => {
  // OpenSSH 9.2's compiled-in MACs; `MACs hmac-md5,hmac-sha1` leaves nothing strong.
  const macs = ['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'umac-128@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'];
  const l = { keyword: 'MACs' as const, defaults: macs, wanted: [], removed: ['hmac-md5', 'hmac-sha1'] };
  assert.deepEqual(algorithmLine('9.2', l), { text: 'MACs -umac-64-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,hmac-sha1', pinned: false });
  const adv = algorithmsAdvice('9.2', [l])!;
  assert.match(adv.summary, /^Remove the weak algorithms \(hmac-md5, hmac-sha1, umac-64-etm@openssh\.com, hmac-sha1-etm@openssh\.com, umac-64@openssh\.com\)/);
  assert.match(adv.summary, /MACs lists nothing strong/);
  // Before 7.5 (no `-`): the strong defaults, written out.
  assert.deepEqual(algorithmLine('7.4', l), { text: 'MACs umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512', pinned: true });
  // A default with nothing weak: `-` with the configured weak names gives the default exactly (not null: the weak line must go).
  const ciphers = ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
  assert.deepEqual(algorithmLine('9.2', { keyword: 'Ciphers', defaults: ciphers, wanted: [], removed: ['3des-cbc', 'aes128-cbc'] }), { text: 'Ciphers -3des-cbc,aes128-cbc', pinned: false });
  // Nothing configured and nothing weak: no line.
  assert.equal(algorithmLine('9.2', { keyword: 'Ciphers', defaults: ciphers, wanted: [], removed: [] }), null);
  // A strong name left: unchanged rule (`-` the rest of the default).
  assert.deepEqual(algorithmLine('9.2', { keyword: 'Ciphers', defaults: ciphers, wanted: ['aes256-gcm@openssh.com'], removed: ['aes128-cbc'] }), { text: 'Ciphers -chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com', pinned: false });
});

test('wrong service: the advice keeps the port (IPv6 in brackets) and quotes nothing unsafe', () => {
  const a = wrongServiceAdvice({ host: '2001:db8::5', port: 2222, service: 'HTTP (nginx)' });
  assert.deepEqual(a.verify, ["sshwarden probe '[2001:db8::5]:2222'"]); // brackets quoted: a shell would glob them
  assert.match(a.summary, /port 2222/);
});
