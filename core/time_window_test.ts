import assert from "node:assert/strict";
import { intersect, TimeWindow, windowSelections } from "./time_window.ts";
import { LineBatch } from "./line_batch.ts";
import { filterChunks } from "./pipeline.ts";
import { NoopMatcher } from "./noop_matcher.ts";
import type { Selection } from "./select.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const at = (minute: number) => Date.UTC(2026, 11, 3, 10, minute);
const line = (minute: number, text: string) =>
  `2026-12-03T10:${String(minute).padStart(2, "0")}:00Z ${text}\n`;

function keptText(window: TimeWindow, text: string): string {
  const bytes = enc.encode(text);
  const ranges = window.ranges(bytes);
  let out = "";
  for (let i = 0; i < ranges.length; i += 2) {
    out += dec.decode(bytes.subarray(ranges[i], ranges[i + 1]));
  }
  return out;
}

Deno.test("a window keeps the lines in [since, until], both bounds included", () => {
  const text = [1, 2, 3, 4, 5].map((m) => line(m, `m${m}`)).join("");
  const window = new TimeWindow({ since: at(2), until: at(4) });
  assert.equal(keptText(window, text), line(2, "m2") + line(3, "m3") + line(4, "m4"));
});

Deno.test("an untimed line goes with the timed line before it, also across batches", () => {
  const window = new TimeWindow({ since: at(2), until: Infinity });
  assert.equal(keptText(window, line(1, "old") + "  at old frame\n"), "");
  assert.equal(
    keptText(window, "  at still old\n" + line(3, "new") + "  at new frame\n"),
    line(3, "new") + "  at new frame\n",
  );
  assert.equal(keptText(window, "  at new frame 2"), "  at new frame 2");
});

Deno.test("lines before the first timed line are kept only when there is no since", () => {
  const text = "header without a time\n" + line(1, "a");
  assert.equal(keptText(new TimeWindow({ since: at(0), until: Infinity }), text), line(1, "a"));
  assert.equal(keptText(new TimeWindow({ since: -Infinity, until: at(5) }), text), text);
});

Deno.test("lines out of order are checked one by one", () => {
  const text = line(3, "a") + line(1, "late") + line(4, "b");
  assert.equal(
    keptText(new TimeWindow({ since: at(2), until: Infinity }), text),
    line(3, "a") + line(4, "b"),
  );
});

Deno.test("a cut batch numbers the lines in the range from 1", () => {
  const window = new TimeWindow({ since: at(2), until: Infinity });
  const first = window.cut(
    new LineBatch(enc.encode(line(1, "x") + line(2, "y") + line(3, "z")), 1),
  );
  assert.equal(dec.decode(first.bytes), line(2, "y") + line(3, "z"));
  assert.equal(first.firstLineNo, 1);
  const second = window.cut(new LineBatch(enc.encode(line(4, "w")), 4));
  assert.equal(second.firstLineNo, 3);
  const none = new TimeWindow({ since: at(9), until: Infinity }).cut(
    new LineBatch(enc.encode(line(1, "x")), 1),
  );
  assert.equal(none.bytes.length, 0, "an empty batch, so that the pipeline still takes its turn");
  const whole = new LineBatch(enc.encode(line(5, "v")), 0);
  assert.equal(window.cut(whole), whole, "an unnumbered batch all in the range passes untouched");
});

Deno.test("the pipeline with a range selects only the lines in it; without one, every line", async () => {
  const text = [0, 1, 2, 3].map((m) => line(m, `m${m}`)).join("");
  async function* chunks() {
    yield enc.encode(text.slice(0, 40));
    yield enc.encode(text.slice(40));
  }
  const selected = async (range?: { since: number; until: number }) => {
    let out = "";
    const options = { matcher: new NoopMatcher(""), ...(range ? { timeRange: range } : {}) };
    for await (const sel of filterChunks(chunks(), options)) {
      for (let i = 0; i < sel.regions.length; i += 2) {
        out += dec.decode(sel.batch.bytes.subarray(sel.regions[i], sel.regions[i + 1]));
      }
    }
    return out;
  };
  assert.equal(await selected({ since: at(1), until: at(2) }), line(1, "m1") + line(2, "m2"));
  assert.equal(await selected(), text);
  assert.equal(await selected({ since: -Infinity, until: Infinity }), text);
});

Deno.test("selections of a tracked follow are cut to the lines in the range, the batch kept", () => {
  const got: Selection[] = [];
  const sink = windowSelections({ selection: (sel) => got.push(sel) }, {
    since: at(2),
    until: Infinity,
  });
  const batch = new LineBatch(enc.encode(line(1, "a") + line(2, "b") + line(3, "c")), 1);
  const all = [0, batch.bytes.length];
  sink.selection({ batch, regions: all }, "f");
  assert.equal(got[0]!.batch, batch);
  assert.equal(
    dec.decode(batch.bytes.subarray(got[0]!.regions[0], got[0]!.regions[1])),
    line(2, "b") + line(3, "c"),
  );
});

Deno.test("intersecting region lists keeps what both cover", () => {
  assert.deepEqual(intersect([0, 10, 20, 30], [5, 25]), [5, 10, 20, 25]);
  assert.deepEqual(intersect([0, 10], []), []);
  assert.deepEqual(intersect([0, 10], [10, 20]), []);
});
