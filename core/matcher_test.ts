import assert from "node:assert/strict";
import { RE2JS } from "re2js";
import {
  compileMatcher,
  compileRe2jsMatcher,
  compileRegex,
  isLiteralPattern,
  isNoopPattern,
  linearEngineAvailable,
  type Matcher,
  MAX_PATTERN_LENGTH,
  PatternError,
} from "./matcher.ts";
import { irregexpSource } from "./re2_translate.ts";
import { irregexpCompileMs, MAX_IRREGEXP_COMPILE_MS } from "./regex_cost.ts";

/** Starts of all matching lines, found the way the filter does: findLine from line to line. */
function allLines(m: Matcher, text: string): number[] {
  const starts: number[] = [];
  for (let from = 0, guard = 0; guard <= text.length + 1; guard++) {
    const start = m.findLine(text, from);
    if (start < 0) return starts;
    starts.push(start);
    const nl = text.indexOf("\n", start);
    if (nl < 0) return starts;
    from = nl + 1;
  }
  throw new Error(`findLine does not terminate on ${JSON.stringify(text)}`);
}

/** The same answer computed one line at a time with test(). */
function lineByLine(m: Matcher, text: string): number[] {
  const starts: number[] = [];
  let start = 0;
  for (const line of text.split("\n")) {
    if (start < text.length && m.test(line)) starts.push(start);
    start += line.length + 1;
  }
  return starts;
}

/** A seeded generator of numbers in [0, 1) (a linear congruential one), for repeatable inputs. */
function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

Deno.test("isNoopPattern accepts exactly the client's match-everything patterns", () => {
  for (const p of ["", ".", ".*"]) assert.equal(isNoopPattern(p), true, p);
  for (const p of [" ", "..", ".+", "a", "^.*$"]) assert.equal(isNoopPattern(p), false, p);
});

Deno.test("isLiteralPattern is false for any regex metacharacter of docs/protocol.md#regex", () => {
  for (const c of ".+*?^$[]{}()|\\") assert.equal(isLiteralPattern(`ab${c}cd`), false, c);
  for (const p of ["ERROR", "user=alice id:7", "a-b/c", "é €", "#@!%&"]) {
    assert.equal(isLiteralPattern(p), true, p);
  }
});

Deno.test("compileMatcher picks noop, literal or regex per docs/protocol.md#regex", () => {
  assert.equal(compileMatcher("").kind, "noop");
  assert.equal(compileMatcher(".").kind, "noop");
  assert.equal(compileMatcher(".*").kind, "noop");
  assert.equal(compileMatcher("ERROR").kind, "literal");
  assert.equal(compileMatcher("ERR.R").kind, "regex");
  assert.equal(compileMatcher(".", { noopAllowed: false }).kind, "regex");
  assert.equal(compileMatcher("", { noopAllowed: false }).kind, "literal");
  assert.equal(compileMatcher("ERR.R").pattern, "ERR.R");
});

Deno.test("a noop matcher matches every line", () => {
  const m = compileMatcher("");
  assert.deepEqual(allLines(m, "a\n\nb\n"), [0, 2, 3]);
  assert.equal(m.test("anything"), true);
  assert.equal(m.findLine("a\n", 2), -1);
});

Deno.test("a literal matcher finds the lines containing the text", () => {
  const m = compileMatcher("err");
  const text = "ok\nan error\nERR\nerr at end";
  assert.deepEqual(allLines(m, text), [3, 16]);
  assert.deepEqual(lineByLine(m, text), [3, 16]);
  assert.equal(m.test("xerrx"), true);
  assert.equal(m.test("ERR"), false);
});

Deno.test("a literal matcher treats regex-free punctuation literally", () => {
  const m = compileMatcher("a-b/c");
  assert.deepEqual(allLines(m, "a-b/c\naxb/c\n"), [0]);
});

Deno.test("an empty literal (noop not allowed) matches each line once and terminates", () => {
  const m = compileMatcher("", { noopAllowed: false });
  assert.deepEqual(allLines(m, "a\nb\n"), [0, 2]);
  assert.equal(m.findLine("a\nb\n", 4), -1);
  assert.equal(m.findLine("a\nb", 3), -1);
});

Deno.test("a regex matcher finds lines and agrees with test() line by line", () => {
  const text = "GET /a 200\nPOST /b 500\nGET /c 404\n\nGET /d 500";
  for (const p of ["GET .* 5\\d\\d", "^POST", "00$", "/[bc] ", "x*", "^$", "\\d{3}$"]) {
    const m = compileMatcher(p);
    assert.deepEqual(allLines(m, text), lineByLine(m, text), p);
  }
  assert.deepEqual(allLines(compileMatcher("GET .* 5\\d\\d"), text), [35]);
  assert.deepEqual(allLines(compileMatcher("^$"), text), [34]);
});

Deno.test("a regex match that spans a newline never selects the wrong line", () => {
  const text = "xa\nbz\nya b\nq";
  for (const p of ["a\\sb", "a[^x]b", "a\\s*b", "a\\Wb"]) {
    const m = compileMatcher(p);
    assert.deepEqual(allLines(m, text), [6], p);
    assert.deepEqual(lineByLine(m, text), [6], p);
  }
  const s = compileMatcher("(?s)a.b");
  assert.deepEqual(allLines(s, text), [6]);
});

Deno.test("a spanning match does not hide a later match on the same line", () => {
  const m = compileMatcher("a\\s*b");
  // The leftmost match "a\nb" spans lines; line 2 "b ab" has its own match.
  assert.deepEqual(allLines(m, "a\nb ab\nc"), [2]);
});

Deno.test("^ and $ anchor at every line of a multi-line text", () => {
  const text = "ab\nba\nb\n";
  assert.deepEqual(allLines(compileMatcher("^b"), text), [3, 6]);
  assert.deepEqual(allLines(compileMatcher("a$"), text), [3]);
  assert.deepEqual(allLines(compileMatcher("^b$"), text), [6]);
  assert.equal(compileMatcher("^b").test("ab"), false);
});

