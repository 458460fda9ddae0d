/**
 * Reading OpenSSH `known_hosts` files and checking a host key against them
 * (docs/compatibility.md#known-hosts, docs/compatibility.md#changed-host-keys).
 *
 * Supported: plain names, comma-separated name lists, `[host]:port` for ports other than 22,
 * `*`/`?` wildcards and `!negation`, hashed `|1|salt|hash` names and `@revoked` lines.
 * `@cert-authority` lines are skipped (host certificates are not supported), as are malformed
 * lines. Names match case-insensitively, like OpenSSH, which lower-cases the host name.
 *
 * Key types (OpenSSH semantics): "changed" means an entry for this host has a key of the SAME type
 * but different bytes. When the host only has keys of OTHER types on file, the key is "unknown",
 * not "changed": OpenSSH then asks whether to trust the new key as well, and so do we.
 */
import { decodeBase64Lenient, encodeBase64 } from "../../core/base64.ts";
import { hmacSha1 } from "../../core/hmac_sha1.ts";
import { readSmallTextFileSync } from "../../core/small_file.ts";
import { wildcardMatch } from "./ssh_config_match.ts";

const utf8 = new TextEncoder();

export type HostKeyStatus = "known" | "unknown" | "changed" | "revoked";

export interface KnownHostEntry {
  revoked: boolean;
  /** Comma-separated host patterns, or null for a hashed entry. */
  patterns: string[] | null;
  /** For `|1|salt|hash` entries. */
  hashed: { salt: Uint8Array; hash: string } | null;
  /** The key type named inside the key blob. */
  keyType: string;
  key: Uint8Array;
}

export interface KnownHostsFile {
  entries: KnownHostEntry[];
}

/** The known_hosts name of a host: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** The key type string inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, …). */
export function keyTypeOf(blob: Uint8Array): string {
  if (blob.length < 4) return "";
  const len = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0);
  if (len > blob.length - 4) return "";
  return new TextDecoder().decode(blob.subarray(4, 4 + len));
}

/** One known_hosts line: `name keytype base64`. */
export function knownHostsLine(name: string, keyBlob: Uint8Array): string {
  return `${name} ${keyTypeOf(keyBlob)} ${encodeBase64(keyBlob)}`;
}

export function parseKnownHosts(text: string): KnownHostsFile {
  const entries: KnownHostEntry[] = [];
  for (const line of text.split("\n")) {
    const entry = parseKnownHostsLine(line);
    if (entry !== null) entries.push(entry);
  }
  return { entries };
}

/** Read at most: a line per host and address, for fleets of hundreds of thousands of them. */
export const KNOWN_HOSTS_LIMIT = 64 * 1024 * 1024;

/** Loads a known_hosts file; a missing file is an empty one. (A bounded synchronous read.) */
// deno-lint-ignore require-await
export async function loadKnownHosts(path: string): Promise<KnownHostsFile> {
  try {
    return parseKnownHosts(readSmallTextFileSync(path, KNOWN_HOSTS_LIMIT));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { entries: [] };
    throw e;
  }
}

/** Parses one line; null for blank, comment, `@cert-authority` and malformed lines. */
export function parseKnownHostsLine(line: string): KnownHostEntry | null {
  const fields = line.trim().split(/\s+/);
  if (fields[0] === undefined || fields[0] === "" || fields[0].startsWith("#")) return null;
  let revoked = false;
  if (fields[0].startsWith("@")) {
    if (fields[0] !== "@revoked") return null;
    revoked = true;
    fields.shift();
  }
  const [hosts, keyTypeField, base64] = fields;
  if (hosts === undefined || keyTypeField === undefined || base64 === undefined) return null;
  if (!/^[A-Za-z0-9+/]+=*$/.test(base64)) return null;
  const key = decodeBase64Lenient(base64);
  const keyType = keyTypeOf(key);
  if (keyType === "") return null;
  if (hosts.startsWith("|1|")) {
    const [, , salt, hash] = hosts.split("|");
    if (salt === undefined || hash === undefined) return null;
    return {
      revoked,
      patterns: null,
      hashed: { salt: decodeBase64Lenient(salt), hash },
      keyType,
      key,
    };
  }
  return { revoked, patterns: hosts.toLowerCase().split(","), hashed: null, keyType, key };
}

/** Whether an entry's host field names `name` (the output of `knownHostsName`). */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hashed !== null) {
    const { salt, hash } = entry.hashed;
    return encodeBase64(hmacSha1(salt, utf8.encode(name))) === hash;
  }
  let matched = false;
  for (const pattern of entry.patterns ?? []) {
    const negated = pattern.startsWith("!");
    if (!globMatch(negated ? pattern.slice(1) : pattern, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** Checks a host key: revoked beats known, known beats changed (see the file comment). */
export function lookup(
  file: KnownHostsFile,
  host: string,
  port: number,
  keyBlob: Uint8Array,
): HostKeyStatus {
  const name = knownHostsName(host, port);
  const keyType = keyTypeOf(keyBlob);
  let known = false;
  let changed = false;
  for (const entry of file.entries) {
    if (!entryMatches(entry, name)) continue;
    const same = equalBytes(entry.key, keyBlob);
    if (entry.revoked) {
      if (same) return "revoked";
    } else if (same) known = true;
    else if (entry.keyType === keyType) changed = true;
  }
  return known ? "known" : changed ? "changed" : "unknown";
}

/** The key types on file for a host, in file order (to prefer them in the key exchange). */
export function knownKeyTypes(file: KnownHostsFile, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = file.entries.filter((e) => !e.revoked && entryMatches(e, name)).map((e) =>
    e.keyType
  );
  return [...new Set(types)];
}

/**
 * `*`/`?` patterns walked as ssh_config's are: a RegExp built from a pattern of many `*` was too
 * large to compile (an exception at every connection) and could backtrack for long.
 */
function globMatch(pattern: string, name: string): boolean {
  return /[*?]/.test(pattern) ? wildcardMatch(pattern, name) : pattern === name;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
