/**
 * The self-contained HTML report page: the page data as JSON in a `<script type="application/json">`
 * and every script and style inlined (no CDN, no fonts, no request leaves the page). Pure: the
 * assets are passed in (./page-assets.ts reads them).
 *
 * Safety: the data carries client-controlled text (user names, client versions, disconnect
 * messages). In the JSON, `<`, `>`, `&` and U+2028/U+2029 are written as \u escapes, so no
 * `</script>` or `<!--` can end or change the data block; the page script renders every string
 * with textContent, never as HTML. A Content-Security-Policy lets only the two inlined scripts run
 * (by their hashes) and allows no request at all.
 */
import { createHash } from 'node:crypto';
import type { PageData } from './page-data.ts';

export interface PageAssets {
  /** uPlot's IIFE build and its stylesheet. */
  chartJs: string;
  chartCss: string;
  /** The page's own script and stylesheet (src/report/page/). */
  appJs: string;
  appCss: string;
}

/** JSON safe inside a script element of the HTML page. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Code safe inside a `<script>` element: `</script` and `<!--` cannot occur in it. */
export function inlineScript(code: string): string {
  return code.replace(/<(\/script|!--)/gi, '\\x3C$1');
}

/** A stylesheet safe inside a `<style>` element. */
function inlineStyle(css: string): string {
  return css.replace(/<\/style/gi, '\\3C /style');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** `data` is the page data its script draws: PageData for report.js, FleetReportData (src/fleet/report-queries.ts) for fleet.js. */
export function renderPage(data: PageData | object, assets: PageAssets, title = 'sshwarden report'): string {
  const chartJs = inlineScript(assets.chartJs);
  const appJs = inlineScript(assets.appJs);
  // Only these two scripts may run (by hash): no inline event handler, no other script, no request.
  const csp = `default-src 'none'; script-src ${sha256(chartJs)} ${sha256(appJs)}; style-src 'unsafe-inline'; img-src data:`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="color-scheme" content="light dark">
<title>${title.replace(/[<>&"]/g, '')}</title>
<style>${inlineStyle(assets.chartCss)}</style>
<style>${inlineStyle(assets.appCss)}</style>
</head>
<body>
<main id="report"><noscript>This report needs JavaScript to draw its charts and tables.</noscript></main>
<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
<script>${chartJs}</script>
<script>${appJs}</script>
</body>
</html>
`;
}
