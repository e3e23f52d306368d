/**
 * The `analyze` pipeline cut at each stage, to see where its time goes (used by
 * bench/analyze.ts as extra contestants; each mode is its own process):
 *
 *   node bench/analyze-stages.ts read   FILE   readInputs + framing only (sources → framing)
 *   node bench/analyze-stages.ts engine FILE   + Analyzer.push/finish (events → connections → classify), no output
 *
 * The full pipeline with JSON output is `./sshwarden analyze --json FILE` itself. Prints
 * `{"mode":…,"framed":N,"updates":N}` on stdout.
 */
import { readInputs } from '../src/sources/read-inputs.ts';
import { Analyzer } from '../src/engine/analyzer.ts';

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if ((mode !== 'read' && mode !== 'engine') || !file) {
    process.stderr.write('usage: node bench/analyze-stages.ts read|engine FILE\n');
    process.exitCode = 2;
    return;
  }
  let failed = false;
  const reader = readInputs([file], {
    onError: (f, line, msg) => {
      failed = true;
      process.stderr.write(`${f}${line === null ? '' : `:${line}`}: ${msg}\n`);
    },
  });
  const analyzer = mode === 'engine' ? new Analyzer({ keepConnections: false }) : null;
  let framed = 0;
  let updates = 0;
  for await (const batch of reader.batches()) {
    framed += batch.length;
    if (analyzer) for (const line of batch) updates += analyzer.push(line).length;
  }
  if (analyzer) {
    const r = analyzer.finish();
    updates += r.finalUpdates.length;
  }
  process.stdout.write(`${JSON.stringify({ mode, framed, updates })}\n`);
  if (failed) process.exitCode = 3;
}

await main();
