/** What travels through the fleet: the kinds of decision, a decision read back, an item to publish. */
export type FleetKind = 'ban' | 'unban' | 'allow' | 'unallow' | 'login';

/** A decision read from the fleet, for the guard to apply. */
export interface FleetDecision {
  readonly seq: number;
  readonly server: string;
  readonly kind: FleetKind;
  /** Address or CIDR as PostgreSQL prints it (a host address without /32, /128). */
  readonly target: string;
  /** Milliseconds left until it ends, by the database's clock (null: no end). */
  readonly remainingMs: number | null;
  readonly reason: string;
}

export interface PublishItem {
  kind: FleetKind;
  target: string;
  /** Duration in seconds (ban, login: how long it protects), or null. */
  seconds: number | null;
  reason: string;
  evidence: unknown[];
  /** Idempotency key, unique per server. */
  originId: string;
}
