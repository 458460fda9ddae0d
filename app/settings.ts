/**
 * Settings: the parsed flags and dtail.json, resolved in this one place into the typed objects
 * the runs take (docs/compatibility.md#flags, docs/compatibility.md#flags-over-config). Below app/
 * no code sees a flag. How a flag and its dtail.json key combine is decided by `flagOverConfig`
 * alone.
 */
import { type Config, MAX_PORT } from "../core/config.ts";
import { UsageError } from "../core/errors.ts";
import { clip } from "../core/clip.ts";
import { shortHostname } from "../core/hostname.ts";
import type { compileMatcher, Matcher } from "../core/matcher.ts";
import { literalMatcher } from "../core/literal_matcher.ts";
import type { parseTimeRange, TimeRange } from "../core/time_spec.ts";
import type { QueryJob } from "../cli/mapreduce.ts";
import type { RemoteConnection, RemoteRun } from "../cli/remote.ts";
import type { ResumeSettings } from "../cli/resume/resume_state.ts";
import type { ReadJob, ReadMode } from "../cli/serverless.ts";
import type { DserverSettings } from "../server/process/dserver.ts";
import { queryDeadline } from "./deadline.ts";
import { defaultValue, type FlagName, type FlagValues, type Program } from "./flag_table.ts";
import type { Flags } from "./flags.ts";

/**
 * The precedence rule: a flag that is set wins over dtail.json, and dtail.json over the flag's
 * default. As in the Go DTail, a flag is set when its value differs from the program's default
 * (ignoring case: the string flags with a dtail.json key and a non-empty default are log levels),
 * so `dserver --port 2222` keeps `Common.SSHPort` (docs/server.md). One exception: a client's
 * `--port` is set whenever it is given.
 */
export function flagOverConfig<N extends FlagName>(
  flags: Flags,
  name: N,
  fromConfig: FlagValues[N],
): FlagValues[N] {
  return isSet(flags, name) ? flags.get(name) : fromConfig;
}

function isSet(flags: Flags, name: FlagName): boolean {
  const program = flags.parsed.program;
  if (name === "port" && program !== "dserver") return flags.given(name);
  const value = flags.get(name);
  const fallback = defaultValue(name, program);
  return typeof value === "string"
    ? value.toLowerCase() !== String(fallback).toLowerCase()
    : value !== fallback;
}

/**
 * `--port` over `Common.SSHPort` (checked with the config), from `min` (dserver: 0, any free port)
 * to 65535: a usage error otherwise, before anything listens or connects.
 */
function portOf(flags: Flags, config: Config, min: 0 | 1): number {
  const port = flagOverConfig(flags, "port", config.Common.SSHPort);
  if (port < min || port > MAX_PORT) {
    throw new UsageError(`-port must be a port from ${min} to ${MAX_PORT}, got ${port}`);
  }
  return port;
}

/** What the settings read from the environment. */
export interface SettingsEnv {
  /** NO_COLOR is set. */
  readonly noColor: boolean;
  readonly get: (name: string) => string | undefined;
  /** Which of stdout and stderr are terminals (live query output); absent: neither. */
  readonly terminals?: { readonly stdout: boolean; readonly stderr: boolean };
}

export function processEnv(): SettingsEnv {
  return {
    noColor: (Deno.env.get("NO_COLOR") ?? "") !== "",
    get: (name) => Deno.env.get(name),
    terminals: { stdout: Deno.stdout.isTerminal(), stderr: Deno.stderr.isTerminal() },
  };
}

/**
 * Live query output (docs/usage.md#live-output): reports in place when stdout is a terminal, and
 * dmap's progress line when stderr is one (not with --quiet). Neither with NO_COLOR, --plain,
 * --json, --interactive-query (its line editor shares the terminal) or TERM=dumb; undefined when
 * neither is on.
 */
