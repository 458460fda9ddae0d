import assert from "node:assert/strict";
import { byteNeedle } from "./byte_search.ts";
import { loadLatin1Slicer } from "./latin1.ts";
import { compileMatcher } from "./matcher.ts";
import {
  alignedText,
  countNewlines,
  type Latin1Rule,
  LineBatch,
  PIECE_BYTES,
  searchPieces,
  searchText,
} from "./line_batch.ts";

const enc = new TextEncoder();

Deno.test("LineBatch.text decodes UTF-8 and keeps the first line number", () => {
  const batch = new LineBatch(enc.encode("grüße\n€\n"), 7);
  assert.equal(batch.text, "grüße\n€\n");
  assert.equal(batch.firstLineNo, 7);
});

Deno.test("LineBatch.text makes each byte of invalid UTF-8 a replacement character, as RE2 reads it", () => {
  const batch = new LineBatch(new Uint8Array([0x61, 0xff, 0x0a, 0xe2, 0x82, 0x0a]), 1);
  assert.equal(batch.text, "a\ufffd\n\ufffd\ufffd\n");
});

Deno.test("LineBatch.text keeps a leading byte order mark", () => {
  const batch = new LineBatch(new Uint8Array([0xef, 0xbb, 0xbf, 0x61]), 1);
  assert.equal(batch.text, "\ufeffa");
});

Deno.test("LineBatch.byteAligned is true for ASCII", () => {
  assert.equal(new LineBatch(enc.encode("plain ascii\r\nline\n"), 1).byteAligned, true);
});

Deno.test("LineBatch.byteAligned is false for multi-byte characters", () => {
  for (const s of ["é\n", "€\n", "😀\n", "a\nb\nc\u0080"]) {
    assert.equal(new LineBatch(enc.encode(s), 1).byteAligned, false, JSON.stringify(s));
  }
});

Deno.test("LineBatch.byteAligned holds only when text offsets equal byte offsets", () => {
  const cases: number[][] = [
    [0x61, 0xff, 0x62], // one invalid byte decodes to one unit
    [0xe2, 0x82, 0x0a], // a truncated sequence: two bytes, two units (one per byte, as RE2)
    [0xf0, 0x9f, 0x98, 0x80, 0x0a], // four bytes, two units
    [0xc3, 0xa9, 0xff, 0xff, 0x0a],
    [0x80, 0x80, 0x0a], // stray continuation bytes, one unit each
  ];
  for (const bytes of cases) {
    const batch = new LineBatch(new Uint8Array(bytes), 1);
    // Aligned exactly when every "\n" sits at the same index in text and bytes.
    const byteNl = bytes.flatMap((b, i) => (b === 10 ? [i] : []));
    const textNl = [...batch.text].length === batch.text.length
      ? batch.text.split("").flatMap((c, i) => (c === "\n" ? [i] : []))
      : [];
    if (batch.byteAligned) {
      assert.equal(batch.text.length, bytes.length);
      assert.deepEqual(textNl, byteNl, `bytes ${bytes}`);
    } else {
      assert.ok(batch.text.length < bytes.length, `bytes ${bytes}`);
    }
  }
  assert.equal(new LineBatch(new Uint8Array([0x61, 0xff, 0x62]), 1).byteAligned, true);
  assert.equal(new LineBatch(new Uint8Array([0xe2, 0x82, 0x0a]), 1).byteAligned, true);
  assert.equal(new LineBatch(new Uint8Array([0xe2, 0x82, 0xac, 0x0a]), 1).byteAligned, false);
});

Deno.test("countNewlines counts newlines in a byte range of an ASCII batch", () => {
  const batch = new LineBatch(enc.encode("a\nb\n\nc\n"), 1);
  assert.equal(countNewlines(batch, 0, batch.bytes.length), 4);
  assert.equal(countNewlines(batch, 0, 1), 0);
  assert.equal(countNewlines(batch, 0, 2), 1);
  assert.equal(countNewlines(batch, 2, 5), 2);
  assert.equal(countNewlines(batch, 5, 5), 0);
});

Deno.test("countNewlines counts by byte offsets in non-ASCII and invalid UTF-8 batches", () => {
  const bytes = new Uint8Array([
    ...enc.encode("😀\n€\n"),
    0xe2,
    0x82,
    0x0a,
    0xff,
    0x0a,
    ...enc.encode("é"),
  ]);
  const batch = new LineBatch(bytes, 1);
  assert.equal(batch.byteAligned, false);
  const naive = (from: number, to: number) =>
    bytes.subarray(from, to).filter((b) => b === 10).length;
  for (let from = 0; from <= bytes.length; from++) {
    for (let to = from; to <= bytes.length; to++) {
      assert.equal(countNewlines(batch, from, to), naive(from, to), `[${from}, ${to})`);
    }
  }
  assert.equal(countNewlines(batch, 0, bytes.length), 4);
});

const ASCII_ONLY = { asciiOnly: true };
const ANY = {};

