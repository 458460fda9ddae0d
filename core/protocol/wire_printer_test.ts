import assert from "node:assert/strict";
import { LineBatch } from "../line_batch.ts";
import { BufferedOutput } from "../output.ts";
import type { Selection } from "../select.ts";
import { blockHeader } from "./blocks.ts";
import { type WireOptions, WirePrinter } from "./wire_printer.ts";

const enc = new TextEncoder();

const PLAIN: WireOptions = {
  plain: true,
  hostname: "h",
  keepNewline: true,
  escape: true,
  blocks: false,
};

/** Prints selections and returns every byte written. */
function frame(options: WireOptions, selections: Selection[], id = "x"): number[] {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  const printer = new WirePrinter(out, options);
  for (const sel of selections) printer.selection(sel, id);
  out.flush();
  return parts.flatMap((p) => [...p]);
}

Deno.test("wire framing escapes 0xAB and 0xAC whether or not the batch decodes one-to-one", () => {
  const whole = (bytes: Uint8Array) =>
    frame(PLAIN, [{ batch: new LineBatch(bytes, 1), regions: [0, bytes.length] }]);
  assert.deepEqual(whole(enc.encode("a\nb\n")), [
    ...enc.encode("a\n"),
    0xac,
    ...enc.encode("b\n"),
    0xac,
  ]);
  // A lone 0xAC decodes to one U+FFFD (aligned); "€" (E2 82 AC) does not (unaligned).
  assert.deepEqual(whole(new Uint8Array([0x41, 0xac, 0x0a])), [0x41, 0xab, 2, 0x0a, 0xac]);
  assert.deepEqual(whole(enc.encode("5 €\n")), [
    ...enc.encode("5 "),
    0xe2,
    0x82,
    0xab,
    2,
    0x0a,
    0xac,
  ]);
  assert.deepEqual(whole(new Uint8Array([0xab, 0x0a])), [0xab, 1, 0x0a, 0xac]);
});

Deno.test("labelled wire lines carry host, line number and source id, tail's without newline", () => {
  const batch = new LineBatch(enc.encode("l5\nl6\nl7\n"), 5);
  const sel = { batch, regions: [3, 9] };
  const labelled = { ...PLAIN, plain: false, hostname: "web1", escape: false };
  assert.deepEqual(
    frame(labelled, [sel], "app.log"),
    [
      ...enc.encode("REMOTE|web1|100|6|app.log|l6\n"),
      0xac,
      ...enc.encode("REMOTE|web1|100|7|app.log|l7\n"),
      0xac,
    ],
  );
  assert.deepEqual(frame({ ...labelled, keepNewline: false }, [sel], "app.log"), [
    ...enc.encode("REMOTE|web1|100|6|app.log|l6"),
    0xac,
    ...enc.encode("REMOTE|web1|100|7|app.log|l7"),
    0xac,
  ]);
});

Deno.test("each source's lines carry its own id when the sources take turns", () => {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  const printer = new WirePrinter(out, { ...PLAIN, plain: false, hostname: "h", escape: false });
  const line = (text: string) => {
    const bytes = enc.encode(text);
    return { batch: new LineBatch(bytes, 1), regions: [0, bytes.length] };
  };
  for (const id of ["a.log", "b.log", "a.log", "c.log", "b.log"]) {
    printer.selection(line("x\n"), id);
  }
  out.flush();
  const all = parts.flatMap((p) => [...p]);
  const messages: string[] = []; // each ended by 0xAC
  for (let start = 0, end = all.indexOf(0xac); end >= 0; end = all.indexOf(0xac, start)) {
    messages.push(new TextDecoder().decode(new Uint8Array(all.slice(start, end))));
    start = end + 1;
  }
  assert.deepEqual(messages, [
    "REMOTE|h|100|1|a.log|x\n",
    "REMOTE|h|100|1|b.log|x\n",
    "REMOTE|h|100|1|a.log|x\n",
    "REMOTE|h|100|1|c.log|x\n",
    "REMOTE|h|100|1|b.log|x\n",
  ]);
});

