/** One SSH client's default algorithm offers, in the order the client sends them. */
export interface ClientProfile {
  /** `software-version`, e.g. `openssh-7.4`, `putty-0.76`. */
  name: string;
  software: string;
  version: string;
  kex: string[];
  hostKey: string[];
  ciphers: string[];
  macs: string[];
  compression: string[];
}

/** The algorithm lists an sshd offers (its effective KexAlgorithms, HostKeyAlgorithms, …). */
export interface ServerOffer {
  kex: string[];
  hostKey: string[];
  ciphers: string[];
  macs: string[];
  compression: string[];
}
