/**
 * Entry point of every DTail program. The program is chosen by the executable's name (compiled
 * binaries, symlinks), the DTAIL_PROGRAM variable (bin/ launchers), or a first argument naming
 * one (`dtail dcat …`).
 */
import { ConfigError, loadConfig } from "../core/config.ts";
import { errorKind, UsageError } from "../core/errors.ts";
import { BufferedOutput, fileSink } from "../core/output.ts";
import {
  clientSettings,
  controlTerminalOf,
  dserverSettings,
  healthSettings,
  processEnv,
  querySettings,
  targetsOf,
} from "./settings.ts";
import { colorTable } from "./color_table.ts";
import { type Program, PROGRAMS } from "./flag_table.ts";
import { Flags, parseFlags } from "./flags.ts";
import { bashCompletion, helpText } from "./help.ts";
import { exitCodeOf, runServerless } from "../cli/serverless.ts";
import { versionLine } from "./version.ts";
import { growStdoutPipe } from "../cli/pipe_size.ts";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function pickProgram(args: string[]): [Program, string[]] {
  const isProgram = (name: string | undefined): name is Program =>
    PROGRAMS.includes(name as Program);
  const exe = Deno.execPath().split("/").pop();
  const fromEnv = Deno.env.get("DTAIL_PROGRAM");
  const named = isProgram(exe) ? exe : isProgram(fromEnv) ? fromEnv : "dtail";
  // `dtail dcat …`: the one file of a dist install, with the program as its first argument.
  if (named === "dtail" && isProgram(args[0])) return [args[0], args.slice(1)];
  return [named, args];
}

const encoder = new TextEncoder();
const stderr = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n"));

export async function main(rawArgs: string[]): Promise<number> {
  const [program, args] = pickProgram(rawArgs);
  const out = new BufferedOutput(fileSink(Deno.stdout));
  const print = (text: string) => {
    out.string(text);
    out.flush();
  };
  try {
    const flags = new Flags(parseFlags(program, args));
    if (flags.parsed.help) {
      print(helpText(program));
      return EXIT_OK;
    }
    if (flags.bool("version")) {
      print(versionLine() + "\n");
      return EXIT_OK;
    }
    const completion = flags.str("completion");
    if (completion !== "") {
      if (completion !== "bash") throw new UsageError(`no completion for shell ${completion}`);
      print(bashCompletion(program));
      return EXIT_OK;
    }
    if (program === "dtail" && (flags.bool("colorTable") || flags.bool("wideColorTable"))) {
      if (!flags.bool("plain")) print(colorTable(flags.bool("wideColorTable")));
      return EXIT_OK;
    }
    if (program === "dtail" && flags.bool("checkHealth")) {
      stderr("dtail: --checkHealth moved to dtailhealth; run dtailhealth instead");
      return EXIT_FAILED;
    }
    if (program === "dserver") return await dserver(flags, print);
    if (program === "dmap" || program === "dtail") {
      const target = targetsOf(flags);
      if (program === "dmap" || target.query !== "") {
        return await query(program, flags, target, out);
      }
    }
    if (program === "dtailhealth") return await health(flags, print);
    return await runClient(program, flags, out);
  } catch (err) {
    return report(program, err, out);
  }
}

async function dserver(flags: Flags, print: (s: string) => void): Promise<number> {
  const config = loadConfig(flags.str("cfg"));
  const { permissionsProblem } = await import("../server/access/path_rules.ts");
  const problem = permissionsProblem(config.Server.Permissions);
  if (problem !== null) throw new ConfigError(`config ${config.source}: ${problem}`);
  const { runDserver } = await import("../server/process/dserver.ts");
  const { protocolShell } = await import("../server/process/protocol_shell.ts");
  const { lookupUser } = await import("../server/access/user_lookup.ts");
  return await runDserver(dserverSettings(flags, config), config, {
    versionLine: versionLine(),
    shellHandler: protocolShell,
    homeOf: (user) => Promise.resolve(lookupUser(user)?.home ?? null),
    onListening: (port) => print(`dserver: listening on port ${port}\n`),
  });
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
  const settings = querySettings(program, flags, config, processEnv(), target);
  const controlTty = controlTerminalOf(flags);
  growStdoutPipe();
  const interrupt = new AbortController();
  const ended = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const stopNow = () => interrupt.abort();
  for (const s of signals) Deno.addSignalListener(s, stopNow);
  const timers: ReturnType<typeof setTimeout>[] = [];
  const seconds = settings.stopAfterSeconds;
  if (seconds > 0) timers.push(setTimeout(() => ended.abort(), seconds * 1000));
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
    for (const t of timers) clearTimeout(t);
    for (const s of signals) Deno.removeSignalListener(s, stopNow);
  }
}

async function runClient(program: Program, flags: Flags, out: BufferedOutput): Promise<number> {
  const config = loadConfig(flags.str("cfg"));
  growStdoutPipe();
  const settings = clientSettings(program, flags, config, processEnv());
  const controlTty = controlTerminalOf(flags);
  const stop = new AbortController();
  const stopNow = () => stop.abort();
  const timers: ReturnType<typeof setTimeout>[] = [];
  for (const seconds of settings.stopAfterSeconds) {
    if (seconds > 0) timers.push(setTimeout(stopNow, seconds * 1000));
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
    };
    if (controlTty !== null) {
      const { interactiveClient } = await import("./interactive.ts");
      return await interactiveClient(program, flags, config, processEnv(), controlTty, io);
    }
    // The SSH stack (ssh2) is loaded only for remote runs: it costs serverless start-up time.
    const result = settings.remote
      ? await (await import("../cli/remote.ts")).runRemote(
        settings.run,
        settings.connection,
        config,
        io,
      )
      : await runServerless(settings.job, io);
    return exitCodeOf(result);
  } finally {
    for (const t of timers) clearTimeout(t);
    for (const s of signals) Deno.removeSignalListener(s, stopNow);
  }
}

/** How a program ends on an error: by its kind (core/errors.ts), the exit code and the message. */
function report(program: Program, err: unknown, out: BufferedOutput): number {
  const kind = errorKind(err);
  if (kind === "closed") return EXIT_OK; // the reader went away: nothing to tell it
  try {
    out.flush();
  } catch {
    // the output is gone; the message below still goes to stderr
  }
  const message = err instanceof Error ? err.message : String(err);
  switch (kind) {
    case "usage":
      stderr(`${program}: ${message} (see ${program} --help)`);
      return EXIT_USAGE;
    case "setup":
      stderr(`${program}: ${message}`);
      return EXIT_USAGE;
    default:
      // Errors of one source, server or session are handled where they happen: one that gets
      // here is a fault.
      stderr(`${program}: internal error: ${message}`);
      return EXIT_FAILED;
  }
}

/** Runs the program the process was started as, and exits with its status. */
export async function start(): Promise<never> {
  globalThis.addEventListener("unhandledrejection", (e) => {
    e.preventDefault();
    const reason = e.reason instanceof Error ? e.reason.message : String(e.reason);
    stderr(`dtail: internal error: ${reason}`);
    Deno.exit(EXIT_FAILED);
  });
  Deno.exit(await main(Deno.args));
}

if (import.meta.main) await start();