Deno.test("in block mode a batch's selected lines go out as one block, each ended by a newline", () => {
  const batch = new LineBatch(enc.encode("a\nbb\nccc"), 1);
  const got = frame({ ...PLAIN, keepNewline: false, blocks: true }, [
    { batch, regions: [0, 2, 2, 2, 5, 8] }, // "a\n", empty, "ccc" (no newline)
    { batch, regions: [] },
  ]);
  assert.deepEqual(got, [...blockHeader(6), ...enc.encode("a\nccc\n"), 0xac]);
});

Deno.test("a few selected lines are framed and escaped without decoding their batch", () => {
  const lines = ["skip €\n", "keep 5 €\n", ...Array(30).fill("filler line\n"), "keep \xab\n"];
  const bytes = new Uint8Array(
    lines.flatMap((l) =>
      l === "keep \xab\n" ? [...enc.encode("keep "), 0xab, 0x0a] : [...enc.encode(l)]
    ),
  );
  const second = enc.encode(lines[0]!).length;
  const last = bytes.length - 7;
  const batch = new LineBatch(bytes, 10);
  const sel = {
    batch,
    regions: [second, second + enc.encode(lines[1]!).length, last, bytes.length],
  };
  const labelled = { ...PLAIN, plain: false, hostname: "web1" };
  assert.deepEqual(frame(labelled, [sel], "a"), [
    ...enc.encode("REMOTE|web1|100|11|a|keep 5 "),
    0xe2,
    0x82,
    0xab,
    2,
    0x0a,
    0xac,
    ...enc.encode("REMOTE|web1|100|42|a|keep "),
    0xab,
    1,
    0x0a,
    0xac,
  ]);
  assert.equal(batch.decoded, false);
});

Deno.test("random lines of marked, invalid and multi-byte text are framed as each line escaped alone", () => {
  let seed = 99;
  const next = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
  const alphabet = [0x61, 0x20, 0xab, 0xac, 0xe2, 0x82, 0xff, 0x0a, 0x0a];
  const escape = (b: number[]) =>
    b.flatMap((x) => x === 0xab ? [0xab, 1] : x === 0xac ? [0xab, 2] : [x]);
  let escaped = 0;
  for (let round = 0; round < 200; round++) {
    const bytes = Uint8Array.from({ length: next(3000) }, () => alphabet[next(alphabet.length)]!);
    const starts = [
      0,
      ...[...bytes].flatMap((b, i) => (b === 0x0a && i + 1 < bytes.length ? [i + 1] : [])),
    ];
    const regions: number[] = [];
    for (let i = 0; i < starts.length; i += 1 + next(3)) {
      if (next(2) === 0) continue;
      regions.push(starts[i]!, i + 1 < starts.length ? starts[i + 1]! : bytes.length);
    }
    const options = { ...PLAIN, plain: next(2) === 0, escape: next(3) > 0 };
    const batch = new LineBatch(bytes, 1);
    if (next(2) === 0) void batch.text; // decoded by an earlier stage, or not
    const got = frame(options, [{ batch, regions }], "s");
    const want: number[] = [];
    for (let i = 0; i < regions.length; i += 2) {
      const start = regions[i]!, end = regions[i + 1]!;
      const lineNo = 1 + bytes.subarray(0, start).filter((b) => b === 0x0a).length;
      const line = [...bytes.subarray(start, end)];
      const nl = line.at(-1) === 0x0a;
      const content = nl ? line.slice(0, -1) : line;
      if (options.escape && content.some((b) => b === 0xab || b === 0xac)) escaped++;
      if (!options.plain) want.push(...enc.encode(`REMOTE|h|100|${lineNo}|s|`));
      want.push(...(options.escape ? escape(content) : content), ...(nl ? [0x0a] : []), 0xac);
    }
    assert.deepEqual(got, want, `round ${round}`);
  }
  assert.ok(escaped > 50, `${escaped} lines escaped`);
});
