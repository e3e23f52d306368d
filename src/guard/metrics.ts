/** Prometheus metrics of the guard (prom-client), served on localhost only (see daemon.ts). */
import type { Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

// Not `import … from 'node:http'`: an ES import of a built-in reads every export, and node:http's lazy
// WebSocket / MessageEvent / CloseEvent exports load undici (75 more modules, ~0.8 MB of source kept
// for good: ~3.5 MB of the guard's RSS). getBuiltinModule gives the same module without that.
const { createServer } = process.getBuiltinModule('node:http');

export class GuardMetrics {
  readonly registry = new Registry();
  readonly lines = new Counter({ name: 'sshwarden_guard_log_lines_total', help: 'Log lines read, by result (sshd, skipped: other programs, malformed: garbage or over-long, untrusted: journal records naming sshd from another process or user)', labelNames: ['result'] as const, registers: [this.registry] });
  readonly events = new Counter({ name: 'sshwarden_guard_events_total', help: 'Engine events by connection outcome (and auth_failure / auth_success per attempt)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly decisions = new Counter({ name: 'sshwarden_guard_decisions_total', help: 'Decisions by action (ban, unban, refused, expired)', labelNames: ['action', 'origin'] as const, registers: [this.registry] });
  readonly refused = new Counter({ name: 'sshwarden_guard_refused_bans_total', help: 'Bans refused because the source is protected (loopback, own, allowlist, recently logged in)', registers: [this.registry] });
  readonly activeBans = new Gauge({ name: 'sshwarden_guard_active_bans', help: 'Active bans by backend', labelNames: ['backend'] as const, registers: [this.registry] });
  readonly pendingBans = new Gauge({ name: 'sshwarden_guard_pending_bans', help: 'Bans stored but not yet confirmed by the firewall (being retried)', registers: [this.registry] });
  readonly storeDegraded = new Gauge({ name: 'sshwarden_guard_store_degraded', help: '1 while the store cannot be written (disk full, I/O error): decisions are kept in memory and enforced, the disk is retried', registers: [this.registry] });
  readonly firewallErrors = new Counter({ name: 'sshwarden_guard_firewall_errors_total', help: 'Firewall operations that failed (kept in the store and retried)', registers: [this.registry] });
  readonly lag = new Gauge({ name: 'sshwarden_guard_log_lag_seconds', help: 'Now minus the timestamp of the last sshd line read (when the log carries times)', registers: [this.registry] });
  readonly following = new Gauge({ name: 'sshwarden_guard_sources_following', help: 'Log sources being followed now (0: not following anything, the guard sees no attacks)', registers: [this.registry] });
  readonly sourceFailures = new Counter({ name: 'sshwarden_guard_source_failures_total', help: 'Log followers that ended and were restarted (journalctl exited, ...)', labelNames: ['source'] as const, registers: [this.registry] });
  readonly tracked = new Gauge({ name: 'sshwarden_guard_tracked_sources', help: 'Sources with a live scoring window', registers: [this.registry] });
  readonly trackedBytes = new Gauge({ name: 'sshwarden_guard_source_table_bytes', help: 'Bytes held by the table of scoring windows (columns and hash index)', registers: [this.registry] });
  readonly reaction = new Histogram({
    name: 'sshwarden_guard_reaction_seconds',
    help: 'From reading the deciding log line to the firewall confirming the ban',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  readonly fleetUp = new Gauge({ name: 'sshwarden_guard_fleet_up', help: '1 while the fleet database is connected, 0 while this guard decides alone (only with a fleet section)', registers: [this.registry] });
  readonly fleetApplied = new Counter({ name: 'sshwarden_guard_fleet_applied_total', help: "Other servers' fleet decisions applied here, by kind", labelNames: ['kind'] as const, registers: [this.registry] });

  private server: Server | null = null;

  constructor() {
    // Process and Node.js metrics (RSS, heap, event-loop lag) under the usual names.
    collectDefaultMetrics({ register: this.registry });
  }

  /** Listens on `host:port` (the config restricts it to an address; default 127.0.0.1:9687). */
  listen(hostPort: string): Promise<void> {
    const i = hostPort.lastIndexOf(':');
    const host = hostPort.slice(0, i).replace(/^\[|\]$/g, '');
    const port = Number(hostPort.slice(i + 1));
    this.server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end('see /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(e.message),
      );
    });
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }
}
