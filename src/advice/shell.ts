/** Quoting for the commands advice prints for a person to run (they are never run by sshwarden). */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `word` as one POSIX shell word: unchanged when it is safe, else single-quoted. */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line from its words, each quoted as needed. */
export function shellCommand(words: readonly string[]): string {
  return words.map(shellQuote).join(' ');
}
