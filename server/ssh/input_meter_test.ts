import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { meterInput } from "./input_meter.ts";

/** A socket as ssh2 sees it: events, pause and resume. */
class FakeSocket extends EventEmitter {
  paused = false;
  resumes = 0;
  destroyed = false;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    this.resumes++;
    return this;
  }
}

/** Turns of the loop that the test gives one by one. */
function turns() {
  const waiting: Array<() => void> = [];
  return {
    turn: () => new Promise<void>((resolve) => waiting.push(resolve)),
    get waiting() {
      return waiting.length;
    },
    async give() {
      waiting.shift()!();
      await Promise.resolve();
      await Promise.resolve();
    },
  };
}

function bytes(n: number, from = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
}

function busy(ms: number): void {
  for (const end = performance.now() + ms; performance.now() < end;) {
    // the work a listener does with a slice
  }
}

Deno.test("a connection's input reaches its listeners whole, in order and in slices", () => {
  const socket = new FakeSocket();
  meterInput(socket, { sliceBytes: 1000, budgetMs: 1000 });
  const got: Uint8Array[] = [];
  socket.on("data", (d: Uint8Array) => got.push(d));
  const sent = [bytes(2500), bytes(10, 7), bytes(1000, 3)];
  for (const chunk of sent) socket.emit("data", chunk);
  assert.deepEqual(got.map((d) => d.length), [1000, 1000, 500, 10, 1000]);
  assert.deepEqual(
    Uint8Array.from(got.flatMap((d) => [...d])),
    Uint8Array.from(sent.flatMap((d) => [...d])),
  );
  assert.equal(socket.paused, false);
});

Deno.test("input past its budget waits for a turn of the loop, and the end waits after it", async () => {
  const socket = new FakeSocket();
  const loop = turns();
  meterInput(socket, { sliceBytes: 100, budgetMs: 4, minBytes: 0, turn: loop.turn });
  const got: number[] = [];
  const events: string[] = [];
  socket.on("data", (d: Uint8Array) => {
    busy(3);
    got.push(...d);
  });
  socket.on("end", () => events.push(`end after ${got.length}`));
  socket.on("close", () => events.push("close"));
  socket.emit("data", bytes(1000));
  // Two slices take 6 ms of the 4 ms budget (one, when this machine is slower than that).
  assert.ok(got.length === 200 || got.length === 100, `${got.length} bytes before a turn`);
  assert.equal(socket.paused, true);
  socket.emit("data", bytes(50, 1000)); // read before the pause took hold
  socket.emit("end");
  socket.emit("close"); // other events are not held
  assert.deepEqual(events, ["close"]);
  let turnsGiven = 0;
  while (loop.waiting > 0) {
    const before = got.length;
    await loop.give();
    turnsGiven++;
    assert.ok(got.length - before <= 200, "at most two slices a turn");
  }
  assert.deepEqual(got, [...bytes(1050)]);
  assert.deepEqual(events, ["close", "end after 1050"]);
  assert.ok(turnsGiven >= 5, `${turnsGiven} turns`);
  assert.equal(socket.resumes, turnsGiven);
  assert.equal(socket.paused, false);
});

Deno.test("input of a connection idle between its reads starts a new budget", async () => {
  const socket = new FakeSocket();
  const loop = turns();
  meterInput(socket, { sliceBytes: 100, budgetMs: 4, minBytes: 0, turn: loop.turn });
  socket.on("data", () => busy(3));
  for (let i = 0; i < 5; i++) {
    socket.emit("data", bytes(100));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(loop.waiting, 0);
  assert.equal(socket.paused, false);
});

Deno.test("a socket destroyed while its input waits is not resumed", async () => {
  const socket = new FakeSocket();
  const loop = turns();
  meterInput(socket, { sliceBytes: 10, budgetMs: 1, minBytes: 0, turn: loop.turn });
  let got = 0;
  socket.on("data", (d: Uint8Array) => {
    busy(2);
    got += d.length;
  });
  socket.emit("data", bytes(100));
  assert.equal(got, 10);
  socket.destroyed = true;
  await loop.give();
  assert.equal(socket.resumes, 0);
  assert.equal(got, 10);
});

Deno.test("a listener whose work reads more does not get it before what came first", () => {
  const socket = new FakeSocket();
  meterInput(socket, { sliceBytes: 4, budgetMs: 1000 });
  const got: number[] = [];
  let again = true;
  socket.on("data", (d: Uint8Array) => {
    if (again) {
      again = false;
      socket.emit("data", bytes(3, 100));
    }
    got.push(...d);
  });
  socket.emit("data", bytes(8));
  assert.deepEqual(got, [...bytes(8), ...bytes(3, 100)]);
});

Deno.test("input that takes time but brings few bytes (a client's window adjusts) is not paused", async () => {
  const socket = new FakeSocket();
  const loop = turns();
  meterInput(socket, { sliceBytes: 100, budgetMs: 4, minBytes: 250, gapMs: 1000, turn: loop.turn });
  let got = 0;
  socket.on("data", (d: Uint8Array) => {
    busy(3); // the sending a window adjust sets off
    got += d.length;
  });
  for (let i = 0; i < 2; i++) socket.emit("data", bytes(50));
  assert.equal(got, 100);
  assert.equal(loop.waiting, 0, "slow, but 100 bytes");
  socket.emit("data", bytes(300));
  assert.ok(got < 400, "past 250 bytes and the budget: the rest waits");
  assert.equal(loop.waiting, 1);
  await loop.give();
  assert.equal(got, 400);
});
