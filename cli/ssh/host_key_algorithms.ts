/**
 * What both SSH clients (ssh2's and cli/ssh/native/) ask of a server's host key: ed25519 first,
 * except that key types already in known_hosts come before all others (like OpenSSH); and how
 * many keepalives in a row may go unanswered.
 */
import type { ServerHostKeyAlgorithm } from "ssh2";

/** Unanswered keepalive requests in a row that end a connection. */
export const KEEPALIVE_COUNT = 3;

const HOST_KEY_ALGOS: Record<string, ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/** ed25519 first, except that key types already in known_hosts come before all others. */
export function hostKeyAlgorithms(knownTypes: string[] = []): ServerHostKeyAlgorithm[] {
  const all = [...knownTypes, ...Object.keys(HOST_KEY_ALGOS)].flatMap((t) =>
    HOST_KEY_ALGOS[t] ?? []
  );
  return [...new Set(all)];
}
