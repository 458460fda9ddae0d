import assert from "node:assert/strict";
import { reusedChunks } from "./_test_chunks.ts";
import { countNewlines } from "./line_batch.ts";
import { compileMatcher, compileRe2jsMatcher, type Matcher } from "./matcher.ts";
import { filterChunks, type FilterOptions } from "./pipeline.ts";
import { splitLines } from "./lines.ts";
import { RegexPool } from "./regex_pool.ts";
import { type Selection, selectLines, type SelectOptions } from "./select.ts";

/**
 * The longest gap the event loop may see while the pool matches. Matching the batches of these tests
 * on this thread takes 300 ms or more, so the bound still tells the two apart on a loaded machine.
 */
const STALL_BOUND_MS = 200;
const encoder = new TextEncoder();

/**
 * `count` chunks of whole lines that never wait for real I/O, as sync file reads do: the event
 * loop runs only if the consumer yields to it. `read.n` counts the chunks handed out.
 */
async function* syncChunks(
  count: number,
  read: { n: number },
  line = "an ordinary log line without the word\n",
): AsyncGenerator<Uint8Array> {
  const chunk = encoder.encode(line.repeat(Math.ceil(65536 / line.length)));
  for (let i = 0; i < count; i++) {
    read.n++;
    yield chunk;
  }
}

const CHUNKS = 40_000; // 2.6 GB: seconds of work, never reached when the stop is honoured

Deno.test("filterChunks lets timers run and ends once its signal is aborted", async () => {
  const read = { n: 0 };
  const stop = new AbortController();
  let readAtAbort = -1;
  const timer = setTimeout(() => {
    readAtAbort = read.n;
    stop.abort();
  }, 20);
  const options: FilterOptions = { matcher: compileMatcher("absent"), signal: stop.signal };
  const t0 = performance.now();
  for await (const _ of filterChunks(syncChunks(CHUNKS, read), options)) {
    // nothing to do: only the signal may end this early
  }
  clearTimeout(timer);
  assert.ok(stop.signal.aborted, "the timer ran while the chain worked");
  assert.ok(read.n < CHUNKS, "the chain read to the end");
  // Counted from the abort, not from the start: a fast machine reads 10,000 chunks (640 MB) in the
  // turn the timer waits for.
  const after = read.n - readAtAbort;
  assert.ok(after <= 2, `${after} chunks read after the abort`);
  assert.ok(performance.now() - t0 < 2000);
});

Deno.test("many short sources in a row let timers run as one long source does", async () => {
  // Each source is shorter than a turn (a glob of small files): the turn is the process's, so
  // the loop still runs every few tens of milliseconds, not once per source.
  let gaps = 0;
  let last = performance.now();
  let ticking = true;
  const tick = () => {
    const now = performance.now();
    gaps = Math.max(gaps, now - last);
    last = now;
    if (ticking) setTimeout(tick, 0);
  };
  setTimeout(tick, 0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  const matcher = compileMatcher("absent");
  const t0 = performance.now();
  // As many sources as fill 400 ms, however fast a source is searched.
  for (let source = 0; source < 100_000 && performance.now() - t0 < 400; source++) {
    for await (const _ of filterChunks(syncChunks(8, { n: 0 }), { matcher })) {
      // a source of 8 chunks (512 KB) takes well under a turn
    }
  }
  const took = performance.now() - t0;
  ticking = false;
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(took > 300, `the sources took ${took.toFixed(0)} ms, too little to tell`);
  assert.ok(gaps < 200, `the event loop waited ${gaps.toFixed(0)} ms (of ${took.toFixed(0)})`);
});

Deno.test("a consumer that checks its own stop flag gets a selection to check it on", async () => {
  // --before without the byte search takes the per-line path, which yields nothing for a batch
  // without a match. (With it, a 64 KiB batch goes by so fast that a quarter of the input can be
  // read before the timer's turn comes.)
  const read = { n: 0 };
  let stopped = false;
  const timer = setTimeout(() => stopped = true, 20);
  const options: FilterOptions = {
    matcher: compileMatcher("absent"),
    before: 1,
    byteSearch: false,
  };
  let selections = 0;
  for await (const sel of filterChunks(syncChunks(CHUNKS, read), options)) {
    selections++;
    assert.deepEqual(sel.regions, []);
    if (stopped) break;
  }
  clearTimeout(timer);
  assert.ok(stopped);
  assert.ok(selections >= 1);
  assert.ok(read.n < CHUNKS / 4, `${read.n} chunks read after the stop`);
});

Deno.test("a slow pattern is stopped too (the chain yields between batches)", async () => {
  const read = { n: 0 };
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 50);
  const line = `${"x".repeat(123)}\n`;
  const options: FilterOptions = { matcher: compileMatcher("(.+)+[#%]"), signal: stop.signal };
  const t0 = performance.now();
  for await (const _ of filterChunks(syncChunks(4000, read, line), options)) {
    // no line matches
  }
  clearTimeout(timer);
  assert.ok(read.n < 4000, `${read.n} chunks read`);
  assert.ok(performance.now() - t0 < 3000, `${Math.round(performance.now() - t0)} ms`);
});

