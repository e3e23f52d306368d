/**
 * `sshwarden report --fleet URL`: the report over the whole fleet, read from its PostgreSQL
 * (src/fleet/report-queries.ts, SELECT only) and drawn by the same page machinery as the log
 * report (report/html-page.ts with page/fleet.js), or printed as JSON with --json.
 */
import { EXIT } from '../exit-codes.ts';
import { UserError } from '../user-error.ts';
import { redact } from '../../fleet/connect.ts';
import { PageOutput } from '../page-output.ts';
import { withClient } from './fleet.ts';
import type { ReportOpts } from './report-run.ts';

export async function reportFleet(files: string[], opts: ReportOpts): Promise<number> {
  const url = opts.fleet!;
  if (files.length > 0) throw new UserError(`--fleet reads the fleet's database, not log files: drop ${JSON.stringify(files[0])} (or drop --fleet)`);
  if (opts.journal || opts.config !== undefined) throw new UserError(`--fleet cannot be combined with ${opts.journal ? '--journal' : '--config'}`);
  if (opts.hours > 24 * 90) throw new UserError('--hours: at most 2160 (90 days)');
  if (opts.output === undefined && opts.json !== true) throw new UserError('-o/--output: say where to write the page (e.g. -o fleet.html, or "-" for stdout)');
  const out = new PageOutput(opts.output);
  let failed = true;
  try {
    const { fleetReportData } = await import('../../fleet/report-queries.ts');
    const { schemaProblem, schemaVersion } = await import('../../fleet/migrate.ts');
    const command = ['sshwarden', 'report', '--fleet', redact(url), '--hours', String(opts.hours)].join(' ');
    const data = await withClient({ url, passwordFile: opts.passwordFile }, async (client) => {
      const problem = schemaProblem(await schemaVersion(client));
      if (problem) throw new UserError(`fleet database ${redact(url)}: ${problem}`, EXIT.RUNTIME);
      return fleetReportData(client, { hours: opts.hours, command, database: redact(url) });
    });
    let text: string;
    if (opts.json === true) text = JSON.stringify(data) + '\n';
    else {
      const { renderPage } = await import('../../report/html-page.ts');
      const { readPageAssets } = await import('../../report/page-assets.ts');
      text = renderPage(data, readPageAssets('fleet.js'), 'sshwarden fleet report');
    }
    out.write(text);
    failed = false;
    return EXIT.OK;
  } finally {
    out.close(failed);
  }
}
