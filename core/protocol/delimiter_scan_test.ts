import assert from "node:assert/strict";
import { scanDelimiters } from "./delimiter_scan.ts";

function naive(bytes: Uint8Array): number[] | -1 {
  if (bytes.includes(0xab)) return -1;
  const out: number[] = [];
  bytes.forEach((b, i) => b === 0xac && out.push(i));
  return out;
}

function scan(bytes: Uint8Array): number[] | -1 {
  const ends = new Int32Array(bytes.length);
  const n = scanDelimiters(bytes, ends);
  return n < 0 ? -1 : [...ends.subarray(0, n)];
}

Deno.test("delimiters are found at every offset and alignment", () => {
  const backing = new Uint8Array(64).fill(0x61);
  for (const at of [0, 1, 2, 3, 4, 5, 30, 62, 63]) backing[at] = 0xac;
  backing[40] = 0xc3; // a non-ASCII byte that is neither
  for (let offset = 0; offset < 4; offset++) {
    for (const length of [0, 1, 3, 7, 33, 64 - offset]) {
      const view = backing.subarray(offset, offset + length);
      assert.deepEqual(scan(view), naive(view), `offset ${offset}, length ${length}`);
    }
  }
});

Deno.test("an escape byte anywhere makes the scan give up", () => {
  for (const at of [0, 2, 9, 14, 15]) {
    const bytes = new Uint8Array(16).fill(0x0a);
    bytes[at] = 0xab;
    assert.equal(scanDelimiters(bytes.subarray(1), new Int32Array(16)), at === 0 ? 0 : -1);
  }
});

Deno.test("random chunks scan like a byte-by-byte loop", () => {
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 16;
  for (let round = 0; round < 200; round++) {
    const bytes = new Uint8Array(next() % 300);
    for (let i = 0; i < bytes.length; i++) {
      const r = next() % 100;
      bytes[i] = r < 5 ? 0xac : r < 6 && round % 2 === 0 ? 0xab : r < 10 ? 0xe2 : 0x41;
    }
    const offset = next() % 4;
    const view = bytes.subarray(Math.min(offset, bytes.length));
    assert.deepEqual(scan(view), naive(view));
  }
});
