/**
 * Child-process entry of config-apart.ts: validates one guard config (config.ts) and prints it
 * as JSON on stdout (exit 0), or the ConfigError's `file:line: key: problem` lines on stderr (exit 2).
 * Arguments: FILE optional|required.
 */
import { ConfigError, loadConfig } from './config.ts';

const [file, mode] = process.argv.slice(2);
try {
  process.stdout.write(JSON.stringify(loadConfig(file, { optional: mode === 'optional' })));
} catch (e) {
  process.stderr.write((e as Error).message);
  process.exitCode = e instanceof ConfigError ? 2 : 1;
}
