/**
 * The MaxStartups simulation section of the HTML report (with `--config`): the simulator's table
 * (src/simulate/recommend.ts: today's settings, sshd's defaults, the recommendation or the largest
 * candidate tried) as rows of text, its answer in words, and the advice (src/advice/) that makes it.
 * Pure.
 */
import { maxStartupsSimulationAdvice } from '../advice/maxstartups-simulation.ts';
import type { Recommendation } from '../simulate/recommend.ts';
import { maxStartupsText } from '../simulate/settings.ts';
import type { ArrivalSet } from '../simulate/arrivals.ts';
import type { Spread } from '../simulate/types.ts';
import type { PageData } from './page-data.ts';

function spread(s: Spread): string {
  return s.min === s.max ? String(s.min) : `${s.min}–${s.max} (mean ${Math.round(s.mean * 10) / 10})`;
}

function count(n: number, one: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : `${one}s`}`;
}

export function simulationSection(rec: Recommendation, set: ArrivalSet): NonNullable<PageData['simulation']> {
  const runs = rec.current.runs;
  return {
    title: `MaxStartups candidates, simulated (${set.arrivals.length.toLocaleString('en-US')} connections replayed through sshd's admission rules, ${runs} random seeds)`,
    columns: ['setting', 'sshd_config', 'MaxStartups', 'PerSourceMaxStartups', 'refused (all)', "refused (your users')", 'your users affected', 'peak pre-auth connections'],
    rows: rec.table.map((r) => [
      r.label,
      r.lines.length ? r.lines.join('; ') : '(as configured)',
      maxStartupsText(r.settings.maxStartups),
      r.settings.perSource === null ? 'none' : String(r.settings.perSource),
      spread(r.result.dropped),
      spread(r.result.droppedUsers),
      spread(r.result.usersAffected),
      spread(r.result.peak),
    ]),
    note: `${rec.why}${set.estimated ? ` ${count(set.estimated, 'connection')} the log shows refused ${set.estimated === 1 ? 'is' : 'are'} replayed with an estimated hold.` : ''}${set.skipped.noTime ? ` ${count(set.skipped.noTime, 'connection')} without a time ${set.skipped.noTime === 1 ? 'is' : 'are'} left out.` : ''}`,
    advice: maxStartupsSimulationAdvice(rec),
  };
}
