/**
 * Random RE2 patterns for differential tests of the line selection (core/select_test.ts): literals
 * (some not ASCII), classes, groups with alternation, counts, anchors and `(?i)`, each pattern with
 * lines spelled from it, and the same pattern for V8's linear-time engine (the `l` flag), which
 * shares no code with ours: `(?i)` is written out as classes of both cases, since that engine
 * takes no `i` flag.
 */

type Node =
  | { readonly t: "lit"; readonly s: string }
  | { readonly t: "cls"; readonly src: string; readonly chars: readonly string[] }
  | { readonly t: "alt"; readonly alts: readonly Node[][]; readonly capture: boolean }
  | {
    readonly t: "rep";
    readonly n: Node;
    readonly src: string;
    readonly lo: number;
    readonly hi: number;
  };

const LITERALS = ["a", "b", "x", "E", "R", "O", "ERROR", "é", "Ω", "=", "-", " ", "5", "ms", "st"];
/** Each class with characters it matches and, for `(?i)`, the class of both cases. */
const CLASSES: [string, string[], string?][] = [
  ["[ab]", ["a", "b"], "[abAB]"],
  ["[a-c]", ["a", "b", "c"], "[a-cA-C]"],
  ["[^a]", ["b", "x", "5", " ", "é"], "[^aA]"],
  ["\\d", ["0", "5", "9"]],
  ["\\w", ["a", "Z", "_", "5"]],
  ["\\W", [" ", "-", "é"]],
  [".", ["a", " ", "é", "Ω", "5"]],
  ["[45]", ["4", "5"]],
  ["[EO]", ["E", "O"], "[EOeo]"],
  ["[.,]", [".", ","]],
  ["[é5]", ["é", "5"], "[é5É]"],
  ["\\D", ["a", " ", "é"]],
  ["[A-Z]", ["A", "E", "Z"], "[A-Za-z]"],
];
/** Each count with the repeats a line spelled from it takes. */
export const COUNTS: readonly (readonly [string, number, number])[] = [
  ["", 1, 1],
  ["", 1, 1],
  ["", 1, 1],
  ["+", 1, 3],
  ["*", 0, 2],
  ["?", 0, 1],
  ["{2}", 2, 2],
  ["{1,3}", 1, 3],
  ["{0,2}", 0, 2],
  ["{2,}", 2, 4],
];
const NOISE = ["a", "b", "x", "5", " ", "é", "E", "R"];

export interface RandomPattern {
  /** RE2 syntax, as a user types it. */
  readonly pattern: string;
  /** The same for `new RegExp(source, "l")`. */
  readonly linearSource: string;
  /** Lines spelled from the pattern (some changed by a character) in noise, without "\n". */
  readonly lines: string[];
}

export function randomPattern(next: () => number): RandomPattern {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const between = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));

  const atom = (depth: number): Node => {
    const r = next();
    if (r < 0.45) return { t: "lit", s: pick(LITERALS) };
    if (r < 0.85 || depth > 1) {
      const [src, chars] = pick(CLASSES);
      return { t: "cls", src, chars };
    }
    const alts = Array.from({ length: between(2, 3) }, () => sequence(depth + 1, 1, 3));
    return { t: "alt", alts, capture: next() < 0.5 };
  };
  const sequence = (depth: number, lo: number, hi: number): Node[] =>
    Array.from({ length: between(lo, hi) }, () => {
      const a = atom(depth);
      const [src, low, high] = pick(COUNTS);
      if (src === "") return a;
      // A count applies to a whole literal of more than one character through a group.
      const n: Node = a.t === "lit" && a.s.length > 1
        ? { t: "alt", alts: [[a]], capture: false }
        : a;
      return { t: "rep", n, src, lo: low, hi: high };
    });
  const spell = (n: Node): string => {
    switch (n.t) {
      case "lit":
        return n.s;
      case "cls":
        return pick(n.chars);
      case "alt":
        return pick(n.alts).map(spell).join("");
      case "rep":
        return Array.from({ length: between(n.lo, n.hi) }, () => spell(n.n)).join("");
    }
  };

  const nodes = sequence(0, 1, 5);
  const caseless = next() < 0.15;
  const anchorStart = next() < 0.1;
  const anchorEnd = next() < 0.1;
  const anchored = (body: string) => (anchorStart ? "^" : "") + body + (anchorEnd ? "$" : "");
  const pattern = (caseless ? "(?i)" : "") + anchored(nodes.map((n) => source(n, false)).join(""));
  const linearSource = anchored(nodes.map((n) => source(n, caseless)).join(""));
  const noise = () =>
    Array.from({ length: next() < 0.2 ? between(20, 300) : between(0, 4) }, () => pick(NOISE))
      .join("");
  const lines: string[] = [];
  for (let n = between(1, 12); n > 0; n--) {
    let chars = [...nodes.map(spell).join("")];
    if (caseless && next() < 0.5) {
      chars = chars.map((c) => next() < 0.5 ? c.toUpperCase() : c.toLowerCase());
    }
    if (next() < 0.3 && chars.length > 0) chars[Math.floor(next() * chars.length)] = pick(NOISE);
    if (next() < 0.1 && chars.length > 0) chars.splice(Math.floor(next() * chars.length), 1);
    lines.push((anchorStart ? "" : noise()) + chars.join("") + (anchorEnd ? "" : noise()));
  }
  return { pattern, linearSource, lines };
}

const escape = (s: string) => s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");

/** A node in RE2 syntax, or (`fold`) with each cased character as a class of both cases. */
function source(n: Node, fold: boolean): string {
  switch (n.t) {
    case "lit":
      return fold ? [...n.s].map(bothCases).join("") : escape(n.s);
    case "cls":
      return fold ? CLASSES.find(([src]) => src === n.src)?.[2] ?? n.src : n.src;
    case "alt": {
      const alts = n.alts.map((a) => a.map((x) => source(x, fold)).join(""));
      return (n.capture ? "(" : "(?:") + alts.join("|") + ")";
    }
    case "rep":
      return source(n.n, fold) + n.src;
  }
}

function bothCases(c: string): string {
  const upper = c.toUpperCase();
  const lower = c.toLowerCase();
  return upper === lower ? escape(c) : `[${lower}${upper}]`;
}
