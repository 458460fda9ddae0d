/**
 * V8's linear regex engine: whether this process has it (started with `LINEAR_V8_FLAGS`), and
 * whether it takes a source. With it, a regex that backtracks too much finishes in linear time
 * (core/irregexp_matcher.ts); without it, every regex runs on re2js (core/re2js_matcher.ts).
 */

/** The V8 flags every Deno process that runs our code needs (Makefile, tests, bench). */
export const LINEAR_V8_FLAGS =
  "--enable-experimental-regexp-engine,--enable-experimental-regexp-engine-on-excessive-backtracks";

let linearEngine: boolean | undefined;
/** RegExp's flag for V8's linear engine, which exists only with LINEAR_V8_FLAGS. */
export const LINEAR_FLAG = "l";

/**
 * True when V8 was started with `LINEAR_V8_FLAGS`: the `l` flag exists, and a run that backtracks
 * too much finishes on the linear engine (the probe takes ~0.2 ms then; without the second flag
 * its 2^23 backtracking steps take ~75 ms). Checked once, at the first regex.
 */
export function linearEngineAvailable(): boolean {
  if (linearEngine === undefined) {
    linearEngine = false;
    try {
      new RegExp("a", LINEAR_FLAG);
      const probe = /(a+)+b/;
      const subject = "a".repeat(23);
      for (let attempt = 0; attempt < 2 && !linearEngine; attempt++) {
        const t0 = performance.now();
        probe.test(subject);
        linearEngine = performance.now() - t0 < 8;
      }
    } catch {
      // no `l` flag: started without the flags
    }
  }
  return linearEngine;
}

/** Whether V8's linear engine accepts the sources, so it bounds any backtracking. */
export function linearCapable(source: string, global: string): boolean {
  try {
    new RegExp(global, "gm" + LINEAR_FLAG);
    new RegExp(source, LINEAR_FLAG);
    return true;
  } catch {
    return false;
  }
}
