/** Test helper: frames a whole text the way the reader does (split on \n), flushing at the end. */
import type { FramedLine } from '../../src/framing/framed-line.ts';
import type { Framer } from '../../src/framing/framer.ts';

export function frameText(f: Framer, text: string): FramedLine[] {
  const out: FramedLine[] = [];
  text.split('\n').forEach((l, i) => {
    const r = f.frame(l, i + 1);
    if (r) out.push(r);
  });
  const held = f.flush();
  if (held) out.push(held);
  return out;
}
