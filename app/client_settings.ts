/** Turns parsed client flags and the config into a serverless read job (§1.2, §1.6, §1.7). */
import type { Config } from "../core/config.ts";
import { compileMatcher } from "../core/matcher.ts";
import { shortHostname } from "../core/hostname.ts";
import type { Program } from "./flag_table.ts";
import { type Flags, UsageError } from "./flags.ts";
import type { ReadJob, ReadMode } from "../cli/serverless.ts";
import type { RemoteRun } from "../cli/remote.ts";

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

/** What serverless and remote runs have in common, checked once. */
interface ClientSettings {
  readonly mode: ReadMode;
  readonly files: string[];
  readonly pattern: string;
  readonly invert: boolean;
  readonly before: number;
  readonly after: number;
  readonly max: number;
  readonly plain: boolean;
  readonly color: boolean;
}

function settingsOf(program: Program, flags: Flags, config: Config, env: JobEnv): ClientSettings {
  const { files, query } = targetsOf(flags);
  if (query !== "") throw new UsageError(`${program} takes no query; use dmap or dtail`);
  if (flags.bool("interactive-query")) {
    throw new NotBuiltError("--interactive-query is not built yet");
  }
  const mode: ReadMode = program === "dcat" ? "cat" : program === "dgrep" ? "grep" : "tail";
  for (const name of ["before", "after", "max"]) {
    if (mode !== "cat" && flags.int(name) < 0) {
      throw new UsageError(`-${name} must not be negative`);
    }
  }
  const context = (name: string) => (mode === "cat" ? 0 : flags.int(name));
  const plain = flags.bool("plain");
  return {
    mode,
    files,
    pattern: mode === "cat" ? "" : flags.str("grep") || flags.str("regex"),
    invert: mode !== "cat" && flags.bool("invert"),
    before: context("before"),
    after: context("after"),
    max: context("max"),
    plain,
    color: !plain && !flags.bool("noColor") && !env.noColorEnv && config.Client.TermColorsEnable,
  };
}

export function buildReadJob(program: Program, flags: Flags, config: Config, env: JobEnv): ReadJob {
  const s = settingsOf(program, flags, config, env);
  return {
    mode: s.mode,
    targets: s.files.length > 0 ? s.files : ["-"],
    filter: {
      matcher: compileMatcher(s.pattern, { noopAllowed: !s.invert }),
      invert: s.invert,
      before: s.before,
      after: s.after,
      max: s.max,
      maxLineLength: config.Server.MaxLineLength,
      numbered: !s.plain,
    },
    frame: {
      plain: s.plain,
      color: s.color,
      hostname: shortHostname(),
      colors: config.Client.TermColors,
    },
    maxGlobTargets: config.Server.MaxGlobTargets,
    maxGlobDirs: config.Server.MaxGlobDirs,
  };
}

/** A run against servers: the same settings, the pattern checked here before connecting. */
export function buildRemoteRun(
  program: Program,
  flags: Flags,
  config: Config,
  env: JobEnv,
): RemoteRun {
  const s = settingsOf(program, flags, config, env);
  if (s.files.length === 0) {
    throw new UsageError("no files given (standard input cannot be read on servers)");
  }
  compileMatcher(s.pattern, { noopAllowed: !s.invert }); // an invalid pattern fails here, once
  return {
    verb: s.mode,
    targets: s.files,
    pattern: s.pattern,
    invert: s.invert,
    before: s.before,
    after: s.after,
    max: s.max,
    plain: s.plain,
    quiet: flags.bool("quiet") || s.plain,
    color: s.color,
  };
}
