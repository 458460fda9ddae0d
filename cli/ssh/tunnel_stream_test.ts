import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { ClientChannel } from "ssh2";
import { tunnelStream } from "./tunnel_stream.ts";

/** The parts of a channel the tunnel stream uses, recording what it was asked to do. */
class FakeChannel extends EventEmitter {
  writes: string[] = [];
  ended = false;
  destroyed = 0;
  /** What write() answers: false says the channel's window is full. */
  room = true;
  write(bytes: Uint8Array): boolean {
    this.writes.push(new TextDecoder().decode(bytes));
    return this.room;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed++;
  }
  pause(): void {}
  resume(): void {}
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("what one turn writes goes to the channel as one write, after the turn", async () => {
  const channel = new FakeChannel();
  const stream = tunnelStream(channel as unknown as ClientChannel);
  stream.write(new TextEncoder().encode("len"));
  stream.write(new TextEncoder().encode("packet"));
  stream.write(new TextEncoder().encode("tag"));
  assert.deepEqual(channel.writes, [], "nothing inside the writer's own turn");
  await tick();
  assert.deepEqual(channel.writes, ["lenpackettag"]);
  stream.write(new TextEncoder().encode("next"));
  await tick();
  assert.deepEqual(channel.writes, ["lenpackettag", "next"]);
});

Deno.test("a full channel holds the writer back until it drains", async () => {
  const channel = new FakeChannel();
  channel.room = false;
  const stream = tunnelStream(channel as unknown as ClientChannel);
  let done = 0;
  stream.write(new TextEncoder().encode("a"), () => done++);
  await tick();
  stream.write(new TextEncoder().encode("b"), () => done++);
  await tick();
  assert.equal(done, 1, "the write after the full one waits");
  channel.room = true;
  channel.emit("drain");
  await tick();
  assert.equal(done, 2);
  assert.deepEqual(channel.writes, ["a", "b"]);
});

Deno.test("the channel's data is read after the turn it arrived in, in order", async () => {
  const channel = new FakeChannel();
  const stream = tunnelStream(channel as unknown as ClientChannel);
  const got: string[] = [];
  stream.on("data", (chunk: Uint8Array) => got.push(new TextDecoder().decode(chunk)));
  channel.emit("data", new TextEncoder().encode("a"));
  channel.emit("data", new TextEncoder().encode("b"));
  assert.deepEqual(got, []);
  await tick();
  assert.deepEqual(got, ["a", "b"]);
});

Deno.test("a channel the jump host closed is not destroyed again", async () => {
  const channel = new FakeChannel();
  const stream = tunnelStream(channel as unknown as ClientChannel);
  stream.on("error", () => {});
  channel.emit("close");
  await tick();
  assert.equal(stream.destroyed, true);
  assert.equal(channel.destroyed, 0);
  const other = new FakeChannel();
  tunnelStream(other as unknown as ClientChannel).destroy();
  assert.equal(other.destroyed, 1);
});
