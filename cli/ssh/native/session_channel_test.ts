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
