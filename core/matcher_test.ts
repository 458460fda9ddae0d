import assert from "node:assert/strict";
import {
  compileMatcher,
  escapeRegex,
  isLiteralPattern,
  isNoopPattern,
  type Matcher,
  PatternError,
  translateRe2,
} from "./matcher.ts";

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

Deno.test("isNoopPattern accepts exactly the client's match-everything patterns", () => {
  for (const p of ["", ".", ".*"]) assert.equal(isNoopPattern(p), true, p);
  for (const p of [" ", "..", ".+", "a", "^.*$"]) assert.equal(isNoopPattern(p), false, p);
});

Deno.test("isLiteralPattern is false for any regex metacharacter of §3.5", () => {
  for (const c of ".+*?^$[]{}()|\\") assert.equal(isLiteralPattern(`ab${c}cd`), false, c);
  for (const p of ["ERROR", "user=alice id:7", "a-b/c", "é €", "#@!%&"]) {
    assert.equal(isLiteralPattern(p), true, p);
  }
});

Deno.test("compileMatcher picks noop, literal or regex per §3.5", () => {
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
  assert.deepEqual(translateRe2("(?i)x"), { source: "x", flags: "i" });
  assert.deepEqual(translateRe2("(?im)x"), { source: "x", flags: "i" });
  // (?s) only lets "." match "\n", and a line has none: nothing to translate.
  assert.deepEqual(translateRe2("(?s)x"), { source: "x", flags: "" });
});

Deno.test("RE2 flags JavaScript lacks are a PatternError", () => {
  assert.throws(() => compileMatcher("(?U)a+"), PatternError);
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

Deno.test("a negated POSIX class inside a larger class is a PatternError, not a mismatch", () => {
  assert.throws(() => compileMatcher("[a[:^digit:]]"), PatternError);
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
  for (const p of ["a(b", "[z-a]", "x{2,1}", "(?<n>a)(?<n>b)"]) {
    assert.throws(() => compileMatcher(p), (err: unknown) => {
      assert.ok(err instanceof PatternError, p);
      assert.ok(err.message.includes(JSON.stringify(p)), err.message);
      assert.ok(!err.message.includes("\n"), "one line");
      return true;
    });
  }
});

Deno.test("escapeRegex makes any text match itself literally", () => {
  for (const s of ["a.b*c", "[x]", "(a|b)", "^$", "a\\b", "{1}", "/-/", "?+"]) {
    const re = new RegExp(`^${escapeRegex(s)}$`);
    assert.equal(re.test(s), true, s);
    assert.equal(re.test(s + "x"), false, s);
  }
});

Deno.test("findLine and test agree for random patterns and texts", () => {
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
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
