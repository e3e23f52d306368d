import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectFormat } from '../../src/framing/index.ts';

test('detectFormat: each format from its first lines', () => {
  const cases: [string[], string | null][] = [
    [['Nov 21 20:18:06 web1 sshd[1]: a', 'Nov 21 20:18:07 web1 CRON[2]: b'], 'syslog'],
    [['-- Logs begin at Sat 2026-11-21 00:00:00 UTC. --', 'Nov 21 20:18:06 web1 sshd[1]: a'], 'journal-short'],
    [['2026-11-21T20:18:06.123456+00:00 web1 sshd[1]: a', '2026-11-21T20:18:07.000001+00:00 web1 kernel: b'], 'syslog-iso'],
    [['2026-11-21T20:18:06+0000 web1 sshd[1]: a'], 'journal-short-iso'],
    [['2026-11-21T20:18:06.123456+0100 web1 sshd[1]: a'], 'journal-short-iso'],
    [['Nov 21 20:18:06.123456 web1 sshd[1]: a'], 'journal-short-precise'],
    [['Sat 2026-11-21 20:18:06 UTC web1 sshd[1]: a'], 'journal-short-full'],
    [['<38>1 2026-11-21T20:18:06Z web1 sshd 1 - - a'], 'rfc5424'],
    [['{"MESSAGE":"a"}', '{"MESSAGE":"b"}'], 'journal-json'],
    [['\u001e{"MESSAGE":"a"}'], 'journal-json-seq'],
    [['Server listening on 0.0.0.0 port 22.\r', 'Connection from 192.0.2.1 port 5 on 192.0.2.2 port 22 rdomain ""\r'], 'sshd-stderr'],
    [['Server listening on 0.0.0.0 port 22.', 'Accepted publickey for a from 192.0.2.1 port 5 ssh2: ED25519 SHA256:x'], 'journal-cat'],
    [['hello world', 'this is not a log'], null],
    [[], null],
    [['', '   '], null],
  ];
  for (const [sample, want] of cases) assert.equal(detectFormat(sample), want, JSON.stringify(sample));
});

test('detectFormat: the majority wins over a stray line of another form', () => {
  assert.equal(
    detectFormat(['garbage line', 'Nov 21 20:18:06 web1 sshd[1]: a', 'Nov 21 20:18:06 web1 sshd[1]: b', '<38>1 2026-11-21T20:18:06Z web1 sshd 1 - - a']),
    'syslog',
  );
});
