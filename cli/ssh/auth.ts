/**
 * Client public-key authentication (docs/compatibility.md#client-keys): the auth-key first, then
 * the ssh-agent keys, then `~/.ssh/id_rsa`, `id_ecdsa` and `id_ed25519`, deduplicated by public
 * key. Encrypted key files are used only when `DTAIL_KEY_PASSPHRASE` decrypts them (there is no
 * interactive prompt). (`id_dsa` of the Go client is left out: OpenSSH no longer supports DSA.)
 */
import type {
  AnyAuthMethod,
  AuthenticationType,
  AuthHandlerMiddleware,
  BaseAgent,
  ParsedKey,
} from "ssh2";
import { SetupError } from "../../core/errors.ts";
import { type NativePrivateKey, parsePrivateKeyFile } from "./native/ssh_keys.ts";
import { AgentClient, agentKey, AgentTimeout } from "./native/agent_client.ts";
import { readSmallFileSync, readSmallTextFileSync } from "../../core/small_file.ts";

export class AuthSetupError extends SetupError {
  override name = "AuthSetupError";
}

export interface AuthOptions {
  /** `--auth-key-path`. */
  authKeyPath?: string;
  /** `--key`, the deprecated alias. */
  legacyKeyPath?: string;
  /** `Client.AuthKeyPath` from dtail.json. */
  configAuthKeyPath?: string;
  /** `--agentKeyIndex`: only this agent key (-1 or absent: all). */
  agentKeyIndex?: number;
  /**
   * ssh config `IdentityFile`s of the servers of this run: read up front, offered to the servers
   * whose config names them (`forHost`), and counted when no other key is found.
   */
  identityFiles?: readonly string[];
  env?: (name: string) => string | undefined;
  /** How long the ssh-agent may take to list its keys or to sign (default 5 s). */
  agentTimeoutMs?: number;
  warn?: (line: string) => void;
  debug?: (line: string) => void;
}

export interface OfferedKey {
  /** The key file, or `agent #N`. */
  source: string;
  /** The public key in SSH wire format. */
  publicBlob: Uint8Array;
  /** The key as the native client signs with it (cli/ssh/native/); null where only ssh2 can. */
  native: NativePrivateKey | null;
  /** ssh2's key (agent keys, files only ssh2 reads); null for a file read natively. */
  key: ParsedKey | null;
  /** A natively read file's bytes, parsed by ssh2 only when ssh2 connects. */
  file?: Uint8Array;
}

/** ssh2's key parser, handed in by the code that connects with ssh2 (cli/ssh/connect.ts). */
export type ParseKey = (data: Uint8Array) => ParsedKey | ParsedKey[] | Error;

/** What the code that connects with ssh2 hands the auth handler (cli/ssh/connect.ts). */
export interface Ssh2Tools {
  parse: ParseKey;
  /** ssh2's agent for the agent at `sock`, offering only the keys `blobs`. */
  agent(sock: string, blobs: Uint8Array[], timeoutMs: number): BaseAgent;
}

export interface ClientAuth {
  /** The resolved auth-key path ("" without a home directory): its `.pub` goes to AUTHKEY. */
  authKeyPath: string;
  /** Every key offered, in order. */
  keys: OfferedKey[];
  /**
   * For ssh2 `connect({ authHandler })`: the key files and agent keys in order, then give up.
   * `ssh2` reads the key files read natively so far and talks to the agent.
   */
  authHandler(user: string, ssh2: Ssh2Tools): AuthHandlerMiddleware;
  /**
   * The keys for one host of the ssh config: the auth-key, then its `IdentityFile`s, then (unless
   * `IdentitiesOnly yes`) the agent's keys and the default files (docs/usage.md#openssh-client-config).
   */
  forHost?(identityFiles: readonly string[], identitiesOnly: boolean): ClientAuth;
}

type Env = (name: string) => string | undefined;

/**
 * `--auth-key-path` > `--key` > env > `Client.AuthKeyPath` > `~/.ssh/id_rsa`
 * (docs/compatibility.md#flags-over-config).
 */
export function resolveAuthKeyPath(opts: AuthOptions): string {
  const env: Env = opts.env ?? ((n) => Deno.env.get(n));
  const flag = opts.authKeyPath ?? "";
  const legacy = opts.legacyKeyPath ?? "";
  if (flag !== "" && legacy !== "") {
    (opts.warn ?? console.error)("--key is deprecated and ignored: --auth-key-path is set");
  }
  const home = env("HOME");
  return [
    flag,
    legacy,
    env("DTAIL_AUTH_KEY_PATH") ?? "",
    env("DTAIL_SSH_PRIVATE_KEYFILE_PATH") ?? "",
    opts.configAuthKeyPath ?? "",
  ].find((p) => p !== "") ?? (home ? `${home}/.ssh/id_rsa` : "");
}

