/**
 * SSH user authentication for dserver (docs/compatibility.md#ssh-server,
 * docs/protocol.md#health-check). Public keys for every user: the key must be authorized
 * (authorized_keys.ts) and, when the client sends a signature, the signature must verify; a
 * signature-less query for an authorized key is accepted so the client goes on to sign. Passwords
 * only for `DTAIL-HEALTH` with password `DTAIL-HEALTH` (constant-time compare); every other
 * password login fails, also the Go DTail's `DTAIL-SCHEDULE`/`DTAIL-CONTINUOUS` job logins (our jobs
 * log in with a key instead: docs/decisions.md#scheduled-and-continuous-jobs).
 */
import type { AuthContext } from "ssh2";
import { createHash, timingSafeEqual } from "node:crypto";
import type { AuthorizedKeys } from "../access/authorized_keys.ts";

export const HEALTH_USER = "DTAIL-HEALTH";
const METHODS: ("publickey" | "password")[] = ["publickey", "password"];

const digest = (s: string) => createHash("sha256").update(s).digest();
const HEALTH_DIGEST = digest(HEALTH_USER);

/** Constant-time check of the health user's password. */
export function isHealthLogin(user: string, password: string): boolean {
  const ok = timingSafeEqual(digest(password), HEALTH_DIGEST);
  return ok && user === HEALTH_USER;
}

/**
 * What vouched for a login: a key in an authorized_keys file (step 2–3 of authorized_keys.ts),
 * a key registered in the in-memory AUTHKEY store, or the health password.
 */
export type AuthSource = "authorized_keys" | "authkey_store" | "password";

/** How an SSH session authenticated: carried into its shell session (ssh_connection.ts). */
export interface SessionAuth {
  source: AuthSource;
  /** When the login was accepted (ms since the epoch). */
  at: number;
}

export type AuthOutcome =
  | { ok: true; final: boolean; how: string; source: AuthSource }
  | { ok: false; why: string };

/**
 * Decides one authentication attempt and answers it on `ctx`. `admit` is asked before a login
 * is accepted (false: the server has no room, MaxConnections).
 */
export async function authenticate(
  ctx: AuthContext,
  keys: AuthorizedKeys,
  admit: () => boolean = () => true,
): Promise<AuthOutcome> {
  let outcome = await decide(ctx, keys);
  if (outcome.ok && outcome.final && !admit()) {
    outcome = { ok: false, why: "MaxConnections reached" };
  }
  if (outcome.ok) ctx.accept();
  else ctx.reject(METHODS);
  return outcome;
}

async function decide(ctx: AuthContext, keys: AuthorizedKeys): Promise<AuthOutcome> {
  switch (ctx.method) {
    case "password":
      return isHealthLogin(ctx.username, ctx.password)
        ? { ok: true, final: true, how: "password", source: "password" }
        : { ok: false, why: "password rejected" };
    case "publickey": {
      const { key, why, viaStore } = await keys.find(ctx.username, ctx.key.data);
      if (key === null) return { ok: false, why };
      const source = viaStore ? "authkey_store" : "authorized_keys";
      if (ctx.signature === undefined || ctx.blob === undefined) {
        return { ok: true, final: false, how: why, source };
      }
      return key.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true
        ? { ok: true, final: true, how: `public key from ${why}`, source }
        : { ok: false, why: "bad signature" };
    }
    default:
      return { ok: false, why: `method ${ctx.method} not offered` };
  }
}
