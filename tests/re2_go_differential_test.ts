/**
 * Random patterns against the Go dgrep (../shared/go-dtail/bin, tests/go_peer_env.ts): each is
 * given to Go's `dgrep --plain` on a file of lines (UTF-8, invalid UTF-8, folds, brackets) and to
 * our matcher; both must accept it and select the same lines, or both refuse it for the same
 * reason. The golden file (re2_conformance_test.ts) holds chosen cases without Go; this walks
 * combinations no one chose. Lines are matched with their "\n" as Go's dgrep does
 * (docs/decisions.md, "RE2 against the Go dgrep"). A new seed each run, printed on a failure.
 */
import assert from "node:assert/strict";
import { compileMatcher } from "../core/matcher.ts";
import { decodeUtf8 } from "../core/utf8.ts";
import { GO_BIN, goPeerSkipReason } from "./go_peer_env.ts";

const enc = new TextEncoder();
const TEXT_LINES = [
  "abc",
  "ABC",
  "a1b2",
  "",
  " x ",
  "é",
  "É",
  "ſ",
  "K",
  "k",
  "☃",
  "😀",
  "a\tb",
  "aaa",
  "ab_c",
  "-",
  "[",
  "]",
  "\\",
  "{",
  "}",
  "a{2}",
  "Σσς",
  "日本",
  "x.y",
  "0x41",
  "AbC dEf",
  "ǅ",
  "ß",
  "ẞ",
  "İi",
  // Assigned after Unicode 15.0 (Go 1.25's), a letter whose upper case came in 16.0, one that
  // changed category.
  "\u1c89",
  "\u{2ebf0}",
  "\ua7dc",
  "\u019b",
  "\u0295",
  "\u{1171e}",
];
const LINES = [
  ...TEXT_LINES.map((l) => enc.encode(l)),
  Uint8Array.of(0x61, 0xe2, 0x82, 0x62), // a cut-short sequence
  Uint8Array.of(0xff),
  Uint8Array.of(0xc0, 0xaf), // an overlong form
  Uint8Array.of(0x61, 0xf0, 0x9f, 0x98),
  Uint8Array.of(0xe2, 0x82, 0xac, 0x80), // € and a stray continuation byte
];
/** Pieces of patterns: atoms, classes, escapes RE2 takes or refuses, flags, groups, repeats. */
const PIECES = String.raw`a b c A é ſ k σ ☃ 😀 . \d \D \w \W \s \S \b \B ^ $ \A \z \pL \pN \p{Greek}
\PL \x{41} \x41 \101 \0 \Q.*\E \. \- \{ [a-c] [^a] [[:alpha:]] [[:^digit:]] [\d-z] [a-] []a] [^]a]
[\pL\d] [[:word:]] [[:foo:]] \C \e \v \h \R \X \K \G \Z \cA \N{x} \o{101} \u0041 [z-a] (?i) (?s)
(?m) (?U) (?-i) (?i-s) (?x) (?P<n> (?<n> (?'n' (?: ( ) | * + ? {2} {1,3} {,2} {2,} {1001} *? +? ??
** ++ {2}{3} \1 (?= (?! (?<= (?#x) [[.a.]] [[=a=]] \8 \x{110000} \x{D800} [\x{10FFFF}] \pZ
\p{^Greek} \P{^L} (?i)é [é-ſ] (?i)[k] \pl \p{greek} \p{Alphabetic} \p{Letter} \p{Old_Italic} \Q \E
x{2,1} { a{,} (?P<n>a)(?P<n>b) (?P<>a) (?P<1a>x) (?P=n) [\Q]\E] [a-\d] [\w-z] [--a] \x{} \x{1 \xZ
(?i)ß (?i)ẞ (?i)ǅ (?i)\x{1E9E} [[:upper:]] (?i)[[:upper:]] (?i)[^[:lower:]] (?i)\p{Ll} (?i)[^K]
\pC \p{Cn} \p{Zl} [^\x00-\x{10FFFF}] (?s). (?m)^b (?U)a+ a{0} (|a) () (?:)+ x*?y \b\b \p{Han}
\p{Ll} \p{Lo} \p{Mn} \p{Assigned} (?i)ƛ (?i)\p{Lu} (?i)\x{A7DC} [\x{1C80}-\x{1C8F}]`.split(/\s+/);
/** Go 1.25 refuses these names, which we take (docs/decisions.md). */
const TAKEN_HERE = /\\p\{Old_Italic\}/;
const PATTERNS = 400;

