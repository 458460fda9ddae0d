/**
 * The in-memory AUTHKEY store (docs/protocol.md#authkey): public-key blobs registered per SSH user,
 * each valid for `AuthKeyTTLSeconds` after the authorized_keys login that last registered it, at
 * most `AuthKeyMaxPerUser` per user (the oldest registration is dropped). Expired keys are pruned
 * lazily, on access. Lost on restart.
 *
 * Only a session whose login was checked against an authorized_keys file registers or refreshes
 * a key: a login through the store itself does not, so a key removed from authorized_keys stops
 * working at most `AuthKeyTTLSeconds` after the last login that file vouched for.
 */
import { Buffer } from "node:buffer";
import { parsePublicKeyBlob } from "./authorized_keys.ts";
import type { SessionAuth } from "../ssh/ssh_auth.ts";

export interface AuthKeyStoreOptions {
  /** Key lifetime in seconds (≤ 0: the default 86400). */
  ttlSeconds: number;
  /** Keys kept per user (≤ 0: the default 5). */
  maxPerUser: number;
  /** Milliseconds clock, for tests. */
  now?: () => number;
}

export class AuthKeyStore {
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  /** user → (base64 blob → expiry in ms); Map order is registration order, oldest first. */
  readonly #users = new Map<string, Map<string, number>>();
  #addsSinceSweep = 0;

  constructor(opts: AuthKeyStoreOptions) {
    this.#ttlMs = (opts.ttlSeconds > 0 ? opts.ttlSeconds : 86400) * 1000;
    this.#max = opts.maxPerUser > 0 ? opts.maxPerUser : 5;
    this.#now = opts.now ?? Date.now;
  }

  /**
   * Registers (or refreshes) a key blob for `user`, valid for the TTL from `since` (ms clock;
   * default now: the time the registering session logged in). A refresh never shortens a key.
   */
  add(user: string, blob: Uint8Array, since = this.#now()): void {
    if (++this.#addsSinceSweep >= 100) this.sweep();
    const keys = this.#prune(user) ?? new Map<string, number>();
    const id = Buffer.from(blob).toString("base64");
    const expires = Math.max(keys.get(id) ?? 0, Math.min(since, this.#now()) + this.#ttlMs);
    keys.delete(id);
    keys.set(id, expires);
    while (keys.size > this.#max) {
      const oldest = keys.keys().next().value;
      if (oldest === undefined) break;
      keys.delete(oldest);
    }
    this.#users.set(user, keys);
  }

  /** Whether `blob` is a live key of `user`. */
  has(user: string, blob: Uint8Array): boolean {
    return this.#prune(user)?.has(Buffer.from(blob).toString("base64")) ?? false;
  }

  /** The live key blobs of `user`, oldest registration first. */
  keys(user: string): Uint8Array[] {
    return [...(this.#prune(user)?.keys() ?? [])].map((k) =>
      new Uint8Array(Buffer.from(k, "base64"))
    );
  }

  /** Drops every expired key of every user (add() calls it now and then). */
  sweep(): void {
    this.#addsSinceSweep = 0;
    for (const user of [...this.#users.keys()]) this.#prune(user);
  }

  #prune(user: string): Map<string, number> | undefined {
    const keys = this.#users.get(user);
    if (keys === undefined) return undefined;
    const now = this.#now();
    for (const [id, expires] of keys) if (expires <= now) keys.delete(id);
    if (keys.size === 0) {
      this.#users.delete(user);
      return undefined;
    }
    return keys;
  }
}

/** The reply to AUTHKEY in a session that did not log in through an authorized_keys file. */
export const AUTHKEY_NOT_REFRESHED =
  "AUTHKEY ERR not registered: only a login checked against authorized_keys registers keys";

/**
 * The server's answer to `AUTHKEY <base64 key blob>` (docs/protocol.md#authkey); registers the key
 * on success. `store` is null when `AuthKeyEnabled` is false. `auth` is how the session logged in:
 * only an authorized_keys login registers or refreshes (valid for the TTL from that login); in any
 * other session the store is left as it is, and the answer is AUTHKEY_NOT_REFRESHED unless the key
 * is registered already. That one is "AUTHKEY OK", as the Go dserver answers a login through its
 * store: true (the key is registered, until its TTL), and a Go client prints a warning among
 * its output on every login for anything else.
 */
export function registerAuthKey(
  store: AuthKeyStore | null,
  user: string,
  arg: string,
  auth: SessionAuth,
): string {
  if (store === null) return "AUTHKEY ERR feature disabled";
  const b64 = arg.trim();
  if (b64 === "") return "AUTHKEY ERR missing public key";
  if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
    return "AUTHKEY ERR invalid base64";
  }
  const blob = new Uint8Array(Buffer.from(b64, "base64"));
  if (parsePublicKeyBlob(blob) === null) return "AUTHKEY ERR invalid public key";
  if (auth.source !== "authorized_keys") {
    return store.has(user, blob) ? "AUTHKEY OK" : AUTHKEY_NOT_REFRESHED;
  }
  store.add(user, blob, auth.at);
  return "AUTHKEY OK";
}
