/**
 * The `dserver` program (§1.3, §2.2, §4.12): refuses to run as root, prints the version line,
 * merges flags over `dtail.json`, then serves SSH until SIGTERM/SIGINT or `--shutdownAfter`
 * seconds; SIGHUP reopens the log files. What a shell session does is the `shellHandler`
 * given by the caller (the DTail protocol handler).
 */
import type { Config } from "../../core/config.ts";
import { shortHostname } from "../../core/hostname.ts";
import type { Flags } from "../../app/flags.ts";
import { resolve } from "node:path";
import { versionLine } from "../../app/version.ts";
import { AuthKeyStore } from "../access/auth_key_store.ts";
import { AuthorizedKeys } from "../access/authorized_keys.ts";
import { loadHostKey } from "../ssh/host_key.ts";
import { expandHome, ServerLog } from "./server_log.ts";
import { type SshServer, startSshServer } from "../ssh/ssh_server.ts";
import type { ShellHandler } from "../ssh/ssh_connection.ts";
import { checkServerDir } from "./startup_dirs.ts";
import { StatsReporter } from "./stats.ts";

export const ROOT_MESSAGE = "dserver: refusing to run as root; start it as an unprivileged user";

/** The error message when uid or gid is 0, else null. */
export function refuseRoot(uid: number | null, gid: number | null): string | null {
  return uid === 0 || gid === 0 ? ROOT_MESSAGE : null;
}

export interface DserverSettings {
  port: number;
  bindAddress: string;
  logger: string;
  logLevel: string;
  logDir: string;
  shutdownAfter: number;
}

/** Flag over config precedence of §2.2. */
export function dserverSettings(flags: Flags, config: Config): DserverSettings {
  const port = flags.int("port");
  const level = flags.str("logLevel");
  return {
    port: port !== 2222 ? port : config.Common.SSHPort,
    bindAddress: flags.str("bindAddress") || config.Server.SSHBindAddress,
    logger: flags.str("logger"),
    logLevel: level.toLowerCase() !== "info" ? level : config.Common.LogLevel,
    logDir: flags.str("logDir") || config.Common.LogDir,
    shutdownAfter: flags.int("shutdownAfter"),
  };
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
  /** Builds the handler of shell sessions (default: one that says it is not wired). */
  shellHandler?: (ctx: DserverContext) => ShellHandler;
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

/** A handler for when no protocol handler is wired in: says so and closes. */
export function notWiredHandler(hostname: string): ShellHandler {
  return ({ channel }) => {
    channel.resume(); // input must be consumed for the channel's "close" to come
    channel.end(`SERVER|${hostname}|ERROR|handler not wired\n`);
  };
}

const encoder = new TextEncoder();
const writeTo = (file: { writeSync(p: Uint8Array): number }) => (text: string) => {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
};

export async function runDserver(
  flags: Flags,
  config: Config,
  deps: DserverDeps = {},
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
  stdout(versionLine() + "\n");
  const settings = dserverSettings(flags, config);
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
  const timer = settings.shutdownAfter > 0
    ? setTimeout(stopNow, settings.shutdownAfter * 1000)
    : undefined;
  try {
    return await serve(config, settings, log, deps, env, stop.signal, stderr);
  } finally {
    clearTimeout(timer);
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
  const makeHandler = deps.shellHandler ?? ((ctx: DserverContext) => notWiredHandler(ctx.hostname));
  const onShell = makeHandler({ config, log, authKeys, hostname });
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
    const message = err instanceof Error ? err.message : String(err);
    log.fatal("cannot start server", message);
    stderr(`dserver: cannot start: ${message}\n`);
    return 1;
  }
  stats.start();
  log.info(`listening on ${settings.bindAddress}:${server.port}`);
  deps.onListening?.(server.port);
  if (!stopped.aborted) {
    await new Promise<void>((resolve) => stopped.addEventListener("abort", () => resolve()));
  }
  log.info("stopping");
  stats.stop();
  await server.close();
  log.info("stopped");
  return 0;
}
