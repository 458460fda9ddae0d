import assert from "node:assert/strict";
import { Rng } from "../tests/fuzz/mutate.ts";
import { Buffer } from "node:buffer";
import { decodeBase64Lenient, encodeBase64 } from "./base64.ts";

/** A seeded generator (the fuzzers' Rng), so that a failure can be replayed. */
function rng(seed: number): () => number {
  const generator = new Rng(seed);
  return () => generator.next();
}

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

function bufferDecode(text: string): number[] {
  return [...Buffer.from(text, "base64")];
}

Deno.test("encodeBase64 writes what Buffer writes, for every length up to 100", () => {
  const next = rng(1);
  for (let length = 0; length <= 100; length++) {
    const bytes = randomBytes(next, length);
    assert.equal(encodeBase64(bytes), Buffer.from(bytes).toString("base64"), `length ${length}`);
  }
  assert.equal(encodeBase64(new TextEncoder().encode("foob")), "Zm9vYg==");
});

Deno.test("encodeBase64 reads only the view it is given, not the rest of its buffer", () => {
  const whole = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
  assert.equal(encodeBase64(whole.subarray(2, 5)), Buffer.from([3, 4, 5]).toString("base64"));
});

Deno.test("well-formed base64, padded or not, decodes back to its bytes", () => {
  const next = rng(2);
  for (let length = 0; length <= 100; length++) {
    const bytes = randomBytes(next, length);
    const text = encodeBase64(bytes);
    assert.deepEqual([...decodeBase64Lenient(text)], [...bytes], text);
    assert.deepEqual([...decodeBase64Lenient(text.replace(/=+$/, ""))], [...bytes], text);
  }
});

Deno.test("malformed text decodes as Buffer decodes it: cut at '=', junk dropped, no throw", () => {
  const cases = [
    "",
    "A",
    "AA",
    "AAA",
    "AAAAA",
    "AB===",
    "ABCD=",
    "AB=CD",
    "A=BC",
    "=ABC",
    "ABCD====EFGH",
    "AB CD",
    "Zm9v\nYmFy",
    "a-_b",
    "a!b@cd",
    "/x",
    "QR",
    "ABD",
    "\u00e9AAA",
    "A\u0000B",
    "|1|broken",
    "!!!notbase64",
    "cyIfi/eUO22zlc4vOqPF6MsnmYU=",
  ];
  for (const text of cases) {
    assert.deepEqual([...decodeBase64Lenient(text)], bufferDecode(text), JSON.stringify(text));
  }
});

Deno.test("random text over base64, URL-safe, padding, space and other characters decodes as Buffer does", () => {
  const next = rng(3);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const extra = ["=", "=", "-", "_", " ", "\n", "\t", "!", "|", ".", "\u00e9", "\u{1F600}", "\0"];
  for (let i = 0; i < 20_000; i++) {
    const length = Math.floor(next() * 24);
    let text = "";
    for (let j = 0; j < length; j++) {
      text += next() < 0.8
        ? alphabet[Math.floor(next() * alphabet.length)]
        : extra[Math.floor(next() * extra.length)];
    }
    assert.deepEqual([...decodeBase64Lenient(text)], bufferDecode(text), JSON.stringify(text));
  }
});

Deno.test("decoded bytes are a plain Uint8Array with a buffer of their own", () => {
  const bytes = decodeBase64Lenient("Zm9vYmFy");
  assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, 6);
});
