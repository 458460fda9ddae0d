/**
 * The lines typed on the control terminal (docs/usage.md#interactive-query-reload): `:reload
 * <flags>`, `:show`, `:help`, `:quit`. Parsing only; what a command does is controller.ts.
 */

/** A line that is no command, or a `:reload` whose arguments cannot be split. */
export class ControlInputError extends Error {
  override name = "ControlInputError";
}

export type ControlCommand =
  | { readonly kind: "help" | "show" | "quit" }
  | { readonly kind: "reload"; readonly args: readonly string[] };

export const BANNER =
  "Interactive query control enabled. Commands: :reload <flags>, :show, :help, :quit";

export const HELP =
  'Commands: :reload <flags>, :show, :help, :quit. Use quotes around multi-word values such as --query "select count(status) from stats".';

/** A trimmed, non-blank line as a command; throws ControlInputError with Go's message. */
export function parseControlLine(line: string): ControlCommand {
  const text = line.trim();
  if (text === ":help" || text === ":show" || text === ":quit") {
    return { kind: text.slice(1) as "help" | "show" | "quit" };
  }
  const reload = /^:reload(?:\s+([\s\S]*))?$/.exec(text);
  if (reload === null) throw new ControlInputError(`unknown command ${JSON.stringify(text)}`);
  const rest = (reload[1] ?? "").trim();
  if (rest === "") throw new ControlInputError("reload requires flags to change");
  return { kind: "reload", args: splitArgs(rest) };
}

/**
 * Shell-like words: blanks separate them, single and double quotes group (and may be empty: `''`
 * is an empty word), a backslash takes the next character as it is, also inside quotes.
 */
export function splitArgs(raw: string): string[] {
  const words: string[] = [];
  let word = "";
  let started = false;
  let quote = "";
  let escaped = false;
  for (const c of raw) {
    if (escaped) {
      word += c;
      escaped = false;
    } else if (c === "\\") {
      escaped = true;
      started = true;
    } else if (quote !== "") {
      if (c === quote) quote = "";
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      started = true;
    } else if (c === " " || c === "\t") {
      if (started) words.push(word);
      word = "";
      started = false;
    } else {
      word += c;
      started = true;
    }
  }
  if (escaped) throw new ControlInputError("unterminated escape sequence");
  if (quote !== "") throw new ControlInputError("unterminated quoted string");
  if (started) words.push(word);
  return words;
}
