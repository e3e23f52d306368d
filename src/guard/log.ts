/**
 * Structured logs: one JSON object per line on stdout (journald keeps them; `jq` reads them):
 * `{"time":"…","level":"info","msg":"ban","target":"192.0.2.7",…}`. Attacker-influenced text
 * (user names, evidence lines) only ever appears as JSON string values, never as raw log text,
 * so it cannot forge log lines.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(out: (line: string) => void = (l) => process.stdout.write(l), min: Level = 'info'): Logger {
  return {
    log(level, msg, fields) {
      if (ORDER[level] < ORDER[min]) return;
      out(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
    },
  };
}
