import assert from "node:assert/strict";
import { byteSearch } from "./byte_search.ts";
import { DEFAULT_TERM_COLORS } from "./color.ts";
import { type TerminalOptions, TerminalPrinter } from "./terminal_printer.ts";
import { LineBatch } from "./line_batch.ts";
import { splitLines } from "./lines.ts";
import { compileMatcher } from "./matcher.ts";
import { BufferedOutput } from "./output.ts";
import { selectLines } from "./select.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const UPSTREAM = new URL("../tests/testdata/dtail-upstream/", import.meta.url);

/** Prints selections and returns everything written, flushed. */
function render(
  options: TerminalOptions,
  selections: { batch: LineBatch; regions: number[] }[],
  id = "app.log",
): string {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 64);
  const printer = new TerminalPrinter(out, options);
  for (const sel of selections) printer.selection(sel, id);
  out.flush();
  return parts.map((p) => dec.decode(p)).join("");
}

const PLAIN: TerminalOptions = { plain: true, color: false, hostname: "h" };
const LABELLED: TerminalOptions = { plain: false, color: false, hostname: "web1" };

Deno.test("plain output prints the selected bytes as they are", () => {
  const batch = new LineBatch(enc.encode("a\nb\r\nc\n"), 1);
  assert.equal(render(PLAIN, [{ batch, regions: [0, 2, 5, 7] }]), "a\nc\n");
  assert.equal(render(PLAIN, [{ batch, regions: [2, 5] }]), "b\r\n");
});

Deno.test("plain output appends a newline only when the last line lacks one", () => {
  const batch = new LineBatch(enc.encode("x\nlast"), 1);
  assert.equal(render(PLAIN, [{ batch, regions: [0, 6] }]), "x\nlast\n");
  assert.equal(render(PLAIN, [{ batch, regions: [0, 2] }]), "x\n");
  assert.equal(render(PLAIN, [{ batch, regions: [] }]), "");
});

Deno.test("plain output of a batch in a read buffer prints the same bytes, gathered", () => {
  const search = byteSearch()!;
  const text = "one\ntwo\nthree\n".repeat(5000);
  const buffer = search.readBuffer(text.length + 10)!;
  const { written } = enc.encodeInto(text, buffer.subarray(10));
  const batch = new LineBatch(buffer.subarray(10, 10 + written), 1);
  const regions: number[] = [];
  for (let at = 0, i = 0; at < written; i++) {
    const end = batch.bytes.indexOf(10, at) + 1;
    if (i % 3 !== 1) regions.push(at, end); // every line but "two"
    at = end;
  }
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 64);
  new TerminalPrinter(out, PLAIN).selection({ batch, regions }, "x");
  out.flush();
  assert.equal(parts.map((p) => dec.decode(p)).join(""), "one\nthree\n".repeat(5000));
  assert.ok(parts.length < 10, `${parts.length} writes for ${regions.length / 2} lines`);
  search.releaseBuffer(buffer);
});

Deno.test("plain output of many small gathered batches goes out in one write, not one each", () => {
  const search = byteSearch()!;
  const buffer = search.readBuffer(64)!;
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 1 << 20);
  const printer = new TerminalPrinter(out, PLAIN);
  let expected = "";
  for (let file = 0; file < 100; file++) {
    const text = `a${file}\nb\nc${file}\n`;
    const { written } = enc.encodeInto(text, buffer);
    const batch = new LineBatch(buffer.subarray(0, written), 1);
    const c = text.lastIndexOf("c");
    printer.selection({ batch, regions: [0, text.indexOf("b"), c, written] }, `f${file}`);
    expected += `a${file}\nc${file}\n`;
  }
  out.flush();
  assert.equal(parts.map((p) => dec.decode(p)).join(""), expected);
  assert.equal(parts.length, 1, "the small pieces were written one by one");
  search.releaseBuffer(buffer);
});

Deno.test("plain output keeps invalid UTF-8 bytes untouched", () => {
  const bytes = new Uint8Array([0xff, 0xfe, 0x0a]);
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  new TerminalPrinter(out, PLAIN).selection(
    { batch: new LineBatch(bytes, 1), regions: [0, 3] },
    "x",
  );
  out.flush();
  assert.deepEqual(parts, [bytes]);
});

Deno.test("labelled output numbers lines across regions of one batch", () => {
  const batch = new LineBatch(enc.encode("l5\nl6\nl7\nl8\nl9"), 5);
  const got = render(LABELLED, [{ batch, regions: [3, 6, 9, 14] }]);
  assert.equal(
    got,
    "REMOTE|web1|100|6|app.log|l6\n" +
      "REMOTE|web1|100|8|app.log|l8\n" +
      "REMOTE|web1|100|9|app.log|l9\n",
  );
});