Deno.test("filterChunks selects exactly what selectLines selects", async () => {
  const text = Array.from({ length: 5000 }, (_, i) => `line ${i} ${i % 7 === 0 ? "HIT" : "x"}`)
    .join("\n") + "\n";
  const bytes = encoder.encode(text);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += 4096) yield bytes.slice(i, i + 4096);
  }
  const collect = async (selections: AsyncIterable<Selection>) => {
    const out: string[] = [];
    for await (const sel of selections) {
      const dec = new TextDecoder();
      for (let i = 0; i < sel.regions.length; i += 2) {
        out.push(dec.decode(sel.batch.bytes.subarray(sel.regions[i]!, sel.regions[i + 1]!)));
      }
    }
    return out.join("");
  };
  for (const extra of [{}, { invert: true }, { before: 2, after: 1 }, { max: 3 }]) {
    const options: FilterOptions = { matcher: compileMatcher("HIT$"), ...extra };
    const got = await collect(filterChunks(chunks(), options));
    const want = await collect(
      selectLines(splitLines(chunks(), options), options.matcher, options),
    );
    assert.equal(got, want, JSON.stringify(extra));
    assert.ok(got.length > 0);
  }
});

/** The selected lines as "number:line" (numbered batches), in order. */
async function selectedLines(selections: AsyncIterable<Selection>): Promise<string[]> {
  const dec = new TextDecoder();
  const out: string[] = [];
  for await (const sel of selections) {
    for (let i = 0; i < sel.regions.length; i += 2) {
      const [start, end] = [sel.regions[i]!, sel.regions[i + 1]!];
      let lineNo = sel.batch.firstLineNo + countNewlines(sel.batch, 0, start);
      for (const line of dec.decode(sel.batch.bytes.subarray(start, end)).split(/(?<=\n)/)) {
        out.push(`${lineNo++}:${line}`);
      }
    }
  }
  return out;
}

/** Runs `work` while a 1 ms timer ticks; returns its result and the longest gap between ticks. */
async function timed<T>(work: () => Promise<T>): Promise<{ result: T; maxGap: number }> {
  let last = performance.now();
  let maxGap = 0;
  const tick = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  };
  const timer = setInterval(tick, 1);
  try {
    const result = await work();
    tick();
    return { result, maxGap };
  } finally {
    clearInterval(timer);
  }
}

/** What filterChunks selects, offloaded to `pool`, against the matcher on this thread. */
async function compareWithSync(
  pool: RegexPool,
  pattern: string,
  bytes: Uint8Array,
  sizes: number[],
  options: SelectOptions & { numbered?: boolean; maxLineLength?: number },
): Promise<{ got: string[]; maxGap: number }> {
  const offloaded: FilterOptions = { ...options, matcher: compileMatcher(pattern), pool };
  const { result: got, maxGap } = await timed(() =>
    selectedLines(filterChunks(reusedChunks(bytes, sizes), offloaded))
  );
  const matcher = compileMatcher(pattern);
  const sync = selectLines(splitLines(reusedChunks(bytes, sizes), options), matcher, options);
  assert.deepEqual(got, await selectedLines(sync), `${pattern} ${JSON.stringify(options)}`);
  return { got, maxGap };
}

