/**
 * The one flag table: parsing, `--help`, shell completions and docs/flags.md all come from it.
 * Names, types and defaults are those of the Go DTail (docs/compatibility.md#flags). Each name and
 * type is declared here only: `FlagValues` is derived from the table, so a misspelt flag name is a
 * type error.
 */

export type Program = "dtail" | "dcat" | "dgrep" | "dmap" | "dtailhealth" | "dserver";
export const PROGRAMS: readonly Program[] = [
  "dtail",
  "dcat",
  "dgrep",
  "dmap",
  "dtailhealth",
  "dserver",
];

export type FlagType = "string" | "int" | "bool";
export type FlagValue = string | number | boolean;

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: FlagValue;
  readonly programs: readonly Program[];
  readonly help: string;
  /** Defaults that differ by program (the Go binaries differ here). */
  readonly defaultFor?: Partial<Record<Program, FlagValue>>;
  /** Placeholder shown in --help for the value. */
  readonly arg?: string;
  /** Accepted for compatibility but not acted upon (said in --help). */
  readonly inert?: boolean;
  /** Left out of --help (Go-only developer flags). */
  readonly hidden?: boolean;
}

const CLIENTS = ["dtail", "dcat", "dgrep", "dmap"] as const satisfies readonly Program[];
const FILTERS = ["dtail", "dgrep"] as const satisfies readonly Program[];

