/**
 * What a JavaScript regex source requires of every match, read from the source: the runs of
 * literal characters it must hold (searched for in the raw bytes before the regex runs: see
 * core/byte_search.ts), and whether it anchors at line boundaries.
 */

/**
 * The longest run of literal characters that every match of a JavaScript regex source must
 * contain, or null. Conservative: only characters outside groups and classes count, and an
 * alternation outside groups gives up (one inside a group, like the translation of `.` with its
 * surrogate pairs, leaves the literals around the group required).
 */
export function requiredLiteral(source: string): string | null {
  let best = "";
  for (const run of requiredLiterals(source)) if (run.length > best.length) best = run;
  return best === "" ? null : best;
}

/**
 * Every run of literal characters that every match of a JavaScript regex source must contain
 * (see requiredLiteral), in order; none for a source with an alternation outside groups.
 * `caseless`: the runs hold the letters of ASCII case pairs too (`[\u0045\u0065]`, the
 * translation of `(?i)e`) and are in lower case, for a search that folds ASCII letters only
 * (a class that folds more, `(?i)k`'s Kelvin sign, ends a run).
 */
export function requiredLiterals(source: string, caseless = false): string[] {
  if (hasTopLevelAlternation(source)) return [];
  const runs: string[] = [];
  let run = "";
  const endRun = () => {
    if (run !== "") runs.push(run);
    run = "";
  };
  for (const atom of atoms(source, caseless)) {
    if (atom === CUT) return [];
    if (atom === null) endRun();
    else if ("branches" in atom) {
      // Every branch starts with their common prefix, right after the run, and ends with their
      // common suffix, right before what follows (`status=(?:500|503)`: `status=50`, `…`).
      const branches = atom.branches;
      const prefix = commonPrefix(branches);
      run += prefix;
      if (branches.every((b) => b === prefix)) continue;
      endRun();
      run = commonSuffix(branches.map((b) => b.slice(prefix.length)));
    } else {
      run += atom.literal;
      if (atom.repeated) endRun(); // what follows is not adjacent
    }
  }
  endRun();
  return caseless
    ? runs.map((run) => run.replace(/[A-Z]+/g, (upper) => upper.toLowerCase()))
    : runs;
}

/** A source cut short (a "\\" at its end): no literal is known. */
const CUT = Symbol("cut");

/**
 * The atoms of a source as the literal scans read them, outside groups and classes: a literal
 * character (`repeated` when a `+` follows: what follows it is not adjacent), a group of literal
 * branches or a class of ASCII characters (classMembers) with no count after it, or null for
 * anything else (another class or group, an optional character, an anchor…), which ends a run.
 * `caseless`: an ASCII case pair is its lower-case letter (see requiredLiterals).
 */
function* atoms(
  source: string,
  caseless: boolean,
): Generator<{ literal: string; repeated: boolean } | { branches: string[] } | null | typeof CUT> {
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    const next = source[i + 1];
    let literal: string | null = null;
    if (c === "\\") {
      i++;
      if (next !== undefined && ESCAPED_PUNCTUATION.test(next)) literal = next;
      else if (next === undefined) {
        yield CUT;
        return;
      } else if (next === "x") i += 2; // \xHH and \uHHHH are characters, but not spelled out here
      else if (next === "u") i += 4;
    } else if (c === "[") {
      const pair = caseless ? asciiCasePair(source, i) : null;
      if (pair !== null) literal = pair;
      const close = pair !== null ? source.indexOf("]", i) : skipClass(source, i);
      const members = caseless ? null : classMembers(source, i, close);
      i = close;
      if (members !== null && !countedAt(source, close + 1)) {
        yield { branches: members };
        continue;
      }
    } else if (c === "(") {
      const close = skipGroup(source, i);
      const branches = countedAt(source, close + 1) ? null : literalBranches(source, i, close);
      i = close;
      if (branches !== null) {
        yield { branches };
        continue;
      }
    } else if (c === "{") {
      const close = source.indexOf("}", i);
      i = close < 0 ? source.length : close; // a {n,m} quantifier: its digits are no literal
    } else if (!/[.^$*+?]/.test(c)) {
      literal = c;
    }
    const quantifier = source[i + 1];
    if (literal === null || (quantifier !== undefined && /[*?{]/.test(quantifier))) yield null;
    else yield { literal, repeated: quantifier === "+" };
  }
}

