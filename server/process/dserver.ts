/**
 * The `dserver` program (docs/server.md#run, docs/compatibility.md#signals): refuses to run as
 * root, prints the version line, then serves SSH until SIGTERM/SIGINT or `shutdownAfter` seconds;
 * SIGHUP reopens the log files. The settings (flags over `dtail.json`,
 * docs/compatibility.md#flags-over-config) and what a shell session does (the DTail protocol
 * handler) are given by the caller (app/).
 */
import type { Config } from "../../core/config.ts";
import { shortHostname } from "../../core/hostname.ts";
import { resolve } from "node:path";
import { AuthKeyStore } from "../access/auth_key_store.ts";
import { AuthorizedKeys } from "../access/authorized_keys.ts";
import { loadHostKey } from "../ssh/host_key.ts";
import { expandHome, ServerLog } from "./server_log.ts";
import { type SshServer, startSshServer } from "../ssh/ssh_server.ts";
import type { ShellHandler } from "../ssh/ssh_connection.ts";
import { checkServerDir } from "./startup_dirs.ts";
import { StatsReporter } from "./stats.ts";
import { warmUp } from "./warm_up.ts";
import { armDeadline } from "../../core/delay.ts";

export const ROOT_MESSAGE = "dserver: refusing to run as root; start it as an unprivileged user";

/** The error message when uid or gid is 0, else null. */
export function refuseRoot(uid: number | null, gid: number | null): string | null {
  return uid === 0 || gid === 0 ? ROOT_MESSAGE : null;
}

export interface DserverSettings {
  readonly port: number;
  readonly bindAddress: string;
  /** none, stdout, file or fout. */
  readonly logger: string;
  readonly logLevel: string;
  readonly logDir: string;
  /** Seconds until the server stops on its own (0: never). */
  readonly shutdownAfter: number;
}

/** What a shell handler factory gets from the server. */
export interface DserverContext {
  config: Config;
  log: ServerLog;
  /** The AUTHKEY store, null when `AuthKeyEnabled` is false (see registerAuthKey). */
  authKeys: AuthKeyStore | null;
  /** Short host name for `SERVER|host|…` lines. */
  hostname: string;
}

export interface DserverDeps {
  /** Printed on stdout at start. */
  versionLine: string;
  /** Builds the handler of shell sessions. */
  shellHandler: (ctx: DserverContext) => ShellHandler;
  /** Home directory of a user for `~/.ssh/authorized_keys` (default: /etc/passwd). */
  homeOf?: (user: string) => Promise<string | null>;
  uid?: number | null;
  gid?: number | null;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  env?: (name: string) => string | undefined;
  /** Stops the server when aborted (tests). */
  signal?: AbortSignal;
  /** Called once listening, with the port (tests). */
  onListening?: (port: number) => void;
}

const encoder = new TextEncoder();
const writeTo = (file: { writeSync(p: Uint8Array): number }) => (text: string) => {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
};

export async function runDserver(
  settings: DserverSettings,
  config: Config,
  deps: DserverDeps,
): Promise<number> {
  const stdout = deps.stdout ?? writeTo(Deno.stdout);
  const stderr = deps.stderr ?? writeTo(Deno.stderr);
  const env = deps.env ?? ((name: string) => Deno.env.get(name));
  const root = refuseRoot(
    deps.uid !== undefined ? deps.uid : Deno.uid(),
    deps.gid !== undefined ? deps.gid : Deno.gid(),
  );
  if (root !== null) {
    stderr(root + "\n");
    return 1;
  }
  stdout(deps.versionLine + "\n");
  const dirProblem = await checkDirs(settings, config, env);
  if (dirProblem !== null) {
    stderr(`dserver: ${dirProblem}\n`);
    return 1;
  }
  const log = new ServerLog({
    logger: settings.logger,
    level: settings.logLevel,
    logDir: settings.logDir,
    rotation: config.Common.LogRotation,
    stdout,
  });
  const stop = new AbortController();
  const stopNow = () => stop.abort();
  const reopen = () => log.reopen();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, stopNow);
  Deno.addSignalListener("SIGHUP", reopen);
  deps.signal?.addEventListener("abort", stopNow);
  const cancelTimer = settings.shutdownAfter > 0
    ? armDeadline(settings.shutdownAfter, stopNow)
    : null;
  try {
    return await serve(config, settings, log, deps, env, stop.signal, stderr);
  } finally {
    cancelTimer?.();
    for (const s of signals) Deno.removeSignalListener(s, stopNow);
    Deno.removeSignalListener("SIGHUP", reopen);
    deps.signal?.removeEventListener("abort", stopNow);
    log.close();
  }
}

