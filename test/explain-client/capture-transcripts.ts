/**
 * Regenerates test/explain-client/fixtures/*.txt: one real `ssh -vvv` transcript per
 * scenario of scenarios.ts, captured in a lab (needs root):
 *   node test/explain-client/capture-transcripts.ts
 * Lab addresses (documentation ranges) appear in the transcripts as they are.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../lab/netns.ts';
import { SCENARIOS, makeCtx } from './scenarios.ts';

const out = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
mkdirSync(out, { recursive: true });
const lab = Lab.create('ec');
const ctx = makeCtx(lab, lab.host('srv', 1), lab.host('cli', 11), lab.host('aux', 2));
try {
  for (const [i, s] of SCENARIOS.entries()) {
    const text = await s.run(ctx);
    const file = join(out, `${String(i).padStart(2, '0')}-${s.expect}.txt`);
    writeFileSync(file, text);
    process.stdout.write(`${file}: ${text.split('\n').length} lines (${s.name})\n`);
  }
} finally {
  rmSync(ctx.tmp, { recursive: true, force: true });
  await lab.destroy();
}
