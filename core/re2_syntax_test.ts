import assert from "node:assert/strict";
import { RE2JS } from "re2js";
import { isPlainRe2, plainVerdict } from "./re2_syntax.ts";
import { re2jsPattern } from "./re2js_pattern.ts";

/** Whether RE2 (Go) accepts the pattern: re2js, given repeated group names as Go takes them. */
function re2Accepts(pattern: string): boolean {
  try {
    RE2JS.compile(re2jsPattern(pattern));
    return true;
  } catch {
    return false;
  }
}

Deno.test("common log patterns are plain RE2 and need no re2js to be checked", () => {
  for (
    const p of [
      "[0-9]+ms",
      "ERROR|WARN",
      "foo.*bar",
      "id=\\d{4}-\\d{2}",
      "^INFO\\|",
      "(?:GET|POST) /api/[a-z_]+",
      "latency=[1-9][0-9]{2,}ms$",
      "\\bcode=5\\d\\d\\b",
      "[^ ]+ [^\\]]+",
      "a*?b+?c??",
      "ünïcödé|日本",
      "x(y(z)?)*",
      "(?i)error",
      "(?i:warn)|(?-i)ERROR",
      "(?sU)a.*b",
      "(?)x",
      "(?P<lvl>WARN|ERROR) (?<rest>.*)",
      "(?P<n>a)|(?P<n>b)", // Go takes a name twice
    ]
  ) {
    assert.ok(isPlainRe2(p), p);
    assert.ok(re2Accepts(p), p);
  }
});

Deno.test("what RE2 refuses, or what this check cannot vouch for, is left to re2js", () => {
  for (
    const p of [
      "a**", // nested repetition
      "a{2}{3}",
      "*a",
      "a|*b",
      "(a",
      "a)",
      "[a",
      "[z-a]",
      "[]a]",
      "[[:alpha:]]",
      "(?i-)a",
      "(?-)a",
      "(?--i)a",
      "(?x)a",
      "(?i)*",
      "(?P<>x)",
      "(?P<a-b>x)",
      "(?P=n)",
      "(?<=x)y",
      "(?=x)",
      "\\1",
      "\\pL",
      "a{1001}",
      "a{5,2}",
      "(a{50}){50}",
      "^*",
      "\\",
      "\ud800",
      // RE2 factors the branches' common prefix a level per piece: 1,001 levels are too deep.
      ".".repeat(1001) + "X|" + ".".repeat(1001),
    ]
  ) {
    assert.equal(isPlainRe2(p), false, p.slice(0, 40));
  }
});

Deno.test("every pattern said to be plain is accepted by RE2 (random patterns)", () => {
  const pieces = [
    ..."ab.^$|()[]{}*+?\\-,019dswbBDSWntz:=<>!Pi^ ",
    "(?:",
    "(?",
    "{2}",
    "{1,3}",
    "{,2}",
    "{2,}",
    "[a-z]",
    "[^0-9]",
    "\\d",
    "\\.",
    "\\[",
    "é",
    "日",
    "\u{1F600}",
    "(?i)",
    "(?s:",
    "(?-i)",
    "(?P<n>",
    "(?<m>",
    "(?i-s:",
  ];
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  let plain = 0;
  for (let n = 0; n < 20_000; n++) {
    let p = "";
    const length = 1 + (next() % 10);
    for (let i = 0; i < length; i++) p += pieces[next() % pieces.length];
    if (isPlainRe2(p)) {
      plain++;
      assert.ok(re2Accepts(p), `said plain, but RE2 refuses ${JSON.stringify(p)}`);
    }
  }
  assert.ok(plain > 1000, `only ${plain} plain patterns: the generator tests too little`);
});

/** Two branches with a common run of `n` pieces: `head`, the run and "X", or `head2` and the run. */
const twice = (head: string, piece: string, n: number, head2 = head) =>
  `${head}${piece.repeat(n)}X|${head2}${piece.repeat(n)}`;

/**
 * Each pattern gets `verdict` from the check (which never runs re2js), and re2js accepts it exactly
 * when `accepted`.
 */
function expectVerdicts(patterns: readonly string[], verdict: string, accepted: boolean): void {
  for (const p of patterns) {
    assert.equal(plainVerdict(p), verdict, p.slice(0, 20));
    assert.equal(re2Accepts(p), accepted, p.slice(0, 20));
  }
}

Deno.test("an alternation factored too deeply is refused without re2js, a shallow one accepted", () => {
  // Each `.`, `\d`, `[ab]` level is one of RE2's factoring, a run of literals one in all.
  expectVerdicts(
    [
      twice("", ".", 5000),
      twice("", "a.", 1000),
      twice("", "\\d", 1200),
      twice("", "[ab]", 1500),
    ],
    "too deep",
    false,
  );
  expectVerdicts(
    [
      twice("", "a", 5000),
      twice("", "a*", 2000),
      twice("", "(a)", 1500),
      twice("", ".", 300),
    ],
    "plain",
    true,
  );
  // Near RE2's limit of 1,000 levels, re2js decides.
  assert.equal(plainVerdict(twice("", ".", 999)), "unknown");
});

Deno.test("a deep alternation outside the plain subset is refused without re2js too", () => {
  // re2js's parser would take up to a second on each (quadratic in the depth).
  expectVerdicts(
    [
      twice("\\pL", ".", 1200),
      twice("\\p{Greek}", ".", 1200),
      twice("\\x{41}", "\\d", 1200),
      twice("", "[[:alpha:]]", 1200),
      twice("", "[\\pL]", 1200),
      twice("\\Qa\\E", ".", 1200),
      twice("\\pL", "\\pN", 1200),
      "(".repeat(150) + twice("\\pL", ".", 1200) + ")".repeat(150),
    ],
    "too deep",
    false,
  );
  // What stops RE2's factoring stops the count: re2js decides, and accepts.
  expectVerdicts([twice("\\pLa{2,}", ".", 1200), twice("\\pL", ".", 400)], "unknown", true);
});

Deno.test("flags count as RE2 factors with them: at a group's start for all its branches", () => {
  // Flags are no piece of RE2's tree: these branches factor as deep as without them.
  expectVerdicts(
    [twice("(?i)", "a.", 600), twice("(?s)", ".", 1200, ""), twice("(?i)", ".", 1200)],
    "too deep",
    false,
  );
  // Flags changed inside a branch hold in the next branches too: not plain, re2js decides…
  for (const p of ["ab(?i)cd", "a|(?s)b", twice("", "a", 1200, "(?i)")]) {
    assert.notEqual(plainVerdict(p), "plain", p.slice(0, 20));
  }
  // …unless they change nothing of the pieces: `(?i)` is nothing to `.` and `\d`, `(?s)` is.
  const dots = twice("", ".", 1200, "(?i)");
  assert.equal(plainVerdict(dots), "too deep");
  assert.equal(re2Accepts(dots), false);
  // Go refuses this one too ("expression nests too deeply", Go DTail 4.3.2's dgrep); re2js, which
  // keeps `\d` and `(?i)\d` apart, would take it.
  assert.equal(plainVerdict(twice("", "\\d", 1200, "(?i)")), "too deep");
  const sFlag = twice("", ".", 1200, "(?s)");
  assert.equal(plainVerdict(sFlag), "unknown");
  assert.equal(re2Accepts(sFlag), true);
  expectVerdicts(["(?i)abc|abd", "((?s)a.|b.)", "(?i:a.)|(?i:a.)", "(?i)a(?i)b"], "plain", true);
});
