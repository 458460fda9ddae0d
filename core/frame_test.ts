import assert from "node:assert/strict";
import { DEFAULT_TERM_COLORS } from "./color.ts";
import { type FrameOptions, RemotePaints, SelectionPrinter } from "./frame.ts";
import { LineBatch } from "./line_batch.ts";
import { splitLines } from "./lines.ts";
import { compileMatcher } from "./matcher.ts";
import { BufferedOutput } from "./output.ts";
import { blockHeader } from "./protocol/blocks.ts";
import { selectLines } from "./select.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const UPSTREAM = new URL("../tests/testdata/dtail-upstream/", import.meta.url);

/** Prints selections and returns everything written, flushed. */
function render(
  options: FrameOptions,
  selections: { batch: LineBatch; regions: number[] }[],
  id = "app.log",
): string {
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()), 64);
  const printer = new SelectionPrinter(out, options);
  for (const sel of selections) printer.print(sel, id);
  out.flush();
  return parts.map((p) => dec.decode(p)).join("");
}

const PLAIN: FrameOptions = { plain: true, color: false, hostname: "h" };
const LABELLED: FrameOptions = { plain: false, color: false, hostname: "web1" };

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

Deno.test("plain output keeps invalid UTF-8 bytes untouched", () => {
  const bytes = new Uint8Array([0xff, 0xfe, 0x0a]);
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  new SelectionPrinter(out, PLAIN).print({ batch: new LineBatch(bytes, 1), regions: [0, 3] }, "x");
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
  const printer = new SelectionPrinter(out, LABELLED);
  const batches = splitLines(chunks(), { numbered: true });
  for await (const sel of selectLines(batches, compileMatcher("HIT"), { before: 1, after: 1 })) {
    printer.print(sel, "f");
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
  const printer = new SelectionPrinter(out, {
    plain: false,
    color: true,
    hostname: "integrationtest",
  });
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let off = 0; off < text.length; off += 100) yield text.slice(off, off + 100);
  }
  for await (
    const sel of selectLines(splitLines(chunks(), { numbered: true }), compileMatcher(""))
  ) printer.print(sel, "dcatcolors.txt");
  out.flush();
  const got = parts.map((p) => dec.decode(p)).join("");
  const wantLines = want.split("\n");
  const gotLines = got.split("\n");
  for (let i = 0; i < Math.min(wantLines.length, gotLines.length); i++) {
    assert.equal(JSON.stringify(gotLines[i]), JSON.stringify(wantLines[i]), `line ${i + 1}`);
  }
  assert.equal(got, want);
});

Deno.test("RemotePaints colors perc 100 as ok and anything else as a warning", () => {
  const p = new RemotePaints();
  assert.ok(p.prefix("h", "100", "1", "x").includes("\x1b[30m\x1b[42m100\x1b[49m\x1b[39m"));
  assert.ok(p.prefix("h", " 50", "1", "x").includes("\x1b[37m\x1b[41m 50\x1b[49m\x1b[39m"));
});

Deno.test("RemotePaints picks severity colors by the start of the line", () => {
  const p = new RemotePaints();
  assert.equal(p.textPaint(enc.encode("WARN|x")), p.warn);
  assert.equal(p.textPaint(enc.encode("ERROR|x")), p.error);
  assert.equal(p.textPaint(enc.encode("FATAL|x")), p.fatal);
  assert.equal(p.textPaint(enc.encode("INFO|x")), p.text);
  assert.equal(p.textPaint(enc.encode("WAR")), p.text);
  assert.equal(p.textPaint(enc.encode(" ERROR")), p.text);
  assert.equal(p.error.open, "\x1b[37m\x1b[41m\x1b[1m");
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

Deno.test("wire framing escapes 0xAB and 0xAC whether or not the batch decodes one-to-one", () => {
  const wire: FrameOptions = { ...PLAIN, wire: { keepNewline: true, escape: true } };
  const frame = (bytes: Uint8Array) => {
    const parts: Uint8Array[] = [];
    const out = new BufferedOutput((b) => parts.push(b.slice()));
    new SelectionPrinter(out, wire).print({
      batch: new LineBatch(bytes, 1),
      regions: [0, bytes.length],
    }, "x");
    out.flush();
    return parts.flatMap((p) => [...p]);
  };
  assert.deepEqual(frame(enc.encode("a\nb\n")), [
    ...enc.encode("a\n"),
    0xac,
    ...enc.encode("b\n"),
    0xac,
  ]);
  // A lone 0xAC decodes to one U+FFFD (aligned); "€" (E2 82 AC) does not (unaligned).
  assert.deepEqual(frame(new Uint8Array([0x41, 0xac, 0x0a])), [0x41, 0xab, 2, 0x0a, 0xac]);
  assert.deepEqual(frame(enc.encode("5 €\n")), [
    ...enc.encode("5 "),
    0xe2,
    0x82,
    0xab,
    2,
    0x0a,
    0xac,
  ]);
  assert.deepEqual(frame(new Uint8Array([0xab, 0x0a])), [0xab, 1, 0x0a, 0xac]);
});

Deno.test("in block mode a batch's selected lines go out as one block, each ended by a newline", () => {
  const wire: FrameOptions = { ...PLAIN, wire: { keepNewline: false, escape: true, blocks: true } };
  const parts: Uint8Array[] = [];
  const out = new BufferedOutput((b) => parts.push(b.slice()));
  const printer = new SelectionPrinter(out, wire);
  const batch = new LineBatch(enc.encode("a\nbb\nccc"), 1);
  printer.print({ batch, regions: [0, 2, 2, 2, 5, 8] }, "x"); // "a\n", empty, "ccc" (no newline)
  printer.print({ batch, regions: [] }, "x");
  out.flush();
  const got = new Uint8Array(parts.flatMap((p) => [...p]));
  assert.deepEqual([...got], [...blockHeader(6), ...enc.encode("a\nccc\n"), 0xac]);
});