/** Whether a count (`*`, `+`, `?`, `{…}`) starts at `source[i]`. */
function countedAt(source: string, i: number): boolean {
  return /[*+?{]/.test(source[i] ?? "");
}

/**
 * The characters of the class `source[open, close]` as the translation writes them
 * (`[\u0034-\u0035]`, `[\u002c\u002e]`): ASCII characters other than "\n" (at most 127), not
 * negated and not an ASCII case pair (those are the caseless literals'), else null. Callers take
 * a class of a few as a group of one-character branches (`status=[45]`: `status=4`, `status=5`).
 */
function classMembers(source: string, open: number, close: number): string[] | null {
  if (source[open + 1] === "^" || asciiCasePair(source, open) !== null) return null;
  const members: string[] = [];
  CLASS_ITEM.lastIndex = open + 1;
  for (let m; CLASS_ITEM.lastIndex < close && (m = CLASS_ITEM.exec(source)) !== null;) {
    const from = parseInt(m[1]!, 16);
    const to = m[2] === undefined ? from : parseInt(m[2], 16);
    if (to < from || to >= 0x80) return null;
    for (let code = from; code <= to; code++) {
      if (code === 0x0a) return null;
      members.push(String.fromCharCode(code));
    }
  }
  return CLASS_ITEM.lastIndex === close && members.length > 0 ? members : null;
}

/** One `\uXXXX` or `\uXXXX-\uYYYY` item of a class, sticky. */
const CLASS_ITEM = /\\u([0-9a-f]{4})(?:-\\u([0-9a-f]{4}))?/iy;

/** `[\uXXXX\uYYYY]` at `i` with an ASCII letter in upper case and in lower case. */
const CASE_PAIR = /\[\\u00([4-5][0-9a-f])\\u00([6-7][0-9a-f])\]/iy;

/** The lower-case letter of the ASCII case pair class at `source[i]`, else null. */
function asciiCasePair(source: string, i: number): string | null {
  CASE_PAIR.lastIndex = i;
  const m = CASE_PAIR.exec(source);
  if (m === null) return null;
  const upper = parseInt(m[1]!, 16), lower = parseInt(m[2]!, 16);
  return upper >= 0x41 && upper <= 0x5a && lower === upper + 0x20
    ? String.fromCharCode(lower)
    : null;
}

/**
 * The literal, in lower case, of a source that is ASCII case pairs and characters that are no
 * letter (`(?i)error: x` translated), else null: a line matches exactly when it holds it with
 * ASCII letters in either case.
 */
export function caselessLiteral(source: string): string | null {
  let literal = "";
  let pairs = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "[") {
      const pair = asciiCasePair(source, i);
      if (pair === null) return null;
      literal += pair;
      pairs++;
      i = source.indexOf("]", i);
    } else if (c === "\\") {
      const next = source[++i];
      if (next === undefined || !ESCAPED_PUNCTUATION.test(next)) return null;
      literal += next;
    } else if (/[\\.^$*+?()[\]{}|A-Za-z]/.test(c)) return null;
    else literal += c;
  }
  return pairs > 0 ? literal : null;
}

/** What a backslash before it makes a literal character. */
const ESCAPED_PUNCTUATION = /[.+*?^$[\]{}()|\\\/-]/;

/**
 * The stretches of a JavaScript regex source that spell a few strings, every match holding one
 * of each stretch's: literal characters and groups of literal branches (`svc=(?:auth|pricing)`:
 * `svc=auth`, `svc=pricing`), at most `max` strings a stretch (a group that would make more
 * starts the next one). `whole`: the source is one stretch and nothing else, so a line matches
 * exactly when it holds one of its strings. None for a source with an alternation outside groups.
 */
