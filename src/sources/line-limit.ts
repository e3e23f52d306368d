/** A "line" longer than this is not a log line: dropped and counted as malformed (analyze and the guard's follower alike). */
export const MAX_LINE = 4 * 1024 * 1024;
