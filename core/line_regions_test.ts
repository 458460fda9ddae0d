import assert from "node:assert/strict";
import {
  addRegion,
  commonLines,
  complementOf,
  eitherLines,
  placedLines,
  takeLines,
} from "./line_regions.ts";

const enc = new TextEncoder();

Deno.test("a region that starts where the last ends is merged into it", () => {
  const regions: number[] = [];
  addRegion(regions, 0, 4);
  addRegion(regions, 4, 9);
  addRegion(regions, 12, 15);
  assert.deepEqual(regions, [0, 9, 12, 15]);
});

Deno.test("the complement covers what the regions leave out, up to the length", () => {
  assert.deepEqual(complementOf([2, 4, 6, 9], 12), [0, 2, 4, 6, 9, 12]);
  assert.deepEqual(complementOf([0, 12], 12), []);
  assert.deepEqual(complementOf([], 5), [0, 5]);
  const out = [9, 9, 9, 9, 9, 9, 9, 9];
  assert.equal(complementOf([2, 4], 6, out), out, "into the array given");
  assert.deepEqual(out, [0, 2, 4, 6], "what it held replaced");
  assert.deepEqual(complementOf([0, 6], 6, out), []);
});

Deno.test("lines in both lists, and in either list once each", () => {
  const a = [0, 3, 3, 7, 10, 14];
  const b = [3, 7, 7, 10, 14, 20];
  assert.deepEqual(commonLines(a, b), [3, 7]);
  assert.deepEqual(eitherLines(a, b), [0, 3, 3, 7, 7, 10, 10, 14, 14, 20]);
  assert.deepEqual(eitherLines([], b), b);
  assert.deepEqual(eitherLines(a, []), a);
});

Deno.test("taken lines stop at the limit, merged when asked", () => {
  const lines = [0, 3, 3, 7, 9, 12];
  const merged: number[] = [];
  assert.equal(takeLines(lines, merged, 0, true), 3);
  assert.deepEqual(merged, [0, 7, 9, 12]);
  const two: number[] = [];
  assert.equal(takeLines(lines, two, 2, false), 2);
  assert.deepEqual(two, [0, 3, 3, 7]);
});

Deno.test("a needle's place is checked at the line's start, its end before the newline, or whole", () => {
  const bytes = enc.encode("ok go\ngo ok\nok\nok\r\nxok");
  const lines = [0, 6, 6, 12, 12, 15, 15, 19, 19, 22];
  const needle = enc.encode("ok");
  const at = (place: "start" | "end" | "whole") => {
    const out: number[] = [];
    placedLines(bytes, lines, needle, place, out, 0, false);
    return out;
  };
  assert.deepEqual(at("start"), [0, 6, 12, 15, 15, 19]);
  assert.deepEqual(at("end"), [6, 12, 12, 15, 19, 22]);
  assert.deepEqual(at("whole"), [12, 15]);
});
