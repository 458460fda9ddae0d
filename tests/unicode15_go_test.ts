/**
 * Every category and script against the Go dgrep (../shared/go-dtail/bin, tests/go_peer_env.ts),
 * over every code point: the code points `\p{X}` (and `(?i)\p{X}`) stands for here
 * (core/re2js_unicode15.ts over re2js's Unicode 17.0 tables) are those Go 1.25 selects
 * (Unicode 15.0). Go reads each code point as a line with its "\n", so `^\p{X}\n` asks about the
 * code point alone.
 */
import assert from "node:assert/strict";
import { re2jsInUse } from "../core/re2js_matcher.ts";
import { combine } from "../core/re2js_unicode15.ts";
import { GO_BIN, goPeerSkipReason } from "./go_peer_env.ts";
import { writeCodePoints } from "../tools/record_unicode15.ts";

const CATEGORIES = `C Cc Cf Cn Co Cs L LC Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po
Ps S Sc Sk Sm So Z Zl Zp Zs`.split(/\s+/);
/** The single-word scripts: the only ones Go 1.25 takes (docs/decisions.md). */
const SCRIPTS = `Adlam Ahom Arabic Armenian Avestan Balinese Bamum Batak Bengali Bhaiksuki Bopomofo
Brahmi Braille Buginese Buhid Carian Chakma Cham Cherokee Chorasmian Common Coptic Cuneiform
Cypriot Cyrillic Deseret Devanagari Dogra Duployan Elbasan Elymaic Ethiopic Georgian Glagolitic
Gothic Grantha Greek Gujarati Gurmukhi Han Hangul Hanunoo Hatran Hebrew Hiragana Inherited Javanese
Kaithi Kannada Katakana Kawi Kharoshthi Khmer Khojki Khudawadi Lao Latin Lepcha Limbu Lisu Lycian
Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Medefaidrin Miao Modi Mongolian Mro
Multani Myanmar Nabataean Nandinagari Newa Nko Nushu Ogham Oriya Osage Osmanya Palmyrene Phoenician
Rejang Runic Samaritan Saurashtra Sharada Shavian Siddham Sinhala Sogdian Soyombo Sundanese Syriac
Tagalog Tagbanwa Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto
Ugaritic Vai Vithkuqi Wancho Yezidi Yi`.split(/\s+/);
/** Compared under (?i) too: every category, and the scripts with case. */
const FOLDED = [
  ...CATEGORIES,
  ..."Latin Greek Cyrillic Armenian Georgian Coptic Glagolitic Cherokee Deseret Osage Adlam".split(
    " ",
  ),
  ..."Vithkuqi Medefaidrin Common Inherited".split(" "),
];

if (goPeerSkipReason !== null) {
  Deno.test({
    name: `Unicode 15.0 against the Go dgrep: skipped (${goPeerSkipReason})`,
    ignore: true,
    fn: () => {},
  });
} else {
  Deno.test("every category and script stands for the code points Go 1.25 selects", async () => {
    const dir = await Deno.makeTempDir({ prefix: "dtail-unicode15-" });
    try {
      const file = `${dir}/code_points.txt`;
      await writeCodePoints(file);
      const jobs = [
        ...[...CATEGORIES, ...SCRIPTS].map((name) => ({ name, folded: false })),
        ...FOLDED.map((name) => ({ name, folded: true })),
      ];
      const differences: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < jobs.length) {
          const { name, folded } = jobs[next++]!;
          const go = await goRanges(`${folded ? "(?i)" : ""}^\\p{${name}}\n`, file, dir);
          const ours = propertyRanges(name, folded);
          assert.ok(ours !== null, name);
          // Surrogates cannot be lines of a UTF-8 file (Cs is empty there).
          const here = combine(ours, [10, 10, 0xd800, 0xdfff], false);
          if (JSON.stringify(here) !== JSON.stringify(go)) {
            const only = (a: number[], b: number[]) => combine(a, b, false).slice(0, 6);
            differences.push(
              `${folded ? "(?i)" : ""}${name}: only Go ${only(go, here)}, only here ${
                only(here, go)
              }`,
            );
          }
        }
      };
      await Promise.all([worker(), worker()]);
      assert.deepEqual(differences, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** The code points (lines of `file`) Go's dgrep selects with `pattern`, as [lo, hi] pairs. */
async function goRanges(pattern: string, file: string, home: string): Promise<number[]> {
  const out = await new Deno.Command(`${GO_BIN}/dgrep`, {
    args: ["--plain", "--cfg", "none", "--grep", pattern, file],
    cwd: home,
    env: { HOME: home },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const ranges: number[] = [];
  for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
    if (line === "") continue;
    const c = line.codePointAt(0)!;
    if (ranges.length > 0 && ranges[ranges.length - 1] === c - 1) ranges[ranges.length - 1] = c;
    else ranges.push(c, c);
  }
  return ranges;
}

/**
 * The code points the parser reads `\p{name}` as (with `(?i)`: and their fold), as sorted
 * [lo, hi] pairs: the runes of the one class of `[\p{name}]` as re2js compiles it.
 */
function propertyRanges(name: string, folded: boolean): number[] | null {
  const re = re2jsInUse().RE2JS.compile(`${folded ? "(?i)" : ""}[\\p{${name}}]`) as unknown as {
    re2Input?: { prog?: { inst?: { runes?: number[] }[] } };
  };
  const runes = re.re2Input?.prog?.inst?.find((i) => (i.runes?.length ?? 0) > 0)?.runes;
  if (runes === undefined) return null;
  return runes.length === 1 ? [runes[0]!, runes[0]!] : [...runes];
}
