/**
 * The ceiling for `analyze` in Node: read a file in 1 MiB chunks, decode, split it into line
 * strings and count them (no framing, no matching). Anything `sshwarden analyze` does costs
 * on top of this.
 *
 *   node bench/node-baseline.ts FILE       prints `{"lines":N}` on stdout
 */
import { openSync, readSync, closeSync } from 'node:fs';

export function countLines(file: string): { lines: number; bytes: number; chars: number } {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let carry = '';
  let lines = 0;
  let bytes = 0;
  let chars = 0; // touch every line so the work cannot be optimised away
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      bytes += n;
      // latin1 decode is 1 byte = 1 char and never splits a sequence across chunks; the
      // framers decode per line, this is the cheapest honest split.
      const text = carry + buf.toString('latin1', 0, n);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl === -1) break;
        const line = text.slice(start, nl);
        chars += line.length;
        lines++;
        start = nl + 1;
      }
      carry = text.slice(start);
    }
    if (carry.length > 0) {
      lines++;
      chars += carry.length;
    }
  } finally {
    closeSync(fd);
  }
  return { lines, bytes, chars };
}

if (import.meta.filename === process.argv[1]) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/node-baseline.ts FILE\n');
    process.exitCode = 2;
  } else {
    process.stdout.write(`${JSON.stringify(countLines(file))}\n`);
  }
}
