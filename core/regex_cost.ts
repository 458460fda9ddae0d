/**
 * What V8 may spend compiling a regex source for irregexp, estimated from its structure before
 * V8 is given it: some sources take V8 seconds to minutes to compile (see irregexpCompileMs), and
 * a dserver compiles on its one thread. core/matcher.ts gives costlier sources to re2js.
 */

/**
 * The most V8 may be expected to spend compiling a source for irregexp (its estimate,
 * `irregexpCompileMs`); costlier sources run on re2js. V8 compiles on the main thread, at the
 * first run on Latin-1 text and again on two-byte text, for `#global` and `#single`, and once
 * more for each when it tiers up to native code: up to 8 compiles of ~this much each.
 */
export const MAX_IRREGEXP_COMPILE_MS = 10;

/**
 * An estimate of V8's time (ms, on a 2024 x86 core) to compile a source for irregexp, from its
 * structure. What costs is V8's look-ahead analysis (Boyer–Moore and quick checks), which at each
 * choice walks every path through the pattern until 8 characters are consumed: a chain of
 * optional atoms (`z?z?…`, `(?:a|)`, `[ab]?`, `x{0,3}`) has C(n, 8)-many such paths, and 100 of
 * them took V8 17–60 s (fuzz seeds 539955457 and 2335981035; Latin-1 text needs more look-ahead
 * than two-byte text). A loop (`*`, `+`, `{n,}`, a count over 3) is entered once per walk, so
 * it multiplies nothing. The estimate is 3e-5 ms per path plus 0.02 ms per alternative and 2e-3
 * ms per atom (measured on 40 families of patterns up to 16 KB, both text widths, bytecode and
 * native code: it exceeded the worst measured time by 1–10^6, and fell short of it by at most
 * 2.2×, on chains of optional strings). An assertion (`^`) costs as much as an alternative;
 * `\b` and `\B` count as a choice of two empty alternatives (V8 looks at both sides of them:
 * `(?:^|\b)` 16 times took 29 ms where one assertion each estimated 9). In a `multiline` source
 * (compiled with the `m` flag) V8 compiles `$` as a choice of a line terminator ahead or the end
 * of input: a chain of `$` after what may be empty doubles the paths at each (`(?:)$` 20 times
 * took 19 ms, `(?:^|$)` 20 times 57 s, a fuzz run's `()+$` 100 times forever). Ordinary patterns
 * estimate at 0.05–1 ms. Infinity for groups nested more than MAX_ESTIMATE_DEPTH deep. Once the
 * estimate is known to exceed `limit`, a lower bound of it above `limit` is returned (faster: a
 * 300 KB source takes ~100 ms to estimate in full).
 */
export function irregexpCompileMs(
  source: string,
  limit = Infinity,
  options: { readonly multiline?: boolean } = {},
): number {
  const parser = new SourceParser(source, options.multiline ?? false);
  const root = parser.parse();
  if (root === null) return Infinity;
  // Without the paths, a lower bound: enough when it is over the limit already.
  const bound = estimateMs(0, parser.choices, parser.atoms);
  if (bound > limit) return bound;
  countPaths(root);
  const cost = { paths: 0, choices: 0, atoms: 0 };
  visitCost(root, LOOKAHEAD_ONES, 1, cost);
  return estimateMs(cost.paths, cost.choices, cost.atoms);
}

function estimateMs(paths: number, choices: number, atoms: number): number {
  return 3e-5 * paths + 0.02 * choices + 2e-3 * atoms;
}

/** Characters V8 looks ahead at most (kMaxLookaheadForBoyerMoore), and the paths' cap. */
const LOOKAHEAD = 8;
const PATH_CAP = 1e30;
const MAX_ESTIMATE_DEPTH = 200;

/**
 * Path counts by look-ahead window, k = 0…LOOKAHEAD. For a node: `exact[j]`, the paths through
 * it that consume exactly j < LOOKAHEAD characters; `cut[k]`, the paths that fill a window of k
 * characters (or end) inside it. For a continuation: `[k]`, the paths from there for k characters.
 */
type Counts = number[];

const zeros = (): Counts => new Array<number>(LOOKAHEAD + 1).fill(0);
const LOOKAHEAD_ONES: Counts = zeros().fill(1);

interface CostNode {
  readonly kind: "atom" | "assertion" | "seq" | "alt" | "repeat";
  readonly items: CostNode[];
  readonly min: number;
  readonly max: number;
  exact: Counts;
  cut: Counts;
  nullable: boolean;
}

const NO_COUNTS: Counts = [];

function costNode(kind: CostNode["kind"], items: CostNode[] = [], min = 1, max = 1): CostNode {
  return { kind, items, min, max, exact: NO_COUNTS, cut: NO_COUNTS, nullable: false };
}

