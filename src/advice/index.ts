/** The advice topics, one file each (see types.ts). */
export type { Advice, ConfigChange } from './types.ts';
export { SSHD_DROP_IN, APPLY_SSHD, dropInText, adviceLine, adviceFix, changesText, sshdPlacement, placeAdvice, sourcesFrom, type SshdPlacement, type ConfigLines, type SourceOf } from './sshd-drop-in.ts';
export { maxStartupsAdvice, maxStartupsFloor, maxStartupsBusy, formatMaxStartups, DEFAULT_MAXSTARTUPS, type MaxStartups } from './maxstartups.ts';
export { loginGraceTimeAdvice, LOGIN_GRACE_TARGET } from './login-grace-time.ts';
export { perSourceMaxStartupsAdvice, perSourceMaxStartupsRaiseAdvice, perSourceLimit } from './per-source-maxstartups.ts';
export { perSourcePenaltiesAdvice } from './per-source-penalties.ts';
export { logLevelAdvice } from './log-level.ts';
export { useDnsAdvice } from './use-dns.ts';
export { algorithmsAdvice, algorithmLine, resolveWanted, type AlgorithmList } from './algorithms.ts';
export { wrongServiceAdvice } from './wrong-service.ts';
export { probeCommand, withProbeTarget } from './probe.ts';
export { maxStartupsSimulationAdvice } from './maxstartups-simulation.ts';
