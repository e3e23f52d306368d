/**
 * The MaxStartups / PerSourceMaxStartups / PerSourcePenalties simulator: replays the connections
 * a log shows through sshd's admission rules (ported from openssh-portable sshd.c and srclimit.c)
 * under today's settings and candidates, over several random seeds, and recommends the smallest
 * change that keeps your users (sources that logged in) from being refused. Pure: no I/O, no clock,
 * randomness only from the seed.
 *
 *   const set = arrivalsFromConnections(result.connections!, { authTimes, loginGraceTime: 120 });
 *   const today = admissionSettings({ maxstartups: '10:30:100' }, '9.9');   // or admissionValuesOf(parseSshdT(text))
 *   const rows = simulateSettings(set.arrivals, [today, other], { runs: 20, seed: 1 });
 *   const rec = recommend(set.arrivals, today, { runs: 20 });
 *   const advice = maxStartupsSimulationAdvice(rec);                        // src/advice/maxstartups-simulation.ts
 */
export type * from './types.ts';
export { ENDINGS } from './types.ts';
export { arrivalsFromConnections, ArrivalCollector, authTimesFrom, endingOf, type ArrivalOptions, type ArrivalSet } from './arrivals.ts';
export { admissionSettings, admissionValuesOf, changedLines, defaultAdmission, describeSettings, maxStartupsText, parseMaxStartupsValue, parsePenalties, penaltyDefaults, SettingsError, type AdmissionValues } from './settings.ts';
export { simulateRun, simulateSetting, simulateSettings, DEFAULT_RUNS, type SimulateOptions } from './replay.ts';
export { recommend, candidateSettings, type Candidate, type Recommendation, type RecommendationStatus, type RecommendOptions } from './recommend.ts';
export { shouldDropConnection, dropPercent, penaltySeconds } from './admission.ts';
export { seededRandom, runSeed, type Random } from './random.ts';
