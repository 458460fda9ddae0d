/**
 * The conditions of an OpenSSH client config (ssh_config(5), "PATTERNS" and "Match"): `Host`
 * pattern lines, `Match` criteria, and the `*`/`?` wildcard match under both.
 *
 * Patterns are compiled once per config line; matching a name is a two-pointer wildcard walk
 * (no RegExp built from the user's text, no backtracking blow-up: O(pattern × name) at worst).
 */

/** What a `Match` criterion looks at while one alias is being resolved. */
export interface MatchState {
  /** The name as the user typed it (`Host`, `Match originalhost`). */
  readonly alias: string;
  /** `HostName` obtained so far with `%h` expanded, else the alias (`Match host`). */
  hostSoFar(): string;
  /** `User` obtained so far, else the local user (`Match user`). */
  userSoFar(): string;
  readonly localUser: string;
}

/** Whether `text` matches `pattern`, where `*` is any run of characters and `?` one character. */
export function wildcardMatch(pattern: string, text: string): boolean {
  return starMatch(pattern, text, (c, ch) => c === "?" || c === ch);
}

/**
 * The two-pointer walk of `*` patterns: linear in practice, never the exponential backtracking of
 * a regex built from the pattern. `one` says whether a non-`*` item matches one character.
 */
function starMatch<T>(
  items: ArrayLike<T | "*">,
  text: string,
  one: (item: T, ch: string) => boolean,
): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const item = p < items.length ? items[p]! : undefined;
    if (item === "*") {
      star = p++;
      resume = t;
    } else if (item !== undefined && one(item as T, text[t]!)) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (p < items.length && items[p] === "*") p++;
  return p === items.length;
}

interface Pattern {
  readonly negated: boolean;
  readonly text: string;
  /** No `*`/`?`: a plain comparison. */
  readonly literal: boolean;
}

/**
 * A list of patterns, some negated with `!`: it matches when one positive pattern matches and no
 * negated one does (OpenSSH's match_pattern_list).
 */
export class PatternList {
  readonly #patterns: readonly Pattern[];
  readonly #lower: boolean;

  /** `lower`: compare case-insensitively (host names in `Match host`/`originalhost`). */
  constructor(patterns: readonly string[], lower: boolean) {
    this.#lower = lower;
    this.#patterns = patterns.map((raw) => {
      const negated = raw.startsWith("!");
      let text = negated ? raw.slice(1) : raw;
      if (lower) text = text.toLowerCase();
      return { negated, text, literal: !/[*?]/.test(text) };
    });
  }

  test(name: string): boolean {
    const subject = this.#lower ? name.toLowerCase() : name;
    let matched = false;
    for (const p of this.#patterns) {
      const hit = p.literal ? p.text === subject : wildcardMatch(p.text, subject);
      if (!hit) continue;
      if (p.negated) return false;
      matched = true;
    }
    return matched;
  }
}

export type Criterion =
  | { readonly negated: boolean; readonly what: "all" }
  | {
    readonly negated: boolean;
    readonly what: "host" | "originalhost" | "user" | "localuser";
    readonly list: PatternList;
  };

/** When the lines of a block apply. */
export type Condition =
  | { readonly kind: "host"; readonly list: PatternList }
  | { readonly kind: "match"; readonly criteria: readonly Criterion[] }
  /** A block that can never apply (a `Match exec`, a malformed `Host`/`Match` line). */
  | { readonly kind: "never" };

export const NEVER: Condition = { kind: "never" };

/** Criteria that OpenSSH knows and that we do not evaluate: such a block never applies. */
const UNSUPPORTED_CRITERIA = new Set([
  "canonical",
  "final",
  "exec",
  "localnetwork",
  "tagged",
  "command",
  "version",
  "sessiontype",
]);

/** A compiled `Match` line, or why it cannot be used (the block then never applies). */
export function compileMatch(args: readonly string[]): Condition | { error: string } {
  const criteria: Criterion[] = [];
  for (let i = 0; i < args.length; i++) {
    const raw = args[i]!;
    const negated = raw.startsWith("!");
    const what = (negated ? raw.slice(1) : raw).toLowerCase();
    if (what === "all") {
      criteria.push({ negated, what });
      continue;
    }
    if (UNSUPPORTED_CRITERIA.has(what)) {
      return { error: `Match ${what} is not supported, the block never applies` };
    }
    if (what !== "host" && what !== "originalhost" && what !== "user" && what !== "localuser") {
      return { error: `unknown Match criterion "${raw}", the block never applies` };
    }
    const list = args[++i];
    if (list === undefined) return { error: `Match ${what} needs a pattern list` };
    const lower = what === "host" || what === "originalhost";
    criteria.push({ negated, what, list: new PatternList(list.split(","), lower) });
  }
  if (criteria.length === 0) return { error: "Match needs criteria" };
  return { kind: "match", criteria };
}

/** Whether a block's condition holds for the resolution in progress. */
export function holds(cond: Condition, state: MatchState): boolean {
  switch (cond.kind) {
    case "never":
      return false;
    case "host":
      return cond.list.test(state.alias);
    case "match":
      return cond.criteria.every((c) => criterionHolds(c, state) !== c.negated);
  }
}

function criterionHolds(c: Criterion, state: MatchState): boolean {
  switch (c.what) {
    case "all":
      return true;
    case "host":
      return c.list.test(state.hostSoFar());
    case "originalhost":
      return c.list.test(state.alias);
    case "user":
      return c.list.test(state.userSoFar());
    case "localuser":
      return c.list.test(state.localUser);
  }
}

/**
 * A test of file names against one glob segment of an `Include` path: `*`, `?` and `[...]`
 * classes (with `!`/`^` negation and ranges), a leading `.` only matched by a literal dot, as glob(3).
 */
export function globSegmentMatcher(pattern: string): (name: string) => boolean {
  const items = compileGlobSegment(pattern);
  const dotOk = pattern.startsWith(".");
  return (name) => (dotOk || !name.startsWith(".")) && starMatch(items, name, itemMatches);
}

type GlobItem = "*" | "?" | { char: string } | {
  negated: boolean;
  ranges: [string, string][];
};

function compileGlobSegment(pattern: string): GlobItem[] {
  const items: GlobItem[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*" || c === "?") items.push(c);
    else if (c === "\\" && i + 1 < pattern.length) items.push({ char: pattern[++i]! });
    else if (c === "[") {
      const close = classEnd(pattern, i);
      if (close < 0) {
        items.push({ char: c });
        continue;
      }
      let body = pattern.slice(i + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      const ranges: [string, string][] = [];
      for (let j = 0; j < body.length; j++) {
        const lo = body[j]!;
        if (body[j + 1] === "-" && j + 2 < body.length) {
          ranges.push([lo, body[j + 2]!]);
          j += 2;
        } else ranges.push([lo, lo]);
      }
      items.push({ negated, ranges });
      i = close;
    } else items.push({ char: c });
  }
  return items;
}

/** The index of the `]` closing the class opened at `open`, or -1 (then `[` is literal). */
function classEnd(pattern: string, open: number): number {
  let j = open + 1;
  if (pattern[j] === "!" || pattern[j] === "^") j++;
  if (pattern[j] === "]") j++; // a leading `]` is a member
  const close = pattern.indexOf("]", j);
  return close;
}

function itemMatches(item: GlobItem, ch: string): boolean {
  if (item === "?") return true;
  if (item === "*") return false;
  if ("char" in item) return item.char === ch;
  const inside = item.ranges.some(([lo, hi]) => lo <= ch && ch <= hi);
  return inside !== item.negated;
}
