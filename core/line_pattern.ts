/**
 * A pattern that matches the same lines with fewer loops. A line holds a match of `X+R` (X one
 * character: a literal, `.`, a class or a one-character escape) exactly when it holds one of
 * `XR`: a match of X…XR ends with XR. Likewise `X*R` and `R`, `X{n,m}R` and `X{n}R`, and at the
 * end `RX+` and `RX`, `RX*` and `R`. Which lines match is all a line filter asks, and a leading or
 * trailing loop is what makes a search backtrack through a long run of X (`[0-9]+ms` in a line
 * of digits); without it the pattern searches the whole text at once, with no line guard.
 */

interface Token {
  readonly start: number;
  /** Where the atom ends and its quantifier (if any) starts. */
  readonly atomEnd: number;
  readonly end: number;
  /** The atom matches one character (and is no assertion). */
  readonly single: boolean;
  /** The quantifier's bounds (1, 1 without one); max -1 for none. */
  readonly min: number;
  readonly max: number;
}

/** The line-equivalent pattern of a valid RE2 pattern (the pattern itself when none is shorter). */
export function linePattern(pattern: string): string {
  for (let i = 0; i < 8; i++) {
    const reduced = reduceOnce(pattern);
    if (reduced === pattern) return pattern;
    pattern = reduced;
  }
  return pattern;
}

function reduceOnce(pattern: string): string {
  const tokens = topLevelTokens(pattern);
  if (tokens === null || tokens.length < 2) return pattern;
  const first = tokens[0]!;
  const second = tokens[1]!;
  if (first.single && isLoop(first) && !startsBranchEnd(pattern, second.start)) {
    return repeatText(pattern, first) + pattern.slice(first.end);
  }
  const last = tokens[tokens.length - 1]!;
  const before = tokens[tokens.length - 2]!;
  if (last.single && isLoop(last) && !endsBranch(pattern, before.end)) {
    return pattern.slice(0, last.start) + repeatText(pattern, last);
  }
  return pattern;
}

/** A quantifier that allows more than its minimum. */
function isLoop(t: Token): boolean {
  return t.max === -1 || t.max > t.min;
}

/** The atom repeated exactly its minimum number of times (nothing for 0). */
function repeatText(pattern: string, t: Token): string {
  const atom = pattern.slice(t.start, t.atomEnd);
  if (t.min === 0) return "";
  return t.min === 1 ? atom : `${atom}{${t.min}}`;
}

/** The rest from `at` starts an empty alternative or ends a group: dropping would empty it. */
function startsBranchEnd(pattern: string, at: number): boolean {
  return pattern[at] === "|" || pattern[at] === ")";
}

function endsBranch(pattern: string, at: number): boolean {
  return pattern[at - 1] === "|" || pattern[at - 1] === "(";
}

/**
 * The top-level atoms of a pattern with their quantifiers; a group is one (non-single) atom,
 * `|` and assertions are non-single atoms too. Null for what this scanner does not know.
 */
function topLevelTokens(p: string): Token[] | null {
  const tokens: Token[] = [];
  let i = 0;
  while (i < p.length) {
    const start = i;
    const c = p[i]!;
    let single = false;
    if (c === "\\") {
      const escape = escapeAt(p, i);
      if (escape === null) return null;
      i = escape.end;
      single = escape.single;
    } else if (c === "[") {
      const end = classEnd(p, i);
      if (end < 0) return null;
      i = end;
      single = true;
    } else if (c === "(") {
      const end = groupEnd(p, i);
      if (end < 0) return null;
      i = end;
    } else if ("*+?{".includes(c)) {
      return null; // a quantifier with nothing to repeat: not a pattern this knows
    } else if (c === "|" || c === "^" || c === "$") {
      i++;
    } else {
      i += (p.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
      single = true;
    }
    const atomEnd = i;
    const q = quantifierAt(p, i);
    if (q !== null && (c === "|" || c === "^" || c === "$")) return null;
    tokens.push({
      start,
      atomEnd,
      end: q?.end ?? atomEnd,
      single,
      min: q?.min ?? 1,
      max: q?.max ?? 1,
    });
    i = q?.end ?? atomEnd;
    if (q !== null && quantifierAt(p, i) !== null) return null; // RE2 refuses `a**`
  }
  return tokens;
}

/** An escape: where it ends and whether it is one character (not an assertion, not `\Q…\E`). */
function escapeAt(p: string, i: number): { end: number; single: boolean } | null {
  const c = p[i + 1];
  if (c === undefined) return null;
  if ("dDwWsS".includes(c)) return { end: i + 2, single: true };
  if (c === "p" || c === "P") {
    if (p[i + 2] === "{") {
      const close = p.indexOf("}", i + 3);
      return close < 0 ? null : { end: close + 1, single: true };
    }
    return p[i + 2] === undefined ? null : { end: i + 3, single: true };
  }
  if (/[!-/:-@[-`{-~]/.test(c)) return { end: i + 2, single: true }; // escaped punctuation
  if ("bBAz".includes(c)) return { end: i + 2, single: false };
  return null; // \Q…\E, \x…, octal, \C, …: left alone
}

/** The end of the class starting at `i` (after its `]`), or -1. */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === "^") j++;
  if (p[j] === "]") j++;
  while (j < p.length) {
    const c = p[j]!;
    if (c === "\\") j += 2;
    else if (c === "[" && p[j + 1] === ":") {
      const close = p.indexOf(":]", j + 2);
      if (close < 0) return -1;
      j = close + 2;
    } else if (c === "]") return j + 1;
    else j++;
  }
  return -1;
}

/** The end of the group starting at `i` (after its `)`), or -1. */
function groupEnd(p: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < p.length) {
    const c = p[j]!;
    if (c === "\\") {
      if (p[j + 1] === "Q") {
        const close = p.indexOf("\\E", j + 2);
        j = close < 0 ? p.length : close + 2;
      } else j += 2;
    } else if (c === "[") {
      const end = classEnd(p, j);
      if (end < 0) return -1;
      j = end;
    } else {
      if (c === "(") depth++;
      else if (c === ")" && --depth === 0) return j + 1;
      j++;
    }
  }
  return -1;
}

/** A quantifier at `i` (with its `?` for laziness), or null. */
function quantifierAt(p: string, i: number): { end: number; min: number; max: number } | null {
  const c = p[i];
  let q: { end: number; min: number; max: number } | null = null;
  if (c === "*") q = { end: i + 1, min: 0, max: -1 };
  else if (c === "+") q = { end: i + 1, min: 1, max: -1 };
  else if (c === "?") q = { end: i + 1, min: 0, max: 1 };
  else if (c === "{") {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 16));
    if (m === null) return null; // a literal "{" in RE2
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === "" ? -1 : Number(m[3]);
    q = { end: i + m[0].length, min, max };
  }
  if (q !== null && p[q.end] === "?") q = { ...q, end: q.end + 1 };
  return q;
}
