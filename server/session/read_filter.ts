/**
 * Pure helpers of the session's read commands (cat/grep/tail, docs/compatibility.md#reading-files):
 * the line filter a command asks for, as the core pipeline and the map worker take it.
 */
import { compileMatcher, type Matcher } from "../../core/matcher.ts";
import type { ReadCommand } from "../../core/protocol/commands.ts";
import { intOption, timeRangeOf } from "../../core/protocol/options.ts";
import type { FilterOptions } from "../../core/pipeline.ts";
import type { LineRegex } from "../../core/mapr/parallel_map.ts";

/**
 * The read command's line filter, for filterChunks / LineSelector, with its time range
 * (`since`/`until`, docs/protocol.md#options); throws PatternError, or OptionsError for a bad
 * time range.
 */
export function readFilter(
  command: ReadCommand,
  maxLineLength: number,
  plain: boolean,
): FilterOptions {
  const context = command.verb === "cat" ? { before: 0, after: 0, max: 0 } : {
    before: intOption(command.options, "before"),
    after: intOption(command.options, "after"),
    max: intOption(command.options, "max"),
  };
  return {
    matcher: matcher(command),
    invert: command.regex.flag === "invert",
    ...context,
    maxLineLength,
    numbered: !plain,
    ...timeRangeFilter(command),
  };
}

/** The filter option of the command's time range, when it has one. */
export function timeRangeFilter(
  command: Pick<ReadCommand, "options">,
): Pick<FilterOptions, "timeRange"> {
  const range = timeRangeOf(command.options);
  return range === null ? {} : { timeRange: range };
}

function matcher(command: ReadCommand): Matcher {
  const { regex } = command;
  return compileMatcher(regex.flag === "noop" ? "" : regex.pattern, {
    noopAllowed: regex.flag === "noop",
  });
}

/** The read command's line filter, as the map worker takes it. */
export function lineRegex(command: ReadCommand): LineRegex {
  const { regex } = command;
  return { pattern: regex.flag === "noop" ? "" : regex.pattern, invert: regex.flag === "invert" };
}
