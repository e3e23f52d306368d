export { matchMessage, matchText, isSshdProgram, SYSLOG_MESSAGE_LIMIT } from './match.ts';
export type { SshdEvent, MessagePrefix } from './types.ts';
