/**
 * Test helper, loaded with `node --import` (through NODE_OPTIONS, so child processes get it too): at exit,
 * writes the modules this process loaded (every ES module URL, then Node's built-in module list) to
 * `$SSHWARDEN_TEST_MODULES_DIR/<pid>.txt`, one a line.
 */
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.SSHWARDEN_TEST_MODULES_DIR;
if (dir) {
  const urls: string[] = [];
  registerHooks({
    load(url, context, next) {
      urls.push(url);
      return next(url, context);
    },
  });
  process.on('exit', () => writeFileSync(join(dir, `${process.pid}.txt`), [...urls, ...(process as unknown as { moduleLoadList: string[] }).moduleLoadList].join('\n')));
}
