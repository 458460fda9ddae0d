import assert from "node:assert/strict";
import type { IncarnationStream } from "./follow.ts";
import { PositionTracker } from "./follow_position.ts";
import { compileMatcher } from "./matcher.ts";
import { followSelectInto } from "./follow_select.ts";
import { type FilterOptions, SourceFilter } from "./pipeline.ts";
import { type FilePosition, markOf } from "./protocol/resume.ts";
import type { Sink } from "./sink.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A stream of `file[start..]` in chunks ending at `cuts`; `reuse`: one buffer, as follow.ts reads. */
function stream(file: Uint8Array, start: number, cuts: number[], reuse = false): IncarnationStream {
  const buf = new Uint8Array(file.length);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let at = start;
    for (const cut of [...cuts, file.length]) {
      if (cut <= at) continue;
      const part = file.subarray(at, cut);
      if (reuse) {
        buf.set(part);
        yield buf.subarray(0, part.length);
      } else yield part;
      at = cut;
    }
  }
  return Object.assign(chunks(), {
    origin: { dev: 7, ino: 9, start, before: file.slice(Math.max(0, start - 64), start) },
  });
}

type Event = { lines: string[] } | { position: FilePosition };

/** Follows one stream through the tracker into a sink that records lines and positions. */
async function run(
  s: IncarnationStream,
  filter: Partial<FilterOptions> & { maxLineLength: number },
): Promise<{ events: Event[]; longLines: number; splitterLongLines: number }> {
  const events: Event[] = [];
  let longLines = 0;
  let splitterLongLines = 0;
  const tracker = new PositionTracker({
    path: "/x/app.log",
    maxLineLength: filter.maxLineLength,
    onLongLine: () => longLines++,
    report: (position) => events.push({ position }),
    flush: () => {},
  });
  const sink: Sink = {
    selection: (sel) => {
      const r = sel.regions;
      const lines: string[] = [];
      for (let i = 0; i < r.length; i += 2) {
        const text = decoder.decode(sel.batch.bytes.subarray(r[i]!, r[i + 1]!));
        lines.push(...text.replace(/\n$/, "").split("\n"));
      }
      if (lines.length > 0) events.push({ lines });
    },
  };
  const options: FilterOptions = {
    matcher: compileMatcher("", { noopAllowed: true }),
    onLongLine: () => splitterLongLines++,
    ...filter,
  };
  await followSelectInto(
    s,
    tracker,
    options,
    tracker.sink(sink),
    "app.log",
    new SourceFilter(options),
  );
  return { events, longLines, splitterLongLines };
}

/** The lines of `text` as the splitter cuts them: pieces of at most `max` characters. */
function pieces(text: string, max: number): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  const last = lines.pop()!; // after the last "\n": a line not ended yet
  for (const line of [...lines, ...(last === "" ? [] : [last])]) {
    if (line === "") out.push("");
    for (let i = 0; i < line.length; i += max) out.push(line.slice(i, i + max));
  }
  return out;
}

function randomLog(seed: number, lines: number, max: number): string {
  let x = seed;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  let text = "";
  for (let i = 0; i < lines; i++) {
    const long = next() < 0.2;
    const length = Math.floor(next() * (long ? 4 * max : max));
    text += `${i}:`.padEnd(length, String.fromCharCode(97 + (i % 26))) + "\n";
  }
  return text + "tail-without-newline";
}

Deno.test("each position follows its batch's lines and covers exactly the lines delivered", async () => {
  const max = 16;
  for (const seed of [1, 2, 3, 4, 5]) {
    for (const reuse of [false, true]) {
      const text = randomLog(seed, 300, max);
      const file = encoder.encode(text);
      let x = seed;
      const cuts: number[] = [];
      for (let at = 0; at < file.length;) {
        x = (Math.imul(x, 69069) + 1) >>> 0;
        at += 1 + (x % 97);
        cuts.push(at);
      }
      const start = 5;
      const { events, longLines, splitterLongLines } = await run(
        stream(file, start, cuts, reuse),
        { maxLineLength: max },
      );
      assert.equal(splitterLongLines, 0, "the splitter never cuts: the tracker does");
      assert.equal(longLines, pieces(text.slice(start), 1e9).filter((l) => l.length > max).length);
      const delivered: string[] = [];
      let positions = 0;
      for (const event of events) {
        if ("lines" in event) {
          delivered.push(...event.lines);
          continue;
        }
        positions++;
        const { offset, mark, dev, ino, path } = event.position;
        assert.deepEqual([dev, ino, path], [7, 9, "/x/app.log"]);
        assert.deepEqual(
          delivered,
          pieces(text.slice(start, offset), max),
          `seed ${seed} @${offset}`,
        );
        assert.equal(mark, markOf(file.slice(Math.max(0, offset - 64), offset)));
      }
      assert.ok(positions > 10);
      assert.deepEqual(delivered, pieces(text.slice(start), max), "every line once, in order");
      const last = events.at(-1)!;
      assert.ok("position" in last && last.position.offset === file.length, "ends with the end");
    }
  }
});

Deno.test("the position where a stream starts comes first, with the mark of the bytes before", async () => {
  const file = encoder.encode("one\ntwo\nthree\n");
  const { events } = await run(stream(file, 4, []), { maxLineLength: 100 });
  assert.deepEqual(events, [
    { position: { path: "/x/app.log", dev: 7, ino: 9, offset: 4, mark: markOf(file.slice(0, 4)) } },
    { lines: ["two", "three"] },
    { position: { path: "/x/app.log", dev: 7, ino: 9, offset: 14, mark: markOf(file) } },
  ]);
});

Deno.test("context lines of an earlier batch travel with the batch of their match", async () => {
  const file = encoder.encode("a1\nb2\nMATCH\nc3\n");
  const { events } = await run(stream(file, 0, [3, 6, 12]), {
    maxLineLength: 100,
    matcher: compileMatcher("MATCH"),
    before: 1,
  });
  const shown = events.map((e) => "lines" in e ? e.lines : e.position.offset);
  // A position may come between batches now and then (a loaded machine); never one past `b2`'s
  // start before `b2` went out, and never one between `b2` and its match.
  const b2 = shown.findIndex((e) => Array.isArray(e) && e[0] === "b2");
  assert.deepEqual(shown.slice(b2), [["b2"], ["MATCH"], 12]);
  assert.equal(shown[0], 0);
  for (const offset of shown.slice(0, b2)) assert.ok(typeof offset === "number" && offset <= 3);
});

Deno.test("batches without selected lines still move the position, now and then", async () => {
  const file = encoder.encode("a\nb\nc\n");
  async function* slow(): AsyncGenerator<Uint8Array> {
    yield file.subarray(0, 2);
    await new Promise((r) => setTimeout(r, 1100));
    yield file.subarray(2, 4);
    yield file.subarray(4, 6);
  }
  const s = Object.assign(slow(), {
    origin: { dev: 7, ino: 9, start: 0, before: new Uint8Array(0) },
  });
  const { events } = await run(s, { maxLineLength: 100, matcher: compileMatcher("zzz") });
  const offsets = events.map((e) => "lines" in e ? -1 : e.position.offset);
  assert.ok(!offsets.includes(-1), "no lines");
  assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y), "never backwards");
  assert.equal(offsets[0], 0);
  assert.ok(offsets.at(-1)! >= 4, `a position after the quiet second: ${offsets}`);
});
