/**
 * Reads what the HTML report inlines: uPlot's IIFE build and stylesheet (npm package `uplot`) and
 * the page's own script and stylesheet (./page/), with the shared ./page/dom.js written in place of
 * the script's `/* include dom.js *\/` line. I/O edge of the report; ./html-page.ts is pure.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PageAssets } from './html-page.ts';

/** `script`: the page's own script in ./page/ (report.js, or fleet.js for `report --fleet`). */
export function readPageAssets(script: 'report.js' | 'fleet.js' = 'report.js'): PageAssets {
  const here = dirname(fileURLToPath(import.meta.url));
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot'));
  return {
    chartJs: readFileSync(join(uplotDist, 'uPlot.iife.min.js'), 'utf8'),
    chartCss: readFileSync(join(uplotDist, 'uPlot.min.css'), 'utf8'),
    appJs: withIncludes(readFileSync(join(here, 'page', script), 'utf8'), (name) => readFileSync(join(here, 'page', name), 'utf8')),
    appCss: readFileSync(join(here, 'page', 'report.css'), 'utf8'),
  };
}

const INCLUDE = /^[ \t]*\/\* include ([a-z][a-z0-9-]*\.js) \*\/[ \t]*$/gm;

/** `script` with each `/* include NAME.js *\/` line replaced by that file of ./page/ (one level: an included file includes nothing). */
export function withIncludes(script: string, read: (name: string) => string): string {
  return script.replace(INCLUDE, (_line, name: string) => read(name).replace(/\n$/, ''));
}
