/**
 * `explain-client` on transcripts captured live: each scenario of scenarios.ts runs the real
 * OpenSSH client (`ssh -vvv`) against a real server in a lab namespace (sshd, nginx, a
 * forwarder with no backend, a tarpit, nft rules, a bastion), and the transcript is piped into
 * `./sshwarden explain-client - --json` run as a user would, in the client namespace.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Lab } from '../lab/netns.ts';
import { SSHWARDEN } from '../probe/helpers.ts';
import { SCENARIOS, makeCtx, type Ctx } from './scenarios.ts';

let lab: Lab;
let ctx: Ctx;

before(() => {
  lab = Lab.create('ex');
  ctx = makeCtx(lab, lab.host('srv', 1), lab.host('cli', 11), lab.host('aux', 2));
});
after(async () => {
  if (ctx) rmSync(ctx.tmp, { recursive: true, force: true });
  await lab?.destroy();
});

for (const s of SCENARIOS) {
  test(`live: ${s.name} → ${s.expect}`, async () => {
    const transcript = await s.run(ctx);
    assert.ok(transcript.includes('OpenSSH_'), `ssh ran: ${transcript.slice(0, 200)}`);
    const r = ctx.cli.run(SSHWARDEN, ['explain-client', '-', '--json'], { input: transcript, timeoutMs: 30_000 });
    assert.equal(r.status, s.expect === 'success' ? 0 : 1, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.findings[0].id, s.expect, `${s.name}: got ${j.findings.map((f: { id: string }) => f.id).join(', ')}\n${transcript.split('\n').slice(-8).join('\n')}`);
  });
}
