/** Turns parsed client flags and the config into a serverless read job (§1.2, §1.6, §1.7). */
import type { Config } from "../core/config.ts";
import { compileMatcher } from "../core/matcher.ts";
import { shortHostname } from "../core/hostname.ts";
import type { Program } from "./flag_table.ts";
import { type Flags, UsageError } from "./flags.ts";
import type { ReadJob, ReadMode } from "./serverless.ts";

export class NotBuiltError extends Error {
  override name = "NotBuiltError";
}

/** Files from --files (comma list) or else the positional arguments; the query for dtail/dmap. */
export function targetsOf(flags: Flags): { files: string[]; query: string } {
  let query = flags.str("query") ?? "";
  const fromFlag = flags.str("files");
  if (fromFlag !== "") {
    return { files: fromFlag.split(",").map((f) => f.trim()).filter((f) => f !== ""), query };
  }
  const files: string[] = [];
  for (const arg of flags.parsed.positionals) {
    if (!flags.parsed.dashDash && /^--?[a-zA-Z]/.test(arg)) {
      // Go parsing stops at the first file name, so this would be read as a file: say so.
      throw new UsageError(`${arg} comes after a file name; put flags before the files`);
    }
    if (arg.toLowerCase().includes("select ")) {
      if (query === "") query = arg;
    } else files.push(arg);
  }
  return { files, query };
}

export function isServerless(flags: Flags): boolean {
  const servers = flags.str("servers");
  return flags.str("discovery") === "" &&
    (servers === "" || servers.toLowerCase() === "serverless");
}

export interface JobEnv {
  readonly noColorEnv: boolean;
}

export function buildReadJob(program: Program, flags: Flags, config: Config, env: JobEnv): ReadJob {
  const { files, query } = targetsOf(flags);
  if (!isServerless(flags)) {
    throw new NotBuiltError(
      "reading from servers over SSH (--servers, --discovery) is not built yet; leave them out to read local files",
    );
  }
  if (query !== "") {
    throw new NotBuiltError("MapReduce queries (--query) are not built yet");
  }
  if (flags.bool("interactive-query")) {
    throw new NotBuiltError("--interactive-query is not built yet");
  }
  const mode: ReadMode = program === "dcat" ? "cat" : program === "dgrep" ? "grep" : "tail";
  const grep = mode === "cat" ? "" : flags.str("grep") || flags.str("regex");
  const invert = mode !== "cat" && flags.bool("invert");
  for (const name of ["before", "after", "max"]) {
    if (mode !== "cat" && flags.int(name) < 0) {
      throw new UsageError(`-${name} must not be negative`);
    }
  }
  const plain = flags.bool("plain");
  const color = !plain && !flags.bool("noColor") && !env.noColorEnv &&
    config.Client.TermColorsEnable;
  return {
    mode,
    targets: files.length > 0 ? files : ["-"],
    filter: {
      matcher: compileMatcher(grep, { noopAllowed: !invert }),
      invert,
      before: mode === "cat" ? 0 : flags.int("before"),
      after: mode === "cat" ? 0 : flags.int("after"),
      max: mode === "cat" ? 0 : flags.int("max"),
      maxLineLength: config.Server.MaxLineLength,
      numbered: !plain,
    },
    frame: { plain, color, hostname: shortHostname(), colors: config.Client.TermColors },
    maxGlobTargets: config.Server.MaxGlobTargets,
  };
}