/** re2js ((?U) has no irregexp translation); ~50 ms per line of 1,500 characters. */
const SLOW = "(?U)" + ".".repeat(1500);
/** A pattern no line below matches, which takes seconds per line of 9,999 characters. */
const SLOWER = ".".repeat(10_000);
const VARIANTS: SelectOptions[] = [
  {},
  { invert: true },
  { before: 1, after: 1 },
  { max: 2 },
  { invert: true, max: 3, after: 1 },
];

Deno.test("a slow re2js pattern never stalls the event loop and selects the same lines", async () => {
  const pool = new RegexPool({ size: 2 });
  try {
    assert.equal(compileMatcher(SLOW).engine, "re2js");
    const lines = [
      "short line",
      "",
      "x".repeat(1600) + "\r", // CRLF
      "é".repeat(1400),
      "😀".repeat(1500), // 1,500 code points, 3,000 UTF-16 units
      "😀".repeat(1499),
      "",
      "end",
    ];
    // ~300 ms of matching in one batch (on this thread before the pool).
    const bytes = encoder.encode(lines.join("\n") + "\n");
    for (const variant of VARIANTS) {
      const { got, maxGap } = await compareWithSync(pool, SLOW, bytes, [bytes.length], {
        ...variant,
        numbered: true,
      });
      assert.ok(
        maxGap < STALL_BOUND_MS,
        `${JSON.stringify(variant)}: the loop stalled ${maxGap} ms`,
      );
      assert.ok(got.length > 0);
    }
  } finally {
    pool.close();
  }
});

Deno.test("offloaded matching selects what the matcher selects on any text", async () => {
  const pool = new RegexPool({ size: 2 });
  try {
    const kinds = [
      (i: number) => `2024-01-02 INFO request ${i} handled`,
      (i: number) => `Übung ${i}: ÜÜX and üx`,
      (i: number) => `😀 astral ${i} 𝔘x ü\r`,
      () => "",
      (i: number) => "long ".repeat(50 + (i % 150)) + (i % 3 === 0 ? "üx" : ""),
    ];
    const text = Array.from({ length: 2000 }, (_, i) => kinds[i % kinds.length]!(i)).join("\n");
    const utf8 = encoder.encode(text); // no final newline
    // Invalid UTF-8 in the middle: batches whose text does not map byte for byte.
    const bytes = new Uint8Array(utf8.length + 3);
    const middle = utf8.indexOf(10, utf8.length >> 1);
    bytes.set(utf8.subarray(0, middle));
    bytes.set([0xff, 0xc3, 0x28], middle);
    bytes.set(utf8.subarray(middle), middle + 3);
    const sizes = Array.from({ length: Math.ceil(bytes.length / 20_000) }, () => 20_000);
    for (const pattern of ["(?i)(?:ü|\\p{Lu})+x", "\\pL+x\\r$", "^$|^\\pN"]) {
      assert.equal(compileMatcher(pattern).engine, "re2js", pattern);
      for (const variant of [...VARIANTS, { before: 2, max: 5 }, { after: 3, invert: true }]) {
        for (const extra of [{ numbered: true }, { maxLineLength: 700 }]) {
          await compareWithSync(pool, pattern, bytes, sizes, { ...variant, ...extra });
        }
      }
    }
    assert.ok(pool.workers > 0, "the pool matched");
  } finally {
    pool.close();
  }
});

Deno.test("an aborted run ends promptly while its batch is matched on the pool", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    // A megabyte of lines that take ~1 s each.
    const bytes = encoder.encode(("x".repeat(9_999) + "\n").repeat(100));
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 100);
    const options: FilterOptions = { matcher: compileMatcher(SLOWER), signal: stop.signal, pool };
    const t0 = performance.now();
    const { maxGap } = await timed(() =>
      selectedLines(filterChunks(reusedChunks(bytes, [bytes.length]), options))
    );
    clearTimeout(timer);
    const ms = performance.now() - t0;
    assert.ok(stop.signal.aborted);
    assert.ok(ms < 1000, `ended ${Math.round(ms)} ms after the start`);
    assert.ok(maxGap < STALL_BOUND_MS, `the loop stalled ${maxGap} ms`);
    // The worker stopped matching: it takes the next task at once.
    const t1 = performance.now();
    assert.deepEqual([...await pool.matchingLines("b", "a\nb\n")], [2]);
    assert.ok(performance.now() - t1 < 1000, "the worker was freed");
  } finally {
    pool.close();
  }
});

