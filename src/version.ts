/** sshwarden's version (CLI --version, fleet heartbeats). */
export const VERSION = '0.1.0';
