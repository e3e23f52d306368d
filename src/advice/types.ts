/**
 * Advice: what to change and the exact commands to run. Every command (analyze, audit, probe,
 * explain-client, doctor, report) takes its advice from src/advice/, so they speak with one
 * voice. Pure: facts in, advice out (no I/O, no clock). One file per topic
 * (maxstartups.ts, log-level.ts, bans.ts, ...), each exporting small functions that return Advice.
 */

/** A line to put into a configuration file (an sshd_config drop-in, jail.local, ...). */
export interface ConfigChange {
  /** the file to write, e.g. /etc/ssh/sshd_config.d/50-sshwarden.conf */
  file: string;
  /** the line that is there today, when a line should change rather than be added */
  line?: number;
  /** with `line`: that line's text today (what `text` replaces) */
  was?: string;
  /** without `line`: add the text above this line of `file` (its first Match block: lines below it apply only to the connections it matches); absent: at the end */
  above?: number;
  /** the text to write */
  text: string;
}

export interface Advice {
  /** stable id, `topic.action`, e.g. `maxstartups.raise` */
  id: string;
  /** one sentence: what to do and why */
  summary: string;
  /** configuration to write, in order */
  changes: ConfigChange[];
  /** exact commands to run, in order; every value in them is validated (addresses, numbers, known paths) and shell-quoted */
  commands: string[];
  /** commands whose output shows the fix worked */
  verify: string[];
}
