/**
 * Decides a connection's outcome (vocabulary.ts) when it ends, from what the tracker saw on it and
 * the line that ended it (or the absence of one). Pure rules, no state of its own.
 */
import type { SshdEvent } from '../events/index.ts';
import type { Outcome } from '../vocabulary.ts';
import { classifyBanner } from './banner.ts';

/** What the tracker knows about a connection when it ends (see src/connections/tracker.ts). */
export interface ConnectionFacts {
  readonly authOk: boolean;
  readonly authAttempted: boolean;
  /** Phase index reached: 0 tcp, 1 identification, 2 kex, 3 auth, 4 session. */
  readonly phaseIndex: number;
  /** Outcome implied by an identification-exchange line seen earlier (kex_exchange_identification …). */
  readonly ident: { outcome: Outcome; detail: string } | null;
  readonly crash: string | null;
  /** The client's SSH_MSG_DISCONNECT (`Received disconnect`), when one was logged. */
  readonly disconnect?: { code: number | null; message: string } | null;
  /** sshd accepted the user's key (it is in authorized_keys) but the login did not complete. */
  readonly keyAccepted?: boolean;
  /** Only a session-end line without `[preauth]` (post-auth process, 7.5+) was seen. */
  readonly postAuthEnd?: boolean;
}

/** What the source classification reads from a connection's detail. */
export const DETAIL_KEY_ACCEPTED = 'authorized_key_not_finished';
/** An open connection let go at the tracker's memory bound (connections/tracker.ts MAX_OPEN): its outcome is unknown. */
export const DETAIL_EVICTED = 'evicted';
export const DETAIL_LOGGED_IN_BEFORE_LOG = 'logged_in_before_log';

/** Packet errors that mean the client went away, not that key exchange failed on algorithms. */
const CLIENT_GONE = /broken pipe|connection reset|connection timed out|connection closed/i;

export type Ending = 'final' | 'superseded' | 'expired' | 'end-of-log' | 'evicted';

export interface Settled {
  outcome: Outcome;
  detail: string;
  reason?: string;
  inferred?: boolean;
}

/** Outcome of an identification-exchange line (8.0+ address-less lines and probes). */
export function identOutcome(ev: SshdEvent): { outcome: Outcome; detail: string } | null {
  const entry = ev.entry;
  if (!entry) return null;
  switch (ev.effect) {
    case 'ident_closed':
      return { outcome: 'closed_before_ident', detail: 'closed' };
    case 'ident_reset':
      return { outcome: 'reset_before_ident', detail: ev.text && /reset/i.test(ev.text) ? 'reset' : 'read_error' };
    case 'ident_write':
      return { outcome: 'reset_before_ident', detail: 'gone_before_server_banner' };
    case 'ident_invalid':
      return { outcome: 'non_ssh', detail: entry.detail ?? classifyBanner(ev.clientText) };
    case 'ident_mismatch':
      return { outcome: 'protocol_mismatch', detail: entry.detail ?? 'malformed' };
    case 'probe':
      return { outcome: 'closed_after_ident', detail: entry.detail ?? 'probe' };
    default:
      return null;
  }
}

const KEX_WHAT: Record<string, string> = {
  'key exchange method': 'kex_algorithm',
  'host key type': 'host_key_type',
  cipher: 'cipher',
  MAC: 'mac',
  mac: 'mac',
  'compression method': 'compression',
};

