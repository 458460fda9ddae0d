/**
 * What a program does once its flags are parsed and it is not `--help`, `--version` or a
 * completion: load the config, turn flags and config into settings, and run the client, the
 * query, the health check or the server. app/main.ts imports this module only then, so that
 * those answers load none of it (docs/performance.md#start-up).
 */
import { escapeControls } from "../core/clip.ts";
import { ConfigError, loadConfig } from "../core/config.ts";
import type { BufferedOutput } from "../core/output.ts";
import {
  clientSettings,
  controlTerminalOf,
  dserverSettings,
  healthSettings,
  loadMatcher,
  loadTimeSpec,
  needsMatcher,
  processEnv,
  querySettings,
  targetsOf,
} from "./settings.ts";
import type { Program } from "./flag_table.ts";
import type { Flags } from "./flags.ts";
import { versionLine } from "./version.ts";
import { growStdoutPipe } from "../core/pipe_size.ts";
import { EXIT_FAILED, exitCodeOf } from "./exit_codes.ts";
import { armDeadline } from "../core/delay.ts";
import { noSocketsWait } from "../core/turns.ts";

const encoder = new TextEncoder();
const STDOUT_FD = 1;
/** One line to stderr: control characters of file names or of a server's text are escaped. */
const stderr = (line: string) => Deno.stderr.writeSync(encoder.encode(escapeControls(line) + "\n"));

/** Runs `program`; what it throws, app/main.ts reports. */
export async function runProgram(
  program: Program,
  flags: Flags,
  out: BufferedOutput,
): Promise<number> {
  const print = (text: string) => {
    out.string(text);
    out.flush();
  };
  if (program === "dserver") return await dserver(flags, print);
  if (program === "dmap" || program === "dtail") {
    const target = targetsOf(flags);
    if (program === "dmap" || target.query !== "") {
      return await query(program, flags, target, out);
    }
  }
  if (program === "dtailhealth") return await health(flags, print);
  return await runClient(program, flags, out);
}

async function dserver(flags: Flags, print: (s: string) => void): Promise<number> {
  const config = loadConfig(flags.str("cfg"));
  const { permissionsProblem } = await import("../server/access/path_rules.ts");
  const problem = permissionsProblem(config.Server.Permissions);
  if (problem !== null) throw new ConfigError(`config ${config.source}: ${problem}`);
  const { runDserver } = await import("../server/process/dserver.ts");
  const { protocolShell } = await import("../server/process/protocol_shell.ts");
  const { lookupUser } = await import("../server/access/user_lookup.ts");
  const { wireJobs } = await import("./jobs/dserver_wiring.ts");
  const settings = dserverSettings(flags, config);
  const jobs = wireJobs(config, settings.bindAddress, {
    versionLine: versionLine(),
    shellHandler: protocolShell,
    homeOf: (user) => Promise.resolve(lookupUser(user)?.home ?? null),
    onListening: (port) => print(`dserver: listening on port ${port}\n`),
  }, stderr);
  try {
    return await runDserver(settings, config, jobs.deps);
  } finally {
    await jobs.finish();
  }
}

async function health(flags: Flags, print: (s: string) => void): Promise<number> {
  const { server, defaultPort } = healthSettings(flags);
  if (server !== "") {
    const { checkHealth } = await import("../cli/health.ts");
    const [code, line] = await checkHealth(server, defaultPort);
    print(line + "\n");
    return code;
  }
  print(
    "WARNING: All seems fine but the check only run in serverless mode, please specify a remote server via --server hostname:port\n",
  );
  return EXIT_FAILED;
}

/** dmap, and dtail with a query: MapReduce, serverless or over SSH (cli/mapreduce.ts). */
async function query(
  program: Program,
  flags: Flags,
  target: { files: string[]; query: string },
  out: BufferedOutput,
): Promise<number> {
  const config = loadConfig(flags.str("cfg"));
  if (flags.given("since") || flags.given("until")) await loadTimeSpec();
  const settings = querySettings(program, flags, config, processEnv(), target);
  if (settings.connection === null) noSocketsWait();
  const controlTty = controlTerminalOf(flags);
  const interrupt = new AbortController();
  const ended = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const stopNow = () => interrupt.abort();
  for (const s of signals) Deno.addSignalListener(s, stopNow);
  const timers: (() => void)[] = [];
  const seconds = settings.stopAfterSeconds;
  if (seconds > 0) timers.push(armDeadline(seconds, () => ended.abort()));
  try {
    const io = {
      out,
      warn: (message: string) => {
        out.flush();
        stderr(message.startsWith("warning:") ? message : `${program}: ${message}`);
      },
      signal: AbortSignal.any([interrupt.signal, ended.signal]),
      interrupted: interrupt.signal,
    };
    if (controlTty !== null) {
      const { interactiveQuery } = await import("./interactive.ts");
      return await interactiveQuery(program, flags, config, processEnv(), controlTty, io);
    }
    const { runQuery } = await import("../cli/mapreduce.ts");
    const result = await runQuery(settings.job, config, io, settings.connection);
    return exitCodeOf(result);
  } finally {
    for (const cancel of timers) cancel();
    for (const s of signals) Deno.removeSignalListener(s, stopNow);
  }
}

async function runClient(program: Program, flags: Flags, out: BufferedOutput): Promise<number> {
  const config = loadConfig(flags.str("cfg"));
  if (needsMatcher(program, flags)) await loadMatcher();
  if (flags.given("since") || flags.given("until")) await loadTimeSpec();
  const settings = clientSettings(program, flags, config, processEnv());
  // A serverless run may send plain files to fd 1 past `out` (sendfile): the pipe grows first.
  // Others grow it once they wrote enough (app/main.ts: growingSink).
  if (!settings.remote) {
    noSocketsWait();
    growStdoutPipe();
  }
  const controlTty = controlTerminalOf(flags);
  const stop = new AbortController();
  const stopNow = () => stop.abort();
  const timers: (() => void)[] = [];
  for (const seconds of settings.stopAfterSeconds) {
    if (seconds > 0) timers.push(armDeadline(seconds, stopNow));
  }
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];
  for (const s of signals) Deno.addSignalListener(s, stopNow);
  try {
    const io = {
      out,
      warn: (message: string) => {
        out.flush();
        stderr(`${program}: ${message}`);
      },
      signal: stop.signal,
      // `out` writes to standard output (app/main.ts): plain files may be sent there directly.
      sendTo: Deno.stdout.isTerminal() ? undefined : STDOUT_FD,
    };
    if (controlTty !== null) {
      const { interactiveClient } = await import("./interactive.ts");
      return await interactiveClient(program, flags, config, processEnv(), controlTty, io);
    }
    // Each run loads only its own stack: the SSH client, or the serverless pipeline.
    const result = settings.remote
      ? await (await import("../cli/remote.ts")).runRemote(
        settings.run,
        settings.connection,
        config,
        io,
      )
      : await (await import("../cli/serverless.ts")).runServerless(settings.job, io);
    return exitCodeOf(result);
  } finally {
    for (const cancel of timers) cancel();
    for (const s of signals) Deno.removeSignalListener(s, stopNow);
  }
}
