import assert from "node:assert/strict";
import { lineStartAt, PieceClaims } from "./piece_claims.ts";

Deno.test("pieces claimed from both ends are each claimed once, the front ones first", () => {
  const claims = PieceClaims.create(10_000, 1000);
  const front: number[] = [];
  const back: number[] = [];
  for (let i = 0; i < 20; i++) {
    const piece = i % 3 === 0 ? claims.back() : claims.front();
    if (piece >= 0) (i % 3 === 0 ? back : front).push(piece);
  }
  assert.deepEqual(front, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(back, [9, 8, 7, 6]);
  assert.equal(claims.backClaimed, 4);
  assert.equal(claims.front(), -1);
});

Deno.test("a huge file gets bigger pieces rather than more than 65,535", () => {
  const claims = PieceClaims.create(2 ** 40, 4 << 20);
  assert.ok(claims.pieces <= 0xffff);
  assert.ok(claims.pieces * claims.pieceBytes >= 2 ** 40);
});

Deno.test("closing the claims leaves nothing for the back", () => {
  const claims = PieceClaims.create(100, 10);
  claims.closeAll();
  assert.equal(claims.back(), -1);
  assert.equal(claims.backClaimed, 0);
});

Deno.test("a piece starts at the first line start at or after its offset", async () => {
  const path = await Deno.makeTempFile();
  const long = "x".repeat(100_000);
  await Deno.writeTextFile(path, `ab\ncd\n${long}\nlast`);
  using file = Deno.openSync(path);
  const size = file.statSync().size;
  assert.equal(lineStartAt(file, 0, size), 0);
  assert.equal(lineStartAt(file, 1, size), 3);
  assert.equal(lineStartAt(file, 3, size), 3, "a line start is its own");
  assert.equal(lineStartAt(file, 7, size), 6 + long.length + 1, "past a line longer than a read");
  assert.equal(lineStartAt(file, size - 2, size), size, "no line starts after: the end");
  assert.equal(lineStartAt(file, size + 5, size), size);
});
