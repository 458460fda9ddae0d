import assert from "node:assert/strict";
import { reusedChunks } from "./_test_chunks.ts";
import { latin1Ready, loadLatin1Slicer } from "./latin1.ts";
import { countNewlines, LineBatch, PIECE_BYTES } from "./line_batch.ts";
import { splitLines } from "./lines.ts";
import { decodeUtf8 } from "./utf8.ts";
import { compileMatcher, compileRegex, type Matcher } from "./matcher.ts";
import { LineSelector, type Selection, selectLines, type SelectOptions } from "./select.ts";
import { MAX_BEFORE_BYTES } from "./before_context.ts";
import { COUNTS, randomPattern } from "./_test_regex_grammar.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const UPSTREAM = new URL("../tests/testdata/dtail-upstream/", import.meta.url);

/** One selected line: its number and its bytes (as a latin1-ish string for exact comparison). */
type Picked = [number, string];

function bytesToString(b: Uint8Array): string {
  return Array.from(b, (x) => String.fromCharCode(x)).join("");
}

/** Reads a selection into lines right away (its bytes are only valid until the next one). */
function pickedOf(sel: Selection): Picked[] {
  const out: Picked[] = [];
  const { batch, regions } = sel;
  assert.equal(regions.length % 2, 0);
  let prevEnd = 0;
  for (let i = 0; i < regions.length; i += 2) {
    const start = regions[i]!;
    const end = regions[i + 1]!;
    assert.ok(
      start >= prevEnd && end > start && end <= batch.bytes.length,
      `region ${start}..${end}`,
    );
    assert.ok(start === 0 || batch.bytes[start - 1] === 10, "regions start at a line start");
    assert.ok(
      end === batch.bytes.length || batch.bytes[end - 1] === 10,
      "regions end at a line end",
    );
    prevEnd = end;
    let lineNo = batch.firstLineNo + countNewlines(batch, 0, start);
    const text = bytesToString(batch.bytes.subarray(start, end));
    for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) out.push([lineNo++, line]);
  }
  return out;
}

async function runSelect(
  input: Uint8Array,
  sizes: number[],
  matcher: Matcher,
  options: SelectOptions,
): Promise<Picked[]> {
  const out: Picked[] = [];
  const batches = splitLines(reusedChunks(input, sizes), { numbered: true });
  for await (const sel of selectLines(batches, matcher, options)) out.push(...pickedOf(sel));
  return out;
}

/**
 * docs/compatibility.md#context-lines written as sets: every kept match (the first `max`) with
 * `before` lines above and `after` lines below, cut off at the first match beyond `max`.
 */
