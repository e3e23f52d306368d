/**
 * Makes the README's screenshot of `sshwarden report` (docs/report-sample.png): the report of
 * samples/auth.log, opened in Debian's headless Chromium with every request blocked, top of the
 * page (answer, timeline, kex_exchange_identification lines). Run after changing the page:
 *
 *   node scripts/report-screenshot.ts [OUT.png]        # pinned Node on PATH
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestBrowser } from '../test/report/browser.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const out = process.argv[2] ?? join(ROOT, 'docs', 'report-sample.png');
const dir = mkdtempSync(join(tmpdir(), 'sshwarden-screenshot-'));
const browser = new TestBrowser();
try {
  const page = join(dir, 'report.html');
  const r = spawnSync(join(ROOT, 'sshwarden'), ['report', 'samples/auth.log', '-o', page], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`sshwarden report failed: ${r.stderr}`);
  await browser.start({ width: 1100, height: 900 });
  const o = await browser.open(page);
  if (o.errors.length) throw new Error(`page errors: ${o.errors.join('; ')}`);
  const kexBottom = await o.page.$eval('#sec-kex', (e) => {
    const b = e.getBoundingClientRect();
    return Math.ceil(b.bottom + 8);
  });
  await o.page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: 1100, height: kexBottom } });
  process.stdout.write(`${out}\n`);
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