const TABLE = [
  // Where to read.
  {
    name: "files",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "list",
    help: "comma-separated files, globs or journal:<unit> (also accepted as positional arguments)",
  },
  {
    name: "servers",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "list",
    help:
      'comma list or file of servers, or /regex/ to filter discovery; empty or "serverless" reads local files',
  },
  {
    name: "discovery",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "name",
    help: "server discovery module, optionally NAME:options",
  },
  {
    name: "server",
    type: "string",
    default: "",
    programs: ["dtailhealth"],
    arg: "host:port",
    help: "server to check; empty checks serverless mode",
  },
  {
    name: "port",
    type: "int",
    default: 2222,
    programs: [...CLIENTS, "dserver"],
    arg: "n",
    help: "SSH port (clients: for servers given without :port)",
  },
  {
    name: "user",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "name",
    help: "SSH user name (default: the current user)",
  },
  // Filtering.
  {
    name: "regex",
    type: "string",
    default: ".",
    programs: FILTERS,
    arg: "re",
    help: "only lines matching this regular expression (RE2 syntax; a plain word is a literal)",
  },
  {
    name: "grep",
    type: "string",
    default: "",
    programs: FILTERS,
    arg: "re",
    help: "alias of --regex; wins when set",
  },
  {
    name: "invert",
    type: "bool",
    default: false,
    programs: FILTERS,
    help: "print the lines that do not match",
  },
  {
    name: "before",
    type: "int",
    default: 0,
    programs: FILTERS,
    arg: "n",
    help: "also print n lines before each match",
  },
  {
    name: "after",
    type: "int",
    default: 0,
    programs: FILTERS,
    arg: "n",
    help: "also print n lines after each match",
  },
  {
    name: "max",
    type: "int",
    default: 0,
    programs: FILTERS,
    arg: "n",
    help: "stop after n matches per file (0: no limit)",
  },
  // Time range.
  {
    name: "since",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "time",
    help:
      "only lines at or after this time: a duration back from now (15m, 2h, 1h30m, 1d) or a time (2026-12-03T10:00:00Z, '2026-12-03 10:00', 20261203-100000; local time without a zone); dtail prints that part of each file, then follows",
  },
  {
    name: "until",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "time",
    help: "only lines at or before this time (as --since; not with dtail, which follows)",
  },
  // MapReduce and time limits.
  {
    name: "query",
    type: "string",
    default: "",
    programs: ["dtail", "dmap"],
    arg: "query",
    help: "MapReduce query (dtail: streaming aggregation)",
  },
  {
    name: "timeout",
    type: "int",
    default: 0,
    programs: ["dtail", "dmap"],
    arg: "s",
    help: "stop after s seconds (0: no limit)",
  },
  {
    name: "shutdownAfter",
    type: "int",
    default: 86400,
    programs: ["dtail", "dserver"],
    arg: "s",
    defaultFor: { dserver: 0 },
    help: "stop after s seconds (0: never)",
  },
  {
    name: "resume",
    type: "string",
    default: "",
    programs: ["dtail"],
    arg: "file",
    help:
      "start from the positions saved in file and save them there (every 5 s and on exit): follow from where the last run stopped",
  },
  // Output.
  {
    name: "plain",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help: "print the raw lines only (implies --quiet and --noColor)",
  },
  {
    name: "quiet",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help: "no periodic connection statistics",
  },
  {
    name: "noColor",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help: "no ANSI colors (so does the NO_COLOR environment variable)",
  },
  {
    name: "json",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help:
      "machine output: one JSON object per line, or per result row of a query (implies --noColor; not with --plain)",
  },
  {
    name: "colorTable",
    type: "bool",
    default: false,
    programs: ["dtail"],
    help: "print the table of terminal colors and exit",
  },
  {
    name: "wideColorTable",
    type: "bool",
    default: false,
    programs: ["dtail"],
    help: "like --colorTable, with a sample paragraph per color",
  },
  {
    name: "color",
    type: "bool",
    default: false,
    programs: ["dserver"],
    help: "colored log output",
  },
  // Configuration and logging.
  {
    name: "cfg",
    type: "string",
    default: "",
    programs: [...CLIENTS, "dserver"],
    arg: "path",
    help:
      'config file ("none": built-in defaults; default: ~/.config/dtail/dtail.conf or ~/.dtail.conf)',
  },
  {
    name: "logDir",
    type: "string",
    default: "~/log",
    defaultFor: { dserver: "" },
    programs: [...CLIENTS, "dserver"],
    arg: "dir",
    help: "log directory",
  },
  {
    name: "logger",
    type: "string",
    default: "fout",
    defaultFor: { dserver: "file", dtailhealth: "none" },
    programs: [...PROGRAMS],
    arg: "name",
    help: "none, stdout, file or fout",
  },
  {
    name: "logLevel",
    type: "string",
    default: "info",
    defaultFor: { dtailhealth: "none" },
    programs: [...PROGRAMS],
    arg: "level",
    help: "none, fatal, error, warn, info, default, verbose, debug, devel, trace or all",
  },
  {
    name: "log-payload",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help: "also write received lines to the client log file",
  },
  // SSH.
  {
    name: "trustAllHosts",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help: "trust unknown host keys without asking (and remember them)",
  },
  {
    name: "ssh-config",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "file",
    help:
      'OpenSSH client config to read instead of ~/.ssh/config and /etc/ssh/ssh_config; "none" reads none',
  },
  {
    name: "F",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "file",
    help: "alias of --ssh-config (as ssh -F)",
  },
  {
    name: "cpc",
    type: "int",
    default: 10,
    programs: CLIENTS,
    arg: "n",
    help: "concurrent connection set-ups per CPU",
  },
  {
    name: "agentKeyIndex",
    type: "int",
    default: -1,
    programs: CLIENTS,
    arg: "n",
    help: "use only the n-th ssh-agent key (-1: all)",
  },
  {
    name: "auth-key-path",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "path",
    help: "private key offered first and registered with AUTHKEY (default ~/.ssh/id_rsa)",
  },
  {
    name: "key",
    type: "string",
    default: "",
    programs: CLIENTS,
    arg: "path",
    help: "deprecated alias of --auth-key-path",
  },
  {
    name: "no-auth-key",
    type: "bool",
    default: false,
    programs: [...CLIENTS, "dtailhealth"],
    help: "do not register the key with AUTHKEY",
  },
  {
    name: "bindAddress",
    type: "string",
    default: "",
    programs: ["dserver"],
    arg: "addr",
    help: "address to listen on (default from config: 0.0.0.0)",
  },
  // Interactive control.
  {
    name: "interactive-query",
    type: "bool",
    default: false,
    programs: CLIENTS,
    help: "control the run from the terminal (:reload, :show, :help, :quit)",
  },
  {
    name: "control-tty",
    type: "string",
    default: "/dev/tty",
    programs: CLIENTS,
    arg: "path",
    help: "terminal for --interactive-query",
  },
  // Meta.
  {
    name: "version",
    type: "bool",
    default: false,
    programs: [...PROGRAMS],
    help: "print the version and exit",
  },
  {
    name: "checkHealth",
    type: "bool",
    default: false,
    programs: ["dtail"],
    help: "deprecated: use dtailhealth",
  },
  {
    name: "completion",
    type: "string",
    default: "",
    programs: [...PROGRAMS],
    arg: "shell",
    help: "print a completion script for bash and exit",
  },
  // Go-only developer flags: accepted so old command lines keep working, ignored.
  {
    name: "pprof",
    type: "string",
    default: "",
    programs: [...PROGRAMS],
    arg: "addr",
    inert: true,
    hidden: true,
    help: "Go profiling (ignored)",
  },
  {
    name: "cpuprofile",
    type: "bool",
    default: false,
    programs: CLIENTS,
    inert: true,
    hidden: true,
    help: "Go profiling (ignored)",
  },
  {
    name: "memprofile",
    type: "bool",
    default: false,
    programs: CLIENTS,
    inert: true,
    hidden: true,
    help: "Go profiling (ignored)",
  },
  {
    name: "profile",
    type: "bool",
    default: false,
    programs: CLIENTS,
    inert: true,
    hidden: true,
    help: "Go profiling (ignored)",
  },
  {
    name: "profiledir",
    type: "string",
    default: "profiles",
    programs: CLIENTS,
    arg: "dir",
    inert: true,
    hidden: true,
    help: "Go profiling (ignored)",
  },
] as const satisfies readonly FlagSpec[];

/** Every flag, in the order of --help. */
export const FLAGS: readonly FlagSpec[] = TABLE;

type DeclaredFlag = typeof TABLE[number];
export type FlagName = DeclaredFlag["name"];
/** The names of the flags of one type. */
export type FlagNameOf<T extends FlagType> = Extract<DeclaredFlag, { readonly type: T }>["name"];
interface ValueOfType {
  string: string;
  int: number;
  bool: boolean;
}
/** Every flag's value, by name, typed as the table declares it. */
export type FlagValues = {
  readonly [F in DeclaredFlag as F["name"]]: ValueOfType[F["type"]];
};

export function flagsOf(program: Program): FlagSpec[] {
  return FLAGS.filter((f) => f.programs.includes(program));
}

export function defaultOf(flag: FlagSpec, program: Program): FlagValue {
  return flag.defaultFor?.[program] ?? flag.default;
}

/** A flag's default for a program (also for one that does not take the flag), typed. */
export function defaultValue<N extends FlagName>(name: N, program: Program): FlagValues[N] {
  const flag = FLAGS.find((f) => f.name === name)!;
  return defaultOf(flag, program) as FlagValues[N];
}
