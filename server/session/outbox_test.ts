import assert from "node:assert/strict";
import { MessageBounds, Outbox, SessionClosedError } from "./outbox.ts";
import { blockHeader } from "../../core/protocol/blocks.ts";

Deno.test("the backlog counts bytes the channel has not taken yet, large pieces included", async () => {
  const accepted: number[] = [];
  let release: () => void = () => {};
  const outbox = new Outbox(
    {
      write: (bytes) =>
        new Promise<void>((resolve) => {
          release = () => {
            accepted.push(bytes.length);
            resolve();
          };
        }),
    },
    undefined,
    1024,
  );
  outbox.out.bytes(new Uint8Array(100));
  assert.equal(outbox.backlog, 100);
  outbox.out.flush();
  outbox.out.bytes(new Uint8Array(4096)); // bypasses the 1 KiB buffer
  assert.equal(outbox.backlog, 4196, "a piece handed straight to the channel still counts");
  const flushed = outbox.flush();
  await new Promise((r) => setTimeout(r, 0));
  release(); // the channel takes the first write (100 B)
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(outbox.backlog, 4096);
  release();
  await flushed;
  assert.equal(outbox.backlog, 0);
  assert.deepEqual(accepted, [100, 4096]);
});

Deno.test("a flush stuck on a channel that takes nothing fails at once when the session ends", async () => {
  const gone = new AbortController();
  const outbox = new Outbox({ write: () => new Promise<void>(() => {}) }, gone.signal);
  outbox.out.bytes(new Uint8Array(10));
  const flushed = outbox.flush();
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(outbox.stalledMs() >= 15, "output waits without progress");
  gone.abort();
  await assert.rejects(flushed, SessionClosedError);
  await assert.rejects(outbox.flush(), SessionClosedError);
  outbox.out.bytes(new Uint8Array(10));
  outbox.out.flush();
  assert.equal(outbox.backlog, 10, "nothing more is queued for the dead channel");
});

Deno.test("stalledMs is 0 while nothing waits and counts from when output started waiting", async () => {
  let release: () => void = () => {};
  const outbox = new Outbox({ write: () => new Promise<void>((r) => (release = r)) });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(outbox.stalledMs(), 0);
  outbox.out.bytes(new Uint8Array(10));
  outbox.out.flush();
  assert.ok(outbox.stalledMs() < 20, "an idle session before the output is no stall");
  await new Promise((r) => setTimeout(r, 0));
  release();
  await outbox.flush();
  assert.equal(outbox.stalledMs(), 0);
});

Deno.test("once a newer generation started, what older ones queued is dropped", async () => {
  const sent: string[] = [];
  const waiting: (() => void)[] = [];
  const outbox = new Outbox({
    write: (bytes) =>
      new Promise<void>((resolve) =>
        waiting.push(() => {
          sent.push(new TextDecoder().decode(bytes));
          resolve();
        })
      ),
  });
  const write = (generation: number, text: string) => {
    outbox.tag(generation);
    outbox.out.string(text);
    outbox.out.flush();
  };
  write(1, "taken by the channel\u00ac");
  await new Promise((r) => setTimeout(r, 0)); // the channel took it (its write has not ended)
  write(1, "queued\u00ac");
  write(0, "no generation\u00ac");
  outbox.startGeneration(2);
  assert.ok(outbox.isStale(1) && !outbox.isStale(0) && !outbox.isStale(2));
  write(0, "ack\u00ac");
  write(1, "late\u00ac");
  write(2, "new\u00ac");
  const flushed = outbox.flush();
  while (waiting.length > 0 || sent.length === 0) {
    waiting.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  }
  await flushed;
  assert.deepEqual(sent, [
    "taken by the channel\u00ac",
    "no generation\u00ac",
    "ack\u00ac",
    "new\u00ac",
  ]);
  assert.equal(outbox.backlog, 0);
});

const enc = (text: string) => new TextEncoder().encode(text);
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

Deno.test("message bounds are found across pieces, in text and in raw blocks holding 0xAC", () => {
  const raw = join(enc("a line\n"), new Uint8Array([0xac, 0x41, 0x0a]));
  const stream = join(
    enc("REMOTE|h|1\u00ac"),
    blockHeader(raw.length),
    raw,
    new Uint8Array([0xac]),
    new Uint8Array([0xab, 0x03]),
    enc("note\u00ac"),
  ).map((b) => (b === 0xc2 ? 0x20 : b)); // "\u00ac" encodes as C2 AC: keep the AC
  // Every split of the stream into two pieces: the first message ends where it ends.
  const ends: number[] = [];
  for (let i = 0; i < stream.length; i++) if (stream[i] === 0xac) ends.push(i + 1);
  const messageEnds = [ends[0]!, ends[0]! + 10 + raw.length + 1, stream.length];
  for (let cut = 1; cut < stream.length; cut++) {
    const bounds = new MessageBounds();
    assert.equal(bounds.feed(stream.subarray(0, cut)), 0);
    const inMessage = !messageEnds.includes(cut);
    assert.equal(bounds.inMessage, inMessage, `cut at ${cut}`);
    const finish = bounds.feed(stream.subarray(cut));
    const next = messageEnds.find((e) => e > cut)!;
    assert.equal(finish, inMessage ? next - cut : 0, `cut at ${cut}`);
    assert.equal(bounds.inMessage, false);
  }
});

