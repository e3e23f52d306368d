/**
 * Advice from the MaxStartups / PerSourcePenalties simulation (src/simulate/): the smallest change
 * that kept every one of your users' connections in every simulated run, as drop-in lines
 * (`MaxStartups a:b:c`, `PerSourceMaxStartups n`, `PerSourcePenaltyExemptList …`), checked with
 * `sshd -t` and applied with a reload. When no candidate works, the advice says why and changes nothing.
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';
import type { Recommendation } from '../simulate/recommend.ts';
import type { Spread } from '../simulate/types.ts';

function spread(s: Spread): string {
  return s.min === s.max ? String(s.min) : `${s.min}–${s.max}`;
}

/** `maxstartups.simulated` (a change), `maxstartups.simulated-none` (nothing works: why), or null (nothing to change). */
export function maxStartupsSimulationAdvice(rec: Recommendation): Advice | null {
  const cur = rec.current;
  if (rec.status === 'change' && rec.best) {
    const b = rec.best;
    const ms = b.settings.maxStartups;
    const summary =
      `Replaying this log's ${cur.arrivals} connections through sshd's admission rules (${cur.runs} random seeds): today's settings refuse ${spread(cur.droppedUsers)} of your users' connections; ` +
      `with ${b.lines.join(', ')} none of theirs is refused in any run, the cap stays at ${ms.full} unauthenticated connections, and ${spread(b.result.dropped)} connections in all are still refused`;
    const keywords = b.lines.map((l) => l.split(' ')[0]);
    return sshdAdvice('maxstartups.simulated', summary, b.lines, keywords);
  }
  if (rec.status === 'none_works') return { id: 'maxstartups.simulated-none', summary: rec.why, changes: [], commands: [], verify: [] };
  return null;
}