function reference(
  input: Uint8Array,
  matcher: Pick<Matcher, "test">,
  options: SelectOptions,
): Picked[] {
  const { invert = false, before = 0, after = 0, max = 0 } = options;
  const raw = bytesToString(input);
  const lines = raw.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const matches: number[] = [];
  lines.forEach((line, i) => {
    const bytes = Uint8Array.from(line.replace(/\n$/, ""), (c) => c.charCodeAt(0));
    if (matcher.test(decodeUtf8(bytes)) !== invert) matches.push(i);
  });
  const kept = max > 0 ? matches.slice(0, max) : matches;
  const stop = max > 0 && matches.length > max ? matches[max]! : lines.length;
  const chosen = new Set<number>();
  for (const m of kept) {
    for (let i = Math.max(0, m - before); i <= m + after && i < stop; i++) chosen.add(i);
  }
  return [...chosen].sort((a, b) => a - b).map((i) => [i + 1, lines[i]!]);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomSizes(next: () => number, total: number, maxSize: number): number[] {
  const sizes: number[] = [];
  for (let left = total; left > 0;) {
    const n = Math.min(left, 1 + Math.floor(next() * maxSize));
    sizes.push(n);
    left -= n;
  }
  return sizes.length > 0 ? sizes : [0];
}

const lines = (...l: string[]) => enc.encode(l.join(""));
const show = (p: Picked[]) => p.map(([n, l]) => `${n}:${l}`).join("");

Deno.test("selectLines picks the matching lines with their line numbers", async () => {
  const input = lines("a1\n", "b2\n", "a3\n", "c4");
  const got = await runSelect(input, [input.length], compileMatcher("a"), {});
  assert.deepEqual(got, [[1, "a1\n"], [3, "a3\n"]]);
});

Deno.test("selectLines with --invert picks the other lines", async () => {
  const input = lines("a1\n", "b2\n", "a3\n", "c4");
  const got = await runSelect(input, [input.length], compileMatcher("a"), { invert: true });
  assert.deepEqual(got, [[2, "b2\n"], [4, "c4"]]);
});

Deno.test("selectLines passes everything through for a noop matcher", async () => {
  const input = lines("x\n", "\n", "y");
  const got = await runSelect(input, [2, 1, 1], compileMatcher(""), {});
  assert.deepEqual(got, [[1, "x\n"], [2, "\n"], [3, "y"]]);
});

Deno.test("selectLines prints before and after context without separators", async () => {
  const input = lines("1\n", "2\n", "3\n", "M4\n", "5\n", "6\n", "7\n", "M8\n", "9\n");
  const got = await runSelect(input, [input.length], compileMatcher("M"), { before: 1, after: 1 });
  assert.equal(show(got), "3:3\n4:M4\n5:5\n7:7\n8:M8\n9:9\n");
});

Deno.test("overlapping contexts print each line once", async () => {
  const input = lines("1\n", "M2\n", "3\n", "M4\n", "5\n", "6\n");
  const got = await runSelect(input, [input.length], compileMatcher("M"), { before: 2, after: 2 });
  assert.equal(show(got), "1:1\n2:M2\n3:3\n4:M4\n5:5\n6:6\n");
});

Deno.test("--max without --after stops right after the last counted match", async () => {
  const input = lines("M1\n", "2\n", "M3\n", "M4\n");
  const got = await runSelect(input, [input.length], compileMatcher("M"), { max: 2, before: 1 });
  assert.equal(show(got), "1:M1\n2:2\n3:M3\n");
});

Deno.test("--max with --after prints trailing context up to the next match", async () => {
  const input = lines("M1\n", "2\n", "M3\n", "4\n", "M5\n", "6\n");
  const many = await runSelect(input, [input.length], compileMatcher("M"), { max: 1, after: 5 });
  assert.equal(show(many), "1:M1\n2:2\n");
  const few = await runSelect(input, [input.length], compileMatcher("M"), { max: 2, after: 1 });
  assert.equal(show(few), "1:M1\n2:2\n3:M3\n4:4\n");
});

Deno.test("--max stops reading further batches", async () => {
  let served = 0;
  async function* batches(): AsyncGenerator<LineBatch> {
    for (let i = 0; i < 10; i++) {
      served++;
      yield new LineBatch(enc.encode("M\n"), i + 1);
    }
  }
  const got: Selection[] = [];
  for await (const sel of selectLines(batches(), compileMatcher("M"), { max: 2 })) got.push(sel);
  assert.equal(served, 2);
  assert.equal(got.length, 2);
});

Deno.test("before-context held across a batch boundary survives buffer reuse", async () => {
  const input = lines("b1\n", "b2\n", "M3\n");
  // One byte per chunk: every held line comes from a buffer that is overwritten later.
  const sizes = Array(input.length).fill(1);
  const got = await runSelect(input, sizes, compileMatcher("M"), { before: 2 });
  assert.equal(show(got), "1:b1\n2:b2\n3:M3\n");
});

Deno.test("after-context continues into the next batch", () => {
  const selector = new LineSelector(compileMatcher("M"), { after: 2 });
  const out: Picked[] = [];
  for (const [text, first] of [["x\nM\n", 1], ["a\n", 3], ["b\nc\n", 4]] as const) {
    for (const sel of selector.select(new LineBatch(enc.encode(text), first))) {
      out.push(...pickedOf(sel));
    }
  }
  assert.equal(show(out), "2:M\n3:a\n4:b\n");
});

Deno.test("selection in non-ASCII and invalid UTF-8 batches uses byte offsets", async () => {
  const input = new Uint8Array([
    ...enc.encode("€uro\n"),
    0xff,
    0xfe,
    ...enc.encode(" bad M\n"),
    ...enc.encode("😀 M\n"),
    ...enc.encode("plain\n"),
  ]);
  for (const options of [{}, { before: 1 }, { invert: true }, { max: 1 }]) {
    const got = await runSelect(input, [input.length], compileMatcher("M"), options);
    assert.deepEqual(got, reference(input, compileMatcher("M"), options), JSON.stringify(options));
  }
  const got = await runSelect(input, [input.length], compileMatcher("M$"), {});
  assert.deepEqual(got.map(([n]) => n), [2, 3]);
  assert.equal(got[0]![1], "\xff\xfe bad M\n");
});

Deno.test("an empty batch selects nothing", () => {
  const selector = new LineSelector(compileMatcher("a"), {});
  assert.deepEqual([...selector.select(new LineBatch(new Uint8Array(0), 1))], []);
});

Deno.test("selectLines with an inverted empty literal terminates and selects nothing", async () => {
  const input = lines("a\n", "b\n");
  const got = await runSelect(input, [input.length], compileMatcher("", { noopAllowed: false }), {
    invert: true,
  });
  assert.deepEqual(got, []);
});

Deno.test("selectLines reproduces the upstream dgrep context outputs", async () => {
  const log = await Deno.readFile(new URL("mapr_testdata.log", UPSTREAM));
  const cases: [string, SelectOptions][] = [
    ["dgrep1.txt.expected", {}],
    ["dgrepcontext1.txt.expected", { before: 2, after: 3 }],
    ["dgrepcontext2.txt.expected", { before: 2, after: 3, invert: true }],
  ];
  const next = rng(5);
  for (const [file, options] of cases) {
    const want = await Deno.readTextFile(new URL(file, UPSTREAM));
    for (const sizes of [[log.length], randomSizes(next, log.length, 4000)]) {
      const got = await runSelect(log, sizes, compileMatcher("1002-071947"), options);
      assert.equal(got.map(([, l]) => l).join(""), want, `${file} in ${sizes.length} chunks`);
    }
  }
  const want2 = await Deno.readTextFile(new URL("dgrep2.txt.expected", UPSTREAM));
  const got2 = await runSelect(log, [log.length], compileMatcher("1002-07194[789]"), {});
  assert.equal(got2.map(([, l]) => l).join(""), want2);
});

Deno.test("every path agrees with a line-by-line reference for random inputs and chunkings", async () => {
  const next = rng(2024);
  const words = ["a", "b", "ab", "é", "\xff", "ba", "", "aa", "€b"];
  const matchers = [
    compileMatcher("a"),
    compileMatcher("ab|é"),
    compileMatcher("^b"),
    compileMatcher("a$"),
    compileMatcher("a\\sb"),
    compileMatcher(""),
    compileMatcher(".", { noopAllowed: false }),
    compileRegex("(?i)É|€"), // a folded non-ASCII letter (its orbit from re2js)
    compileRegex("\\p{Latin}b"), // re2js: whole texts that are not ASCII are searched at once
    compileRegex("\\p{Ll}É|€"),
  ];
  assert.deepEqual(matchers.slice(-2).map((m) => m.engine), ["re2js", "re2js"]);
  for (let round = 0; round < 600; round++) {
    const n = Math.floor(next() * 14);
    const parts: number[] = [];
    for (let i = 0; i < n; i++) {
      const w = words[Math.floor(next() * words.length)]!;
      if (w === "\xff") parts.push(0xff);
      else parts.push(...enc.encode(w));
      if (i < n - 1 || next() < 0.7) parts.push(10);
    }
    const input = new Uint8Array(parts);
    const matcher = matchers[Math.floor(next() * matchers.length)]!;
    const options: SelectOptions = {
      invert: next() < 0.3,
      before: next() < 0.5 ? 0 : Math.floor(next() * 3),
      after: next() < 0.5 ? 0 : Math.floor(next() * 3),
      max: next() < 0.5 ? 0 : Math.floor(next() * 4),
    };
    const want = reference(input, matcher, options);
    const sizes = randomSizes(next, input.length, 1 + Math.floor(next() * 10));
    const got = await runSelect(input, sizes, matcher, options);
    const where =
      `round ${round}: /${matcher.pattern}/ ${JSON.stringify(options)} sizes ${sizes} ` +
      JSON.stringify(bytesToString(input));
    assert.deepEqual(got, want, where);
  }
});

Deno.test("the fast paths and the per-line path agree on the same batch", () => {
  // A non-ASCII tail forces the per-line path; the ASCII part alone takes the fast path.
  const ascii = "ab\nb\nxa\nba\n\nab";
  for (const pattern of ["a", "^b", "a$", "b|x", "a\\s*b"]) {
    for (const invert of [false, true]) {
      for (const max of [0, 1, 2]) {
        const fast = new LineSelector(compileMatcher(pattern), { invert, max });
        const slow = new LineSelector(compileMatcher(pattern), { invert, max });
        const a = [...fast.select(new LineBatch(enc.encode(ascii + "\n"), 1))].flatMap(pickedOf);
        const b = [...slow.select(new LineBatch(enc.encode(ascii + "\né"), 1))].flatMap(pickedOf)
          .filter(([n]) => n <= 6);
        assert.deepEqual(a, b, `${pattern} invert ${invert} max ${max}`);
      }
    }
  }
});

Deno.test("the byte search selects what the decoded text search selects", async () => {
  // From here on, batches that are not ASCII are read as Latin-1 for asciiOnly patterns (the
  // tests above read them as UTF-8: core/latin1.ts loads the reading after 16 MiB).
  await loadLatin1Slicer();
  assert.equal(latin1Ready(), true);
  // Literals and regexes with a required literal (candidates the regex confirms) over ASCII,
  // UTF-8, invalid bytes, CRLF and lines cut at maxLineLength, in random chunkings.
  const next = rng(99);
  const words = ["ERROR", "ERR", "lock", "é", "€", "😀", "\xff", "\xe2\x82", "\r", " ", "x", "ü"];
  words.push(" ".repeat(300)); // sparse candidates: each decoded alone
  words.push("eRRor", "Error", "DIS", "k", "\u212a", "\u017f", "@", "`"); // caseless: Kelvin, long s
  const patterns = [
    "ERROR",
    "€",
    "😀",
    "x\r",
    "ERROR.*lock",
    "^ERROR",
    "ERROR$",
    "ERROR\\s+x",
    "lock.ü",
    "ERR.€.😀", // dots that may take a surrogate pair
    "ER(ROR|R) lock", // literal branches: their common prefix joins the run
    "^ERR", // anchored literals: found in the bytes, exact
    "lock$",
    "^€$",
    "é.", // a needle of one character and two bytes
    "ERROR|lock", // literal alternatives: each a needle, any one matches
    "é|€|x\r|ERR",
    "x\r$",
    "(ERROR|é)€",
    "(?i)error", // ASCII case pairs: a caseless needle, exact
    "(?i)er+or x", // caseless candidates
    "(?i)^err",
    "(?i)disk", // `s` and `k` fold to the long s and the Kelvin sign: no caseless needle holds them
    "(?i)`err@",
    "(?i:err)OR",
    "E(?i)rror", // a letter with its case before the pairs: not exact
    "(?i)error|€|x ", // caseless alternatives (`lock` would hold the Kelvin sign: none)
    "ERR.*lock|€ x", // branches that are more than a literal: candidates
    "(?i)lo.k|err",
    "(?i)(disk|€)", // one branch with a class of three: no alternatives
    "(ERR|é)|x\r", // a group around the alternation, and not
    "x(ERR|é|lock) ", // literal branches spell a few strings: exact
    "(ERR|lo)(ck|OR)\\s", // candidates holding one of four
    "ER[RO]{2}R", // byte sequences: candidates decided in their bytes
    "\\wRR",
    "lo(c|x)k ",
    "ER+O\\w*\\s",
    "lo[ck]+ x?",
    "é\\d?", // not fixed
    "x ER+O\\w* lock", // the searched needle after a loop: decided from `x E`
    "^ER+O\\w*", // anchored sequences
    "lo[ck]+ ?$",
    "ER+OR", // a required literal of two bytes
    "[EO]R\\d*OR", // `OR` fits at 0, but `ER5OR` holds it after the digits only
    "(?i)err\\w", // a caseless needle decides a caseless sequence
  ];
  for (let round = 0; round < 400; round++) {
    const parts: number[] = [];
    const n = Math.floor(next() * 60);
    for (let i = 0; i < n; i++) {
      const w = words[Math.floor(next() * words.length)]!;
      if (w.startsWith("\xff") || w.startsWith("\xe2")) {
        parts.push(...Array.from(w, (c) => c.charCodeAt(0)));
      } else parts.push(...enc.encode(w));
      if (next() < 0.25) parts.push(10);
    }
    const input = new Uint8Array(parts);
    const pattern = patterns[Math.floor(next() * patterns.length)]!;
    const options: SelectOptions = {
      invert: next() < 0.3,
      max: next() < 0.6 ? 0 : 1 + Math.floor(next() * 3),
    };
    const sizes = randomSizes(next, input.length, 1 + Math.floor(next() * 40));
    const maxLineLength = next() < 0.3 ? 4 + Math.floor(next() * 8) : undefined;
    const select = async (byteSearch: boolean) => {
      const out: Picked[] = [];
      const split = maxLineLength === undefined ? {} : { maxLineLength };
      const batches = splitLines(reusedChunks(input, sizes), { numbered: true, ...split });
      const matcher = compileMatcher(pattern);
      for await (const sel of selectLines(batches, matcher, { ...options, byteSearch })) {
        out.push(...pickedOf(sel));
      }
      return out;
    };
    const where = `round ${round}: /${pattern}/ ${JSON.stringify(options)} ` +
      `sizes ${sizes} max line ${maxLineLength} ${JSON.stringify(bytesToString(input))}`;
    const want = await select(false);
    assert.deepEqual(await select(true), want, where);
    if (maxLineLength === undefined) {
      assert.deepEqual(want, reference(input, compileMatcher(pattern), options), where);
    }
  }
});

Deno.test("random sequences of sets and counts select in the bytes what the regex selects", async () => {
  const next = rng(23);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const between = (low: number, high: number) => low + Math.floor(next() * (high - low + 1));
  // Each atom with the characters it matches (the counts: the grammar's, with their repeats).
  const atoms: [string, string[]][] = [
    ["a", ["a"]],
    ["x", ["x"]],
    ["ab", ["ab"]],
    ["[ab]", ["a", "b"]],
    ["[ax]", ["a", "x"]],
    ["\\d", ["5", "7"]],
    ["\\w", ["a", "b", "x", "5"]],
    [" ", [" "]],
  ];
  const noise = () => Array.from({ length: between(0, 3) }, () => pick(["a", "b", "x", "5", " "]));
  let decided = 0;
  for (let round = 0; round < 400; round++) {
    const parts = Array.from({ length: between(2, 5) }, () => [pick(atoms), pick(COUNTS)] as const);
    const pattern = parts.map(([[atom], [count]]) => atom + count).join("");
    // Lines spelled from the pattern (its matches, some with one character changed) in noise.
    const lines: string[] = [];
    for (let n = between(1, 10); n > 0; n--) {
      const spelled = parts.flatMap(([[, chars], [, low, high]]) =>
        Array.from({ length: between(low, high) }, () => pick(chars))
      );
      if (next() < 0.3 && spelled.length > 0) {
        spelled[Math.floor(next() * spelled.length)] = pick(["a", "b", "x", "5", " "]);
      }
      lines.push([...noise(), ...spelled, ...noise()].join("") + "\n");
    }
    const input = enc.encode(lines.join(""));
    if (compileMatcher(pattern).byteLiteral?.sequence) decided++;
    const select = async (byteSearch: boolean) =>
      await runSelect(input, [input.length], compileMatcher(pattern), { byteSearch });
    assert.deepEqual(
      await select(true),
      await select(false),
      `/${pattern}/ ${JSON.stringify(lines)}`,
    );
  }
  assert.ok(decided > 40, `only ${decided} patterns were decided in their bytes`);
});

Deno.test("random patterns select what V8's linear-time engine selects, line by line", async () => {
  // Alternations, groups, counts, anchors, (?i) and non-ASCII text against a regex engine that
  // shares no code with ours; a failure names its seed (DTAIL_SELECT_SEED repeats it).
  const seed = Number(Deno.env.get("DTAIL_SELECT_SEED") ?? Math.floor(Math.random() * 2 ** 31));
  const next = rng(seed);
  let compared = 0;
  for (let round = 0; round < 1500; round++) {
    const { pattern, linearSource, lines } = randomPattern(next);
    // "." and ".*" select every line by the protocol's rule (docs/protocol.md#regex).
    if (pattern === "." || pattern === ".*") continue;
    let linear: RegExp;
    try {
      linear = new RegExp(linearSource, "l");
    } catch {
      continue; // beyond V8's linear engine (nested counts)
    }
    const input = enc.encode(lines.join("\n") + "\n");
    const matcher = compileMatcher(pattern);
    const independent = { test: (line: string) => linear.test(line) };
    for (const invert of [false, true]) {
      // Every other selection with context lines and a --max.
      const options: SelectOptions = next() < 0.5 ? { invert } : {
        invert,
        before: Math.floor(next() * 3),
        after: Math.floor(next() * 3),
        max: next() < 0.5 ? 0 : 1 + Math.floor(next() * 3),
      };
      const sizes = randomSizes(next, input.length, 1 + Math.floor(next() * (input.length + 1)));
      assert.deepEqual(
        await runSelect(input, sizes, matcher, options),
        reference(input, independent, options),
        `seed ${seed}, /${pattern}/ ${JSON.stringify(options)} sizes ${sizes} ${
          JSON.stringify(lines)
        }`,
      );
      compared++;
    }
  }
  assert.ok(compared > 2400, `only ${compared} selections compared`);
});

Deno.test("re2js searches a batch that is not ASCII whole and finds each line's bytes", () => {
  const next = rng(7);
  const words = ["Ωmega", "plain", "", "\xff", "αβ", "x😀y", "Ωx"];
  for (let round = 0; round < 200; round++) {
    const parts: number[] = [];
    for (let i = 0, n = 1 + Math.floor(next() * 30); i < n; i++) {
      const w = words[Math.floor(next() * words.length)]!;
      if (w === "\xff") parts.push(0xff);
      else parts.push(...enc.encode(w));
      if (i < n - 1 || next() < 0.5) parts.push(10);
    }
    const bytes = new Uint8Array(parts);
    for (const pattern of ["\\p{Greek}x", "(?i)ω\\pL", "\\p{Greek}\\p{Greek}"]) {
      const matcher = compileRegex(pattern);
      assert.equal(matcher.engine, "re2js");
      const invert = next() < 0.3;
      const got = [...new LineSelector(matcher, { invert }).select(new LineBatch(bytes, 1))]
        .flatMap(pickedOf);
      const want = reference(bytes, matcher, { invert });
      assert.deepEqual(
        got,
        want,
        `/${pattern}/ invert ${invert} ${JSON.stringify(dec.decode(bytes))}`,
      );
    }
  }
});

Deno.test("--before and --after on the byte search select what the reference does", async () => {
  // Matches close together, at batch edges, past --max, held lines across batches, inverted.
  const next = rng(11);
  const kinds = ["ERROR x", "ERR x", "ok", "ERROR é", "", "é ok", "ERROR"];
  const matchers = [
    compileMatcher("ERROR"),
    compileMatcher("ERR.R [xé]"),
    compileMatcher("^ERROR$"),
  ];
  assert.ok(matchers.every((m) => m.byteLiteral));
  for (let round = 0; round < 500; round++) {
    const lines = Array.from(
      { length: Math.floor(next() * 40) },
      () => kinds[Math.floor(next() * kinds.length)]!,
    );
    const input = enc.encode(lines.join("\n") + (next() < 0.5 ? "\n" : ""));
    const matcher = matchers[round % matchers.length]!;
    const options: SelectOptions = {
      before: Math.floor(next() * 4),
      after: Math.floor(next() * 4),
      max: next() < 0.5 ? 0 : 1 + Math.floor(next() * 3),
      invert: next() < 0.3, // runs of lines without the literal between those with it
    };
    // Pieces of up to the whole input: batches of many lines, or of one.
    const sizes = randomSizes(next, input.length, 1 + Math.floor(next() * (input.length + 1)));
    assert.deepEqual(
      await runSelect(input, sizes, matcher, options),
      reference(input, matcher, options),
      `round ${round}: /${matcher.pattern}/ ${JSON.stringify(options)} sizes ${sizes} ${
        JSON.stringify(lines)
      }`,
    );
  }
});

Deno.test("a byte sequence that meets its needle everywhere leaves the rest to the regex", async () => {
  const matcher = compileMatcher("aab{8}c");
  assert.ok(matcher.byteLiteral?.sequence, "decided in the bytes");
  // 600 bytes of "a" a line: ~600 comparisons of 11 positions each, beyond 8 per byte.
  const lines = ["aabbbbbbbbc x", "a".repeat(600), "y aabbbbbbbbc", "a".repeat(600), "aabbbbbbbbc"];
  const input = enc.encode([...lines, ...lines].join("\n") + "\n");
  const want = reference(input, matcher, {});
  assert.equal(want.length, 6);
  assert.deepEqual(await runSelect(input, [input.length], matcher, {}), want);
  assert.ok(matcher.byteLiteral?.sequence, "the matcher's literal is kept");
});

Deno.test("literal and required-literal matchers carry byte literals", () => {
  assert.deepEqual(compileMatcher("ERROR").byteLiteral?.exact, true);
  assert.deepEqual(compileMatcher("a\\.b").byteLiteral?.needle.bytes, enc.encode("a.b"));
  assert.deepEqual(compileMatcher("ERROR.*lock").byteLiteral?.exact, false);
  assert.deepEqual(compileMatcher("[0-9]+ms").byteLiteral?.needle.bytes, enc.encode("ms"));
  assert.equal(compileMatcher("[0-9]+m").byteLiteral ?? null, null, "a literal of one byte");
  assert.deepEqual(compileMatcher("ü.e").byteLiteral?.needle.bytes, enc.encode("ü"), "two bytes");
  const either = compileMatcher("ERROR|WARN").byteLiteral;
  assert.deepEqual([either?.exact, either?.anyOf?.length], [true, 1]);
  assert.equal(compileMatcher("ERROR|").byteLiteral ?? null, null, "an empty branch: every line");
  assert.equal(compileMatcher("a\uFFFDb").byteLiteral ?? null, null);
  assert.deepEqual(
    ["^ERROR", "lock$", "^ok$", "ok\\$"].map((p) => compileMatcher(p).byteLiteral?.at ?? null),
    ["start", "end", "whole", null],
  );
  const caseless = compileMatcher("(?i)error").byteLiteral;
  assert.deepEqual([caseless?.exact, caseless?.needle.caseless], [true, true]);
  assert.deepEqual(caseless?.needle.bytes, enc.encode("error"));
  const around = compileMatcher("(?i)user_id=[0-9]").byteLiteral; // `s` folds to `ſ` too
  assert.deepEqual([around?.exact, around?.needle.caseless], [false, true]);
  assert.deepEqual(around?.needle.bytes, enc.encode("er_id="));
  assert.equal(compileMatcher("ERROR").byteLiteral?.needle.caseless, false);
  const spelled = (pattern: string) => {
    const literal = compileMatcher(pattern).byteLiteral;
    const needles = [literal?.needle, ...literal?.anyOf ?? []].map((n) => n && dec.decode(n.bytes));
    return [literal?.exact, ...needles];
  };
  assert.deepEqual(spelled("svc=(auth|pricing)"), [true, "svc=auth", "svc=pricing"]);
  assert.deepEqual(spelled("ERROR.*disk|WARN"), [false, "ERROR", "WARN"]);
  assert.deepEqual(spelled("(?i)refused|timeout"), [false, "refu", "timeout"]);
  assert.equal(compileMatcher("ERROR.*disk|a.b").byteLiteral ?? null, null, "a branch without one");
  assert.deepEqual(spelled("web(1|2)[0-9]"), [false, "web1", "web2"]);
  assert.deepEqual(spelled("web(1|2)[0-9]+ (ERROR|WARN)"), [false, " ERROR", " WARN"], "longest");
  // A small class spells its characters as a group of them would.
  assert.deepEqual(spelled("status=[45]"), [true, "status=4", "status=5"]);
  assert.deepEqual(spelled("a[.,]b"), [true, "a,b", "a.b"]);
  assert.deepEqual(spelled("status=[45]\\d\\d"), [false, "status=4", "status=5"]);
  const counted = compileMatcher("status=[45]\\d\\d").byteLiteral?.sequence;
  assert.deepEqual(counted?.needles.map((n) => [dec.decode(n.needle.bytes), n.place]), [
    ["status=4", 0],
    ["status=5", 0],
  ]);
  for (const pattern of ["status=[0-9]", "status=[^4]", "status=[45]?", "status=[45]*x"]) {
    assert.deepEqual(spelled(pattern).slice(0, 2), [false, "status="], pattern);
  }
  const fixed = compileMatcher("took=\\d{4}ms").byteLiteral?.sequence;
  assert.deepEqual([fixed?.sequence.minWidth, fixed?.needles.map((n) => n.place)], [11, [0]]);
  assert.equal(compileMatcher("took=\\d+ms").byteLiteral?.sequence?.sequence.minWidth, 8);
  assert.equal(compileMatcher("took=\\d+\\d").byteLiteral?.sequence, undefined);
  const after = compileMatcher("svc=\\w+ req=\\w+").byteLiteral;
  assert.deepEqual(
    [
      dec.decode(after?.needle.bytes),
      after?.sequence?.needles.map((n) => [dec.decode(n.needle.bytes), n.place]),
    ],
    [" req=", [["svc=", 0]]],
    "searched for the longest, decided from the literal before the loop",
  );
  for (const pattern of ["(?i)error|warn", "(?i)(error|warn)", "(ERROR|WARN)", "ERROR|(?i)warn"]) {
    const literal = compileMatcher(pattern).byteLiteral;
    const needles = [literal?.needle, ...literal?.anyOf ?? []];
    assert.deepEqual(
      [
        literal?.exact,
        ...needles.map((n) => n && `${dec.decode(n.bytes)}${n.caseless ? "/i" : ""}`),
      ],
      [
        true,
        ...pattern.includes("(?i)")
          ? pattern.startsWith("E") ? ["ERROR", "warn/i"] : ["error/i", "warn/i"]
          : ["ERROR", "WARN"],
      ],
      pattern,
    );
  }
  const dotted = compileMatcher("Gr.ße").byteLiteral; // `.` is a group with an alternation
  const needles = [dotted?.needle, ...dotted?.also ?? []].map((n) => n && dec.decode(n.bytes));
  assert.deepEqual(needles.sort(), ["Gr", "ße"]);
});

Deno.test("candidate lines decoded in stretches, alone or from the batch's text agree", () => {
  // Dense candidates (stretches), sparse ones (each alone), non-ASCII stretches, CRLF; and the
  // same batch once its text was decoded anyway.
  const next = rng(5);
  const kinds = [
    (i: number) => `ERROR ${i} lock\r`,
    (i: number) => `ERROR ${i} no`,
    (i: number) => `ERROR ü ${i} lock`,
    (i: number) => `${"pad ".repeat(700)}${i}`,
    (i: number) => `x ${i}`,
  ];
  for (let round = 0; round < 30; round++) {
    const lines = Array.from({ length: 3000 }, (_, i) => {
      const kind = next() < 0.02 ? 3 : Math.floor(next() * (round % 3 === 0 ? 2 : 5));
      return kinds[kind === 3 || round % 5 !== 4 ? kind : 0]!(i);
    });
    lines.push("ERROR ü last lock"); // ends a stretch, with or without its "\n"
    const bytes = enc.encode(lines.join("\n") + (round % 2 ? "\n" : ""));
    for (const pattern of ["ERROR.*lock", "^ERROR \\d+ lock\\r$", "ER+OR.*ü"]) {
      const want = [...new LineSelector(compileMatcher(pattern), { byteSearch: false })
        .select(new LineBatch(bytes, 1))].flatMap(pickedOf);
      const raw = [...new LineSelector(compileMatcher(pattern), {})
        .select(new LineBatch(bytes, 1))].flatMap(pickedOf);
      const decoded = new LineBatch(bytes, 1);
      assert.ok(decoded.text.length > 0);
      const fromText = [...new LineSelector(compileMatcher(pattern), {}).select(decoded)]
        .flatMap(pickedOf);
      assert.deepEqual(raw, want, `round ${round} /${pattern}/`);
      assert.deepEqual(fromText, want, `round ${round} /${pattern}/, decoded`);
      assert.ok(want.length > 0 || pattern.includes("ü"), `round ${round} /${pattern}/`);
    }
  }
});

Deno.test("a batch searched in pieces selects what the reference does, with every option", () => {
  const rows: string[] = [];
  for (let i = 0, size = 0; size < 3 * PIECE_BYTES; i++) {
    const row = `${i} ${"ab".repeat((i * 31) % 200)} ${i % 7 === 0 ? "took 12ms" : "x"}`;
    rows.push(row);
    size += row.length + 1;
  }
  const input = enc.encode(rows.join("\n") + "\n");
  for (const pattern of ["took \\d+ms", "^1\\d", "7 x$", "\\b3\\d\\b", "x*", "(?:ab){90}", "z"]) {
    const matcher = compileMatcher(pattern);
    const count = reference(input, matcher, {}).length;
    for (const [invert, before, after] of [[false, 0, 0], [true, 0, 0], [false, 2, 1]] as const) {
      for (const max of [0, 1, Math.floor(count * 0.6) + 1]) {
        // The text path, whatever byte literal the pattern has.
        const options = { invert, before, after, max };
        const selector = new LineSelector(matcher, { ...options, byteSearch: false });
        const got = [...selector.select(new LineBatch(input, 1))].flatMap(pickedOf);
        const want = reference(input, matcher, options);
        assert.deepEqual(got, want, `${pattern} ${JSON.stringify(options)}`);
      }
    }
  }
});

Deno.test("a line is decided from the literal before the loop when the needle is after it", () => {
  const input = lines(
    "svc=ab req=x\n",
    "svc= req=x\n",
    "req=x svc=ab\n",
    "xsvc=a_b req=y\n",
    "svc=a req=\n",
    "svc=a-b req=c svc=b req=d\n",
    "svc=a-b req=c\n",
    "svc=svc=a req=b\n",
    "svc=é req=a svc=\n",
    "é svc=é req=a svc=b req=ü\n",
  );
  const matcher = compileMatcher("svc=\\w+ req=\\w+");
  assert.ok(matcher.byteLiteral?.sequence, "decided in the bytes");
  for (const invert of [false, true]) {
    const got = [...new LineSelector(matcher, { invert }).select(new LineBatch(input, 1))]
      .flatMap(pickedOf);
    assert.deepEqual(show(got), show(reference(input, matcher, { invert })), `invert ${invert}`);
  }
  assert.deepEqual(
    reference(input, matcher, {}).map(([n]) => n),
    [1, 4, 6, 8],
    "the reference",
  );
});

Deno.test("a literal's selector hands out one array of regions batch after batch, each right", () => {
  for (const invert of [false, true]) {
    const selector = new LineSelector(compileMatcher("HIT"), { invert });
    const arrays = new Set<number[]>();
    for (const [lines, every] of [[4000, 3], [2500, 7], [6000, 4], [3000, 50]] as const) {
      const text = Array.from({ length: lines }, (_, i) => i % every ? `x ${i}\n` : `HIT ${i}\n`);
      const batch = new LineBatch(enc.encode(text.join("")), 0);
      assert.ok(batch.bytes.length >= 16 * 1024);
      const [sel, ...more] = [...selector.select(batch)];
      assert.equal(more.length, 0);
      arrays.add(sel!.regions);
      const got: string[] = [];
      for (let i = 0; i < sel!.regions.length; i += 2) {
        got.push(decodeUtf8(batch.bytes.subarray(sel!.regions[i], sel!.regions[i + 1])));
      }
      const want = text.filter((l) => l.startsWith("HIT") !== invert).join("");
      assert.equal(got.join(""), want, `${lines} lines, every ${every}, invert ${invert}`);
    }
    assert.equal(arrays.size, 1, "the same array each time");
  }
});

Deno.test("a selector keeps no large array of regions once its selection was taken", () => {
  const selector = new LineSelector(compileMatcher("HIT"), {});
  const batchOf = (lines: number, every: number) =>
    new LineBatch(
      enc.encode(Array.from({ length: lines }, (_, i) => i % every ? "x\n" : "HIT\n").join("")),
      0,
    );
  const taken = (batch: LineBatch) => {
    const selections = selector.select(batch);
    const sel = selections.next().value as Selection;
    const regions = sel.regions.length;
    assert.ok(selections.next().done); // the consumer asks for what follows
    return { sel, regions };
  };
  const small = taken(batchOf(8000, 4)); // 2,000 regions: kept for the next batch
  assert.equal(small.regions, 4000);
  assert.equal(small.sel.regions.length, 4000);
  const large = taken(batchOf(20_000, 2)); // 10,000 regions: let go once taken
  assert.equal(large.regions, 20_000);
  assert.equal(large.sel.regions.length, 0);
  assert.equal(taken(batchOf(8000, 4)).regions, 4000, "and grown again for the next");
});

Deno.test("a --before context in one batch over the byte bound is cut as one across batches is", () => {
  // The lines before the match are in its batch, and the first of them alone is over the bound.
  const huge = "x".repeat(MAX_BEFORE_BYTES + 1000);
  const input = enc.encode(`${huge}\nb\nMATCH\n`);
  let told = 0;
  const selector = new LineSelector(compileMatcher("MATCH"), {
    before: 2,
    onContextLimit: () => told++,
  });
  const got = [...selector.select(new LineBatch(input, 1))].flatMap(pickedOf);
  assert.deepEqual(got, [[2, "b\n"], [3, "MATCH\n"]]);
  assert.equal(told, 1, "the cut is told");
});

Deno.test("--invert with --max and context stops at the max-th line of a run, the file's last too", () => {
  // The lines without the literal come as one run, ending the input without a "\n".
  const input = enc.encode("ERROR\na\nb\nc");
  const selector = new LineSelector(compileMatcher("ERROR"), { invert: true, max: 2, before: 1 });
  const got = [...selector.select(new LineBatch(input, 1))].flatMap(pickedOf);
  assert.deepEqual(got, [[1, "ERROR\n"], [2, "a\n"], [3, "b\n"]]);
  assert.deepEqual(
    got,
    reference(input, compileMatcher("ERROR"), { invert: true, max: 2, before: 1 }),
  );
});