/** Loads the key files and asks the agent for its keys; throws `AuthSetupError` when none. */
export async function loadAuth(opts: AuthOptions = {}): Promise<ClientAuth> {
  const env: Env = opts.env ?? ((n) => Deno.env.get(n));
  const debug = opts.debug ?? (() => {});
  const authKeyPath = resolveAuthKeyPath(opts);
  const home = env("HOME");
  const defaults = home ? ["id_rsa", "id_ecdsa", "id_ed25519"].map((f) => `${home}/.ssh/${f}`) : [];
  const first = env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes" ? ["./id_rsa"] : [];
  const passphrase = env("DTAIL_KEY_PASSPHRASE");
  const locked: string[] = [];
  const seen = new Set<string>();
  const fresh = (key: OfferedKey) => {
    const id = blobId(key.publicBlob);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  };
  const files = async (paths: string[]) => {
    const out: OfferedKey[] = [];
    for (const path of paths) {
      const key = await readPrivateKey(path, passphrase, debug, locked);
      if (key !== null && fresh(key)) out.push(key);
    }
    return out;
  };

  const leading = await files([...first, authKeyPath].filter((p) => p !== ""));
  const sock = env("SSH_AUTH_SOCK") ?? "";
  const warn = opts.warn ?? console.error;
  const agentTimeoutMs = opts.agentTimeoutMs ?? AGENT_TIMEOUT_MS;
  const agentOffered = sock === ""
    ? []
    : (await agentKeys(sock, opts.agentKeyIndex ?? -1, debug, warn, agentTimeoutMs)).filter((k) =>
      fresh(k)
    );
  const trailing = await files(defaults);
  // IdentityFiles are keyed by path: each host offers its own, deduplicated within its list.
  const identities = new Map<string, OfferedKey | null>();
  for (const path of opts.identityFiles ?? []) {
    if (identities.has(path)) continue;
    identities.set(path, await readPrivateKey(path, passphrase, debug, locked));
  }

  const keys = [...leading, ...agentOffered, ...trailing];
  const anyIdentity = [...identities.values()].some((k) => k !== null);
  if (keys.length === 0 && !anyIdentity && locked.length > 0) {
    throw new AuthSetupError(lockedMessage(locked, passphrase));
  }
  if (keys.length === 0 && !anyIdentity) {
    const tried = [...new Set([...first, authKeyPath, ...defaults].filter((p) => p !== ""))];
    if (sock !== "") tried.push("ssh-agent");
    throw new AuthSetupError(
      `no SSH private key found (tried ${tried.join(", ") || "nothing: no HOME"}); ` +
        "use --auth-key-path or ssh-agent",
    );
  }
  const auth = (offered: OfferedKey[]): ClientAuth => ({
    authKeyPath,
    keys: offered,
    authHandler: (username, ssh2) => {
      const methods: AnyAuthMethod[] = [];
      const fromAgent = offered.filter((k) => k.source.startsWith("agent #"));
      let agentAdded = false;
      for (const k of offered) {
        if (k.source.startsWith("agent #")) {
          if (agentAdded) continue;
          agentAdded = true;
          const agent = ssh2.agent(sock, fromAgent.map((a) => a.publicBlob), agentTimeoutMs);
          methods.push({ type: "agent", username, agent });
        } else {
          const key = k.key ?? ssh2Key(ssh2.parse, k.file!);
          if (key !== null) methods.push({ type: "publickey", username, key });
        }
      }
      let i = 0;
      return (methodsLeft, _partialSuccess, next) => {
        const method = methods[i++];
        const allowed = methodsLeft === null || methodsLeft.includes("publickey");
        // ssh2 ends authentication on `false`; its types only list method names.
        next(method !== undefined && allowed ? method : false as unknown as AuthenticationType);
      };
    },
    forHost(identityFiles, identitiesOnly) {
      if (identityFiles.length === 0 && !identitiesOnly) return this;
      const own = identityFiles.flatMap((p) => {
        const k = identities.get(p);
        return k ? [k] : [];
      });
      const rest = identitiesOnly ? [] : [...agentOffered, ...trailing];
      const seenHere = new Set<string>();
      const unique = [...leading, ...own, ...rest].filter((k) => {
        const id = blobId(k.publicBlob);
        if (seenHere.has(id)) return false;
        seenHere.add(id);
        return true;
      });
      return auth(unique);
    },
  });
  return auth(keys);
}

/**
 * The base64 public key for AUTHKEY (docs/protocol.md#authkey): the second field of the first
 * non-empty, non-`#` line of `<path>.pub`; null when missing or not valid base64.
 */