Deno.test("^$ finds the empty lines, not a line after the last newline", () => {
  const m = compileMatcher("^$");
  assert.equal(m.findLine("a\nb\n", 0), -1);
  assert.equal(m.findLine("a\n\nb\n", 0), 2);
  assert.equal(m.findLine("a\n\nb\n", 3), -1);
});

Deno.test("findLine starts searching at the given line", () => {
  const m = compileMatcher("o+");
  assert.equal(m.findLine("foo\nbar\nboo\n", 4), 8);
  assert.equal(m.findLine("foo\nbar\nboo\n", 12), -1);
});

Deno.test("RE2 (?i) makes the whole pattern case-insensitive", () => {
  const m = compileMatcher("(?i)error|warn");
  assert.equal(m.test("An ErRoR"), true);
  assert.equal(m.test("WARNING"), true);
  assert.equal(m.test("info"), false);
  assert.equal(compileMatcher("(?im)x").test("X"), true);
  // (?s) only lets "." match "\n", and a line has none.
  assert.equal(compileMatcher("(?s)x.y").test("xzy"), true);
});

Deno.test("RE2 flags JavaScript lacks work: (?U), flag groups", () => {
  const ungreedy = compileMatcher("(?U)a+b");
  assert.equal(ungreedy.test("xaab"), true);
  assert.equal(ungreedy.test("b"), false);
  assert.equal(compileMatcher("a(?i:b)c").test("aBc"), true);
  assert.equal(compileMatcher("a(?i:b)c").test("aBC"), false);
});

Deno.test("RE2 (?P<name>...) groups work", () => {
  const m = compileMatcher("level=(?P<lvl>WARN|ERROR) (?P<rest>.*)");
  assert.equal(m.test("level=ERROR boom"), true);
  assert.equal(m.test("level=INFO fine"), false);
});

Deno.test("RE2 \\A and \\z anchor at the start and end of each line", () => {
  const start = compileMatcher("\\Afoo");
  const end = compileMatcher("foo\\z");
  const text = "xfoo\nfoo x\nfoo\n";
  assert.deepEqual(allLines(start, text), [5, 11]);
  assert.deepEqual(allLines(end, text), [0, 11]);
  // An escaped backslash before A is a literal backslash and "A".
  const literal = compileMatcher("x\\\\A");
  assert.equal(literal.test("x\\A"), true);
  assert.equal(literal.test("x"), false);
});

Deno.test("RE2 POSIX classes inside brackets work", () => {
  const digits = compileMatcher("^[[:digit:]]+$");
  assert.equal(digits.test("2024"), true);
  assert.equal(digits.test("20a4"), false);
  const mixed = compileMatcher("^[[:upper:][:digit:]_]+$");
  assert.equal(mixed.test("ABC_12"), true);
  assert.equal(mixed.test("abc"), false);
  assert.equal(compileMatcher("[[:space:]]x").test("a\tx"), true);
  assert.equal(compileMatcher("[[:punct:]]").test("abc"), false);
  assert.equal(compileMatcher("[[:punct:]]").test("a/b"), true);
});

Deno.test("a negated POSIX class inside a larger class works", () => {
  const m = compileMatcher("^[a[:^digit:]]+$");
  assert.equal(m.test("ab-c"), true);
  assert.equal(m.test("a1"), false);
});

Deno.test("RE2 \\Q...\\E quotes metacharacters literally", () => {
  const m = compileMatcher("\\Q.*[x]\\E+");
  assert.equal(m.test("a.*[x]]b"), true);
  assert.equal(m.test("a.*[x]b"), true);
  assert.equal(m.test("abc"), false);
  // Without \E the quote runs to the end.
  const open = compileMatcher("a\\Q(b");
  assert.equal(open.test("xa(b"), true);
  assert.equal(open.test("ab"), false);
});