export function requiredAlternatives(
  source: string,
  max: number,
): { readonly stretches: string[][]; readonly whole: boolean } {
  const stretches: string[][] = [];
  if (hasTopLevelAlternation(source)) return { stretches, whole: false };
  let alternatives = [""];
  let breaks = 0;
  const end = () => {
    if (alternatives.some((a) => a !== "")) stretches.push(alternatives);
    alternatives = [""];
  };
  for (const atom of atoms(source, false)) {
    if (atom === null || atom === CUT) {
      breaks++;
      end();
    } else if ("branches" in atom) {
      const branches = atom.branches;
      if (branches.length > max) {
        breaks++;
        end();
        continue;
      }
      if (alternatives.length * branches.length > max) end();
      alternatives = alternatives.flatMap((a) => branches.map((b) => a + b));
    } else {
      alternatives = alternatives.map((a) => a + atom.literal);
      if (atom.repeated) {
        breaks++;
        end();
      }
    }
  }
  end();
  return { stretches, whole: breaks === 0 && stretches.length === 1 };
}

/**
 * The branches of the group `source[open, close]` when it is `(?:…)` of literal characters and
 * `|` only (escaped punctuation counts), else null.
 */
function literalBranches(source: string, open: number, close: number): string[] | null {
  return source.startsWith("(?:", open) ? branchesIn(source, open + 3, close) : null;
}

/**
 * The branches of a source that is an alternation (`ERROR|WARN`, or one group around it, as the
 * translation of `(?i)(error|warn)` is), as sources, else null. A branch may be anything.
 */
export function alternativeBranches(source: string): string[] | null {
  if (source.startsWith("(?:") && skipGroup(source, 0) === source.length - 1) {
    source = source.slice(3, -1);
  }
  const branches: string[] = [];
  let from = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") i++;
    else if (c === "[") i = skipClass(source, i);
    else if (c === "(") i = skipGroup(source, i);
    else if (c === "|") {
      branches.push(source.slice(from, i));
      from = i + 1;
    }
  }
  branches.push(source.slice(from));
  return branches.length > 1 ? branches : null;
}

/** The literal a source spells with literal characters only (`a\.b`: `a.b`), else null. */
export function plainLiteral(source: string): string | null {
  const branches = branchesIn(source, 0, source.length);
  return branches !== null && branches.length === 1 ? branches[0]! : null;
}

/** The `|`-separated literals of `source[from, to)`, or null when it holds anything else. */
function branchesIn(source: string, from: number, to: number): string[] | null {
  const branches: string[] = [];
  let branch = "";
  for (let i = from; i < to; i++) {
    const c = source[i]!;
    if (c === "|") {
      branches.push(branch);
      branch = "";
    } else if (c === "\\" && /[.+*?^$[\]{}()|\\\/-]/.test(source[i + 1] ?? "")) {
      branch += source[++i]!;
    } else if (/[\\.^$*+?()[\]{}]/.test(c)) return null;
    else branch += c;
  }
  branches.push(branch);
  return branches;
}

function commonPrefix(strings: string[]): string {
  let n = 0;
  const first = strings[0]!;
  while (n < first.length && strings.every((s) => s[n] === first[n])) n++;
  return first.slice(0, n);
}

function commonSuffix(strings: string[]): string {
  let n = 0;
  const first = strings[0]!;
  while (
    n < first.length && strings.every((s) => s[s.length - 1 - n] === first[first.length - 1 - n])
  ) {
    n++;
  }
  return first.slice(first.length - n);
}

export function skipClass(source: string, open: number): number {
  let i = open + 1;
  if (source[i] === "^") i++;
  if (source[i] === "]") i++;
  for (; i < source.length; i++) {
    if (source[i] === "\\") i++;
    else if (source[i] === "]") return i;
  }
  return source.length;
}

function skipGroup(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") i++;
    else if (c === "[") i = skipClass(source, i);
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return source.length;
}

function hasTopLevelAlternation(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") i++;
    else if (c === "[") i = skipClass(source, i);
    else if (c === "(") i = skipGroup(source, i);
    else if (c === "|") return true;
  }
  return false;
}

/** True when the source uses `^` or `$` outside a class (JS also anchors them at "\r"). */
export function hasAnchor(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === "\\") i++;
    else if (c === "[") i = skipClass(source, i);
    else if (c === "^" || c === "$") return true;
  }
  return false;
}
