/**
 * The flags of `:reload` (docs/usage.md#interactive-query-reload): a reload line's words are
 * parsed as flags (Go flag rules, app/flags.ts) over the ones the run was started with, and the
 * settings are resolved again (app/settings.ts), so a reload is checked exactly as a command line
 * is. Which flags a reload takes depends on the run, as in the Go client: a query run takes
 * --query, dcat and dgrep their filters, all of them --files, --plain, --quiet and --timeout.
 */
import { UsageError } from "../core/errors.ts";
import { parseQuery, tableFilter } from "../core/mapr/query.ts";
import { encodeOptions } from "../core/protocol/options.ts";
import type { Planned, Planner, WorkloadInfo } from "../cli/interactive/controller.ts";
import { commandOptions } from "../cli/session/command_frames.ts";
import { type FlagName, FLAGS, type FlagValues, type Program } from "./flag_table.ts";
import { Flags, parseFlags } from "./flags.ts";
import { targetsOf } from "./settings.ts";

const QUERY_FLAGS: readonly FlagName[] = ["query", "files", "plain", "quiet", "timeout"];
const FILTER_FLAGS: readonly FlagName[] = [
  "regex",
  "grep",
  "invert",
  "before",
  "after",
  "max",
  "files",
  "plain",
  "quiet",
  "timeout",
];
const CAT_FLAGS: readonly FlagName[] = ["files", "plain", "quiet", "timeout"];

/** The flags a `:reload` of this run takes. */
export function reloadFlags(program: Program, query: boolean): readonly FlagName[] {
  if (query || program === "dmap") return QUERY_FLAGS;
  return program === "dcat" ? CAT_FLAGS : FILTER_FLAGS;
}

/**
 * A Planner over the run's flags: `build` resolves flags into the run's job (throwing as the
 * command line would), `query` says whether the run is a query run.
 */
export function reloadPlanner<J>(
  flags: Flags,
  query: boolean,
  build: (flags: Flags) => J,
): Planner<J> {
  const program = flags.parsed.program;
  const allowed = reloadFlags(program, query);
  const planned = new WeakMap<Planned<J>, Flags>();
  const plan = (next: Flags): Planned<J> => {
    const result = { job: build(next), info: workloadInfo(next) };
    planned.set(result, next);
    return result;
  };
  let current = plan(normalized(flags));
  return {
    get current() {
      return current;
    },
    plan: (args) => plan(reloaded(planned.get(current)!, allowed, args)),
    accept(next) {
      current = next;
    },
  };
}

/** The flags with the files (and query) of positional arguments moved into --files (--query). */
function normalized(flags: Flags): Flags {
  const { files, query } = targetsOf(flags);
  const values: Partial<Record<FlagName, FlagValues[FlagName]>> = {
    ...flags.parsed.values,
    files: files.join(","),
  };
  if (flags.parsed.values.query !== undefined) values.query = query;
  return new Flags({
    ...flags.parsed,
    values: values as Partial<FlagValues>,
    positionals: [],
    dashDash: false,
  });
}

/** The current flags with a reload line's words over them. */
function reloaded(current: Flags, allowed: readonly FlagName[], args: readonly string[]): Flags {
  const program = current.parsed.program;
  const parsed = parseFlags(program, args, { specs: FLAGS, defaults: false });
  if (parsed.help) throw new UsageError("-help is not a :reload flag (:help lists the commands)");
  if (parsed.positionals.length > 0) {
    throw new UsageError(`unexpected arguments: ${parsed.positionals.join(" ")}`);
  }
  for (const name of parsed.given) {
    if (!allowed.includes(name)) {
      throw new UsageError(
        `-${name} cannot be changed by :reload; it takes ${allowed.map((n) => `-${n}`).join(" ")}`,
      );
    }
  }
  if (parsed.given.size === 0) throw new UsageError("reload requires flags to change");
  const values: Record<string, unknown> = { ...current.parsed.values, ...parsed.values };
  // As in Go: --grep, when given and not empty, sets the regex; --regex alone drops an old --grep.
  if (parsed.given.has("grep") && parsed.values.grep !== "") values.regex = parsed.values.grep;
  if (parsed.given.has("grep") || parsed.given.has("regex")) values.grep = "";
  return new Flags({
    ...current.parsed,
    values: values as Partial<FlagValues>,
    given: new Set([...current.parsed.given, ...parsed.given]),
  });
}

const MODES: Readonly<Record<string, string>> = {
  dcat: "cat",
  dgrep: "grep",
  dtail: "tail",
  dmap: "map",
};

/** What `:show` prints of a run's flags (the fields of the Go client's line). */
export function workloadInfo(flags: Flags): WorkloadInfo {
  const program = flags.parsed.program;
  const values = flags.parsed.values;
  const { files, query } = targetsOf(flags);
  let regex = "";
  if (query !== "") {
    const filter = tableFilter(parseQuery(query));
    regex = filter === "." ? "" : filter;
  } else if (program !== "dcat") regex = values.grep || values.regex || "";
  const plain = values.plain ?? false;
  const options = commandOptions({
    verb: program === "dcat" || program === "dmap" ? "cat" : program === "dgrep" ? "grep" : "tail",
    plain: query === "" && plain,
    quiet: (values.quiet ?? false) || plain,
    before: query === "" ? values.before ?? 0 : 0,
    after: query === "" ? values.after ?? 0 : 0,
    max: query === "" ? values.max ?? 0 : 0,
  }, "go");
  return {
    mode: MODES[program] ?? program,
    files,
    query,
    regex,
    options: encodeOptions(options),
    timeout: values.timeout ?? 0,
  };
}
