/**
 * A server of `--servers` as the ssh config makes it (docs/usage.md#openssh-client-config): the
 * host name, port and user to connect with, its keys and known_hosts, and the jump hosts on the
 * way. The precedence of flags, inventory, ssh config and dtail.json is decided here and only here
 * (docs/decisions.md, "Flags, inventory, ssh config and dtail.json").
 */
import { SetupError } from "../../core/errors.ts";
import type { JumpHost, SshConfig, SshHostConfig } from "./ssh_config.ts";
import { addressLabel, type ServerAddress } from "./server_list.ts";

export type StrictHostKeys = "yes" | "no" | "accept-new" | "ask";

/** One SSH login on the way to a server, or the server itself. */
export interface Hop {
  /** The name or address connected to (ssh config `HostName`). */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** `host:port` as the user wrote the host (the alias). */
  readonly label: string;
  readonly identityFiles: readonly string[];
  readonly identitiesOnly: boolean;
  /** ssh config `UserKnownHostsFile` (the first one), null for the default file. */
  readonly knownHostsPath: string | null;
  readonly strictHostKeys: StrictHostKeys | null;
}

/** A server to connect to: where (`host`, `port`) and through which jump hosts. */
export interface ResolvedServer extends Hop {
  readonly portGiven: boolean;
  /** Jump hosts in the order they are reached (the first one directly). */
  readonly jumps: readonly Hop[];
}

export interface ResolveSettings {
  /** `--port` when it was given, else null. */
  readonly portFlag: number | null;
  /** `Common.SSHPort` of dtail.json (2222 by default). */
  readonly configPort: number;
  /** `--user` when it was given, else null. */
  readonly userFlag: string | null;
  /** The login name on this machine. */
  readonly localUser: string;
  readonly home: string;
}

export class JumpLoopError extends SetupError {
  override name = "JumpLoopError";
}

const MAX_JUMPS = 8;
const SSH_PORT = 22;

/** Applies the ssh config to one server of the list. */
export function resolveServer(
  address: ServerAddress,
  config: SshConfig,
  settings: ResolveSettings,
): ResolvedServer {
  const ctx = { home: settings.home, localUser: settings.localUser };
  const own = config.resolve(address.host, ctx);
  const port = address.portGiven
    ? address.port
    : settings.portFlag ?? own.port ?? settings.configPort;
  const user = settings.userFlag ?? address.user ?? own.user ?? settings.localUser;
  const hop = hopOf(own, port, user, addressLabel(address.host, port));
  const jumps = own.proxyJump === null
    ? []
    : jumpChain(own.proxyJump, config, settings, 0, new Set([address.host]));
  return { ...hop, portGiven: address.portGiven, jumps };
}

/**
 * `ProxyJump a,b`: `a` is reached as its own config says (through its own jump hosts, if any),
 * `b` through `a`, the server through `b` (OpenSSH's order).
 */
function jumpChain(
  list: readonly JumpHost[],
  config: SshConfig,
  settings: ResolveSettings,
  depth: number,
  visited: ReadonlySet<string>,
): Hop[] {
  if (depth >= MAX_JUMPS) {
    throw new JumpLoopError(
      `ProxyJump: more than ${MAX_JUMPS} jump hosts (a loop in the ssh config?)`,
    );
  }
  const ctx = { home: settings.home, localUser: settings.localUser };
  return list.flatMap((jump, i) => {
    const own = config.resolve(jump.host, ctx);
    const port = jump.port ?? own.port ?? SSH_PORT;
    const user = jump.user ?? own.user ?? settings.localUser;
    const hop = hopOf(own, port, user, addressLabel(jump.host, port));
    // `Host *` with a ProxyJump also matches the jump host: a jump host is not its own jump host.
    const further = i === 0
      ? own.proxyJump?.filter((j) => j.host !== jump.host && !visited.has(j.host)) ?? []
      : [];
    const before = further.length > 0
      ? jumpChain(further, config, settings, depth + 1, new Set([...visited, jump.host]))
      : [];
    return [...before, hop];
  });
}

function hopOf(own: SshHostConfig, port: number, user: string, label: string): Hop {
  return {
    host: own.hostName,
    port,
    user,
    label,
    identityFiles: own.identityFiles,
    identitiesOnly: own.identitiesOnly ?? false,
    knownHostsPath: own.userKnownHostsFiles[0] ?? null,
    strictHostKeys: own.strictHostKeyChecking,
  };
}
