export { matchMessage, matchText, newScratchEvent, isSshdProgram, SYSLOG_MESSAGE_LIMIT, type MutableSshdEvent } from './match.ts';
export type { SshdEvent, MessagePrefix } from './types.ts';
