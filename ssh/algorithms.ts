/**
 * The SSH algorithm lists of dserver. Ciphers default to `chacha20-poly1305@openssh.com` first
 * (in Deno every cipher runs on node:crypto, and chacha20 is about twice as fast as AES-GCM
 * there), then ssh2's usual AES list. A non-empty `Server.Ciphers`, `KeyExchanges` or `MACs` in
 * the config is an allow-list and is used verbatim, in its own order; names ssh2 does not know
 * make the server refuse to start.
 */
import type { Algorithms, CipherAlgorithm, KexAlgorithm, MacAlgorithm } from "ssh2";

export const DEFAULT_CIPHERS = [
  "chacha20-poly1305@openssh.com",
  "aes128-gcm@openssh.com",
  "aes256-gcm@openssh.com",
  "aes128-ctr",
  "aes192-ctr",
  "aes256-ctr",
] as const;

export interface AlgorithmConfig {
  ciphers?: readonly string[];
  keyExchanges?: readonly string[];
  macs?: readonly string[];
}

/** The `algorithms` option of ssh2's Server for a config. */
export function serverAlgorithms(cfg: AlgorithmConfig): Algorithms {
  const algorithms: Algorithms = {
    cipher: [...(cfg.ciphers?.length ? cfg.ciphers : DEFAULT_CIPHERS)] as CipherAlgorithm[],
  };
  if (cfg.keyExchanges?.length) {
    algorithms.kex = [...cfg.keyExchanges] as KexAlgorithm[];
  }
  if (cfg.macs?.length) algorithms.hmac = [...cfg.macs] as MacAlgorithm[];
  return algorithms;
}
