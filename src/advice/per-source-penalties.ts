/**
 * PerSourcePenalties (9.8+, on by default): sshd refuses addresses that failed to authenticate,
 * crashed it or held a slot without authenticating, for 15 s to 10 min. Keep it on; exempt your
 * own automation.
 */
import type { Advice } from './types.ts';
import { sshdAdvice } from './sshd-drop-in.ts';
import { cmpVersion } from '../openssh-versions.ts';
import { parseCidr } from '../net/address.ts';

export interface PenaltyFacts {
  version: string;
  /** `PerSourcePenalties no` is set. */
  disabled: boolean;
  /** PerSourcePenaltyExemptList is set. */
  exemptSet: boolean;
  /** Addresses or CIDR blocks the user named for the exempt list (validated and canonicalised here; others are left out). */
  exempt?: readonly string[];
}

/** `per-source-penalties.enable` / `per-source-penalties.exempt`, or null. */
export function perSourcePenaltiesAdvice(f: PenaltyFacts): Advice | null {
  if (cmpVersion(f.version, '9.8') < 0) return null;
  if (f.disabled) return sshdAdvice('per-source-penalties.enable', 'PerSourcePenalties is off: sshd does not slow down addresses that fail to log in or hold slots; remove `PerSourcePenalties no` and exempt your own automation instead', [], ['PerSourcePenalties']);
  if (f.exemptSet) return null;
  const list = (f.exempt ?? []).map(parseCidr).flatMap((c) => (c === null ? [] : [c.text]));
  if (list.length) return sshdAdvice('per-source-penalties.exempt', 'never penalise your own monitoring, backup and CI hosts', [`PerSourcePenaltyExemptList ${list.join(',')}`], ['PerSourcePenaltyExemptList']);
  return {
    id: 'per-source-penalties.exempt',
    summary: 'PerSourcePenalties (on by default since 9.8) has no exempt list: your own monitoring, backup and CI hosts that reconnect quickly or fail a login are refused for 15s-10min; list them in PerSourcePenaltyExemptList (`sshwarden audit --harden --exempt ADDR,CIDR` writes it)',
    changes: [],
    commands: [],
    verify: [],
  };
}