export function settleOutcome(c: ConnectionFacts, ev: SshdEvent | null, ending: Ending, gapMs: number | null, graceMs: number): Settled {
  if (c.authOk) {
    if (ev) return { outcome: 'authenticated', detail: sessionEndDetail(ev) };
    return { outcome: 'authenticated', detail: ending === 'end-of-log' ? 'open_at_end_of_log' : 'no_close_line' };
  }
  if (c.crash) return { outcome: 'unknown', detail: c.crash, reason: 'the session process crashed or was killed' };
  if (c.postAuthEnd && !c.authAttempted) {
    return { outcome: 'authenticated', detail: DETAIL_LOGGED_IN_BEFORE_LOG, reason: 'a session end without [preauth]: since OpenSSH 7.5 only the process of a logged-in session writes it, so this client logged in before this log starts (its Accepted line is not in the input)' };
  }
  if (c.keyAccepted) {
    return { outcome: 'unknown', detail: DETAIL_KEY_ACCEPTED, reason: "sshd accepted this user's key (it is in authorized_keys) but the login did not complete: a passphrase, agent or second-factor prompt that outlasted LoginGraceTime, or the client gave up; not brute force" };
  }
  const entry = ev?.entry;
  if (ev && entry) {
    switch (ev.effect) {
      case 'kex_fail':
        return { outcome: 'kex_failed', detail: KEX_WHAT[ev.text ?? ''] ?? 'no_matching_algorithm', reason: ev.text ? `no matching ${ev.text}` : 'no matching algorithm' };
      case 'grace_timeout':
      case 'listener_timeout':
        return { outcome: 'timeout', detail: 'login_grace_time', reason: 'LoginGraceTime expired before authentication' };
      case 'ident_final': {
        if (entry.outcome === 'non_ssh') {
          const kind = classifyBanner(ev.clientText);
          return kind === 'malformed_ssh' ? { outcome: 'protocol_mismatch', detail: kind } : { outcome: 'non_ssh', detail: kind };
        }
        return { outcome: entry.outcome ?? 'unknown', detail: entry.detail ?? 'closed' };
      }
      case 'banner_exchange': {
        if (c.ident) return { ...c.ident, reason: ev.text ?? undefined };
        const t = ev.text ?? '';
        if (t === 'invalid format') return { outcome: 'non_ssh', detail: 'invalid_format', reason: 'the client sent something that is not an SSH identification (the detail line is VERBOSE from 9.5)' };
        if (t === 'could not read protocol version') return { outcome: 'protocol_mismatch', detail: 'unreadable_version', reason: t };
        if (/reset|broken pipe/i.test(t)) return { outcome: 'reset_before_ident', detail: 'banner_exchange_error', reason: t };
        return { outcome: 'unknown', detail: 'banner_exchange_error', reason: t };
      }
      case 'closed':
      case 'reset': {
        const how = ev.effect === 'closed' ? 'closed' : 'reset';
        if (c.ident) return { ...c.ident };
        if (c.authAttempted) return { outcome: 'auth_failed', detail: how };
        if (ev.preauth || c.phaseIndex >= 2) return { outcome: 'closed_after_ident', detail: `${how}_during_kex` };
        return { outcome: how === 'closed' ? 'closed_before_ident' : 'reset_before_ident', detail: 'banner_phase' };
      }
      case 'disconnected':
        if (c.authAttempted) return { outcome: 'auth_failed', detail: 'disconnected' };
        if (c.ident) return { ...c.ident };
        return { outcome: 'closed_after_ident', detail: 'disconnected' };
      case 'disconnecting':
        if (entry.outcome) return { outcome: entry.outcome, detail: entry.detail ?? 'disconnecting', reason: 'too many authentication failures' };
        return { outcome: c.authAttempted ? 'auth_failed' : 'closed_after_ident', detail: 'disconnected_by_server', reason: 'sshd ended the connection (protocol violation)' };
      case 'packet_fatal': {
        if (entry.outcome) return { outcome: entry.outcome, detail: entry.detail ?? 'packet_error', reason: ev.text ?? undefined };
        const t = ev.text ?? '';
        if (c.authAttempted) return { outcome: 'auth_failed', detail: 'packet_error', reason: t || undefined };
        // The client went away during key exchange (it sent its identification, then left): not an algorithm problem.
        if (CLIENT_GONE.test(t)) return { outcome: 'closed_after_ident', detail: 'client_gone_during_kex', reason: `the client went away during key exchange (${t}), after the identification exchange` };
        if (/message authentication code incorrect/i.test(t)) return { outcome: 'kex_failed', detail: 'mac_error', reason: 'message authentication code incorrect: a packet arrived corrupted (a broken client or middlebox, or tampering), not a missing common algorithm' };
        return { outcome: 'kex_failed', detail: 'packet_error', reason: t ? `sshd ended the connection on a protocol error: ${t}` : 'sshd ended the connection on a protocol error' };
      }
      case 'conn_fatal':
      case 'auth_refused':
        return { outcome: entry.outcome ?? (c.authAttempted ? 'auth_failed' : 'unknown'), detail: entry.detail ?? 'fatal', reason: ev.text ?? entry.meaning };
      default:
        break;
    }
  }
  // No line ended it: the next connection on the same process, the log's end, or the clock did.
  if (c.authAttempted) return { outcome: 'auth_failed', detail: 'no_close_line' };
  if (c.ident) return { ...c.ident };
  // The client said goodbye (`Received disconnect`) and only its `Disconnected from` line is missing
  // (cut from the log, or the log ends there): it left on its own, it did not time out.
  if (c.disconnect) return { outcome: 'closed_after_ident', detail: 'disconnected' };
  if (ending === 'expired' || (gapMs !== null && gapMs >= graceMs)) {
    return {
      outcome: 'timeout',
      detail: 'login_grace_time',
      inferred: true,
      reason: 'no closing line within LoginGraceTime: this sshd logs nothing when LoginGraceTime expires',
    };
  }
  return { outcome: 'unknown', detail: ending === 'end-of-log' ? 'open_at_end_of_log' : ending === 'evicted' ? DETAIL_EVICTED : 'no_close_line' };
}

function sessionEndDetail(ev: SshdEvent): string {
  switch (ev.effect) {
    case 'disconnected':
      return 'session_ended';
    case 'closed':
      return 'session_closed';
    case 'reset':
      return 'session_reset';
    case 'session_end':
      return ev.entry?.detail ?? 'session_ended';
    default:
      return 'session_ended';
  }
}