export function readAuthKeyPub(path: string): string | null {
  let text: string;
  try {
    text = readSmallTextFileSync(`${path}.pub`);
  } catch {
    return null;
  }
  const line = text.split("\n").map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  const field = line?.split(/\s+/)[1];
  if (field === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(field) || field.length % 4 !== 0) {
    return null;
  }
  return field;
}

/** Why no key could be used when every key found is encrypted (one line). */
function lockedMessage(paths: string[], passphrase: string | undefined): string {
  const files = [...new Set(paths)];
  const which = files.length === 1
    ? `SSH private key ${files[0]} is`
    : `SSH private keys ${files.join(", ")} are`;
  const them = files.length === 1 ? "it" : "them";
  return passphrase === undefined
    ? `${which} encrypted and DTAIL_KEY_PASSPHRASE is not set (there is no passphrase prompt); ` +
      "set it, add the key to ssh-agent, or use --auth-key-path with an unencrypted key"
    : `${which} encrypted and DTAIL_KEY_PASSPHRASE does not decrypt ${them}`;
}

/**
 * Reads one private key file; null when missing or unusable (encrypted ones go to `locked`).
 * The native parser reads OpenSSH's own format unencrypted; anything else is ssh2's to read.
 */
async function readPrivateKey(
  path: string,
  passphrase: string | undefined,
  debug: (line: string) => void,
  locked: string[],
): Promise<OfferedKey | null> {
  let data: Uint8Array;
  try {
    data = readSmallFileSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) debug(`cannot read ${path}: ${(e as Error).message}`);
    return null;
  }
  const native = await parsePrivateKeyFile(data);
  if (native.kind === "key") {
    return {
      source: path,
      publicBlob: native.key.publicBlob,
      native: native.key,
      key: null,
      file: data,
    };
  }
  const [{ parseKey }, { Buffer }] = await Promise.all([
    import("./ssh2_client.ts"),
    import("node:buffer"),
  ]);
  let parsed = parseKey(Buffer.from(data));
  if (parsed instanceof Error && /encrypt|passphrase/i.test(parsed.message)) {
    if (passphrase === undefined) {
      debug(`skipping encrypted key ${path}: DTAIL_KEY_PASSPHRASE is not set`);
      locked.push(path);
      return null;
    }
    parsed = parseKey(Buffer.from(data), passphrase);
    if (parsed instanceof Error) locked.push(path);
  }
  if (parsed instanceof Error) {
    debug(`skipping key ${path}: ${parsed.message}`);
    return null;
  }
  const key = Array.isArray(parsed) ? parsed[0] as ParsedKey : parsed;
  if (!key.isPrivateKey()) {
    debug(`skipping key ${path}: not a private key`);
    return null;
  }
  return { source: path, publicBlob: new Uint8Array(key.getPublicSSH()), native: null, key };
}

/** ssh2's reading of a key file the native parser read (an unencrypted OpenSSH key). */
function ssh2Key(parse: ParseKey, file: Uint8Array): ParsedKey | null {
  const parsed = parse(file);
  if (parsed instanceof Error) return null;
  return Array.isArray(parsed) ? parsed[0] as ParsedKey : parsed;
}

const AGENT_TIMEOUT_MS = 5000;

/**
 * The agent's keys (all, or the one `index` names); none without a usable agent. An agent that
 * does not answer (a stale forwarded socket whose far end hangs) is given up after `timeoutMs`,
 * with one warning: the run goes on with the key files instead of waiting forever.
 */
async function agentKeys(
  sock: string,
  index: number,
  debug: (line: string) => void,
  warn: (line: string) => void,
  timeoutMs: number,
): Promise<OfferedKey[]> {
  const agent = new AgentClient(sock, timeoutMs);
  let identities;
  try {
    identities = await agent.identities();
  } catch (e) {
    if (e instanceof AgentTimeout) warn(`${e.message}: not using it`);
    else debug(`ssh-agent at ${sock}: ${(e as Error).message}`);
    return [];
  }
  const keys = identities.map((id, i): OfferedKey => ({
    source: `agent #${i}`,
    publicBlob: id.blob,
    native: agentKey(agent, id),
    key: null,
  }));
  if (index < 0) return keys;
  const one = keys[index];
  if (one === undefined) {
    debug(`--agentKeyIndex ${index}: the agent has ${keys.length} keys; not using the agent`);
    return [];
  }
  return [one];
}

function blobId(blob: Uint8Array): string {
  let id = "";
  for (let i = 0; i < blob.length; i++) id += String.fromCharCode(blob[i]!);
  return id;
}
