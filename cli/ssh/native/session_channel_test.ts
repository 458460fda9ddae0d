import assert from "node:assert/strict";
import {
  CHANNEL_MSG,
  ChannelError,
  MAX_PACKET_DATA,
  SessionChannel,
  WINDOW,
} from "./session_channel.ts";
import { WireReader, WireWriter } from "./ssh_wire.ts";

/** A channel opened and confirmed by a fake server (its id 7, a window of `remoteWindow`). */
async function opened(remoteWindow = 1 << 20, remoteMax = 1000) {
  const sent: Uint8Array[] = [];
  const channel = new SessionChannel((p) => sent.push(p.slice()));
  const open = channel.open();
  channel.packet(
    new WireWriter().byte(CHANNEL_MSG.OPEN_CONFIRMATION).u32(0).u32(7).u32(remoteWindow)
      .u32(remoteMax).bytes(),
  );
  channel.packet(new WireWriter().byte(CHANNEL_MSG.SUCCESS).u32(0).bytes());
  await open;
  sent.length = 0;
  return { channel, sent, io: channel.io(() => {}) };
}

const data = (n: number) =>
  new WireWriter().byte(CHANNEL_MSG.DATA).u32(0).string(new Uint8Array(n).fill(65)).bytes();

Deno.test("the window is given back only as the reader takes what came", async () => {
  const { channel, sent, io } = await opened();
  const reader = io.input[Symbol.asyncIterator]();
  for (let i = 0; i < WINDOW / MAX_PACKET_DATA; i++) {
    channel.packet(data(MAX_PACKET_DATA));
    channel.batchEnd();
  }
  assert.equal(sent.length, 0, "nothing given back before the reader takes anything");
  assert.throws(() => channel.packet(data(1)), ChannelError, "beyond the window");
  let taken = 0;
  while (taken < WINDOW / 2) taken += (await reader.next()).value!.length;
  assert.equal(sent.length, 1);
  const r = new WireReader(sent[0]!);
  assert.equal(r.byte(), CHANNEL_MSG.WINDOW_ADJUST);
  assert.equal(r.u32(), 7);
  assert.equal(r.u32(), taken);
});

Deno.test("what is written waits for the server's window and is cut at its packet size", async () => {
  const { channel, sent, io } = await opened(2500, 1000);
  let done = false;
  const writing = io.write(new Uint8Array(4000)).then(() => done = true);
  const sizes = () => sent.map((p) => new WireReader(p, 5).string().length);
  assert.deepEqual(sizes(), [1000, 1000, 500]);
  await Promise.resolve();
  assert.equal(done, false, "the rest waits for a window adjust");
  channel.packet(new WireWriter().byte(CHANNEL_MSG.WINDOW_ADJUST).u32(0).u32(10_000).bytes());
  await writing;
  assert.deepEqual(sizes(), [1000, 1000, 500, 1000, 500]);
});

Deno.test("the reader gets what came before the server's EOF, then the end", async () => {
  const { channel, io } = await opened();
  channel.packet(data(10));
  channel.packet(data(5));
  channel.batchEnd();
  channel.packet(new WireWriter().byte(CHANNEL_MSG.EOF).u32(0).bytes());
  const chunks: number[] = [];
  for await (const c of io.input) chunks.push(c.length);
  assert.deepEqual(chunks, [15], "one chunk per read of the connection");
});

Deno.test("a refused channel or shell request rejects the open with the server's reason", async () => {
  const channel = new SessionChannel(() => {});
  const open = channel.open();
  channel.packet(
    new WireWriter().byte(CHANNEL_MSG.OPEN_FAILURE).u32(0).u32(1).string("too many sessions")
      .string("").bytes(),
  );
  await assert.rejects(open, /a session channel \(too many sessions\)/);
  const other = new SessionChannel(() => {});
  const shell = other.open();
  other.packet(
    new WireWriter().byte(CHANNEL_MSG.OPEN_CONFIRMATION).u32(0).u32(3).u32(100).u32(100).bytes(),
  );
  other.packet(new WireWriter().byte(CHANNEL_MSG.FAILURE).u32(0).bytes());
  await assert.rejects(shell, /the shell request/);
});

Deno.test("a chunk the reader gives back carries later input; one it keeps is never written again", async () => {
  const { channel, io } = await opened();
  const reader = io.input[Symbol.asyncIterator]();
  const fill = (n: number, byte: number) =>
    new WireWriter().byte(CHANNEL_MSG.DATA).u32(0).string(new Uint8Array(n).fill(byte)).bytes();
  const next = async () => (await reader.next()).value as Uint8Array;
  // Two whole 64 KiB chunks: the second does not fit the first's memory.
  channel.packet(fill(65536, 1));
  channel.batchEnd();
  channel.packet(fill(65536, 2));
  channel.batchEnd();
  const given = await next();
  const kept = await next();
  assert.notEqual(given.buffer, kept.buffer);
  io.recycle(given);
  for (let round = 3; round < 40; round++) {
    channel.packet(fill(65536, round));
    channel.batchEnd();
    const chunk = await next();
    if (round === 3) assert.equal(chunk.buffer, given.buffer, "the given-back memory is reused");
    assert.ok(chunk.every((b) => b === round), `round ${round} arrives intact`);
    io.recycle(chunk);
  }
  assert.ok(kept.every((b) => b === 2), "the kept chunk still holds what it held");
});

Deno.test("a chunk given back while its memory still fills is not reused under the next ones", async () => {
  const { channel, io } = await opened();
  const reader = io.input[Symbol.asyncIterator]();
  const fill = (n: number, byte: number) =>
    new WireWriter().byte(CHANNEL_MSG.DATA).u32(0).string(new Uint8Array(n).fill(byte)).bytes();
  channel.packet(fill(1000, 7));
  channel.batchEnd();
  const first = (await reader.next()).value as Uint8Array;
  io.recycle(first);
  io.recycle(first); // a second give-back of the same chunk changes nothing
  channel.packet(fill(1000, 8));
  channel.batchEnd();
  const second = (await reader.next()).value as Uint8Array;
  assert.equal(second.buffer, first.buffer);
  assert.equal(second.byteOffset, first.byteOffset + 1000, "appended after it, not over it");
  channel.packet(fill(65536, 9)); // does not fit: a new chunk's memory
  channel.batchEnd();
  const third = (await reader.next()).value as Uint8Array;
  assert.notEqual(third.buffer, second.buffer, "memory with a chunk still lent is not reused");
  assert.ok(second.every((b) => b === 8));
  assert.ok(third.every((b) => b === 9));
});