Deno.test("a newer generation drops what is queued, but finishes a message the channel began", async () => {
  const taken: Uint8Array[] = [];
  let release: () => void = () => {};
  const outbox = new Outbox(
    {
      write: (bytes) =>
        new Promise<void>((resolve) => {
          taken.push(bytes.slice());
          release = resolve;
        }),
    },
    undefined,
    16,
  );
  outbox.tag(1);
  outbox.out.string("0123456789|old "); // fits the 16-byte buffer
  outbox.out.string("message one\u00acold two\u00ac"); // does not: the buffer goes out, torn
  outbox.out.flush();
  await new Promise((r) => setTimeout(r, 0));
  outbox.startGeneration(2);
  outbox.tag(0);
  outbox.out.string("ack\u00ac");
  outbox.tag(2);
  outbox.out.string("new\u00ac");
  const flushed = outbox.flush();
  for (let i = 0; i < 10; i++) {
    release();
    await new Promise((r) => setTimeout(r, 0));
  }
  await flushed;
  const text = new TextDecoder().decode(join(...taken));
  assert.equal(text, "0123456789|old message one\u00acack\u00acnew\u00ac");
});

Deno.test("pieces the channel has taken carry later output; pieces it still holds stay intact", async () => {
  const held: { bytes: Uint8Array; copy: Uint8Array; taken?: () => void }[] = [];
  const outbox = new Outbox(
    {
      write: (bytes, taken) => {
        held.push({ bytes, copy: bytes.slice(), ...(taken ? { taken } : {}) });
        return Promise.resolve();
      },
    },
    undefined,
    1024,
  );
  const piece = (n: number) => new Uint8Array(20_000).fill(n);
  for (let i = 1; i <= 4; i++) outbox.out.bytes(piece(i)); // each bypasses the 1 KiB buffer
  await outbox.flush();
  assert.equal(held.length, 4);
  assert.ok(held.every((h) => h.taken !== undefined), "large pieces can be given back");
  held[1]!.taken!();
  held[1]!.taken!(); // once is what counts
  outbox.out.bytes(piece(5));
  outbox.out.bytes(piece(6));
  await outbox.flush();
  assert.equal(held[4]!.bytes.buffer, held[1]!.bytes.buffer, "the taken piece's memory is reused");
  assert.notEqual(held[5]!.bytes.buffer, held[1]!.bytes.buffer, "and only once");
  for (const [i, h] of held.entries()) {
    if (i === 1) continue;
    assert.deepEqual(h.bytes, h.copy, `piece ${i + 1} is what was written`);
  }
});

Deno.test("a large piece takes what was buffered before it along, as one write in order", async () => {
  const writes: Uint8Array[] = [];
  const outbox = new Outbox(
    { write: (bytes) => (writes.push(bytes.slice()), Promise.resolve()) },
    undefined,
    1024,
  );
  const header = blockHeader(30_000);
  const body = new Uint8Array(30_000).fill(66);
  outbox.out.bytes(header);
  outbox.out.bytes(body);
  outbox.out.byte(0xac);
  await outbox.flush();
  assert.deepEqual(writes.map((w) => w.length), [header.length + body.length, 1]);
  assert.deepEqual(writes[0]!.subarray(0, header.length), header);
  assert.ok(writes[0]!.subarray(header.length).every((b) => b === 66));
  assert.equal(outbox.backlog, 0);
});

Deno.test("a full buffer goes to the channel as it is, and output goes on in another", async () => {
  const held: { bytes: Uint8Array; copy: Uint8Array; taken?: () => void }[] = [];
  const size = 32 * 1024;
  const outbox = new Outbox(
    {
      write: (bytes, taken) => {
        held.push({ bytes, copy: bytes.slice(), ...(taken ? { taken } : {}) });
        return Promise.resolve();
      },
    },
    undefined,
    size,
  );
  for (let i = 0; i < 100; i++) outbox.out.bytes(new Uint8Array(1000).fill(i));
  await outbox.flush();
  assert.deepEqual(held.map((h) => h.bytes.length), [32_000, 32_000, 32_000, 4_000]);
  assert.ok(held.slice(0, 3).every((h) => h.bytes.buffer.byteLength === size && h.taken));
  assert.notEqual(held[0]!.bytes.buffer, held[1]!.bytes.buffer, "each its own buffer");
  for (let i = 100; i < 140; i++) outbox.out.bytes(new Uint8Array(1000).fill(i));
  await outbox.flush();
  for (const [i, h] of held.entries()) {
    assert.deepEqual(h.bytes, h.copy, `piece ${i + 1} was not written over while held`);
  }
  const all = held.flatMap((h) => [...h.bytes]);
  assert.equal(all.length, 140_000);
  assert.ok(all.every((b, i) => b === Math.floor(i / 1000)), "everything in order");
});

Deno.test("a raw block of a whole 1 MiB read goes out in reused memory, header and all", async () => {
  const held: { bytes: Uint8Array; taken?: () => void }[] = [];
  const outbox = new Outbox(
    {
      write: (bytes, taken) => {
        held.push({ bytes, ...(taken ? { taken } : {}) });
        return Promise.resolve();
      },
    },
    undefined,
    256 * 1024,
  );
  const block = (n: number) => {
    const body = new Uint8Array(1 << 20).fill(n);
    outbox.out.bytes(blockHeader(body.length));
    outbox.out.bytes(body);
    outbox.out.byte(0xac);
  };
  block(1);
  await outbox.flush();
  const first = held[0]!;
  assert.equal(first.bytes.length, blockHeader(1).length + (1 << 20));
  assert.ok(first.taken, "it can be given back");
  first.taken!();
  block(2);
  await outbox.flush();
  const second = held.find((h, i) => i > 0 && h.bytes.length === first.bytes.length)!;
  assert.equal(second.bytes.buffer, first.bytes.buffer, "the given-back memory carries the next");
  assert.ok(second.bytes.subarray(blockHeader(1).length).every((b) => b === 2));
});
