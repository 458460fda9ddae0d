/// <reference lib="deno.worker" />
/**
 * Worker side of the regex pool (regex_pool.ts): finds the matching lines of a text with the
 * re2js matcher of a pattern (compiled once per worker) and posts their start offsets back.
 *
 * A task stops early once the pool takes it back (`control[0]` no longer holds its id): Deno's
 * Worker.terminate() does not interrupt a worker that is running JavaScript, and one line can
 * take minutes (10,000 dots on a 1 MB line), so the check runs inside re2js too (see below).
 */
import type { Matcher } from "./matcher_types.ts";
import { compileRe2jsMatcher, re2jsInUse } from "./re2js_matcher.ts";

// The matchers run on the copy of re2js the thread loads (Unicode as Go reads it), which
// hookRe2js hooks.
const { RE2JS } = re2jsInUse();

export interface RegexTask {
  readonly id: number;
  readonly pattern: string;
  /** Whole lines ("\n"-separated); the last may lack its "\n". */
  readonly text: string;
  /** Added to every offset posted back (where `text` starts in the caller's text). */
  readonly offset: number;
  /** Shared with the pool: the task runs while `control[0]` is its id. */
  readonly control: Int32Array<SharedArrayBuffer>;
}

export type RegexReply =
  /** `starts`: where each matching line starts, ascending (plus `offset`). */
  | { readonly id: number; readonly starts: Int32Array<ArrayBuffer> }
  | { readonly id: number; readonly cancelled: true }
  | { readonly id: number; readonly error: string };

/** Compiled patterns, least recently used first (a dserver's sessions bring a few each). */
const compiled = new Map<string, Matcher>();
const MAX_COMPILED = 16;

function matcherOf(pattern: string): Matcher {
  let matcher = compiled.get(pattern);
  if (matcher !== undefined) compiled.delete(pattern);
  else {
    matcher = compileRe2jsMatcher(pattern);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  }
  compiled.set(pattern, matcher);
  return matcher;
}

/** Thrown (through re2js) when the running task was taken back. */
const CANCELLED = new Error("regex task cancelled");
/** Input steps of re2js between two checks (a step costs up to ~0.1 ms on a huge pattern). */
const CHECK_STEPS_MASK = 63;
/**
 * Matches smaller than this (characters × program instructions: ~10 ms at worst) are not
 * checked within: the check costs re2js's fast paths half their speed.
 */
const CHECK_WORK = 1_000_000;

let check: (() => void) | null = null;

interface Re2Internals {
  prog?: { numInst?: () => number };
}
interface InputInternals {
  step: (pos: number) => number;
  endPos?: () => number;
}

/**
 * Every re2js engine (DFA, NFA, one-pass, backtracker) reads its input through the input's
 * `step(pos)`, and every match (one per line) goes through RE2's `executeEngine`: in this
 * worker's copy of re2js, each match checks the task's control word, and a long one again every
 * CHECK_STEPS_MASK + 1 steps. (Were those internals to change, re2js would work as before, and a
 * task would stop only between matching lines.)
 */
function hookRe2js(): void {
  const re2 = Object.getPrototypeOf(
    (RE2JS.compile("a") as unknown as { re2Input: object }).re2Input,
  );
  const execute = re2?.executeEngine;
  if (typeof execute !== "function") return;
  re2.executeEngine = function (
    this: Re2Internals,
    input: InputInternals,
    pos: unknown,
    anchor: unknown,
    ncap: unknown,
    lbState: unknown,
  ) {
    const stop = check;
    if (stop !== null && typeof input?.step === "function") {
      stop(); // once per line
      const work = (input.endPos?.() ?? Infinity) * (this.prog?.numInst?.() ?? Infinity);
      if (!(work < CHECK_WORK)) {
        const step = input.step;
        let steps = 0;
        input.step = function (this: unknown, pos: number): number {
          if ((++steps & CHECK_STEPS_MASK) === 0) stop();
          return step.call(this, pos);
        };
      }
    }
    return execute.call(this, input, pos, anchor, ncap, lbState);
  };
}

/**
 * The start of every line of `text` the matcher matches, as `findLine` finds them. `stop` is
 * called between lines (and, in a worker, within them) and may throw to end the search.
 */
export function matchingLineStarts(
  matcher: Matcher,
  text: string,
  offset = 0,
  stop: () => void = () => {},
): Int32Array<ArrayBuffer> {
  let starts = new Int32Array(64);
  let n = 0;
  for (let from = 0; from < text.length;) {
    stop();
    const start = matcher.findLine(text, from);
    if (start < 0) break;
    if (n === starts.length) {
      const bigger = new Int32Array(n * 2);
      bigger.set(starts);
      starts = bigger;
    }
    starts[n++] = start + offset;
    const nl = text.indexOf("\n", start);
    if (nl < 0) break;
    from = nl + 1;
  }
  return starts.slice(0, n);
}

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
if (typeof scope.WorkerGlobalScope !== "undefined" && scope instanceof scope.WorkerGlobalScope) {
  hookRe2js();
  self.onmessage = (e: MessageEvent<RegexTask>) => {
    const { id, pattern, text, offset, control } = e.data;
    const stop = () => {
      if (Atomics.load(control, 0) !== id) throw CANCELLED;
    };
    let reply: RegexReply;
    try {
      const matcher = matcherOf(pattern);
      check = stop; // (not while compiling: a fresh pattern is compiled whole)
      const starts = matchingLineStarts(matcher, text, offset, stop);
      self.postMessage({ id, starts } satisfies RegexReply, [starts.buffer]);
      return;
    } catch (err) {
      if (err === CANCELLED) {
        // re2js stopped anywhere (its lazy DFA half-built): the next task compiles afresh.
        compiled.delete(pattern);
        reply = { id, cancelled: true };
      } else reply = { id, error: err instanceof Error ? err.message : String(err) };
    } finally {
      check = null;
    }
    self.postMessage(reply);
  };
}
