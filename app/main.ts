/**
 * Entry point of every DTail program. The program is chosen by the executable's name (compiled
 * binaries, symlinks), the DTAIL_PROGRAM variable (bin/ launchers), or a first argument naming
 * one (`dtail dcat …`).
 */
import { escapeControls } from "../core/clip.ts";
import { errorKind, UsageError } from "../core/errors.ts";
import { BufferedOutput, fileSink } from "../core/output.ts";
import { growingSink } from "../core/pipe_size.ts";
import { WriteBehind } from "../core/write_behind.ts";
import { type Program, PROGRAMS } from "./flag_table.ts";
import { Flags, parseFlags } from "./flags.ts";
import { versionLine } from "./version.ts";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";

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

const STDOUT_FD = 1;
const encoder = new TextEncoder();
/** One line to stderr: control characters of file names or of a server's text are escaped. */
const stderr = (line: string) => Deno.stderr.writeSync(encoder.encode(escapeControls(line) + "\n"));

export async function main(rawArgs: string[]): Promise<number> {
  const [program, args] = pickProgram(rawArgs);
  // Full buffers go into a pipe on another thread (WriteBehind), after the first MiB: by then the
  // sink grew the pipe (at 128 KiB).
  const stdout = growingSink(fileSink(Deno.stdout));
  const out = new BufferedOutput(stdout, 1 << 20, { behind: new WriteBehind(STDOUT_FD, stdout) });
  const print = (text: string) => {
    out.string(text);
    out.flush();
  };
  try {
    const flags = new Flags(parseFlags(program, args));
    // What a run does not need is imported where it is needed (docs/performance.md#start-up).
    if (flags.parsed.help) {
      print((await import("./help.ts")).helpText(program));
      return EXIT_OK;
    }
    if (flags.bool("version")) {
      print(versionLine() + "\n");
      return EXIT_OK;
    }
    const completion = flags.str("completion");
    if (completion !== "") {
      if (completion !== "bash") throw new UsageError(`no completion for shell ${completion}`);
      print((await import("./help.ts")).bashCompletion(program));
      return EXIT_OK;
    }
    if (program === "dtail" && (flags.bool("colorTable") || flags.bool("wideColorTable"))) {
      if (!flags.bool("plain")) {
        print((await import("./color_table.ts")).colorTable(flags.bool("wideColorTable")));
      }
      return EXIT_OK;
    }
    if (program === "dtail" && flags.bool("checkHealth")) {
      stderr("dtail: --checkHealth moved to dtailhealth; run dtailhealth instead");
      return EXIT_FAILED;
    }
    return await (await import("./run_program.ts")).runProgram(program, flags, out);
  } catch (err) {
    return report(program, err, out);
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
    case "output":
      stderr(`${program}: ${message}`);
      return EXIT_FAILED;
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
