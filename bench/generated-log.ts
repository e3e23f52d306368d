/**
 * The benchmarks' generated auth.log, cached in /tmp/sshwarden-bench/ (deterministic: same
 * options, same file), with the generator's ground truth beside it (`<file>.stats.json`).
 */
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, writeSync, statSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { generateAuthLog, type GenerateStats, type TimeFormat } from './generate-auth-log.ts';

/** Bump when the generator's output changes, so cached files are regenerated. */
export const GENERATOR_VERSION = 1;
export const CACHE = '/tmp/sshwarden-bench';

/** The cached generated log and the generator's ground truth for it (`<file>.stats.json`). */
export function ensureLog(lines: number, seed: number, format: TimeFormat): { file: string; stats: GenerateStats } {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `auth-${lines}-s${seed}-${format}-g${GENERATOR_VERSION}.log`);
  const statsFile = `${file}.stats.json`;
  if (existsSync(file) && statSync(file).size > 0 && existsSync(statsFile)) {
    return { file, stats: JSON.parse(readFileSync(statsFile, 'utf8')) as GenerateStats };
  }
  process.stderr.write(`bench: generating ${file} ...\n`);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let stats: GenerateStats;
  try {
    stats = generateAuthLog({ lines, seed, format }, (chunk) => {
      writeSync(fd, chunk);
    });
    process.stderr.write(`bench: ${stats.lines} lines (${stats.sshdLines} sshd), ${stats.connections} connections, ${stats.firstTs} .. ${stats.lastTs}\n`);
  } finally {
    closeSync(fd);
  }
  // rename so an interrupted run never leaves a half file behind under the final name
  renameSync(tmp, file);
  writeFileSync(statsFile, `${JSON.stringify(stats, null, 2)}\n`);
  return { file, stats };
}

