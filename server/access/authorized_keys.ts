/**
 * Which public keys may log in as SSH user U (docs/compatibility.md#ssh-server), in this order:
 * 1. the in-memory AUTHKEY store (when enabled);
 * 2. `<CacheDir>/<U>.authorized_keys` if that file exists (CacheDir relative to the server's CWD
 *    unless absolute);
 * 3. otherwise `~U/.ssh/authorized_keys` (home directory from `homeOf`).
 * In integration mode (`DTAIL_INTEGRATION_TEST_RUN_MODE=yes`) steps 2–3 are `./id_rsa.pub` for
 * every user. The first existing file is the only one read.
 *
 * Lines match by key blob only: options, comments and unparsable lines are skipped. A file
 * that is (or whose directory is) a symlink leading outside its expected directory — CacheDir
 * for step 2, the user's home for step 3 — is refused. User names that could form a path
 * (`/`, leading `.`, …) never match anything.
 */
import ssh2 from "ssh2";
import type { ParsedKey } from "ssh2";
import { Buffer } from "node:buffer";
import { isAbsolute, join, sep } from "node:path";

/** Key types an authorized_keys line can start its key with. */
const KEY_TYPE = /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-\S+)$/;

/** POSIX-ish user names; nothing that can walk out of a directory. */
export function isSafeUserName(user: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._@-]{0,255}\$?$/.test(user);
}

/** Parses a public key blob (the binary SSH wire format); null when it is not a key. */
export function parsePublicKeyBlob(blob: Uint8Array): ParsedKey | null {
  const parsed = ssh2.utils.parseKey(Buffer.from(blob));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error || key.isPrivateKey()) return null;
  return key;
}

/** The keys of an authorized_keys (or `.pub`) text; options, comments, bad lines skipped. */
export function parseAuthorizedKeys(text: string): ParsedKey[] {
  const keys: ParsedKey[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = tokens(line);
    const at = fields.findIndex((f) => KEY_TYPE.test(f));
    const type = fields[at];
    const blob = fields[at + 1];
    if (at < 0 || type === undefined || blob === undefined) continue;
    const parsed = ssh2.utils.parseKey(`${type} ${blob}`);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (key !== undefined && !(key instanceof Error)) keys.push(key);
  }
  return keys;
}

/** Splits on whitespace outside double quotes (options may quote spaces). */
function tokens(line: string): string[] {
  return line.match(/(?:[^\s"]+|"(?:\\.|[^"\\])*")+/g) ?? [];
}

/** Home directory of `user` from /etc/passwd (local users only); null when unknown. */
export async function passwdHome(user: string, passwd = "/etc/passwd"): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(passwd);
  } catch {
    return null;
  }
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 7 && f[0] === user && f[5]) return f[5];
  }
  return null;
}

/** What the lookup asks of the AUTHKEY store (auth_key_store.ts, which imports this module). */
export interface RegisteredKeys {
  has(user: string, blob: Uint8Array): boolean;
}

export interface AuthorizedKeysOptions {
  /** `Common.CacheDir` as configured. */
  cacheDir: string;
  /** The server's working directory (for a relative CacheDir); default `Deno.cwd()`. */
  cwd?: string;
  /** The AUTHKEY store, or null when `AuthKeyEnabled` is false. */
  store?: RegisteredKeys | null;
  /** Home directory of a user; default: /etc/passwd (see `passwdHome`). */
  homeOf?: (user: string) => Promise<string | null>;
  integrationMode?: boolean;
}

/** The answer of `AuthorizedKeys.find`. */
export interface FoundKey {
  key: ParsedKey | null;
  /** Where the key was found, or why it was not. */
  why: string;
  /** True when the key came from the in-memory AUTHKEY store, not an authorized_keys file. */
  viaStore: boolean;
}

export class AuthorizedKeys {
  readonly #cacheDir: string;
  readonly #cwd: string;
  readonly #store: RegisteredKeys | null;
  readonly #homeOf: (user: string) => Promise<string | null>;
  readonly #integration: boolean;

  constructor(opts: AuthorizedKeysOptions) {
    this.#cwd = opts.cwd ?? Deno.cwd();
    this.#cacheDir = isAbsolute(opts.cacheDir) ? opts.cacheDir : join(this.#cwd, opts.cacheDir);
    this.#store = opts.store ?? null;
    this.#homeOf = opts.homeOf ?? ((user) => passwdHome(user));
    this.#integration = opts.integrationMode ?? false;
  }

  /**
   * The authorized key of `user` whose blob is `blob`, or null (with the reason in `why`).
   * `viaStore` tells a key found in the AUTHKEY store from one found in an authorized_keys file:
   * only the latter may register or refresh an AUTHKEY (see registerAuthKey).
   */
  async find(user: string, blob: Uint8Array): Promise<FoundKey> {
    if (!isSafeUserName(user)) return { key: null, why: "invalid user name", viaStore: false };
    if (this.#store?.has(user, blob)) {
      const key = parsePublicKeyBlob(blob);
      if (key) return { key, why: "AUTHKEY store", viaStore: true };
    }
    const file = await this.#keyFile(user);
    if (file === null) return { key: null, why: "no authorized_keys file", viaStore: false };
    const text = await readInside(file.path, file.inside);
    if (text === null) {
      const why = `${file.path} unreadable or a symlink leading outside`;
      return { key: null, why, viaStore: false };
    }
    const wanted = Buffer.from(blob);
    const key = parseAuthorizedKeys(text).find((k) => wanted.equals(k.getPublicSSH())) ?? null;
    return { key, why: key ? file.path : `key not in ${file.path}`, viaStore: false };
  }

  async #keyFile(user: string): Promise<{ path: string; inside: string } | null> {
    if (this.#integration) return { path: join(this.#cwd, "id_rsa.pub"), inside: this.#cwd };
    const cached = join(this.#cacheDir, `${user}.authorized_keys`);
    if (await exists(cached)) return { path: cached, inside: this.#cacheDir };
    const home = await this.#homeOf(user);
    if (!home) return null;
    const path = join(home, ".ssh", "authorized_keys");
    return await exists(path) ? { path, inside: home } : null;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads `path` after resolving symlinks, but only when it stays inside `dir`. */
async function readInside(path: string, dir: string): Promise<string | null> {
  try {
    const [real, realDir] = await Promise.all([Deno.realPath(path), Deno.realPath(dir)]);
    const prefix = realDir.endsWith(sep) ? realDir : realDir + sep;
    if (!real.startsWith(prefix)) return null;
    return await Deno.readTextFile(real);
  } catch {
    return null;
  }
}
