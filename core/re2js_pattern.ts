import { re2jsPropertyName } from "./re2_property_names.ts";

/**
 * A pattern as re2js is given it: Go's RE2 and re2js take the same syntax, except where re2js
 * refuses what Go accepts or takes quadratic time where Go takes linear. Each rewrite keeps what
 * the pattern matches, and `original` maps a position back so that an error quotes the pattern
 * as written.
 */
export interface Re2jsPattern {
  readonly text: string;
  /** The position in the original pattern of position `at` of `text`. */
  original(at: number): number;
}

/** The pattern's text as re2js is given it (see re2jsRewrite). */
export function re2jsPattern(pattern: string): string {
  return re2jsRewrite(pattern).text;
}

/**
 * Three rewrites. Go (since 1.22) accepts a group name used twice (`(?P<n>x)|(?P<n>y)`), re2js does
 * not: each repeated name is replaced by an unused one of the same length (names change nothing
 * in what matches). A `[` in a class followed by `:` with no `:]` after it is a literal `[`,
 * which re2js finds by searching the rest of the pattern for `:]` at each one (`[[:[:[:…`, 7,000
 * of them, took 0.3 s): it is given `\[`, which means the same. And the name of each `\p{…}` or
 * `\P{…}` is the one re2js resolves to Go's table (`\p{letter}` → `\p{L}`), or one re2js refuses
 * where Go refuses it (core/re2_property_names.ts).
 */
export function re2jsRewrite(pattern: string): Re2jsPattern {
  const renamed = renameRepeatedGroups(pattern);
  const edits = unclosedPosixOpeners(renamed).map((at): Edit => ({ at, remove: 0, insert: "\\" }));
  edits.push(...propertyEdits(renamed));
  if (edits.length === 0) return { text: renamed, original: (at) => at };
  edits.sort((a, b) => a.at - b.at);
  let text = "";
  let last = 0;
  for (const edit of edits) {
    text += renamed.slice(last, edit.at) + edit.insert;
    last = edit.at + edit.remove;
  }
  text += renamed.slice(last);
  const original = (at: number) => {
    let shift = 0;
    for (const edit of edits) {
      const start = edit.at + shift;
      if (at < start) break;
      if (at < start + edit.insert.length) return edit.at + Math.min(at - start, edit.remove);
      shift += edit.insert.length - edit.remove;
    }
    return at - shift;
  };
  return { text, original };
}

/** `remove` characters of the pattern at `at` replaced by `insert`. */
interface Edit {
  readonly at: number;
  readonly remove: number;
  readonly insert: string;
}

/** Makes a property name one that no table has: re2js refuses it as Go does the original. */
const REFUSED_NAME = "!";

/** The edits that give each property escape the name re2js resolves to Go's table. */
function propertyEdits(p: string): Edit[] {
  const edits: Edit[] = [];
  if (!/\\[pP]/.test(p)) return edits;
  const property = (i: number) => {
    const braced = p[i + 2] === "{";
    const start = braced ? i + 3 : i + 2;
    const end = braced ? p.indexOf("}", start) : start + (p.codePointAt(start)! > 0xffff ? 2 : 1);
    if (end < 0 || start >= p.length) return; // RE2's error
    const name = p.slice(start, end);
    const resolved = re2jsPropertyName(name);
    if (resolved === name) return;
    const insert = resolved ?? REFUSED_NAME + name;
    edits.push({ at: start, remove: end - start, insert: braced ? insert : `{${insert}}` });
  };
  const lastClose = p.lastIndexOf(":]");
  for (let i = 0; i < p.length;) {
    if (p[i] === "\\") {
      if (p[i + 1] === "p" || p[i + 1] === "P") property(i);
      i = afterEscape(p, i);
    } else if (p[i] === "[") i = afterClass(p, i, lastClose, () => {}, property);
    else i++;
  }
  return edits;
}

function renameRepeatedGroups(pattern: string): string {
  if (!pattern.includes("<")) return pattern;
  const groups = namedGroups(pattern);
  const used = new Set(groups.map((g) => g.name));
  if (used.size === groups.length) return pattern;
  const seen = new Set<string>();
  let out = "";
  let last = 0;
  for (const { at, name } of groups) {
    if (!seen.has(name)) {
      seen.add(name);
      continue;
    }
    const fresh = unusedName(name.length, used);
    if (fresh === null) return pattern; // re2js says "duplicate capture group name"
    used.add(fresh);
    out += pattern.slice(last, at) + fresh;
    last = at + name.length;
  }
  return out + pattern.slice(last);
}