Deno.test("a matcher moved to re2js during a run is matched on the pool from then on", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    const re2js = compileRe2jsMatcher("b$");
    let engine: "irregexp" | "re2js" = "irregexp";
    let calls = 0;
    const moving: Matcher = {
      kind: "regex",
      pattern: "b$",
      get engine() {
        return engine;
      },
      findLine(text, from) {
        calls++;
        return re2js.findLine(text, from);
      },
      test(line) {
        calls++;
        return re2js.test(line);
      },
    };
    const bytes = encoder.encode("ab\nac\n".repeat(2000));
    const out: string[] = [];
    let batches = 0;
    for await (
      const sel of filterChunks(reusedChunks(bytes, Array(4).fill(7000)), {
        matcher: moving,
        pool,
      })
    ) {
      for (let i = 0; i < sel.regions.length; i += 2) {
        out.push(
          new TextDecoder().decode(sel.batch.bytes.subarray(sel.regions[i], sel.regions[i + 1])),
        );
      }
      if (++batches === 1) {
        engine = "re2js"; // as irregexp's guard does
        calls = 0;
      }
    }
    assert.equal(calls, 0, "no matching on this thread after the move");
    assert.equal(out.join(""), "ab\n".repeat(2000));
    assert.equal(pool.workers, 1);
  } finally {
    pool.close();
  }
});

Deno.test("literal and irregexp matching start no worker", async () => {
  const pool = new RegexPool();
  const bytes = encoder.encode("ERROR lock\nINFO\n".repeat(1000));
  for (const pattern of ["ERROR", "ERROR.*lock", "^INFO$"]) {
    const matcher = compileMatcher(pattern);
    assert.notEqual(matcher.engine, "re2js");
    await selectedLines(filterChunks(reusedChunks(bytes, [bytes.length]), { matcher, pool }));
  }
  assert.equal(pool.workers, 0);
});

/**
 * On irregexp, but ~150 ms per 20 KB line on re2js, which takes its lines over 1,024
 * characters (one loop before more pattern): a "y" followed by 50 characters and a "z".
 */
// `(?:.)*`, not `.*`: an irregexp matcher runs `A.*B` on a long line part by part itself.
const LONG_LINES = "x(?:.)*y" + "[^\\n\\x{10000}-\\x{10FFFF}]".repeat(50) + "z";

/** A 20 KB line of "a" and "y" that LONG_LINES does not match (but for `end`). */
function longLine(seed: number, end = ""): string {
  let x = seed | 1;
  const chars: string[] = ["z", "x"];
  for (let i = 0; i < 20_000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    chars.push(x & 1 ? "a" : "y");
  }
  return chars.join("") + end;
}

Deno.test("an irregexp matcher's long lines are matched on the pool, never stalling the loop", async () => {
  const pool = new RegexPool({ size: 2 });
  try {
    assert.equal(compileMatcher(LONG_LINES).engine, "irregexp");
    const lines = [
      "x short y" + "b".repeat(50) + "z match",
      "a short line",
      ...Array.from({ length: 10 }, (_, i) => longLine(i + 1)),
      longLine(99, "y" + "c".repeat(50) + "z"), // a long match
      "x and y" + "d".repeat(49) + "z, one short",
      "xy" + "e".repeat(50) + "z",
    ];
    // ~1.5 s of re2js in one batch.
    const bytes = encoder.encode(lines.join("\n") + "\n");
    for (const variant of [{}, { before: 1, after: 1 }]) {
      const { got, maxGap } = await compareWithSync(pool, LONG_LINES, bytes, [bytes.length], {
        ...variant,
        numbered: true,
      });
      assert.ok(
        maxGap < STALL_BOUND_MS,
        `${JSON.stringify(variant)}: the loop stalled ${maxGap} ms`,
      );
      assert.ok(got.some((line) => line.startsWith("13:")), "the long match");
      assert.ok(got.some((line) => line.startsWith("15:")), "a short match after it");
    }
    assert.ok(pool.workers > 0, "the pool matched");
  } finally {
    pool.close();
  }
});