export function liveOf(
  program: Program,
  flags: Flags,
  env: SettingsEnv,
): { table: boolean; progress: boolean } | undefined {
  const off = env.noColor || flags.bool("plain") || flags.bool("json") ||
    flags.bool("interactive-query") || env.get("TERM") === "dumb";
  const table = !off && (env.terminals?.stdout ?? false);
  const progress = !off && program === "dmap" && !flags.bool("quiet") &&
    (env.terminals?.stderr ?? false);
  return table || progress ? { table, progress } : undefined;
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

/**
 * Colored output: not --plain, not --json, not --noColor (else `Client.TermColorsEnable`), no
 * NO_COLOR.
 */
function colorOf(flags: Flags, config: Config, env: SettingsEnv): boolean {
  const noColor = flagOverConfig(flags, "noColor", !config.Client.TermColorsEnable);
  return !flags.bool("plain") && !flags.bool("json") && !noColor && !env.noColor;
}

/**
 * --json (docs/usage.md#machine-output---json). Not with --plain (two output formats at once),
 * nor with --interactive-query (a person at a terminal, whose reloads may change the format).
 */
export function jsonOf(flags: Flags): boolean {
  if (!flags.bool("json")) return false;
  if (flags.bool("plain")) throw new UsageError("--json cannot be used with --plain");
  if (flags.bool("interactive-query")) {
    throw new UsageError("--json cannot be used with --interactive-query");
  }
  return true;
}

/**
 * `--since`/`--until` (docs/usage.md#time-ranges), resolved here once, with this client's clock
 * and zone, into the instants every server cuts at; null without either. A bad value, `--since`
 * after `--until`, and `--until` for dtail (a follow has no end) are usage errors.
 */
export function timeRangeOf(
  program: Program,
  flags: Flags,
  now: number = Date.now(),
): TimeRange | null {
  const value = (name: "since" | "until") => flags.given(name) ? flags.str(name) : undefined;
  const since = value("since");
  const until = value("until");
  if (since === undefined && until === undefined) return null;
  if (until !== undefined && program === "dtail") {
    throw new UsageError(
      "--until cannot be used with dtail, which follows (use dcat, dgrep or dmap)",
    );
  }
  if (parseRange === null) throw new Error("--since/--until need loadTimeSpec() first");
  return parseRange(since, until, { now });
}

let parseRange: typeof parseTimeRange | null = null;

/** Loads the time parsers (a run without --since or --until does not: start-up). */
export async function loadTimeSpec(): Promise<void> {
  parseRange ??= (await import("../core/time_spec.ts")).parseTimeRange;
}

function localUser(env: SettingsEnv): string {
  return env.get("USER") ?? env.get("LOGNAME") ?? "root";
}

/** Where and how a client connects to its servers. */
export function connectionOf(flags: Flags, config: Config, env: SettingsEnv): RemoteConnection {
  return {
    servers: flags.str("servers"),
    discovery: flags.str("discovery"),
    defaultPort: portOf(flags, config, 1),
    authKeyPath: flags.str("auth-key-path"),
    legacyKeyPath: flags.str("key"),
    agentKeyIndex: flags.int("agentKeyIndex"),
    trustAllHosts: flags.bool("trustAllHosts"),
    noAuthKey: flagOverConfig(flags, "no-auth-key", config.Client.AuthKeyDisable),
    user: flags.str("user") || localUser(env),
    connectionsPerCpu: flags.int("cpc"),
    sshConfig: flags.str("ssh-config") || flags.str("F"),
    resolve: {
      portFlag: flags.given("port") ? flags.int("port") : null,
      configPort: config.Common.SSHPort,
      userFlag: flags.str("user") || null,
      localUser: localUser(env),
      home: env.get("HOME") ?? "",
    },
  };
}

let compile: typeof compileMatcher | null = null;

/**
 * Whether a run of `program` with these flags takes a pattern that needs the regex engine: one
 * that is not a plain string or an escaped literal (core/literal_matcher.ts), which are always
 * valid patterns and are matched without it: `dgrep ERROR` starts ~10 ms sooner serverless, and a
 * remote one ~15 ms.
 */
export function needsMatcher(program: Program, flags: Flags): boolean {
  if (program === "dcat") return false;
  const noopAllowed = !flags.bool("invert");
  return literalMatcher(flags.str("grep") || flags.str("regex"), { noopAllowed }) === null;
}

/**
 * Loads the regex engine (core/matcher.ts) before `clientSettings` takes a pattern: a run
 * without one (dcat, `needsMatcher`) never loads it (docs/performance.md#start-up).
 */
export async function loadMatcher(): Promise<void> {
  compile ??= (await import("../core/matcher.ts")).compileMatcher;
}

/** The run's matcher; an invalid pattern fails here, before any file is read or server asked. */
function matcherOf(s: ReadSettings): Matcher {
  const literal = literalMatcher(s.pattern, { noopAllowed: !s.invert });
  if (literal !== null) return literal;
  if (compile === null) throw new Error("a pattern needs loadMatcher() first");
  return compile(s.pattern, { noopAllowed: !s.invert });
}

/** What serverless and remote dcat, dgrep and dtail runs have in common, checked once. */
interface ReadSettings {
  readonly mode: ReadMode;
  readonly files: string[];
  readonly pattern: string;
  /** dgrep: whether --grep or --regex was given (else the first file may be a mistyped pattern). */
  readonly patternGiven: boolean;
  readonly invert: boolean;
  readonly before: number;
  readonly after: number;
  readonly max: number;
  readonly plain: boolean;
  readonly color: boolean;
  /** Labelled lines for a terminal: their control characters written visibly. */
  readonly visibleControls: boolean;
  readonly json: boolean;
  readonly timeRange: TimeRange | null;
}

function readSettingsOf(
  program: Program,
  flags: Flags,
  config: Config,
  env: SettingsEnv,
): ReadSettings {
  const { files, query } = targetsOf(flags);
  if (query !== "") throw new UsageError(`${program} takes no query; use dmap or dtail`);
  const mode: ReadMode = program === "dcat" ? "cat" : program === "dgrep" ? "grep" : "tail";
  for (const name of ["before", "after", "max"] as const) {
    if (mode !== "cat" && flags.int(name) < 0) {
      throw new UsageError(`-${name} must not be negative`);
    }
  }
  const context = (name: "before" | "after" | "max") => (mode === "cat" ? 0 : flags.int(name));
  return {
    mode,
    files,
    pattern: mode === "cat" ? "" : flags.str("grep") || flags.str("regex"),
    patternGiven: isSet(flags, "grep") || isSet(flags, "regex"),
    invert: mode !== "cat" && flags.bool("invert"),
    before: context("before"),
    after: context("after"),
    max: context("max"),
    plain: flags.bool("plain"),
    color: colorOf(flags, config, env),
    visibleControls: !flags.bool("plain") && !jsonOf(flags) && (env.terminals?.stdout ?? false),
    json: jsonOf(flags),
    timeRange: timeRangeOf(program, flags),
  };
}

/**
 * `dgrep ERROR app.log` (grep's order) reads ERROR as a file and prints every line of app.log:
 * when that first file is missing, its line says how a pattern is given.
 */
function patternHint(first: string): (target: string) => string {
  return (target) =>
    target === first
      ? `; without --grep every line matches (to search for it: dgrep --grep ${
        /^[\w.:=@%+,/-]+$/.test(first) ? first : `'${first.replaceAll("'", "'\\''")}'`
      } FILE...)`
      : "";
}

function readJobOf(s: ReadSettings, config: Config, resume: ResumeSettings | null): ReadJob {
  return {
    ...(resume === null ? {} : { resume }),
    mode: s.mode,
    targets: s.files.length > 0 ? s.files : ["-"],
    ...(s.mode === "grep" && !s.patternGiven && s.files.length > 0
      ? { missingHint: patternHint(s.files[0]!) }
      : {}),
    filter: {
      matcher: matcherOf(s),
      invert: s.invert,
      before: s.before,
      after: s.after,
      max: s.max,
      maxLineLength: config.Server.MaxLineLength,
      numbered: !s.plain,
      ...(s.timeRange === null ? {} : { timeRange: s.timeRange }),
    },
    frame: {
      plain: s.plain,
      color: s.color,
      visibleControls: s.visibleControls,
      hostname: shortHostname(),
      colors: config.Client.TermColors,
    },
    maxGlobTargets: config.Server.MaxGlobTargets,
    maxGlobDirs: config.Server.MaxGlobDirs,
    json: s.json,
  };
}

/**
 * The command sent to a server separates its fields with spaces (docs/protocol.md#commands), so a
 * file name holding white space cannot be sent; a glob reaches it.
 */
function refuseUnsendable(files: readonly string[]): void {
  const bad = files.find((f) => /\s/.test(f));
  if (bad === undefined) return;
  const glob = bad.replace(/\s/g, "?");
  throw new UsageError(
    `${JSON.stringify(clip(bad))}: a file name sent to a server cannot hold white space; ` +
      `a glob reaches it: ${JSON.stringify(clip(glob))}`,
  );
}

/** A run against servers: the same settings, the pattern checked here before connecting. */
function remoteRunOf(s: ReadSettings, flags: Flags, resume: ResumeSettings | null): RemoteRun {
  if (s.files.length === 0) {
    throw new UsageError("no files given (standard input cannot be read on servers)");
  }
  refuseUnsendable(s.files);
  matcherOf(s); // an invalid pattern fails here, once (a plain string is always valid)
  return {
    ...(resume === null ? {} : { resume }),
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
    visibleControls: s.visibleControls,
    json: s.json,
    ...(s.timeRange === null ? {} : { timeRange: s.timeRange }),
  };
}

/**
 * dtail's `--resume FILE` (docs/usage.md#resume-across-runs); null without it. Only a follow of
 * files has positions: not standard input, a query or an interactive run.
 */
export function resumeOf(
  program: Program,
  flags: Flags,
  config: Config,
  files: readonly string[],
): ResumeSettings | null {
  const file = program === "dtail" ? flags.str("resume") : "";
  if (file === "") return null;
  if (targetsOf(flags).query !== "") throw new UsageError("--resume cannot be used with a query");
  if (flags.bool("interactive-query")) {
    throw new UsageError("--resume cannot be used with --interactive-query");
  }
  if (files.length === 0 || files.includes("-")) {
    throw new UsageError("--resume needs files to follow (standard input has no positions)");
  }
  return { file, maxGapBytes: config.Server.ResumeMaxGapBytes };
}

/** --interactive-query: the control terminal's path; null without the flag. */
export function controlTerminalOf(flags: Flags): string | null {
  if (!flags.bool("interactive-query")) return null;
  const path = flags.str("control-tty");
  if (path === "") throw new UsageError("--control-tty must name a terminal");
  return path;
}

/** A dcat, dgrep or dtail run (without a query): serverless or against servers. */
export type ClientSettings =
  & {
    /** dtail: --timeout and --shutdownAfter (each stops the run when positive). */
    readonly stopAfterSeconds: readonly number[];
  }
  & (
    | { readonly remote: false; readonly job: ReadJob }
    | { readonly remote: true; readonly run: RemoteRun; readonly connection: RemoteConnection }
  );

export function clientSettings(
  program: Program,
  flags: Flags,
  config: Config,
  env: SettingsEnv,
): ClientSettings {
  const remote = !isServerless(flags);
  const read = readSettingsOf(program, flags, config, env);
  const resume = resumeOf(program, flags, config, read.files);
  const stopAfterSeconds = program === "dtail"
    ? [flags.int("timeout"), flags.int("shutdownAfter")]
    : [];
  return remote
    ? {
      remote,
      run: remoteRunOf(read, flags, resume),
      connection: connectionOf(flags, config, env),
      stopAfterSeconds,
    }
    : { remote, job: readJobOf(read, config, resume), stopAfterSeconds };
}

/** dmap, and dtail with a query. */
export interface QuerySettings {
  readonly job: QueryJob;
  /** Null: serverless. */
  readonly connection: RemoteConnection | null;
  /** When the run stops on its own (0: never); see deadline.ts. */
  readonly stopAfterSeconds: number;
}

export function querySettings(
  program: Program,
  flags: Flags,
  config: Config,
  env: SettingsEnv,
  target: { files: string[]; query: string },
): QuerySettings {
  if (target.query === "") {
    throw new UsageError("no query given (--query or a positional 'select …')");
  }
  resumeOf(program, flags, config, target.files); // refused with a query
  const timeRange = timeRangeOf(program, flags);
  const remote = !isServerless(flags);
  if (remote && target.files.length === 0) {
    throw new UsageError("no files given (standard input cannot be read on servers)");
  }
  if (remote) refuseUnsendable(target.files);
  return {
    job: {
      queryText: target.query,
      targets: target.files,
      verb: program === "dmap" ? "cat" : "tail",
      color: colorOf(flags, config, env),
      visibleControls: !jsonOf(flags) && (env.terminals?.stdout ?? false),
      quiet: flags.bool("quiet") || flags.bool("plain"),
      timeout: flags.int("timeout"),
      json: jsonOf(flags),
      ...(timeRange === null ? {} : { timeRange }),
      ...liveField(liveOf(program, flags, env)),
    },
    connection: remote ? connectionOf(flags, config, env) : null,
    stopAfterSeconds: queryDeadline(
      program,
      remote,
      flags.int("timeout"),
      flags.int("shutdownAfter"),
    ),
  };
}

function liveField(
  live: ReturnType<typeof liveOf>,
): { live?: { table: boolean; progress: boolean } } {
  return live === undefined ? {} : { live };
}

/**
 * dserver: its flags over dtail.json (docs/compatibility.md#flags-over-config); --logger and
 * --shutdownAfter have no key there.
 */
export function dserverSettings(flags: Flags, config: Config): DserverSettings {
  return {
    port: portOf(flags, config, 0),
    bindAddress: flagOverConfig(flags, "bindAddress", config.Server.SSHBindAddress),
    logger: flags.str("logger"),
    logLevel: flagOverConfig(flags, "logLevel", config.Common.LogLevel),
    logDir: flagOverConfig(flags, "logDir", config.Common.LogDir),
    shutdownAfter: flags.int("shutdownAfter"),
  };
}

/** dtailhealth reads no dtail.json and has no --port: servers without a port use its default. */
export function healthSettings(flags: Flags): { server: string; defaultPort: number } {
  return { server: flags.str("server"), defaultPort: defaultValue("port", "dtailhealth") };
}