if (goPeerSkipReason !== null) {
  Deno.test({
    name: `RE2 against the Go dgrep, random patterns: skipped (${goPeerSkipReason})`,
    ignore: true,
    fn: () => {},
  });
} else {
  Deno.test("random patterns: Go's dgrep and our matcher accept, refuse and select alike", async () => {
    const seed = Number(Deno.env.get("DTAIL_RE2_SEED") ?? Math.floor(Math.random() * 2 ** 31));
    let state = seed;
    const random = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const patterns = Array.from({ length: PATTERNS }, () => {
      let p = "";
      for (let n = 1 + Math.floor(random() * 4); n > 0; n--) {
        p += PIECES[Math.floor(random() * PIECES.length)];
      }
      return p;
    }).filter((p) => !TAKEN_HERE.test(p));
    const dir = await Deno.makeTempDir({ prefix: "dtail-re2-diff-" });
    try {
      const file = `${dir}/lines.log`;
      await Deno.writeFile(file, new Uint8Array(LINES.flatMap((b) => [...b, 10])));
      const keys = LINES.map((b) => b.join(","));
      const texts = LINES.map((b) => decodeUtf8(b) + "\n");
      const differences: string[] = [];
      let refused = 0;
      let next = 0;
      const worker = async () => {
        while (next < patterns.length) {
          const p = patterns[next++]!;
          const go = await goDgrep(p, file, dir);
          let ours: Verdict;
          try {
            const m = compileMatcher(p, { withNewline: true });
            ours = { lines: keys.filter((_, i) => m.test(texts[i]!)) };
          } catch (err) {
            ours = { refusal: err instanceof Error ? err.message : String(err) };
          }
          if ("refusal" in go) refused++;
          const same = "lines" in go
            ? "lines" in ours && JSON.stringify(go.lines) === JSON.stringify(ours.lines)
            : "refusal" in ours && ours.refusal.endsWith(`: ${go.refusal}`);
          if (!same) differences.push(`${JSON.stringify(p)}: Go ${show(go)}, ours ${show(ours)}`);
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      assert.deepEqual(differences, [], `seed ${seed} (DTAIL_RE2_SEED)`);
      // Both kinds were tried: the pieces make about as many refusals as accepted patterns.
      assert.ok(refused > patterns.length / 5 && refused < patterns.length * 0.8, `${refused}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

type Verdict = { readonly lines: string[] } | { readonly refusal: string };

const show = (v: Verdict) =>
  "lines" in v ? `selects ${JSON.stringify(v.lines)}` : `refuses: ${v.refusal}`;

/** What Go's dgrep does with the pattern: the lines it printed (bytes joined by ","), or why not. */
async function goDgrep(pattern: string, file: string, home: string): Promise<Verdict> {
  const out = await new Deno.Command(`${GO_BIN}/dgrep`, {
    args: ["--plain", "--grep", pattern, file],
    cwd: home,
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  // Go quirk: a refused pattern is a panic whose message holds RE2's reason, between "|" fields.
  const why = /error parsing regexp: (.*?)\|Regex\(regexStr:/.exec(said);
  if (why !== null) return { refusal: `error parsing regexp: ${why[1]}` };
  assert.equal(out.code, 0, said);
  const lines: string[] = [];
  for (let i = 0, start = 0; i < out.stdout.length; i++) {
    if (out.stdout[i] === 10) {
      lines.push(out.stdout.subarray(start, i).join(","));
      start = i + 1;
    }
  }
  return { lines };
}