Deno.test("the rest of the batch in which irregexp's guard gives up is matched on the pool", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    // Backtracks on every line: the guard moves the matcher to re2js within the first batch.
    const pattern = "(a+)+c|d$";
    const matcher = compileMatcher(pattern);
    assert.equal(matcher.engine, "irregexp");
    const bytes = encoder.encode(("a".repeat(15) + "d\n" + "a".repeat(16) + "\n").repeat(40_000));
    const options: FilterOptions = { matcher, pool };
    const got: string[] = [];
    for await (const sel of filterChunks(reusedChunks(bytes, [bytes.length]), options)) {
      for (let i = 0; i < sel.regions.length; i += 2) {
        got.push(
          new TextDecoder().decode(sel.batch.bytes.subarray(sel.regions[i], sel.regions[i + 1])),
        );
      }
    }
    assert.equal(matcher.engine, "re2js");
    assert.ok(pool.workers > 0, "the rest of the batch went to the pool");
    assert.equal(got.length, 40_000);
    assert.ok(got.every((line) => line === "a".repeat(15) + "d\n"));
  } finally {
    pool.close();
  }
});

Deno.test("a batch deferred at any line merges the lines matched here and on the pool", async () => {
  const pool = new RegexPool({ size: 1 });
  try {
    const re2js = compileRe2jsMatcher("b$");
    const text = "ab\nac\n".repeat(50);
    for (const deferAt of [0, 3, 150, 297, text.length - 3]) {
      // Matches here up to the line at `deferAt`, then hands that line and the rest over.
      const deferring: Matcher = {
        kind: "regex",
        pattern: "b$",
        engine: "irregexp",
        findLine: (t, from) => re2js.findLine(t, from),
        test: (line) => re2js.test(line),
        findLineWithoutRe2js(t, from) {
          const start = re2js.findLine(t, from);
          return start >= deferAt || (start < 0 && from <= deferAt) ? -2 - deferAt : start;
        },
      };
      for (const variant of [{}, { invert: true }, { after: 1 }]) {
        const options: FilterOptions = { ...variant, matcher: deferring, pool };
        const bytes = encoder.encode(text);
        const got = await selectedLines(filterChunks(reusedChunks(bytes, [bytes.length]), options));
        const want = await selectedLines(
          selectLines(splitLines(reusedChunks(bytes, [bytes.length]), options), re2js, options),
        );
        assert.deepEqual(got, want, `deferred at ${deferAt} ${JSON.stringify(variant)}`);
      }
    }
    assert.equal(pool.workers, 1);
  } finally {
    pool.close();
  }
});

Deno.test("filterChunks on raw bytes selects what it selects on the decoded text", async () => {
  // Lines that span chunks, lines cut at maxLineLength, non-ASCII batches; a regex matched
  // ahead for the pool (offload) and one confirmed line by line on this thread ("re2js").
  const kinds = [
    (i: number) => `2024-01-02 ERROR request ${i} lock held`,
    (i: number) => `Übung ${i}: ERROR€ and üx`,
    (i: number) => `plain ${i}\r`,
    () => "",
    (i: number) => "long ERROR ".repeat(i % 40) + (i % 3 === 0 ? "lock" : ""),
  ];
  const text = Array.from({ length: 3000 }, (_, i) => kinds[i % kinds.length]!(i)).join("\n");
  const bytes = encoder.encode(text);
  const sizes = Array.from({ length: Math.ceil(bytes.length / 3001) }, () => 3001);
  const pool = new RegexPool({ size: 1 });
  try {
    for (const pattern of ["ERROR", "ERROR€", "ERROR.*lock", "^long ERROR"]) {
      for (const offload of [true, "re2js" as const]) {
        for (const extra of [{}, { invert: true }, { max: 40 }, { maxLineLength: 100 }]) {
          const run = (byteSearch: boolean) =>
            selectedLines(filterChunks(reusedChunks(bytes, sizes), {
              matcher: compileMatcher(pattern),
              numbered: true,
              pool,
              offload,
              byteSearch,
              ...extra,
            }));
          const want = await run(false);
          assert.deepEqual(await run(true), want, `${pattern} ${offload} ${JSON.stringify(extra)}`);
          assert.ok(want.length > 0);
        }
      }
    }
    assert.equal(pool.workers, 0, "nothing here needs re2js");
  } finally {
    pool.close();
  }
});