Deno.test("an asciiOnly matcher searches a non-ASCII batch in its Latin-1 reading", async () => {
  await loadLatin1Slicer(); // see core/latin1_test.ts for the batches before it
  const utf8 = Uint8Array.from([...enc.encode("grüße €\n"), 0xff]);
  const batch = new LineBatch(utf8, 1);
  assert.equal(batch.ascii, false);
  assert.equal(batch.decoded, false);
  const text = searchText(batch, ASCII_ONLY);
  assert.equal(batch.decoded, false, "nothing decoded as UTF-8");
  assert.equal(text.length, utf8.length);
  assert.ok([...text].every((c, i) => c.charCodeAt(0) === utf8[i]));
  assert.equal(alignedText(batch, ASCII_ONLY), true);
  assert.equal(searchText(batch, ANY), "grüße €\n\ufffd");
  assert.equal(alignedText(batch, ANY), false);
  assert.equal(searchText(batch, ASCII_ONLY), text, "read once");
});

Deno.test("an ASCII batch is searched in its UTF-8 text by every matcher", () => {
  const batch = new LineBatch(enc.encode("plain\nascii\n"), 1);
  assert.equal(batch.ascii, true);
  assert.equal(searchText(batch, ASCII_ONLY), "plain\nascii\n");
  assert.equal(batch.decoded, true);
  const decoded = new LineBatch(enc.encode("ü\n"), 1);
  assert.equal(decoded.text, "ü\n");
  assert.equal(searchText(decoded, ASCII_ONLY).length, 3, "Latin-1 where the text does not map");
});

Deno.test("a batch holding a character of latin1Unless is searched in its UTF-8 text", async () => {
  await loadLatin1Slicer();
  const kelvin = byteNeedle("\u212a")!;
  const longS = byteNeedle("\u017f")!;
  const rule = { asciiOnly: true, latin1Unless: [kelvin, longS] };
  const without = new LineBatch(enc.encode("grüße\nok\n"), 1);
  assert.equal(without.readsLatin1(rule), true);
  assert.equal(searchText(without, rule).length, without.bytes.length);
  for (const text of ["grüße\n273 \u212a\n", "\u017f\n", "ü\u212a"]) {
    const holding = new LineBatch(enc.encode(text), 1);
    assert.equal(holding.readsLatin1(rule), false, text);
    assert.equal(searchText(holding, rule), text);
    assert.equal(holding.readsLatin1({ asciiOnly: true }), true, text);
  }
});

/** Lines of 1 to 700 characters, one of them longer than a piece, `total` bytes or more. */
function bigLines(total: number, nonAscii: boolean): string {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < total; i++) {
    const line = i === 150
      ? "y".repeat(PIECE_BYTES + 10)
      : `${i} ${"ab".repeat((i * 37) % 350)}${nonAscii && i % 3 === 0 ? " çé✓" : ""}`;
    out.push(line);
    size += line.length + 5;
  }
  return out.join("\n") + "\n";
}

function assertPieces(batch: LineBatch, rule: Latin1Rule, many: boolean): void {
  const pieces = [...searchPieces(batch, rule)];
  assert.equal(pieces.length > 1, many, `${pieces.length} pieces`);
  let offset = 0;
  for (const { text, offset: at } of pieces) {
    assert.equal(at, offset, "each piece starts where the one before ends");
    const end = offset + text.length;
    const bytes = batch.bytes.subarray(offset, end);
    assert.ok(
      bytes.length <= PIECE_BYTES || !bytes.subarray(0, -1).includes(10),
      "one line or short",
    );
    assert.ok(end === batch.bytes.length || batch.bytes[end - 1] === 10, "whole lines");
    for (let i = 0; i < bytes.length; i++) {
      if (text.charCodeAt(i) !== bytes[i]) assert.fail(`byte ${offset + i} is not its character`);
    }
    offset = end;
  }
  assert.equal(offset, batch.bytes.length, "the pieces hold the whole batch");
}

Deno.test("searchPieces cuts a big batch into whole lines whose texts map byte for byte", async () => {
  const asciiOnly: Latin1Rule = compileMatcher("[0-9]+ms");
  assert.equal(asciiOnly.asciiOnly, true);
  const ascii = enc.encode(bigLines(400_000, false));
  assertPieces(new LineBatch(ascii, 1), asciiOnly, true);
  assertPieces(new LineBatch(ascii, 1), compileMatcher("a.b"), true);
  await loadLatin1Slicer();
  const latin1 = enc.encode(bigLines(400_000, true));
  assertPieces(new LineBatch(latin1, 1), asciiOnly, true);
  const small = new LineBatch(ascii.subarray(0, ascii.indexOf(10, 1000) + 1), 1);
  assertPieces(small, asciiOnly, false);
});

Deno.test("searchPieces searches a batch whole where pieces would cost a decode", () => {
  const utf8 = new LineBatch(enc.encode(bigLines(400_000, true)), 1);
  const pieces = [...searchPieces(utf8, compileMatcher("a.b"))]; // not asciiOnly: UTF-8
  assert.deepEqual(pieces.map((p) => p.offset), [0]);
  assert.equal(pieces[0]!.text, utf8.text);
  const decoded = new LineBatch(enc.encode(bigLines(400_000, false)), 1);
  const text = decoded.text;
  assert.deepEqual([...searchPieces(decoded, compileMatcher("[0-9]+ms"))], [{ text, offset: 0 }]);
});
