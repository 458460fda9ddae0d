/**
 * Records what the Go DTail dgrep (RE2, Go's regexp) selects for a table of patterns and inputs,
 * into tests/testdata/re2/golden.json, which tests/re2_conformance_test.ts checks our matcher and
 * bin/dgrep against (without the Go binary).
 *
 *   deno run -A tools/record_re2_golden.ts [GO_BIN_DIR]
 *
 * GO_BIN_DIR defaults to ../shared/go-dtail/bin (relative to the repository). Each case's input is
 * written to a temporary file and grepped serverless: `dgrep --cfg none --plain --regex=PATTERN
 * FILE`. Go's dgrep exits 0 whatever happened, and 2 with a FATAL line for a pattern it refuses:
 * the selected lines (as indices into the case's lines) or the refusal's reason are recorded.
 *
 * Go's snapshot reader (dgrep, dcat) matches each line WITH its "\n" (the last line of a file
 * without one, without): `$` and `\z` match only after that "\n", `\n`, `\s` and `[^x]` match
 * it, and `(?s).` matches an empty line. The cases record this as it is.
 */

export interface Re2Case {
  pattern: string;
  /** The input's lines, without their "\n". */
  lines: string[];
  /** Whether the last line ends with "\n" (default true). */
  final?: boolean;
  /** The lines are byte strings (every character < U+0100 is one byte): invalid UTF-8. */
  bytes?: boolean;
  /** What the case is about. */
  about: string;
}

export type GoResult =
  | { accepted: true; selected: number[] }
  | { accepted: false; error: string };

export interface GoldenCase extends Re2Case {
  go: GoResult;
}

export interface Golden {
  generator: string;
  goVersion: string;
  recorded: string;
  note: string;
  cases: GoldenCase[];
}

const LOG = [
  "2024-01-02 12:00:01 ERROR db.go:12 connection failed",
  "2024-01-02 12:00:02 INFO http.go:7 ok latency=123ms",
  "2024-01-02 12:00:03 WARN retry 3 of 5",
  "error: lower case",
  "",
  "|MAPREDUCE:STATS|count=4",
];
const WORDS = ["abc", "xabcx", "ABC", "aBc", "ab", "a.c", "a c", ""];
const FOLD = [
  "s",
  "S",
  "\u017f", // ſ LATIN SMALL LETTER LONG S
  "k",
  "K",
  "\u212a", // KELVIN SIGN
  "\u00e9", // é
  "\u00c9", // É
  "\u03c3", // σ
  "\u03c2", // ς
  "\u03a3", // Σ
  "\u00df", // ß
  "\u1e9e", // ẞ
  "ss",
  "\u0130", // İ
  "\u0131", // ı
  "i",
  "I",
  "\u00b5", // µ MICRO SIGN
  "\u03bc", // μ
  "\u039c", // Μ
  "\u2126", // Ω OHM SIGN
  "\u03c9", // ω
  "\u01c4", // Ǆ
  "\u01c5", // ǅ
  "\u01c6", // ǆ
];
const ANCHOR = ["abc", "xabc", "abcx", "", "abc\r", " abc "];
const UNICODE = [
  "\u03b1\u03b2\u03b3 greek",
  "\u0416\u0438\u0437\u043d\u044c cyrillic",
  "\u65e5\u672c\u8a9e han",
  "plain ascii",
  "\u0663\u0664 arabic digits",
  "x\u00a0y nbsp",
  "x\u000by vtab",
  "\ud83d\ude00 emoji",
  "\u20ac 10",
  "caf\u00e9",
  "x\u2028y",
];
const PROPERTY = [
  "x",
  "A",
  "1",
  " ",
  "-",
  "$",
  "\u03b1",
  "\u0416",
  "\u4e2d",
  "\u0627",
  "\u00e9 \u0301",
];
const BYTES = ["a\xffb", "a\xe2\x82b", "a\u00e2\u0082\u00acb", "ab", "\xc0\xafx", "ok"];

const c = (
  pattern: string,
  lines: string[],
  about: string,
  extra: Partial<Re2Case> = {},
): Re2Case => ({ pattern, lines, about, ...extra });

/** Lines whose last one has no "\n" (the end of a file without one). */
const open = { final: false };