/**
 * The log directory (file loggers only) and CacheDir must be directories the server can write
 * (server/process/startup_dirs.ts); the first problem found, or null. Integration mode reads no CacheDir.
 */
async function checkDirs(
  settings: DserverSettings,
  config: Config,
  env: (name: string) => string | undefined,
): Promise<string | null> {
  const uid = Deno.uid();
  const user = uid === null
    ? "the server's user"
    : (await import("../access/user_lookup.ts")).userName(uid);
  const logger = settings.logger.toLowerCase();
  if (logger === "file" || logger === "fout") {
    const problem = checkServerDir("log directory", expandHome(settings.logDir), user);
    if (problem !== null) return problem;
  }
  if (env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes") return null;
  // A CacheDir root owns and the server only reads (authorized_keys, an existing host key) is
  // fine, as in Go; it must be writable when the host key is to be generated in it.
  const cacheDir = resolve(expandHome(config.Common.CacheDir));
  const hostKey = resolve(expandHome(config.Server.HostKeyFile));
  let mustWrite = false;
  if (hostKey.startsWith(cacheDir + "/")) {
    try {
      Deno.statSync(hostKey);
    } catch {
      mustWrite = true;
    }
  }
  return checkServerDir("cache directory", config.Common.CacheDir, user, Deno.cwd(), mustWrite);
}

async function serve(
  config: Config,
  settings: DserverSettings,
  log: ServerLog,
  deps: DserverDeps,
  env: (name: string) => string | undefined,
  stopped: AbortSignal,
  stderr: (text: string) => void,
): Promise<number> {
  const sc = config.Server;
  (await import("../access/user_lookup.ts")).setUserCacheTtl(sc.UserCacheTTLSeconds);
  const authKeys = sc.AuthKeyEnabled
    ? new AuthKeyStore({ ttlSeconds: sc.AuthKeyTTLSeconds, maxPerUser: sc.AuthKeyMaxPerUser })
    : null;
  const hostname = shortHostname(env);
  const onShell = deps.shellHandler({ config, log, authKeys, hostname });
  let server: SshServer | undefined;
  const stats = new StatsReporter(
    log,
    () => server?.counts() ?? { current: 0, lifetime: 0, preAuth: 0 },
  );
  try {
    const hostKey = await loadHostKey(sc.HostKeyFile, (msg) => log.warn(msg));
    if (hostKey.generated) log.info(`generated new ED25519 host key ${sc.HostKeyFile}`);
    server = await startSshServer({
      bindAddress: settings.bindAddress,
      port: settings.port,
      hostKey: hostKey.pem,
      maxConnections: sc.MaxConnections,
      maxPreAuth: sc.MaxPreAuthConnections,
      handshakeTimeoutMs: sc.PreAuthTimeoutMs,
      authorizedKeys: new AuthorizedKeys({
        cacheDir: config.Common.CacheDir,
        store: authKeys,
        integrationMode: env("DTAIL_INTEGRATION_TEST_RUN_MODE") === "yes",
        ...(deps.homeOf ? { homeOf: deps.homeOf } : {}),
      }),
      onShell,
      log,
      ciphers: sc.Ciphers,
      keyExchanges: sc.KeyExchanges,
      macs: sc.MACs,
      onCountsChanged: () => stats.changed(),
    });
  } catch (err) {
    const message = listenProblem(err, settings.bindAddress, settings.port);
    log.fatal("cannot start server", message);
    stderr(`dserver: cannot start: ${message}\n`);
    return 1;
  }
  stats.start();
  log.info(`listening on ${settings.bindAddress}:${server.port}`);
  deps.onListening?.(server.port);
  const warm = setTimeout(() => warmUp(config, log), 0);
  if (!stopped.aborted) {
    await new Promise<void>((resolve) => stopped.addEventListener("abort", () => resolve()));
  }
  clearTimeout(warm);
  log.info("stopping");
  stats.stop();
  await server.close();
  log.info("stopped");
  return 0;
}

/** Why the listen failed, in words for the usual causes (Node's codes otherwise). */
export function listenProblem(err: unknown, address: string, port: number): string {
  const code = (err as { code?: unknown } | null)?.code;
  const at = `${address}:${port}`;
  switch (code) {
    case "EADDRINUSE":
      return `${at}: the port is in use (by another dserver?)`;
    case "EADDRNOTAVAIL":
    case "EINVAL":
      return `${at}: ${address} is not an address of this machine`;
    case "EACCES":
      return `${at}: not allowed to listen on port ${port} (ports below 1024 need privileges)`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `${at}: cannot resolve ${address}`;
  }
  return err instanceof Error ? err.message : String(err);
}