Deno.test("labelled output strips the newline, keeps CR and prints empty lines", () => {
  const batch = new LineBatch(enc.encode("a\r\n\nb\n"), 1);
  assert.equal(
    render(LABELLED, [{ batch, regions: [0, 6] }], "x"),
    "REMOTE|web1|100|1|x|a\r\nREMOTE|web1|100|2|x|\nREMOTE|web1|100|3|x|b\n",
  );
});

Deno.test("labelled output counts lines by bytes in non-ASCII batches", () => {
  const batch = new LineBatch(enc.encode("€1\n😀2\nü3\n"), 10);
  assert.equal(
    render(LABELLED, [{ batch, regions: [enc.encode("€1\n😀2\n").length, batch.bytes.length] }]),
    "REMOTE|web1|100|12|app.log|ü3\n",
  );
});

Deno.test("labelled line numbers stay right across batches and context", async () => {
  const input = Array.from({ length: 30 }, (_, i) => `${i % 7 === 3 ? "HIT" : "line"} ${i + 1}\n`);
  const data = enc.encode(input.join(""));
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < data.length; off += 11) yield data.slice(off, off + 11);
  }
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 100);
  const printer = new TerminalPrinter(out, LABELLED);
  const batches = splitLines(chunks(), { numbered: true });
  for await (const sel of selectLines(batches, compileMatcher("HIT"), { before: 1, after: 1 })) {
    printer.selection(sel, "f");
  }
  out.flush();
  const got = parts.map((p) => dec.decode(p)).join("").trimEnd().split("\n");
  assert.ok(got.length > 10);
  for (const line of got) {
    const m = /^REMOTE\|web1\|100\|(\d+)\|f\|(?:HIT|line) (\d+)$/.exec(line);
    assert.ok(m, line);
    assert.equal(m[1], m[2], line);
  }
});

Deno.test("colored output matches the upstream dcatcolors rendering", async () => {
  const text = await Deno.readFile(new URL("dcatcolors.txt", UPSTREAM));
  const want = await Deno.readTextFile(new URL("dcatcolors.expected", UPSTREAM));
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 4096);
  const printer = new TerminalPrinter(out, {
    plain: false,
    color: true,
    hostname: "integrationtest",
  });
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < text.length; off += 100) yield text.slice(off, off + 100);
  }
  for await (
    const sel of selectLines(splitLines(chunks(), { numbered: true }), compileMatcher(""))
  ) printer.selection(sel, "dcatcolors.txt");
  out.flush();
  const got = parts.map((p) => dec.decode(p)).join("");
  const wantLines = want.split("\n");
  const gotLines = got.split("\n");
  for (let i = 0; i < Math.min(wantLines.length, gotLines.length); i++) {
    assert.equal(JSON.stringify(gotLines[i]), JSON.stringify(wantLines[i]), `line ${i + 1}`);
  }
  assert.equal(got, want);
});

Deno.test("colored output uses the configured colors", () => {
  const custom = structuredClone(DEFAULT_TERM_COLORS);
  custom.Remote.Text = { fg: "Green", bg: "Default", attr: "Underline" };
  const batch = new LineBatch(enc.encode("hello\n"), 1);
  const got = render({ plain: false, color: true, hostname: "h", colors: custom }, [
    { batch, regions: [0, 6] },
  ]);
  assert.ok(
    got.endsWith("\x1b[32m\x1b[49m\x1b[4mhello\x1b[0m\x1b[49m\x1b[39m\n"),
    JSON.stringify(got),
  );
});

Deno.test("labelled output is the same whether the batch was decoded or cut in raw bytes", () => {
  for (const accent of ["é", "e"]) {
    const text = Array.from({ length: 200 }, (_, i) => `line ${i} ${i % 3 ? accent : "x"}\r`);
    const bytes = enc.encode(text.join("\n") + "\nlast without newline");
    const end = bytes.length;
    labelledAgree(bytes, [[0, 9], [0, end], [40, 200, 300, 900], [end - 21, end]]);
  }
});

function labelledAgree(bytes: Uint8Array, cases: number[][]): void {
  for (const options of [LABELLED, { ...LABELLED, color: true }]) {
    for (const regions of cases) {
      const starts = regions.map((r) => r === 0 ? 0 : bytes.lastIndexOf(10, r - 1) + 1);
      const lineRegions = starts.map((s, i) => i % 2 === 0 ? s : regions[i]!);
      const raw = new LineBatch(bytes, 7);
      const decoded = new LineBatch(bytes, 7);
      assert.ok(decoded.text.length > 0);
      assert.equal(raw.decoded, false);
      assert.equal(
        render(options, [{ batch: raw, regions: lineRegions }]),
        render(options, [{ batch: decoded, regions: lineRegions }]),
        JSON.stringify(lineRegions),
      );
    }
  }
}