/**
 * The names of the named groups of a pattern, where each starts: RE2's lexical rules (`\Q…\E`,
 * escapes, classes with `[:alpha:]` and a leading `]`) tell a group from text that looks like one.
 */
function namedGroups(p: string): { at: number; name: string }[] {
  const groups: { at: number; name: string }[] = [];
  const lastClose = p.lastIndexOf(":]");
  for (let i = 0; i < p.length;) {
    const c = p[i];
    if (c === "\\") i = afterEscape(p, i);
    else if (c === "[") i = afterClass(p, i, lastClose, () => {});
    else if (c === "(") {
      const m = /^\(\?P?<([A-Za-z0-9_]+)>/.exec(p.slice(i, i + 260));
      if (m !== null) groups.push({ at: i + m[0].length - 1 - m[1]!.length, name: m[1]! });
      i++;
    } else i++;
  }
  return groups;
}

/**
 * Where, in a class, a `[` followed by `:` has no `:]` after it (RE2 takes it as a literal `[`).
 * Only a pattern with a `[:` at or after its last `:]` can have one.
 */
function unclosedPosixOpeners(p: string): number[] {
  const openers: number[] = [];
  const lastClose = p.lastIndexOf(":]");
  if (p.indexOf("[:", Math.max(0, lastClose - 1)) < 0) return openers;
  for (let i = 0; i < p.length;) {
    if (p[i] === "\\") i = afterEscape(p, i);
    else if (p[i] === "[") i = afterClass(p, i, lastClose, (at) => openers.push(at));
    else i++;
  }
  return openers;
}

/** After the escape at `i` outside a class: `\Q…\E` is text to its `\E`. */
function afterEscape(p: string, i: number): number {
  if (p[i + 1] !== "Q") return i + 2;
  const end = p.indexOf("\\E", i + 2);
  return end < 0 ? p.length : end + 2;
}

/**
 * After the class starting at `i`, read as RE2 reads it (up to RE2's first error in it, after
 * which nothing it holds matters); `unclosed` is called with each `[` that is a literal although
 * a `:` follows it, `property` with the `\\` of each property escape. `lastClose`: where the
 * pattern's last `:]` is.
 */
function afterClass(
  p: string,
  i: number,
  lastClose: number,
  unclosed: (at: number) => void,
  property: (at: number) => void = () => {},
): number {
  i++;
  if (p[i] === "^") i++;
  for (let first = true; i < p.length && (p[i] !== "]" || first); first = false) {
    if (p[i] === "[" && p[i + 1] === ":") {
      if (lastClose >= i + 2) {
        i = p.indexOf(":]", i + 2) + 2; // a named class, or RE2's error
        continue;
      }
      unclosed(i);
    } else if (p[i] === "\\" && PERL_CLASSES.includes(p[i + 1] ?? "-")) {
      i += 2;
      continue;
    } else if (p[i] === "\\" && (p[i + 1] === "p" || p[i + 1] === "P")) {
      property(i);
      const end = p[i + 2] === "{" ? p.indexOf("}", i + 3) : i + 2;
      if (end < 0) return p.length; // RE2's error
      i = end + 1;
      continue;
    }
    i = afterClassChar(p, i); // a character, a class escape, or a range's low end
    if (p[i] === "-" && i + 1 < p.length && p[i + 1] !== "]") i = afterClassChar(p, i + 1);
  }
  return i + 1;
}

const PERL_CLASSES = "dDsSwW";

function afterClassChar(p: string, i: number): number {
  return p[i] === "\\" ? i + 2 : i + 1;
}

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";

/** A group name of `length` characters not in `used`, or null when all are. */
function unusedName(length: number, used: Set<string>): string | null {
  const limit = Math.min(NAME_CHARS.length ** Math.min(length, 4), 1e5);
  for (let n = 0; n < limit; n++) {
    let name = "";
    for (let k = n, i = 0; i < length; i++, k = Math.floor(k / NAME_CHARS.length)) {
      name += NAME_CHARS[k % NAME_CHARS.length];
    }
    if (!used.has(name)) return name;
  }
  return null;
}
