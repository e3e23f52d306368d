/** Where sshd reads its configuration unless told otherwise (`sshd -f`). A module of its own: naming the path must not load the audit engine. */
export const DEFAULT_CONFIG = '/etc/ssh/sshd_config';