export const CASES: Re2Case[] = [
  // --- literals, the fast paths, basics
  c("ERROR", LOG, "literal"),
  c("db\\.go", LOG, "escaped literal"),
  c("\\|MAPREDUCE:STATS\\|", LOG, "escaped-punctuation literal (dmap filter)"),
  c("a\\-b", ["a-b", "ab"], "escaped hyphen"),
  c("\\_x", ["_x", "x"], "escaped underscore is a literal in Go"),
  c("\\ x", [" x", "x"], "escaped space"),
  c("a.c", WORDS, "dot"),
  c("ab|ABC", WORDS, "alternation"),
  c("ERROR|WARN", LOG, "alternation of literals"),
  c("ab*c", ["ac", "abc", "abbbc", "adc"], "star"),
  c("ab+c", ["ac", "abc", "abbbc"], "plus"),
  c("colou?r", ["color", "colour", "colouur"], "question"),
  c("[0-9]+ms", LOG, "class loop"),
  c("\\d{4}-\\d{2}-\\d{2}", LOG, "counted Perl classes"),
  c("ERROR.*db[.]go", LOG, "dot loop"),
  c("latency=[1-9][0-9]{2,}ms", LOG, "open counted repeat"),
  c("(?:GET|POST) /api/[a-z_]+", ["GET /api/users", "PUT /api/x", "POST /api/"], "group"),
  c("x(y(z)?)*", ["x", "xy", "xyzyz", "q"], "nested groups"),
  c("a*?b+?c??", ["b", "abc", "ac"], "lazy repeats"),
  c("\u00fcn\u00efc\u00f6d\u00e9|\u65e5\u672c", [
    "\u00fcn\u00efc\u00f6d\u00e9",
    "\u65e5\u672c\u8a9e",
    "unicode",
  ], "non-ASCII literals"),
  c("\ud83d\ude00+", ["\ud83d\ude00\ud83d\ude00", "x", "\ud83d\ude01"], "astral literal repeated"),

  // --- anchors, with multi-line input and a last line without "\n"
  c("^abc", ANCHOR, "^ at the line start"),
  c("abc$", ANCHOR, "$ after a line's newline"),
  c("abc$", ANCHOR, "$ at a last line without newline", open),
  c("^abc$", ["abc", "x"], "^…$ on a line with its newline"),
  c("^abc$", ["abcx", "abc"], "^…$ on a last line without newline", open),
  c("^$", ["a", "", "b"], "^$ and empty lines"),
  c("^$", ["a", "", "b"], "^$ with a last line without newline", open),
  c("^", ["a", "", "b"], "^ alone"),
  c("$", ["a", "", "b"], "$ alone"),
  c("\\Aabc", ANCHOR, "\\A"),
  c("abc\\z", ANCHOR, "\\z after a line's newline"),
  c("abc\\z", ANCHOR, "\\z at a last line without newline", open),
  c("\\z", ["a", "", "b"], "\\z alone"),
  c("(?m)^abc", ANCHOR, "(?m)^"),
  c("(?m)abc$", ANCHOR, "(?m)$ before the line's newline"),
  c("(?m)abc$", ANCHOR, "(?m)$ on a last line without newline", open),
  c("(?m)^$", ["a", "", "b"], "(?m)^$ after the newline of every line"),
  c("(?m)^$", ["a", "", "b"], "(?m)^$ without a final newline", open),
  c("(?m)^\\z", ["a", "", "b"], "(?m)^\\z"),
  c("abc\\n", ANCHOR, "\\n at the end of a line"),
  c("\\n", ["a", "", "b"], "\\n alone", open),
  c("abc\\r\\n", ANCHOR, "CRLF"),
  c("abc\\r$", ANCHOR, "\\r then $"),
  c("(?m)abc\\r$", ANCHOR, "\\r then (?m)$"),
  c("\\s$", ["a", "a ", "", "b"], "\\s$ (the newline is a space)"),
  c("\\s$", ["a", "a ", "b"], "\\s$ on a last line without newline", open),
  c("\\S$", ["a", "a ", "b"], "\\S$", open),
  c("[^x]$", ["x", "y", ""], "negated class then $"),
  c("^[^x]*$", ["x", "yy", ""], "negated class loop on the whole line"),
  c("^[^\\n]*$", ["x", "yy", ""], "[^\\n]* on the whole line"),
  c("^.*$", ["x", "yy", ""], "^.*$"),
  c("^.*$", ["x", "yy"], "^.*$ without a final newline", open),
  c("a.", ["a", "ab", "xa"], "dot after a"),
  c("(?s)a.", ["a", "ab", "xa"], "(?s) dot takes the newline"),
  c("(?s).", ["", "x"], "(?s) dot on an empty line"),
  c("(?s)^.$", ["", "x", "xy"], "(?s)^.$"),
  c("a$b", ["ab", "a"], "$ inside the pattern"),
  c("a\\nb", ["a", "b"], "newline inside the pattern"),
  c("\\x0a", ["a", "", "b"], "\\x0a is a newline", open),
  c("[\\n]", ["a", "", "b"], "newline class", open),
  c("\\v", ["a\x0bb", "a"], "\\v is a vertical tab"),
  c("$^", ["a", ""], "$^"),
  c("\\b$", ["ab", "a ", "b"], "\\b before the newline"),
  c("\\B$", ["ab", "a ", "b"], "\\B before the newline"),

  // --- flags
  c("(?i)error", LOG, "(?i) ASCII"),
  c("(?i)ERROR|warn", LOG, "(?i) alternation"),
  c("(?i)[a-c]+x", ["ABCX", "abx", "dx"], "(?i) class"),
  c("(?i)^[a-z]+=\\d+$", ["Key=12", "key=x"], "(?i) anchored", open),
  c("a(?i)b", ["aB", "AB", "ab"], "flags in the middle"),
  c("a(?i:b)c", ["aBc", "aBC", "abc"], "(?i:…) group"),
  c("(?i)a(?-i)b", ["Ab", "AB", "ab"], "(?-i)"),
  c("(?i:a(?-i:b))", ["Ab", "AB"], "nested flag groups"),
  c("(?im)^x", ["X", "ax"], "(?im)"),
  c("(?s)x.y", ["xzy", "xy"], "(?s) within a line"),
  c("(?U)a+b", ["aab", "b"], "(?U) ungreedy"),
  c("(?U)a+?b", ["aab", "b"], "(?U) with a lazy mark (greedy again)"),
  c("(?Ui)A+", ["aa", "b"], "(?Ui)"),
  c("(?sm:a.)$", ["a", "ab"], "(?sm:…)"),
  c("(?i)(?-i)", ["a"], "flags only"),
  c("(?i)", ["a", ""], "empty pattern with a flag"),
  c("(?z)a", ["a"], "unknown flag"),
  c("(?i", ["a"], "unterminated flag group"),
  c("(?)", ["a"], "empty flag group"),
  c("(?-)a", ["a"], "empty negation"),
  c("(?i-)a", ["a"], "dangling negation"),
  c("(?--i)a", ["a"], "double negation"),
  c("(?x)a b", ["ab", "a b"], "(?x) is not RE2"),
  c("a(?i)b|c", ["C", "aB", "c"], "flags persist across |"),
  c("(a(?i)b)c", ["aBc", "aBC"], "flags end with their group"),
  c("(?i:A)|a", ["a", "b"], "flag group then alternation"),
  c("(?s:.)x", ["x", "ax"], "(?s:…) dot"),
  c("(?s).x|y", ["x", "y", "ax"], "(?s) dot before a letter"),
  c("(?m)a$|^b", ["a", "b", "ab"], "(?m) anchors in alternation"),
  c("(?m)a$", ["xa", "ab", "a\r"], "(?m)$ not before \\r", open),
  c("(?m)^a", ["a", "ba", "\ra"], "(?m)^"),
  c("(?m)$^", ["a", "", "b"], "(?m)$^"),
  c("(?m)\\Aa", ["a", "ba"], "(?m) does not change \\A"),
  c("(?m)a\\z", ["a", "ba"], "(?m) does not change \\z", open),
  c("(?m:^)a", ["a", "ba"], "(?m:^)"),
  c("(?U)(a+)(b+?)c", ["aabbc", "ac"], "(?U) with groups"),
  c("(?i)a(?-i:B)", ["AB", "Ab", "ab"], "(?-i:…)"),
  c("(?is)A.B", ["a\u2028b", "aB"], "(?is)"),
  c("(?i-i)a", ["A", "a"], "a flag set and cleared"),
  c("(?i)(?s-i:A.)b", ["AxB", "A\u00e9b", "axb"], "flags set and cleared in a group"),

  // --- escapes
  c("\\x41", ["A", "a"], "\\xHH"),
  c("\\x{20AC}", UNICODE, "\\x{…} BMP"),
  c("\\x{20ac} 10", UNICODE, "\\x{…} lower case"),
  c("\\x{1F600}", UNICODE, "\\x{…} astral"),
  c("\\x{10FFFF}", ["\udbff\udfff", "x"], "\\x{10FFFF}"),
  c("\\x{110000}", ["x"], "\\x{…} too large"),
  c("\\x{}", ["x"], "\\x{} empty"),
  c("\\x{41", ["A"], "\\x{ unterminated"),
  c("\\xZZ", ["x"], "\\x bad digits"),
  c("\\x4", ["x"], "\\x one digit at the end"),
  c("\\x4g", ["x"], "\\x one digit"),
  c("\\x{D800}", ["x"], "\\x{D800} surrogate"),
  c("\\x{D83D}", ["\ud83d\ude00", "x"], "a surrogate is no half of a pair"),
  c("[\\x{D800}-\\x{DFFF}]", ["\ud83d\ude00", "x"], "a class of surrogates"),
  c("[^\\x{D800}-\\x{DFFF}]", ["\ud83d\ude00", "x"], "a class of all but surrogates"),
  c("\\x{0}", ["a\x00b", "ab"], "\\x{0} NUL"),
  c("a\\tb", ["a\tb", "a b"], "\\t"),
  c("\\a\\f\\r", ["\x07\x0c\r", "x"], "\\a \\f \\r"),
  c("\\0", ["a\x00", "a0"], "\\0 octal"),
  c("\\101", ["A", "a"], "\\101 octal"),
  c("\\12", ["a", "", "b"], "\\12 octal is a newline", open),
  c("\\18", ["\x018"], "\\1 then 8"),
  c("\\08", ["\x008", "8"], "\\0 then 8"),
  c("\\1234", ["S4", "S5"], "three octal digits at most"),
  c("\\777", ["\u01ff", "x"], "octal beyond a byte"),
  c("[\\101-\\103]", ["A", "B", "D"], "octal range in a class"),
  c("\\x{0041}BC", ["ABC", "abc"], "\\x{…} with leading zeros"),
  c("\\1", ["1"], "\\1 backreference"),
  c("(a)\\1", ["aa"], "backreference after a group"),
  c("\\8", ["8"], "\\8"),
  c("\\Z", ["Z"], "\\Z"),
  c("\\e", ["\x1b"], "\\e"),
  c("\\C", ["x"], "\\C any byte"),
  c("\\G", ["x"], "\\G"),
  c("\\K", ["x"], "\\K"),
  c("\\R", ["x"], "\\R"),
  c("\\X", ["x"], "\\X"),
  c("\\h", ["x"], "\\h"),
  c("\\cA", ["\x01"], "JavaScript's control escape"),
  c("\\u0041", ["A"], "JavaScript's \\u escape"),
  c("\\k<n>", ["x"], "JavaScript's named backreference"),
  c("\\\u00e9", ["\u00e9"], "escaped non-ASCII"),
  c("a\\", ["a\\"], "trailing backslash"),
  c("\\\\", ["a\\b", "ab"], "escaped backslash"),
  c("x\\\\A", ["x\\A", "x"], "escaped backslash then A"),
  c("\\/", ["/", "x"], "escaped slash"),
  c("\\#\\%\\&\\~", ["#%&~"], "escaped punctuation"),

  // --- \Q…\E
  c("\\Qa.b\\E", ["a.b", "axb"], "\\Q…\\E"),
  c("\\Qa.b", ["a.b", "axb"], "\\Q without \\E"),
  c("x\\Q*\\Ey+", ["x*yy", "xy"], "\\Q…\\E inside"),
  c("\\Q(\\E+", ["((", "x"], "repeat after \\E"),
  c("\\Qab\\E{2}", ["abb", "abab"], "count after \\E repeats the last character"),
  c("\\Q\\E", ["x"], "empty \\Q\\E"),
  c("\\Qa\\\\E", ["a\\", "a"], "\\Q…\\\\E"),
  c("[\\Q]\\E]", ["]"], "\\Q inside a class"),

  // --- classes
  c("[abc]", WORDS, "class"),
  c("[^abc ]", WORDS, "negated class"),
  c("[]a]", ["]", "a", "b"], "] first in a class"),
  c("[^]a]", ["]", "a", "b"], "] first in a negated class"),
  c("[a-]", ["-", "a", "b"], "trailing hyphen"),
  c("[-a]", ["-", "a", "b"], "leading hyphen"),
  c("[a-c-e]", ["-", "e", "d"], "hyphen after a range"),
  c("[z-a]", ["a"], "reversed range"),
  c("[a", ["a"], "unterminated class"),
  c("[]", ["a"], "empty class"),
  c("[^]", ["a"], "empty negated class"),
  c("[a-\\d]", ["a"], "range to a Perl class"),
  c("[\\d-z]", ["-", "5", "z", "y"], "Perl class then hyphen"),
  c("[[:alpha:]]+", WORDS, "POSIX class"),
  c("[[:^digit:]x]", ["1", "x", "a"], "negated POSIX class in a class"),
  c("[[:word:]]", ["_", "-"], "[[:word:]]"),
  c("[[:punct:]]", ["a", "!", "_"], "[[:punct:]]"),
  c("[[:space:]]", ["a", "a b", "x\x0by"], "[[:space:]] has \\v"),
  c("[[:foo:]]", ["a"], "unknown POSIX class"),
  c("[:alpha:]", [":", "a", "b"], "POSIX class outside brackets"),
  c("[a-[:digit:]]", ["a"], "range to a POSIX class"),
  c("[\\d\\s]", ["a", "1", "a b"], "Perl classes in a class"),
  c("[^\\D]", ["a", "1"], "negated negated class"),
  c("[\\p{Greek}x]", UNICODE, "Unicode class in a class"),
  c("[\\x{20AC}-\\x{20AF}]", UNICODE, "\\x range in a class"),
  c("[\u03b1-\u03c9]+", UNICODE, "non-ASCII range"),
  c("[\ud83d\ude00-\ud83d\ude02]", UNICODE, "astral range"),
  c("[^a]", ["a", "b", "\ud83d\ude00", ""], "negated class on emoji and an empty line"),
  c("x[^a]y", ["x\ud83d\ude00y", "xay", "xby"], "negated class takes an astral character"),
  c("[\\b]", ["\x08"], "[\\b]"),
  c("[a&&b]", ["&", "a"], "class intersection is not RE2"),
  c("[[a]", ["[", "a", "b"], "[ in a class"),
  c("[\\]]", ["]", "a"], "escaped ] in a class"),
  c("[[:alpha:][:digit:]]", ["a", "1", "-"], "two POSIX classes"),
  c("[^[:alpha:]]", ["a", "1", "-"], "negated class of a POSIX class"),
  c("[^\\pL]", ["a", "1", "\u00e9"], "negated class of \\pL"),
  c("[\\P{L}]", ["a", "1", "\u00e9"], "\\P{L} in a class"),
  c("[^\\P{L}]", ["a", "1", "\u00e9"], "negated \\P{L} in a class"),
  c("(?i)[^\\p{Lu}]", ["a", "A", "1"], "(?i) negated \\p{Lu} in a class"),
  c("[\\p{Greek}\\d]+$", ["\u03b1\u03b21", "x"], "Unicode class then $", open),
  c("[a-z&&[^aeiou]]", ["&", "b"], "Java intersection is not RE2"),
  c("[\\d-\\w]", ["-", "a"], "Perl class range"),
  c("[\\x00-\\x{7F}]+", ["abc", "\u00e9"], "ASCII range"),

  // --- Perl classes
  c("\\d", UNICODE, "\\d is ASCII"),
  c("\\D", ["1", "a", ""], "\\D"),
  c("\\w+", UNICODE, "\\w is ASCII"),
  c("^\\W", UNICODE, "\\W"),
  c("x\\sy", UNICODE, "\\s is ASCII (no \\v, no nbsp)"),
  c("x\\Sy", UNICODE, "\\S"),
  c("x\\Wy", ["x\ud83d\ude00y", "x_y"], "\\W takes an astral character"),

  // --- Unicode classes
  c("\\pL+ ", UNICODE, "\\pL"),
  c("\\p{L}", ["1", "a", "\u00e9"], "\\p{L}"),
  c("^\\PL", UNICODE, "\\PL"),
  c("^\\p{^L}", UNICODE, "\\p{^L}"),
  c("^\\P{^L}", UNICODE, "\\P{^L}"),
  c("\\p{Greek}", UNICODE, "script Greek"),
  c("\\p{Han}+", UNICODE, "script Han"),
  c("\\p{Cyrillic}", UNICODE, "script Cyrillic"),
  c("\\p{Latin}", UNICODE, "script Latin"),
  c("\\p{Lu}", ["a", "A", "\u00c9", "\u00e9"], "category Lu"),
  c("\\p{Nd}", UNICODE, "category Nd"),
  c("\\pN", UNICODE, "\\pN"),
  c("\\p{Zs}", UNICODE, "category Zs"),
  c("\\p{Any}", ["x", ""], "\\p{Any}"),
  c("\\p{So}", UNICODE, "category So"),
  c("\\pLu", ["Au", "A", "u"], "\\pL then u"),
  c("(?i)\\p{Lu}", ["a", "A", "1"], "(?i)\\p{Lu} takes lower case"),
  c("(?i)\\P{Lu}", ["a", "A"], "(?i)\\P{Lu}"),
  c("\\p{Foo}", ["x"], "unknown Unicode class"),
  c("\\pX", ["x"], "unknown one-letter class"),
  c("\\p{L", ["x"], "unterminated \\p{"),
  c("\\p", ["x"], "\\p at the end"),
  c("\\p{IsGreek}", ["\u03b1"], "Perl's Is prefix"),
  c("\\p{Script=Greek}", ["\u03b1"], "JavaScript's Script="),
  // Go 1.25 has Unicode 15.0.0; characters of later versions are in no class there.
  c("\\p{Han}", ["\u{2ebf0}", "\u{31350}", "x"], "Unicode 15.1 Han character (CJK Ext. I)"),
  c("\\pL", ["\u1c89", "\u{10d4a}", "\u{11f04}", "1"], "Unicode 16.0 letters, a 15.0 one"),
  c("(?i)\u1c8a", ["\u1c89", "\u1c8a"], "Unicode 16.0 case pair"),
  c("\\p{Kawi}", ["\u{11f00}", "x"], "Unicode 15.0 script"),

  // --- property names as Go 1.25 looks them up: loosely (case, "_", "-", " "), with aliases
  c("\\p{Letter}", PROPERTY, "category alias Letter"),
  c("\\p{uppercase letter}", PROPERTY, "category alias, loosely"),
  c("\\p{Cased_Letter}", PROPERTY, "category alias Cased_Letter (LC)"),
  c("\\p{LC}", PROPERTY, "category LC"),
  c("\\p{lc}", PROPERTY, "category LC, lower case"),
  c("\\p{Decimal-Number}", PROPERTY, "category alias with a hyphen"),
  c("\\p{digit}", PROPERTY, "POSIX alias digit"),
  c("\\p{Punct}", PROPERTY, "POSIX alias punct"),
  c("\\p{CNTRL}", ["x", "a\u0001b"], "POSIX alias cntrl, upper case"),
  c("\\p{Unassigned}", ["x", "\u0378", "\u{e0080}"], "category alias Unassigned (Cn)"),
  c("\\p{cn}", ["x", "\u0378"], "category Cn, lower case"),
  c("\\p{Assigned}", ["x", "\u0378"], "Assigned"),
  c("\\p{ASCII}", PROPERTY, "ASCII"),
  c("\\P{ascii}", PROPERTY, "not ASCII, lower case"),
  c("\\p{aNY}", ["x"], "Any, mixed case"),
  c("\\p{lu}", PROPERTY, "category Lu, lower case"),
  c("\\pl", PROPERTY, "one-letter category, lower case"),
  c("\\p{greek}", PROPERTY, "script, lower case"),
  c("\\p{ Greek }", PROPERTY, "script with spaces"),
  c("\\p{^cyrillic}", PROPERTY, "negated script, lower case"),
  c("[\\p{letter}\\d]+$", PROPERTY, "alias in a class"),
  c("(?i)\\p{uppercase_letter}", ["a", "A", "1"], "(?i) alias"),
  c("\\p{Alphabetic}", PROPERTY, "binary property Alphabetic"),
  c("\\p{White_Space}", PROPERTY, "binary property White_Space"),
  c("[\\p{Emoji}x]", PROPERTY, "binary property Emoji in a class"),
  c("\\p{Garay}", ["x", "\u{10d4a}"], "Unicode 16.0 script"),
  c("\\p{Unknown}", ["x", "\u0378"], "script Unknown"),
  c("\\p{Latn}", PROPERTY, "ISO 15924 script code"),
  c("\\p{gc=L}", PROPERTY, "gc= prefix"),
  c("\\p{L&}", PROPERTY, "Perl's L&"),
  c("\\p{Old_Italic}", ["x", "\u{10300}"], "script of two words"),
  c("\\p{SignWriting}", ["x", "\u{1d800}"], "script with an inner capital"),

  // --- case folding
  c("(?i)s", FOLD, "(?i)s: S and ſ"),
  c("(?i)\u017f", FOLD, "(?i)ſ"),
  c("(?i)k", FOLD, "(?i)k: K and the Kelvin sign"),
  c("(?i)\u212a", FOLD, "(?i) Kelvin sign"),
  c("(?i)\u00e9", FOLD, "(?i)é"),
  c("(?i)\u03c3", FOLD, "(?i)σ: ς Σ"),
  c("(?i)\u00df", FOLD, "(?i)ß: ẞ, not ss"),
  c("(?i)i", FOLD, "(?i)i: not İ ı"),
  c("(?i)\u00b5", FOLD, "(?i)µ: μ Μ"),
  c("(?i)\u03c9", FOLD, "(?i)ω: Ω and the ohm sign"),
  c("(?i)\u01c5", FOLD, "(?i)ǅ: Ǆ ǆ"),
  c("(?i)[k-m]", FOLD, "(?i) range with k"),
  c("(?i)[^k]", ["k", "K", "\u212a", "x"], "(?i) negated class folds then negates"),
  c("(?i)[^a-z]", FOLD, "(?i) negated range"),
  c("(?i)\\w", ["\u017f", "\u212a", "-"], "(?i)\\w: ſ and the Kelvin sign"),
  c("(?i)^\\W", ["\u017f", "\u212a", "-", "\u00e9"], "(?i)\\W"),
  c("(?i)[[:upper:]]", ["x", "1"], "(?i) POSIX class"),
  c("(?i)[[:^alpha:]]", ["\u017f", "a", "1"], "(?i) negated POSIX class"),
  c("(?i)[\u00e0-\u00ff]", ["\u00c9", "\u0178", "a"], "(?i) non-ASCII range: ÿ and Ÿ"),
  c("(?i)stra\u00dfe", ["STRASSE", "STRA\u1e9eE", "stra\u00dfe"], "(?i) word with ß"),
  c("k", ["\u212a", "k"], "no (?i): no fold"),
  c("(?i)\u0130", FOLD, "(?i)İ"),

  // --- \b and \B with non-ASCII
  c(
    "\\bcaf\u00e9\\b",
    ["caf\u00e9", "caf\u00e9s", "a caf\u00e9 x"],
    "\\b after a non-ASCII letter",
  ),
  c("caf\\b", ["caf\u00e9", "cafe"], "\\b before a non-ASCII letter"),
  c("\\b\u00e9", ["\u00e9", "a\u00e9"], "\\b before é"),
  c("\\B\u00e9", ["\u00e9", "a\u00e9"], "\\B before é"),
  c("\\bx\\b", ["x", "axb", "\u00e9x\u00e9", "_x"], "\\b word"),
  c("\\b", ["", " ", "a"], "\\b alone"),
  c("\\B", ["", " ", "ab"], "\\B alone"),
  c("(?i)\\b\u017f", ["\u017f", "a\u017f"], "\\b with ſ (not a word character)"),

  // --- empty matches
  c("a*", ["", "b"], "empty match"),
  c("()", ["", "x"], "empty group"),
  c("(?:)", ["", "x"], "empty non-capturing group"),
  c("x?", ["", "y"], "optional"),
  c("|", ["", "x"], "empty alternation"),
  c("a|", ["", "x"], "alternation with empty"),
  c("(|a)+", ["", "x"], "loop of empty"),
  c("(a*)*", ["", "x"], "loop of nullable"),
  c("^*", ["", "x"], "repeated ^"),
  c("$*", ["", "x"], "repeated $"),
  c("\\b+", ["", "x"], "repeated \\b"),
  c("a{0}", ["", "a"], "a{0}"),
  c("a{0}b", ["b", "a"], "a{0}b"),

  // --- repetition syntax and limits
  c("a{2}", ["a", "aa"], "{n}"),
  c("a{2,}", ["a", "aa", "aaa"], "{n,}"),
  c("a{2,3}", ["a", "aa"], "{n,m}"),
  c("a{,3}", ["a{,3}", "aaa"], "{,n} is a literal"),
  c("a{1000}", ["a".repeat(999), "a".repeat(1000)], "{1000}"),
  c("a{1001}", ["a"], "{1001}"),
  c("a{0,1001}", ["a"], "{0,1001}"),
  c("a{1000,}", ["a".repeat(1000), "a"], "{1000,}"),
  c("a{2,1}", ["a"], "{2,1}"),
  c("(a{2}){2}", ["aaa", "aaaa"], "nested counts"),
  c("((a{10}){10}){10}", ["a".repeat(1000), "a".repeat(999)], "nested counts of 1000"),
  c("((a{10}){10}){11}", ["a"], "nested counts over 1000"),
  c("(a{500}){3}", ["a"], "nested counts of 1500"),
  c("(?:a{1000}){1000}", ["a"], "a million"),
  // Known limits of ours (Go takes them): re2js's size limit is 1,398,101, Go's 3,355,443, and
  // we refuse regexes over 16 KiB (MAX_PATTERN_LENGTH).
  c("(?:x{1000})".repeat(1400), ["x"], "1.4 million instructions"),
  c("a.".repeat(8200), ["ab"], "a regex over 16 KiB"),
  c("a**", ["a"], "**"),
  c("a*+", ["a"], "*+"),
  c("a+*", ["a"], "+*"),
  c("a??", ["", "a"], "??"),
  c("a*?", ["", "a"], "*?"),
  c("a*??", ["a"], "*??"),
  c("a{2}{3}", ["a"], "{2}{3}"),
  c("a{2}*", ["a"], "{2}*"),
  c("a*{2}", ["a"], "*{2}"),
  c("x{", ["x{", "x"], "x{ is a literal"),
  c("x{1", ["x{1", "x"], "x{1 is a literal"),
  c("x{1,", ["x{1,", "x"], "x{1, is a literal"),
  c("x{a}", ["x{a}", "x"], "x{a} is a literal"),
  c("x{01}", ["x", "x{01}"], "leading zero"),
  c("x{1,2", ["x{1,2", "x"], "x{1,2 is a literal"),
  c("{1}", ["{1}"], "count with nothing to repeat"),
  c("{", ["{"], "{ alone"),
  c("a}", ["a}"], "} alone"),
  c("*", ["*"], "* with nothing to repeat"),
  c("+a", ["+a"], "+ at the start"),
  c("?", ["?"], "? alone"),
  c("(*)", ["*"], "* in an empty group"),
  c("a|*", ["a"], "* after |"),
  c("(?i)*", ["a"], "* after flags"),
  c("x{1001,}", ["x"], "{1001,}"),
  c("x{99999999999}", ["x"], "huge count"),

  // --- groups
  c("(a)(b)", ["ab", "a"], "capturing groups"),
  c("(?P<name>x)y", ["xy", "x"], "(?P<name>"),
  c("(?<name>x)y", ["xy", "x"], "(?<name>"),
  c("(?P<n>x)(?P<n>y)", ["xy"], "duplicate name"),
  c("(?P<>x)", ["x"], "empty name"),
  c("(?P<a-b>x)", ["x"], "bad name"),
  c("(?P<1a>x)", ["x"], "name starting with a digit"),
  c("a^b", ["a^b", "ab"], "^ in the middle"),
  c("a|^b", ["cb", "b"], "^ in an alternative"),
  c("(^a|b)c", ["ac", "bc", "xac"], "^ inside a group"),
  c("x*^y", ["y", "xy"], "^ after a loop"),
  c("(?:".repeat(1000) + "x" + ")".repeat(1000), ["x"], "non-capturing groups 1000 deep"),
  c("(".repeat(999) + "x" + ")".repeat(999), ["x", "y"], "groups 999 deep"),
  c("(".repeat(1000) + "x" + ")".repeat(1000), ["x"], "groups 1000 deep"),
  c("(?P<n>x)|(?P<n>y)", ["x", "y", "z"], "duplicate name in alternatives"),
  c("(?<n>a)[(?P<n>]", ["a(", "an", "a"], "named group and a class that looks like one"),
  c("(?P=name)", ["x"], "Python backreference"),
  c("(?#comment)x", ["x"], "comment group"),
  c("(?=x)", ["x"], "lookahead"),
  c("(?!x)", ["y"], "negative lookahead"),
  c("(?<=a)b", ["ab"], "lookbehind"),
  c("(?<!a)b", ["b"], "negative lookbehind"),
  c("(?>x)", ["x"], "atomic group"),
  c("(a", ["a"], "missing )"),
  c("a)", ["a"], "unexpected )"),
  c("((a)", ["a"], "missing ) nested"),
  c("(|)", ["", "x"], "empty alternatives in a group"),
  c("((((((((((x))))))))))", ["x", "y"], "deep groups"),
  c("(".repeat(1001) + "x" + ")".repeat(1001), ["x"], "groups nested 1001 deep"),
  c("(?:".repeat(300) + "x" + ")".repeat(300), ["x", "y"], "groups nested 300 deep"),

  // --- dot and unusual characters
  c(
    "a.b",
    ["a\rb", "a\u2028b", "a\x00b", "a\ud83d\ude00b", "ab"],
    "dot takes \\r, U+2028, NUL, astral",
  ),
  c("a..b", ["a\ud83d\ude00b", "axyb"], "an astral character is one"),
  c(
    "^.{3}x",
    ["\u20ac\u20ac\u20acx", "\ud83d\ude00\ud83d\ude00\ud83d\ude00x", "abx"],
    "counted dots on non-ASCII",
  ),
  c("x\u2028y", UNICODE, "U+2028 literal"),
  c("\\x{FFFD}", BYTES, "U+FFFD matches invalid bytes", { bytes: true }),
  c("a.b", BYTES, "dot on invalid bytes", { bytes: true }),
  c("a..b", BYTES, "two invalid bytes are two characters", { bytes: true }),
  c("a\u20acb", BYTES, "valid euro among invalid bytes", { bytes: true }),
  c("^\\x{FFFD}\\x{FFFD}x", BYTES, "overlong encoding is two invalid bytes", { bytes: true }),
  c("ok|b$", BYTES, "alternation on byte input", { bytes: true, final: false }),

  // --- noop patterns and misc
  c(".", ["", "x"], "noop ."),
  c(".*", ["", "x"], "noop .*"),
  c(".+", ["", "x"], ".+ is not a noop"),
  c("^.", ["", "x"], "^."),
  c("[^\\x00-\\x{10FFFF}]", ["x", ""], "empty set"),
  c("[\\x00-\\x{10FFFF}]", ["x", ""], "every character"),
  c("(?i)ERROR.*(db|http)\\.go:\\d+", LOG, "a realistic (?i) pattern"),
  c("level=(?P<lvl>WARN|ERROR) (?P<rest>.*)", ["level=ERROR boom", "level=INFO x"], "named groups"),
  c("(a+)+b", ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac", "aab"], "ReDoS pattern"),
  c("(x+x+)+y", ["xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "xxy"], "ReDoS pattern 2"),
  c(
    "a.*b",
    ["a" + "x".repeat(3000) + "b", "a" + "x".repeat(3000), "ab"],
    "loop over lines longer than irregexp takes",
  ),
  c("a.*b$", ["a" + "x".repeat(3000) + "b", "ab"], "loop then $ on a long last line", open),
  c("[^ ]+\\s", ["x" + "y".repeat(2000), "a b", ""], "negated class loop over a long line"),
  c("id=[^ ]*", ["id=", "x id=1", "id"], "negated class at the end of a line"),
  c("id=[^ ]+", ["foo id=", "x id=1 y", "id"], "negated class takes the newline"),
  c("\\d+\\D", ["12", "1a", "x"], "\\D takes the newline"),
  c("[[:^alpha:]]$", ["ab", "a1"], "negated POSIX class then $", open),
  c("x\\W*$", ["x", "x!", "y"], "\\W loop then $"),
  c("(?s)x.*$", ["x", "ax", "y"], "(?s) loop then $"),
  c("\\S+$", ["a", "a b", " "], "\\S+$"),
  c("ERROR$", LOG, "ERROR$ on log lines"),
  c("(?i)error.*\\n", LOG, "loop then \\n"),
  c("(a|\\n)+", ["b", "a"], "loop of a or newline"),
];

async function goVersion(dgrep: string): Promise<string> {
  const out = await new Deno.Command(dgrep, {
    args: ["--version"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  // deno-lint-ignore no-control-regex
  const text = new TextDecoder().decode(out.stdout).replace(/\x1b\[[0-9;]*m/g, "");
  const version = text.replace(/\s+/g, " ").trim();
  return /DTail \S+ Protocol \S+/.exec(version)?.[0] ?? version;
}

export function inputBytes(k: Re2Case): Uint8Array {
  const text = k.lines.join("\n") + (k.final === false ? "" : "\n");
  if (!k.bytes) return new TextEncoder().encode(text);
  return Uint8Array.from(text, (ch) => {
    const b = ch.charCodeAt(0);
    if (b > 0xff) throw new Error(`byte case with a character over U+00FF: ${JSON.stringify(ch)}`);
    return b;
  });
}

/** The lines of `bytes` (each without its "\n"). */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 10) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

const equalBytes = (a: Uint8Array, b: Uint8Array) =>
  a.length === b.length && a.every((v, i) => v === b[i]);

async function record(dgrep: string, dir: string, k: Re2Case, n: number): Promise<GoResult> {
  const file = `${dir}/case${n}.log`;
  const input = inputBytes(k);
  await Deno.writeFile(file, input);
  const out = await new Deno.Command(dgrep, {
    args: ["--cfg", "none", "--plain", `--regex=${k.pattern}`, file],
    env: { HOME: dir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    const m = /\|Invalid regex!\|(.*)\|Regex\(regexStr:/s.exec(stdout);
    if (m === null) {
      throw new Error(`case ${n} ${JSON.stringify(k.pattern)}: exit ${out.code}: ${stdout}`);
    }
    return { accepted: false, error: m[1]! };
  }
  // Go prints each selected line with "\n" (also a last line that had none): map them back.
  const inputLines = splitLines(input);
  const printed = splitLines(out.stdout);
  const selected: number[] = [];
  let next = 0;
  for (const line of printed) {
    while (next < inputLines.length && !equalBytes(inputLines[next]!, line)) next++;
    if (next === inputLines.length) {
      throw new Error(`case ${n} ${JSON.stringify(k.pattern)}: unexpected output ${stdout}`);
    }
    selected.push(next++);
  }
  return { accepted: true, selected };
}

function checkCase(k: Re2Case, n: number): void {
  const seen = new Set<string>();
  for (const line of k.lines) {
    if (line.includes("\n")) throw new Error(`case ${n}: a line holds "\\n"`);
    if (seen.has(line)) throw new Error(`case ${n}: duplicate line ${JSON.stringify(line)}`);
    seen.add(line);
  }
  if (k.final === false && k.lines.at(-1) === "") throw new Error(`case ${n}: empty last line`);
}

async function main(): Promise<void> {
  const root = new URL("..", import.meta.url).pathname;
  const bin = Deno.args[0] ?? `${root}../shared/go-dtail/bin`;
  const dgrep = `${bin}/dgrep`;
  try {
    Deno.statSync(dgrep);
  } catch {
    console.log(`record_re2_golden: skipped, no Go dgrep at ${dgrep}`);
    return;
  }
  CASES.forEach(checkCase);
  const dir = await Deno.makeTempDir({ prefix: "dtail-re2-golden-" });
  try {
    await Deno.mkdir(`${dir}/.ssh`);
    const results: GoResult[] = new Array(CASES.length);
    let next = 0;
    const worker = async () => {
      while (next < CASES.length) {
        const n = next++;
        results[n] = await record(dgrep, dir, CASES[n]!, n);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const golden: Golden = {
      generator: "tools/record_re2_golden.ts",
      goVersion: await goVersion(dgrep),
      recorded: new Date().toISOString().slice(0, 10),
      note: "Go's dgrep --plain --regex=PATTERN on each case's lines (serverless); selected: " +
        "the indices of the lines it printed; error: its reason for refusing the pattern.",
      cases: CASES.map((k, n) => ({ ...k, go: results[n]! })),
    };
    const out = `${root}tests/testdata/re2/golden.json`;
    await Deno.mkdir(`${root}tests/testdata/re2`, { recursive: true });
    await Deno.writeTextFile(out, JSON.stringify(golden, null, 1) + "\n");
    const refused = golden.cases.filter((k) => !k.go.accepted).length;
    console.log(`record_re2_golden: ${CASES.length} cases (${refused} refused by Go) → ${out}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
