/**
 * The part of the engine's output the guard acts on (a structural subset of `EngineUpdate` from
 * src/engine, see the engine contract), so the decision core does not depend on engine internals.
 */
import type { Outcome } from '../vocabulary.ts';

export interface Evidence {
  readonly file: string;
  readonly line: number;
  readonly text?: string;
}

export interface ConnectionSummary {
  readonly src: string | null;
  readonly srcPort?: number | null;
  readonly outcome: Outcome;
  readonly detail?: string;
  readonly reason?: string;
  readonly users?: readonly string[];
  readonly evidence: readonly Evidence[];
}

export type GuardUpdate =
  | { readonly kind: 'connection-closed'; readonly connection: ConnectionSummary }
  | { readonly kind: 'auth-success'; readonly address: string; readonly port: number; readonly user: string; readonly method: string; readonly ts: number | null; readonly evidence: Evidence }
  | { readonly kind: 'auth-failure'; readonly address: string; readonly port: number; readonly user: string | null; readonly invalidUser: boolean; readonly method: string | null; readonly ts: number | null; readonly evidence: Evidence }
  | { readonly kind: 'server-event'; readonly event: unknown };