Deno.test("an invalid regex is a PatternError that quotes the pattern", () => {
  for (const p of ["a(b", "[z-a]", "x{2,1}", "(?P<>a)", "a\\"]) {
    assert.throws(() => compileMatcher(p), (err: unknown) => {
      assert.ok(err instanceof PatternError, p);
      assert.ok(err.message.includes(JSON.stringify(p)), err.message);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("findLine and test agree for random patterns and texts", () => {
  const next = lcg(11);
  const patterns = ["a\\sb", "^a", "b$", "a.b", "[^a]b", "ab|^b", "\\bab\\b", "a\\W*b", "é"];
  for (let round = 0; round < 300; round++) {
    let text = "";
    const n = Math.floor(next() * 30);
    for (let i = 0; i < n; i++) text += "ab \n\té"[Math.floor(next() * 7)];
    for (const p of patterns) {
      const m = compileMatcher(p);
      assert.deepEqual(allLines(m, text), lineByLine(m, text), `${p} on ${JSON.stringify(text)}`);
    }
  }
});

Deno.test("regex dot matches \\r and U+2028 inside a line, as RE2's does", () => {
  const m = compileMatcher("a.c");
  assert.ok(m.test("a\rc"));
  assert.ok(m.test("a\u2028c"));
  assert.equal(m.findLine("x\na\rc\n", 0), 2);
  assert.equal(m.findLine("a\nc\n", 0), -1, "but not across lines");
});

Deno.test("regex anchors do not match at a carriage return in the middle of a line", () => {
  const m = compileMatcher("^b");
  assert.equal(m.findLine("a\rb\nbx\n", 0), 4);
  const end = compileMatcher("a$");
  assert.equal(end.findLine("a\rb\nxa\n", 0), 4);
});

Deno.test("negated POSIX classes and Unicode classes compile", () => {
  assert.ok(compileMatcher("[[:^digit:]]x").test("ax"));
  assert.ok(!compileMatcher("^[[:^digit:]]+$").test("a1"));
  assert.ok(compileMatcher("\\pLx").test("éx"));
  assert.ok(!compileMatcher("^\\pL$").test("1"));
});

Deno.test("a regex of plain and escaped metacharacters is matched as a literal", () => {
  const m = compileMatcher("\\|MAPREDUCE:STATS\\|");
  assert.equal(m.kind, "literal");
  assert.equal(m.pattern, "|MAPREDUCE:STATS|");
  assert.ok(m.test("INFO|x|MAPREDUCE:STATS|a=1"));
  assert.ok(!m.test("INFO|x|MAPREDUCE:STATSX|a=1"));
  assert.equal(compileMatcher("a\\.b").pattern, "a.b");
  assert.equal(compileMatcher("a\\.b").kind, "literal");
  assert.equal(compileMatcher("a\\d").kind, "regex", "\\d is a class, not an escaped literal");
  assert.equal(compileMatcher("a.b").kind, "regex");
});

// ---- Linear time whatever the pattern (security item 3) ----

/** Starts of the lines re2js (Go's regexp semantics) matches, one line at a time. */
function reference(pattern: string, text: string, withNewline = false): number[] {
  const re = RE2JS.compile(pattern);
  const starts: number[] = [];
  let start = 0;
  for (const line of text.split("\n")) {
    const end = start + line.length;
    const subject = withNewline && end < text.length ? line + "\n" : line;
    if (start < text.length && re.test(subject)) starts.push(start);
    start = end + 1;
  }
  return starts;
}

/** lineByLine, each line tested with its "\n" (MatcherOptions.withNewline). */
function lineByLineWithNewline(m: Matcher, text: string): number[] {
  const starts: number[] = [];
  for (let start = 0; start < text.length;) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl + 1;
    if (m.test(text.slice(start, end))) starts.push(start);
    start = end;
  }
  return starts;
}

/** allLines over ~1 MB batches, the way the pipeline feeds a matcher. */
function allLinesInBatches(m: Matcher, text: string): number[] {
  const starts: number[] = [];
  for (let offset = 0; offset < text.length;) {
    let end = text.indexOf("\n", offset + (1 << 20));
    end = end < 0 ? text.length : end + 1;
    for (const s of allLines(m, text.slice(offset, end))) starts.push(offset + s);
    offset = end;
  }
  return starts;
}

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const value = f();
  return [value, performance.now() - t0];
}

const ordinaryLine = (i: number) =>
  `2024-01-02 12:00:${String(i % 60).padStart(2, "0")} INFO [worker-${i % 16}] http.go:${
    i % 999
  } request handled id=${i * 7919} user=alice latency=${i % 1000}ms path=/a/b/c`.padEnd(124, "x");

const PATHOLOGICAL: [string, string, number][] = [
  ["(a+)+b", "a".repeat(29), 2000],
  ["(a+)+b", "a".repeat(40), 2000],
  ["(.+)+[#%]", "", 4000], // ordinary 124-character lines
  ["(a|aa)*c", "a".repeat(40), 2000],
  ["(x+x+)+y", "x".repeat(40), 2000],
  ["(?i)(a+)+b", "A".repeat(29), 2000],
  ["(?i)(.+)+[#%]", "", 4000],
  ["\\pL(a+)+b", "é" + "a".repeat(29), 2000],
  ["(?i)(é+)+b", "É".repeat(29), 2000],
  ["(a+)+b{1,1000}", "a".repeat(29), 2000],
  ["(a{1,1000})+b", "a".repeat(29), 2000],
  // Every line matches, after backtracking just under V8's limit: the guard's case.
  ["(a+)+c|d", "a".repeat(15) + "d", 60000],
];

for (const [pattern, line, count] of PATHOLOGICAL) {
  Deno.test(`pathological ${pattern} over ${count} lines runs in linear time`, () => {
    const lines = Array.from({ length: count }, (_, i) => line === "" ? ordinaryLine(i) : line);
    // A few lines that do match, so the answer is not trivially empty.
    lines[7] = line === "" ? ordinaryLine(7).slice(0, 100) + "#" : line + "b";
    lines[count - 3] = "%" + lines[count - 3] + "cb#";
    const text = lines.join("\n") + "\n";
    const m = compileMatcher(pattern);
    const [found, ms] = timed(() => allLinesInBatches(m, text));
    assert.deepEqual(found, reference(pattern, text), pattern);
    assert.ok(ms < 3000, `${pattern}: ${Math.round(ms)} ms`);
    const [tested, ms2] = timed(() => lineByLine(m, text));
    assert.deepEqual(tested, found, `${pattern}: test() agrees with findLine`);
    assert.ok(ms2 < 3000, `${pattern} per line: ${Math.round(ms2)} ms`);
  });
}

Deno.test("one-character loops stay linear: long lines, and classes that cross lines", () => {
  // V8 counts no backtracking in these loops: no fallback, quadratic without care (~20 min).
  const cases: [string, string][] = [
    ["a.*b", "a".repeat(1 << 20)], // one 1 MB line
    ["[a-z]+\\d", "a".repeat(1 << 20)],
    ["\\d+ms$", "1".repeat(1 << 20)],
    ["a[^~]*~", ("a lazy cat and a fox again and again and a hat\n").repeat(20_000)], // 1 MB
    ["a.*b.*~", ("ab".repeat(128) + "\n").repeat(4000)],
    ["(?i)a.*b.*c", ("ab".repeat(500) + "\n").repeat(1000)],
  ];
  for (const [pattern, text] of cases) {
    const m = compileMatcher(pattern);
    const [found, ms] = timed(() => allLinesInBatches(m, text));
    assert.deepEqual(found, reference(pattern, text), pattern);
    assert.ok(ms < 3000, `${pattern}: ${Math.round(ms)} ms`);
    const line = text.slice(0, text.indexOf("\n") < 0 ? text.length : text.indexOf("\n"));
    const [hit, ms2] = timed(() => m.test(line));
    assert.equal(hit, RE2JS.compile(pattern).test(line));
    assert.ok(ms2 < 1000, `${pattern} test(): ${Math.round(ms2)} ms`);
  }
});

Deno.test("a pattern longer than MAX_PATTERN_LENGTH is a PatternError, shorter ones compile fast", () => {
  assert.throws(() => compileMatcher("a.".repeat(MAX_PATTERN_LENGTH)), PatternError);
  const t0 = performance.now();
  const cases: [string, string][] = [
    ["(?i)" + "[\\x{3000}-\\x{9FFF}]".repeat(800), "中".repeat(800)],
    ["(a|b)*".repeat(2700) + "c", "abc"],
    [Array.from({ length: 2000 }, (_, i) => `w${i}x`).join("|"), "w17x"],
    ["(".repeat(999) + "a" + ")".repeat(999), "a"],
  ];
  for (const [p, line] of cases) {
    assert.ok(p.length <= MAX_PATTERN_LENGTH);
    assert.ok(compileMatcher(p).test(line), p.slice(0, 20));
  }
  assert.ok(performance.now() - t0 < 5000, `${Math.round(performance.now() - t0)} ms`);
});

Deno.test("the guard moves a matcher that backtracks on every line to re2js", () => {
  const m = compileMatcher("(a+)+c|d");
  assert.equal(m.engine, "irregexp");
  const text = ("a".repeat(15) + "d\n").repeat(60000);
  allLinesInBatches(m, text);
  assert.equal(m.engine, "re2js");
});

Deno.test("an alternation that RE2 would nest too deeply is refused with Go's reason, however deep", () => {
  // Go: `error parsing regexp: expression nests too deeply` for both; the deeper one runs re2js's
  // parser out of stack before its own limit speaks (a fuzz finding: 5,000 dots, `X|`, 5,000).
  for (const n of [1001, 5000]) {
    const pattern = ".".repeat(n) + "X|" + ".".repeat(n);
    assert.throws(() => compileMatcher(pattern), (err: unknown) => {
      assert.ok(err instanceof PatternError);
      // The pattern is quoted by its start (core/clip.ts), in our text and in RE2's reason.
      assert.equal(
        err.message,
        `invalid regular expression ${JSON.stringify(".".repeat(117) + "...")}: ` +
          `error parsing regexp: expression nests too deeply: \`${".".repeat(185)}...`,
      );
      assert.ok(err.message.length < 400);
      return true;
    }, `${n}`);
  }
  assert.equal(compileMatcher(".".repeat(100) + "X|" + ".".repeat(100)).kind, "regex");
});

Deno.test("RE2-rejected syntax is a PatternError with RE2's reason", () => {
  const cases: [string, string][] = [
    ["(?<=a)b", "error parsing regexp: invalid named capture: `(?<=a)b`"],
    ["(?<!a)b", "error parsing regexp: invalid named capture: `(?<!a)b`"],
    ["a(?=b)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"],
    ["(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"],
    ["a(b", "error parsing regexp: missing closing ): `a(b`"],
    ["a**", "error parsing regexp: invalid nested repetition operator: `**`"],
    ["a{1001}", "error parsing regexp: invalid repeat count: `{1001}`"],
    ["\\Z", "error parsing regexp: invalid escape sequence: `\\Z`"],
  ];
  for (const [pattern, reason] of cases) {
    assert.throws(() => compileMatcher(pattern), (err: unknown) => {
      assert.ok(err instanceof PatternError, pattern);
      assert.equal(
        err.message,
        `invalid regular expression ${JSON.stringify(pattern)}: ${reason}`,
      );
      return true;
    });
    assert.throws(() => compileRegex(pattern), PatternError);
  }
});

Deno.test("the engine: irregexp when V8's linear engine can bound it, else re2js", () => {
  assert.ok(linearEngineAvailable(), "tests run with LINEAR_V8_FLAGS (tools/run_tests.sh)");
  const irregexp = [
    "ERROR.*db[.]go",
    "(?i)error",
    "(?i)warn|error|fatal",
    "(?i)^[a-z]+=\\d+$",
    "(a+)+b",
    "level=(?P<lvl>WARN|ERROR)",
    "\\d{4}-\\d{2}-\\d{2}",
    '[^"]*"x',
    "a.b",
    "(?U)a+", // greediness changes no line's match
    "a(?i:b)", // flag groups
    "(?s)a.b",
    "(?m)^a",
    "\\101\\0", // octal
    "x{30}", // written out: a literal of 30 characters
    "(?i)é", // a non-ASCII letter under (?i): its orbit, as Go folds, from re2js
  ];
  for (const p of irregexp) assert.equal(compileMatcher(p).engine, "irregexp", p);
  const re2js = [
    "\\pL+", // needs the u flag, which V8's linear engine refuses
    "a{1,1000}", // counted repetition too large for the linear engine
    "(?:xy){30}",
    "x{300}", // too long to write out
    "[😀-😂]", // part of the characters beyond U+FFFF
  ];
  for (const p of re2js) assert.equal(compileMatcher(p).engine, "re2js", p);
  assert.equal(compileMatcher("ERROR").engine, "indexOf");
  assert.equal(compileMatcher("").engine, "none");
});

Deno.test("(?i) folds as Go does: k with U+212A, s with U+017F, ASCII classes", () => {
  const cases: [string, string, boolean][] = [
    ["(?i)error", "An ErRoR", true],
    ["(?i)k", "\u212a", true],
    ["(?i)\u212a", "k", true],
    ["(?i)s", "\u017f", true],
    ["(?i)[a-z]", "\u017f", true],
    ["(?i)\\w", "\u212a", true],
    ["(?i)^\\W$", "\u212a", false],
    ["(?i)[^k]", "K", false],
    ["(?i)[^k]", "\u212a", false],
    ["(?i)[[:upper:]]", "x", true],
    ["(?i)[[:^alpha:]]", "\u017f", false],
    ["(?i)é", "É", true],
    ["k", "\u212a", false],
  ];
  for (const [p, line, want] of cases) {
    assert.equal(compileMatcher(p).test(line), want, `${p} on ${JSON.stringify(line)}`);
    assert.equal(RE2JS.compile(p).test(line), want, `reference: ${p}`);
  }
});

Deno.test("characters beyond U+FFFF count as one, as in RE2", () => {
  assert.ok(compileMatcher("a.b").test("a😀b"));
  assert.ok(compileMatcher("x[^a]y").test("x😀y"));
  assert.ok(compileMatcher("x\\Wy").test("x😀y"));
  assert.ok(!compileMatcher("^.{2}$").test("😀"));
  assert.ok(compileMatcher("^😀+$").test("😀😀"));
  assert.equal(compileMatcher("a.b").findLine("x\na😀b\n", 0), 2);
});

Deno.test("escaped characters are matched (no literal is guessed from their digits)", () => {
  const m = compileMatcher("abc\\x41def");
  assert.equal(m.findLine("x\nabcAdef\n", 0), 2);
  assert.ok(compileMatcher("\\x{263a}+").test("a☺"));
  assert.ok(compileMatcher("a\\tb").test("a\tb"));
});

Deno.test("RE2's \\s is ASCII: no \\v, no non-breaking space", () => {
  const m = compileMatcher("a\\sb");
  assert.ok(m.test("a b"));
  assert.ok(!m.test("a\vb"));
  assert.ok(!m.test("a\u00a0b"));
});

Deno.test("irregexp translations agree with re2js on random patterns and lines", () => {
  const next = lcg(5);
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)]!;
  const atoms = [
    "a",
    "k",
    "s",
    "K",
    "x",
    "\\d",
    "\\D",
    "\\w",
    "\\W",
    "\\s",
    "\\S",
    ".",
    "[a-c]",
    "[^a]",
    "[[:alpha:]]",
    "[[:^alpha:]]",
    "[k-s]",
    "[^\\s]",
    "\\b",
    "\\B",
    "^",
    "$",
    "\\.",
    "\\x41",
    "é",
    "\\Qa.\\E",
    "[]a]",
    "{",
    "[^\\D]",
    "\\A",
    "\\z",
    " ",
    "ſ",
    "€",
    "😀",
    "[^😀]",
    "a{01}",
    "\\n",
    "\\r",
    "(?m:^)",
    "(?m:$)",
    "(?i:k)",
    "(?-i)",
    "(?i-i)",
    "(?s:.)",
    "\\101",
    "\\0",
  ];
  const quantifiers = ["", "", "", "*", "+", "?", "*?", "{2}", "{1,2}"];
  const gen = (depth: number): string => {
    let s = "";
    for (let n = 1 + Math.floor(next() * 4); n > 0; n--) {
      const group = depth > 0 && next() < 0.2;
      s +=
        (group ? `(${gen(depth - 1)}${next() < 0.3 ? "|" + gen(depth - 1) : ""})` : pick(atoms)) +
        pick(quantifiers);
    }
    return s;
  };
  const chars = [
    ..."akKsSx1 \t.\ré",
    "É",
    "ſ",
    "\u212a",
    "😀",
  ];
  let onIrregexp = 0;
  let withNewlineOnIrregexp = 0;
  for (let round = 0; round < 1500; round++) {
    const pattern = pick(["", "", "(?i)", "(?s)", "(?m)", "(?U)", "(?ims)"]) + gen(2);
    try {
      RE2JS.compile(pattern);
    } catch {
      continue;
    }
    const m = compileMatcher(pattern);
    if (m.engine === "irregexp") onIrregexp++;
    const lines = Array.from({ length: 8 }, () => {
      let line = "";
      for (let n = Math.floor(next() * 8); n > 0; n--) line += pick(chars);
      return line;
    });
    const text = lines.join("\n") + pick(["", "\n"]);
    const want = reference(pattern, text);
    assert.deepEqual(allLines(m, text), want, `${pattern} on ${JSON.stringify(text)}`);
    assert.deepEqual(lineByLine(m, text), want, `${pattern} per line`);
    const nl = compileMatcher(pattern, { withNewline: true });
    if (nl.engine === "irregexp") withNewlineOnIrregexp++;
    const wantNl = reference(pattern, text, true);
    const what = `${pattern} with newlines on ${JSON.stringify(text)}`;
    assert.deepEqual(allLines(nl, text), wantNl, what);
    assert.deepEqual(lineByLineWithNewline(nl, text), wantNl, `${what}, per line`);
  }
  assert.ok(onIrregexp > 500, `${onIrregexp} patterns ran on irregexp`);
  assert.ok(withNewlineOnIrregexp > 500, `${withNewlineOnIrregexp} ran on irregexp with newlines`);
});

Deno.test("a process without the V8 flags runs every regex on re2js, still in linear time", async (t) => {
  const dir = await Deno.makeTempDir();
  const script = `${dir}/probe.ts`;
  const config = new URL("../deno.json", import.meta.url).pathname;
  await Deno.writeTextFile(
    script,
    `import { compileMatcher, linearEngineAvailable } from ${
      JSON.stringify(new URL("./matcher.ts", import.meta.url).href)
    };
const m = compileMatcher("(a+)+b");
const t0 = performance.now();
const hit = m.test("a".repeat(40)) || m.findLine(("a".repeat(40) + "\\n").repeat(1000), 0) >= 0;
console.log(JSON.stringify({
  linear: linearEngineAvailable(), engine: m.engine, hit, fast: performance.now() - t0 < 2000,
  icase: compileMatcher("(?i)error").engine, found: compileMatcher("(?i)error").test("An ERROR"),
}));`,
  );
  try {
    // Without any flag; with the `l` flag but without the fallback, irregexp is not bounded.
    for (const flags of [[], ["--v8-flags=--enable-experimental-regexp-engine"]]) {
      await t.step(flags.join(" ") || "no flags", async () => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            ...flags,
            "--allow-read",
            "--frozen",
            "--cached-only",
            "--config",
            config,
            script,
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        assert.deepEqual(JSON.parse(new TextDecoder().decode(out.stdout)), {
          linear: false,
          engine: "re2js",
          hit: false,
          fast: true,
          icase: "re2js",
          found: true,
        });
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Patterns V8 took 17–60 s to compile (fuzz seeds 539955457 and 2335981035: chains of optional
 * atoms, whose look-ahead analysis V8 runs over every path), with a line each of theirs matches.
 */
function compileBlowUps(): { pattern: string; lines: string[]; n: number }[] {
  const cases = [
    {
      pattern: "0 =?" + "뮙?".repeat(100) + "뮙9y1\nZ≔\r.Zy}",
      lines: ["0 =뮙뮙9y1", "0 뮙9y1"],
      n: 100,
    },
    {
      pattern: "b?鿵" + "z?".repeat(101) + "Z≔1x.b",
      n: 101,
      lines: ["鿵zzzZ≔1x!b", "b鿵Z≔1xĀb", "a鿵zzZ≔1x.b tail", "鿵zzZ≔1xb"],
    },
  ];
  const units: [string, string][] = [
    ["z?", "z"],
    ["[ab]?", "b"],
    ["(?:a|)", "a"],
    [".?", "Ā"],
    ["\\d?", "7"],
    ["(a)?", "a"],
    ["(a|b|)", "b"],
    ["(?:ab)?", "ab"],
    ["x{0,3}", "xx"],
    ["(?:a|b)?", "a"],
    ["(?:z?y?)", "zy"],
    ["(?i)k?", "K"],
  ];
  for (const [unit, instance] of units) {
    for (const n of [8, 30, 100]) {
      const tails: [string, string][] = [["Z≔1x.b", "Z≔1x-b"], ["ABCDEFGH", "ABCDEFGH"]];
      for (const [tail, tailLine] of tails) {
        const flags = unit.startsWith("(?i)") ? "(?i)" : "";
        const body = unit.slice(flags.length);
        cases.push({
          n,
          pattern: flags + "q?" + body.repeat(n) + tail,
          lines: [
            instance.repeat(Math.floor(n / 2)) + tailLine,
            "q" + instance + tailLine + "!",
            instance.repeat(n + 1) + tailLine.slice(1),
            "no match here",
          ],
        });
      }
    }
  }
  return cases;
}

Deno.test("V8 compiles no pattern that runs on irregexp slowly (compile blow-ups go to re2js)", () => {
  const seconds = (t0: number) => performance.now() - t0;
  for (const { pattern, lines } of compileBlowUps()) {
    const latin1 = ["x", ...lines.filter((l) => !/[^\0-\xff]/.test(l)), ""].join("\n");
    const twoByte = ["Ā", ...lines, ""].join("\n");
    let t0 = performance.now();
    const m = compileMatcher(pattern);
    const re2js = compileRe2jsMatcher(pattern);
    const label = `${JSON.stringify(pattern.slice(0, 16))}… (${pattern.length}, ${m.engine})`;
    assert.ok(seconds(t0) < 100, `${label}: compiled in ${seconds(t0)} ms`);
    // Each run may compile again: Latin-1 or two-byte text, findLine's regex or test's.
    for (const text of [latin1, twoByte, latin1, twoByte]) {
      t0 = performance.now();
      const found = allLines(m, text);
      assert.ok(seconds(t0) < 100, `${label}: findLine took ${seconds(t0)} ms`);
      assert.deepEqual(found, allLines(re2js, text), label);
      t0 = performance.now();
      assert.deepEqual(lineByLine(m, text), found, label);
      assert.ok(seconds(t0) < 100, `${label}: test() took ${seconds(t0)} ms`);
    }
  }
});

Deno.test("the compile estimate keeps ordinary patterns on irregexp and blow-ups off it", () => {
  const ordinary = [
    "ERROR.*lock",
    "(?i)error",
    "\\d{4}-\\d{2}",
    "error|warn|fatal|panic",
    "[[:alpha:]]+",
    '^(\\S+) (\\S+) (\\S+) \\[([^\\]]+)\\] "(\\S+) (\\S+) (\\S+)" (\\d{3}) (\\d+|-)',
    "\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b",
    "^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:?\\d{2})?",
    "(?i)(error|warn(ing)?|fatal|critical|panic|exception|timeout|refused|denied)",
    "v?\\d+\\.\\d+(\\.\\d+)?(-[a-z0-9.]+)?(\\+[a-z0-9.]+)?",
    "a?b?c?d?e?f?",
  ];
  for (const p of ordinary) {
    const ms = irregexpCompileMs(irregexpSource(p)!);
    assert.ok(ms < MAX_IRREGEXP_COMPILE_MS / 5, `${p}: ${ms}`);
    assert.equal(compileMatcher(p).engine, "irregexp", p);
  }
  for (const { pattern } of compileBlowUps().filter((c) => c.n >= 100)) {
    assert.equal(compileMatcher(pattern).engine, "re2js", pattern.slice(0, 30));
  }
  // 12 optional atoms are fine, 40 are not; a loop is entered once, so loops multiply nothing.
  assert.equal(compileMatcher("z?".repeat(12) + "ABCDEFGH").engine, "irregexp");
  assert.equal(compileMatcher("z?".repeat(40) + "ABCDEFGH").engine, "re2js");
  assert.equal(compileMatcher("z*".repeat(100) + "ABCDEFGH").engine, "irregexp");
  assert.equal(irregexpCompileMs("(".repeat(300) + "a" + ")".repeat(300)), Infinity);
});

Deno.test("findLineWithoutRe2js hands over the lines an irregexp matcher would run on re2js", () => {
  // One loop before more pattern: lines over 1,024 characters run on re2js…
  const m = compileMatcher("x\\w*y");
  assert.equal(m.engine, "irregexp");
  const long = "x" + "a".repeat(2000) + "y";
  const text = `a\nxay\nb\n${long}\nxy\n`;
  assert.equal(m.findLineWithoutRe2js!(text, 0), 2);
  assert.equal(m.findLineWithoutRe2js!(text, 6), -2 - 8); // the long line, unread
  // …but those of `A.*B` part by part here (IrregexpTranslation.dotSplit).
  assert.equal(compileMatcher("x.*y").findLineWithoutRe2js!(text, 6), 8);
  assert.equal(m.findLine(text, 6), 8);
  assert.equal(m.findLineWithoutRe2js!(text, 9 + long.length), 9 + long.length);
  assert.equal(m.findLineWithoutRe2js!(text + "z", 12 + long.length), -1);
  // Once the guard gives up on irregexp, every search is handed over.
  const slow = compileMatcher("(a+)+c|d");
  const lines = ("a".repeat(15) + "d\n").repeat(60000);
  let deferred = -1;
  for (let from = 0; from < lines.length;) {
    const start = slow.findLineWithoutRe2js!(lines, from);
    if (start < -1) {
      deferred = -2 - start;
      break;
    }
    assert.equal(start, from);
    from += 17;
  }
  assert.equal(slow.engine, "re2js");
  assert.ok(deferred > 0 && deferred % 17 === 0, `deferred at ${deferred}`);
  assert.equal(slow.findLineWithoutRe2js!(lines, 0), -2);
});

Deno.test("long lines of a pattern A.*B.*C are matched part by part as re2js matches them", () => {
  const next = lcg(77);
  // A filler of characters no pattern names, with a few pieces that matter put in.
  const filler = ["z", " ", "é", "😀", "\r"];
  const pieces = ["a", "b", "ab", "x", "X", "ak", "a\u212a", "=1", "1", "bx", "xb", "abx", "aab"];
  const patterns = [
    "a.*b",
    "ab.+x",
    "^a.*b$",
    "\\bab.*\\bx",
    "(?i)ak.*x",
    "a{2}.*b=1",
    "😀a.*b",
    "(?s)x.*(?:a|b)b",
    "a.*(?:bx|xb)?1",
    "x.*$",
    "a.*b.*=1",
    "ab.+x.*b",
    "(?i)a.*k.+x",
    "a.*b.*(?:bx|xb)",
  ];
  let long = 0;
  let matched = 0;
  for (let round = 0; round < 2800; round++) {
    const pattern = patterns[round % patterns.length]!;
    const m = compileMatcher(pattern);
    assert.equal(m.engine, "irregexp", pattern);
    const chars: string[] = [];
    const n = next() < 0.3 ? 40 : 1100; // short lines and lines over 1,024 characters
    for (let i = 0; i < n; i++) chars.push(filler[Math.floor(next() * filler.length)]!);
    for (let k = Math.floor(next() * 7); k > 0; k--) {
      const at = next() < 0.3 ? (next() < 0.5 ? 0 : chars.length) : Math.floor(next() * n);
      chars.splice(at, 0, pieces[Math.floor(next() * pieces.length)]!);
    }
    const line = chars.join("");
    if (line.length > 1024) long++;
    const want = RE2JS.compile(pattern).test(line);
    if (want) matched++;
    assert.equal(m.test(line), want, `/${pattern}/ on ${JSON.stringify(line)}`);
    assert.equal(m.findLine(`q\n${line}\n`, 2) === 2, want, `/${pattern}/ findLine`);
  }
  assert.ok(matched > 280 && matched < 2500, `${matched} of 2800 lines match`);
  // The edges: a part that ends the line, a `+` with exactly one character to take, or none.
  const pad = "z".repeat(2000);
  const edges: [string, string, boolean][] = [
    ["x.*$", pad + "x", true],
    ["a.*b.*", pad + "ab", true],
    ["ab.+x", pad + "abzx", true],
    ["ab.+x", pad + "abx", false],
    ["a.+b.+c", "a" + pad + "bc", false],
    ["a.+b.+c", "a" + pad + "bzc", true],
  ];
  for (const [pattern, line, want] of edges) {
    assert.equal(RE2JS.compile(pattern).test(line), want, `reference /${pattern}/`);
    assert.equal(compileMatcher(pattern).test(line), want, `/${pattern}/ on …${line.slice(-4)}`);
  }
  assert.ok(long > 1400, `${long} long lines`);
});

Deno.test("re2js is loaded at the first regex, not with the module", async () => {
  // Without read permission the first regex that re2js must check cannot load it (matcher.ts
  // reads its build then); literals, noop and plain patterns (re2_syntax.ts) are checked without
  // it; preloadRe2js imports it ahead.
  const dir = await Deno.makeTempDir();
  const script = `${dir}/probe.ts`;
  await Deno.writeTextFile(
    script,
    `import { compileMatcher, preloadRe2js } from ${
      JSON.stringify(new URL("./matcher.ts", import.meta.url).href)
    };
const engines = [compileMatcher("ERROR").engine, compileMatcher(".*").engine];
let plain = "";
try { compileMatcher("ERROR.*lock"); plain = "compiled"; } catch (err) { plain = String(err); }
let first = "loaded";
try { compileMatcher("[[:alpha:]]ERROR.*lock"); } catch (err) { first = String(err); }
await preloadRe2js();
let invalid = "";
try { compileMatcher("a(b"); } catch (err) { invalid = String(err); }
console.log(JSON.stringify({ engines, plain, first, after: compileMatcher("ERROR.*lock").engine, invalid }));`,
  );
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--frozen",
        "--cached-only",
        "--config",
        new URL("../deno.json", import.meta.url).pathname,
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const got = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(got.engines, ["indexOf", "none"]);
    assert.equal(got.plain, "compiled");
    assert.match(got.first, /cannot load re2js .*preloadRe2js/);
    assert.equal(got.after, "re2js"); // no V8 flags in this process
    assert.match(got.invalid, /PatternError: .*missing closing \)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("searching in stretches of lines finds the lines a line-by-line search finds", () => {
  // Short lines, lines longer than irregexp takes (re2js answers for them), matches at the
  // edges of a 64 KB stretch, and a last line without a newline.
  const lines: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const kind = i % 97;
    if (kind === 0) lines.push("7".repeat(5000) + (i % 2 ? "ms" : "s"));
    else if (kind === 1) lines.push(`a${"-".repeat(1500)}b`);
    else {lines.push(
        `line ${i} took ${i % 13}${i % 3 ? "ms" : "s"} a${"=".repeat(i % 40)}${i % 5 ? "b" : ""}`,
      );}
  }
  const text = lines.join("\n") + "\nlast 5ms";
  for (const pattern of ["[0-9]+ms", "a=*b", "took [0-9]+s", "^a.*b$"]) {
    const matcher = compileMatcher(pattern);
    const re = new RegExp(pattern);
    const want: number[] = [];
    let at = 0;
    for (const line of text.split("\n")) {
      if (re.test(line)) want.push(at);
      at += line.length + 1;
    }
    const got: number[] = [];
    for (let from = 0; from < text.length;) {
      const start = matcher.findLine(text, from);
      if (start < 0) break;
      got.push(start);
      const nl = text.indexOf("\n", start);
      from = nl < 0 ? text.length : nl + 1;
    }
    assert.deepEqual(got, want, pattern);
    // Without re2js on this thread: the same lines up to the first line handed over.
    const here = matcher.findLineWithoutRe2js!(text, 0);
    assert.ok(here === want[0] || here < -1, `${pattern}: ${here}`);
  }
});

Deno.test("withNewline: a line is matched with its newline, as Go's dgrep does", () => {
  const text = "xa\nya \n\nza\r\nlost";
  const lines = (p: string) => allLines(compileMatcher(p, { withNewline: true }), text);
  assert.deepEqual(lines("a$"), []); // $ is after the "\n"…
  assert.deepEqual(lines("st$"), [12]); // …or at the end of a last line without one
  assert.deepEqual(lines("a\\n"), [0]);
  assert.deepEqual(lines("\\s$"), [0, 3, 7, 8]);
  assert.deepEqual(lines("(?m)^$"), [0, 3, 7, 8]); // after every "\n"
  assert.deepEqual(lines("\\z"), [0, 3, 7, 8, 12]);
  assert.deepEqual(lines("\\B$"), [0, 3, 7, 8]); // between the "\n" and the end
  assert.deepEqual(lines("(?s)a."), [0, 3, 8]);
  assert.deepEqual(lines("a."), [3, 8]);
  assert.deepEqual(lines("[^\\n]$"), [12]);
  // Without it (Go's follow reader): the line alone.
  assert.deepEqual(allLines(compileMatcher("a$"), text), [0]);
  assert.deepEqual(allLines(compileMatcher("(?m)^$"), text), [7]);
  // A literal text with a "\n" at its end finds the lines that end with the rest.
  const literal = compileMatcher("a\n", { withNewline: true });
  assert.equal(literal.engine, "indexOf");
  assert.deepEqual(allLines(literal, "xa\nab\nba"), [0]);
  assert.deepEqual(allLines(compileMatcher("a\nb", { withNewline: true }), "a\nb\n"), []);
  assert.deepEqual(allLines(compileMatcher("a\n"), "xa\n"), []);
});

Deno.test("withNewline: whole texts, stretches, long lines and re2js agree with RE2 per line", () => {
  const lines: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const kind = i % 89;
    if (kind === 0) lines.push("7".repeat(3000) + (i % 2 ? "ms" : " id="));
    else if (kind === 1) lines.push(`a${"-".repeat(1500)}b`);
    else if (kind === 2) lines.push("");
    else lines.push(`line ${i} took ${i % 13}ms id=${i % 7 ? i : ""} a${"=".repeat(i % 30)}b`);
  }
  for (const end of ["\n", "\nlast 5ms id="]) {
    const text = lines.join("\n") + end;
    for (
      const pattern of [
        "id=[^ ]+",
        "id=[^ ]*\\s",
        "a=*b$",
        "ms\\s",
        "^a.*b$",
        "(?m)^$",
        "\\B",
        "[0-9]+ms\\z",
        "(?s)b.",
        "7+ id=\\n",
      ]
    ) {
      const matcher = compileMatcher(pattern, { withNewline: true });
      const want = reference(pattern, text, true);
      assert.deepEqual(allLines(matcher, text), want, `${pattern} (${matcher.engine})`);
      assert.deepEqual(allLinesInBatches(matcher, text), want, `${pattern} in batches`);
      const re2js = compileRe2jsMatcher(pattern, { withNewline: true });
      assert.deepEqual(allLines(re2js, text), want, `${pattern} on re2js`);
      const here = matcher.findLineWithoutRe2js?.(text, 0);
      assert.ok(
        here === undefined || here === (want[0] ?? -1) || here < -1,
        `${pattern}: ${here}`,
      );
    }
  }
});

Deno.test("a pattern whose $ chain V8 would compile in exponential time runs on re2js", () => {
  // A fuzz run's pattern: V8 never finished compiling it with the m flag.
  const pattern = "(a+)+$" + "()+$".repeat(100) + "(a+)";
  const m = compileMatcher(pattern);
  assert.equal(m.engine, "re2js");
  assert.equal(m.test("aaa"), false);
  assert.equal(compileMatcher("(^|$)".repeat(30)).engine, "re2js");
  assert.equal(compileMatcher("^ERROR.*timeout$").engine, "irregexp");
});

Deno.test("(?i) with non-ASCII letters matches what re2js (Go's folds) matches", () => {
  const patterns = [
    "(?i)é",
    "(?i)caché",
    "(?i)ǅ", // a title-case letter: three in its orbit
    "(?i)σ", // σ, ς, Σ
    "(?i)ſ", // with s and S
    "(?i)ß", // with ẞ
    "(?i)θ", // with ϑ and ϴ
    "(?i)в", // with the rounded ve, U+1C80
    "(?i)[à-ÿ]",
    "(?i)[ā-ą]x",
    "(?i)µ", // with Μ and μ
    "(?i)ω", // with the ohm sign
  ];
  const subjects: string[] = [];
  for (let c = 0x41; c < 0x2200; c++) subjects.push(String.fromCodePoint(c));
  for (const c of [0x1c80, 0x1c88, 0x1e9e, 0x1fbe, 0x2126, 0x212a, 0x212b, 0x10400, 0x10428]) {
    subjects.push(String.fromCodePoint(c));
  }
  subjects.push("CACHÉ", "cachÉ", "Caché!", "cache", "ÀX", "ĀX");
  // Beyond U+00FF, each character of the orbit keeps a batch holding it from the Latin-1 reading.
  const unless = compileMatcher("(?i)ω").latin1Unless?.map((n) =>
    new TextDecoder().decode(n.bytes)
  );
  assert.deepEqual(unless?.sort(), ["\u03a9", "\u03c9", "\u2126"].sort(), "Ω, ω, the ohm sign");
  for (const pattern of patterns) {
    const matcher = compileMatcher(pattern);
    assert.equal(matcher.engine, "irregexp", pattern);
    const go = compileRe2jsMatcher(pattern);
    for (const subject of subjects) {
      if (matcher.test(subject) !== go.test(subject)) {
        assert.fail(`${pattern} on U+${subject.codePointAt(0)!.toString(16)} ${subject}`);
      }
    }
  }
});