/** Parses the sources Translator emits (and plain JavaScript regex syntax like them). */
class SourceParser {
  /** Alternatives, repeats and assertions, and atoms (each once, however often V8 copies it). */
  choices = 0;
  atoms = 0;
  #i = 0;
  #depth = 0;
  constructor(private readonly s: string, private readonly multiline: boolean) {}

  /** The tree (without counts), or null when nested too deep. */
  parse(): CostNode | null {
    try {
      return this.#alternation();
    } catch (err) {
      if (err === TOO_DEEP) return null;
      throw err;
    }
  }

  #alternation(): CostNode {
    const alternatives = [this.#sequence()];
    while (this.s[this.#i] === "|") {
      this.#i++;
      alternatives.push(this.#sequence());
    }
    if (alternatives.length === 1) return alternatives[0]!;
    this.choices += alternatives.length;
    return costNode("alt", alternatives);
  }

  #sequence(): CostNode {
    const items: CostNode[] = [];
    const s = this.s;
    while (this.#i < s.length && s[this.#i] !== "|" && s[this.#i] !== ")") {
      let node = this.#atom();
      for (;;) {
        const c = s[this.#i];
        let min: number;
        let max: number;
        if (c === "?") [min, max] = [0, 1];
        else if (c === "*") [min, max] = [0, Infinity];
        else if (c === "+") [min, max] = [1, Infinity];
        else {
          const m = c === "{" ? /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.#i, this.#i + 24)) : null;
          if (m === null) break;
          min = Number(m[1]);
          max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
          this.#i += m[0].length - 1;
        }
        this.#i++;
        if (s[this.#i] === "?") this.#i++; // lazy
        node = costNode("repeat", [node], min, max);
        this.choices++;
      }
      items.push(node);
    }
    return costNode("seq", items);
  }

  #atom(): CostNode {
    const s = this.s;
    const c = s[this.#i]!;
    if (c === "(") {
      if (++this.#depth > MAX_ESTIMATE_DEPTH) throw TOO_DEEP;
      const lookbehind = s.startsWith("(?<=", this.#i) || s.startsWith("(?<!", this.#i);
      const named = !lookbehind && s.startsWith("(?<", this.#i);
      this.#i = lookbehind
        ? this.#i + 4
        : named
        ? s.indexOf(">", this.#i) + 1
        : this.#i + (s[this.#i + 1] === "?" ? 3 : 1);
      const group = this.#alternation();
      this.#i++; // ")"
      this.#depth--;
      return lookbehind ? this.#leaf("assertion") : group;
    }
    if (c === "[") {
      this.#i++;
      if (s[this.#i] === "^") this.#i++;
      if (s[this.#i] === "]") this.#i++;
      while (this.#i < s.length && s[this.#i] !== "]") this.#i += s[this.#i] === "\\" ? 2 : 1;
      this.#i++;
      return this.#leaf("atom");
    }
    if (c === "\\") {
      const e = s[this.#i + 1];
      this.#i += e === "u" ? 6 : 2;
      if (e === "b" || e === "B") return this.#zeroWidthChoice();
      return this.#leaf("atom");
    }
    this.#i++;
    // V8 compiles a multiline `$` as a choice: a line terminator ahead, or the end of input.
    if (c === "$" && this.multiline) return this.#zeroWidthChoice();
    return this.#leaf(c === "^" || c === "$" ? "assertion" : "atom");
  }

  #zeroWidthChoice(): CostNode {
    this.choices += 2;
    return costNode("alt", [costNode("assertion"), costNode("assertion")]);
  }

  #leaf(kind: "atom" | "assertion"): CostNode {
    if (kind === "atom") this.atoms++;
    else this.choices++;
    return costNode(kind);
  }
}

const TOO_DEEP = new Error("nested too deep to estimate");

/**
 * How V8 builds a repeat (RegExpQuantifier::ToNode): up to 3 mandatory copies and then up to 3
 * nested optional ones are unrolled when the body cannot be empty; anything else is a loop.
 * `fixed` counts the mandatory copies a walk may pass (a counted loop's too), `optional` the
 * unrolled optional ones, `copies` the copies of the body compiled.
 */
function repeatShape(
  n: CostNode,
): { fixed: number; optional: number; loop: boolean; copies: number } {
  const { min, max } = n;
  if (max <= 1) return { fixed: min, optional: max - min, loop: false, copies: 1 };
  if (n.items[0]!.nullable) return { fixed: 0, optional: 0, loop: true, copies: 1 };
  const unrolled = min <= 3;
  const loop = !unrolled || max - min > 3;
  return {
    fixed: Math.min(min, LOOKAHEAD),
    optional: loop ? 0 : max - min,
    loop,
    copies: unrolled ? min + (loop ? 1 : max - min) : 1,
  };
}

/** Fills `exact`, `cut` and `nullable` bottom-up. */
function countPaths(n: CostNode): void {
  let exact = zeros();
  let cut = zeros();
  if (n.kind === "atom") {
    exact[1] = 1;
    cut[1] = 1;
  } else if (n.kind === "assertion") {
    exact[0] = 1;
    n.nullable = true;
  } else if (n.kind === "seq") {
    exact[0] = 1;
    n.nullable = true;
    for (const item of n.items) {
      countPaths(item);
      [exact, cut] = concat(exact, cut, item.exact, item.cut);
      n.nullable &&= item.nullable;
    }
  } else if (n.kind === "alt") {
    for (const item of n.items) {
      countPaths(item);
      for (let k = 0; k <= LOOKAHEAD; k++) {
        exact[k] = exact[k]! + item.exact[k]!;
        cut[k] = cut[k]! + item.cut[k]!;
      }
      n.nullable ||= item.nullable;
    }
  } else {
    const body = n.items[0]!;
    countPaths(body);
    const shape = repeatShape(n);
    n.nullable = shape.fixed === 0 || body.nullable;
    exact[0] = 1;
    for (let i = 0; i < shape.fixed; i++) [exact, cut] = concat(exact, cut, body.exact, body.cut);
    // Unrolled optional copies nest: (body (body (body)?)?)?
    let optExact = zeros();
    let optCut = zeros();
    optExact[0] = 1;
    for (let i = 0; i < shape.optional; i++) {
      [optExact, optCut] = concat(body.exact, body.cut, optExact, optCut);
      optExact[0] = optExact[0]! + 1;
    }
    [exact, cut] = concat(exact, cut, optExact, optCut);
    if (shape.loop) {
      // A walk enters a loop once: the body's paths end where they would go round again.
      const loopExact = zeros();
      loopExact[0] = 1;
      [exact, cut] = concat(exact, cut, loopExact, continueWith(body, LOOKAHEAD_ONES));
    }
  }
  n.exact = exact.map((v) => Math.min(v, PATH_CAP));
  n.cut = cut.map((v) => Math.min(v, PATH_CAP));
}

/** The counts of `a` followed by `b`. */
function concat(aExact: Counts, aCut: Counts, bExact: Counts, bCut: Counts): [Counts, Counts] {
  const exact = zeros();
  const cut = zeros();
  for (let k = 1; k <= LOOKAHEAD; k++) {
    let v = aCut[k]!;
    for (let i = 0; i < k; i++) v += aExact[i]! * bCut[k - i]!;
    cut[k] = v;
  }
  for (let j = 0; j < LOOKAHEAD; j++) {
    let v = 0;
    for (let i = 0; i <= j; i++) v += aExact[i]! * bExact[j - i]!;
    exact[j] = v;
  }
  return [exact, cut];
}

/** The paths from before `n` by window, given those from after it. */
function continueWith(n: CostNode, after: Counts): Counts {
  const before = zeros();
  before[0] = 1;
  for (let k = 1; k <= LOOKAHEAD; k++) {
    let v = n.cut[k]!;
    for (let j = 0; j < k; j++) v += n.exact[j]! * after[k - j]!;
    before[k] = Math.min(v, PATH_CAP);
  }
  return before;
}

/**
 * Adds up, top-down, the paths walked from each choice, the alternatives and the atoms (times
 * the copies V8 compiles of them); returns the paths from before `n`.
 */
function visitCost(
  n: CostNode,
  after: Counts,
  copies: number,
  cost: { paths: number; choices: number; atoms: number },
): Counts {
  if (n.kind === "seq") {
    let next = after;
    for (let i = n.items.length - 1; i >= 0; i--) next = visitCost(n.items[i]!, next, copies, cost);
    return next;
  }
  const before = continueWith(n, after);
  if (n.kind === "atom") cost.atoms += copies;
  else if (n.kind === "assertion") cost.choices += copies;
  else if (n.kind === "alt") {
    cost.paths += copies * before[LOOKAHEAD]!;
    cost.choices += copies * n.items.length;
    for (const item of n.items) visitCost(item, after, copies, cost);
  } else if (n.kind === "repeat") {
    const shape = repeatShape(n);
    const choices = shape.optional + (shape.loop ? 1 : 0);
    cost.paths += copies * choices * before[LOOKAHEAD]!;
    cost.choices += copies * 2 * choices;
    visitCost(n.items[0]!, after, Math.min(copies * Math.max(1, shape.copies), PATH_CAP), cost);
  }
  return before;
}
