/**
 * Prints NEWER of core/re2js_unicode15.ts: the code points the Go dgrep (../shared/go-dtail/bin,
 * or the directory given) reads as unassigned (`\p{Cn}`, Unicode 15.0) and re2js's own tables
 * (a plain import, without core/re2js_unicode15.ts) as assigned. tests/unicode15_go_test.ts
 * then checks every category and script against Go.
 *
 * Usage: deno run -A tools/record_unicode15.ts [GO_BIN]
 */
import { RE2JS } from "re2js";

/** Writes every code point but "\n" and the surrogates to `path`, one per line; returns them. */
export async function writeCodePoints(path: string): Promise<number[]> {
  const points: number[] = [];
  for (let c = 0; c <= 0x10ffff; c++) if (c !== 10 && (c < 0xd800 || c > 0xdfff)) points.push(c);
  await Deno.writeTextFile(path, points.map((c) => String.fromCodePoint(c)).join("\n") + "\n");
  return points;
}

async function main(): Promise<void> {
  const root = new URL("..", import.meta.url).pathname;
  const bin = Deno.args[0] ?? `${root}../shared/go-dtail/bin`;
  const dir = await Deno.makeTempDir({ prefix: "dtail-unicode15-" });
  try {
    const points = await writeCodePoints(`${dir}/all.txt`);
    const out = await new Deno.Command(`${bin}/dgrep`, {
      args: ["--plain", "--cfg", "none", "--grep", "^\\p{Cn}\n", `${dir}/all.txt`],
      cwd: dir,
      env: { HOME: dir },
      stdout: "piped",
    }).output();
    const lines = new TextDecoder().decode(out.stdout).split("\n").filter((l) => l !== "");
    const goUnassigned = new Set(lines.map((l) => l.codePointAt(0)!));
    const cn = RE2JS.compile("\\p{Cn}");
    const newer = points.filter((c) => goUnassigned.has(c) && !cn.matches(String.fromCodePoint(c)));
    const ranges: [number, number][] = [];
    for (const c of newer) {
      const last = ranges.at(-1);
      if (last !== undefined && last[1] === c - 1) last[1] = c;
      else ranges.push([c, c]);
    }
    let line = "";
    for (const [lo, hi] of ranges) {
      const word = lo === hi ? lo.toString(16) : `${lo.toString(16)}-${hi.toString(16)}`;
      if (line.length + word.length + 1 > 98) {
        console.log(line.trimEnd());
        line = "";
      }
      line += `${word} `;
    }
    console.log(line.trimEnd());
    console.error(`record_unicode15: ${newer.length} code points in ${ranges.length} ranges`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();
