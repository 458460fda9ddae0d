import assert from "node:assert/strict";
import { concatBytes } from "../bytes.ts";
import { decodeFrame, encodeFrame, FrameError, FrameReader, versionMismatch } from "./frames.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

Deno.test("a frame carries the command base64-encoded after the protocol version", () => {
  // The example exchange of docs/protocol.md#example-exchange.
  assert.equal(
    dec.decode(encodeFrame("cat: /var/log/x regex:noop ")),
    "protocol 4.1 base64 Y2F0OiAvdmFyL2xvZy94IHJlZ2V4Om5vb3Ag;",
  );
  assert.equal(
    decodeFrame("protocol 4.1 base64 LmFjayBjbG9zZSBjb25uZWN0aW9u"),
    ".ack close connection",
  );
});

Deno.test("commands with non-ASCII text survive the frame round trip", () => {
  const text = "grep: /var/log/ü.log regex:default,literal €uro";
  const frame = dec.decode(encodeFrame(text));
  assert.equal(decodeFrame(frame.slice(0, -1)), text);
});

Deno.test("frames without the protocol prefix, with bad base64 or extra tokens are refused", () => {
  assert.throws(() => decodeFrame("hello"), /unable to determine protocol version/);
  assert.throws(() => decodeFrame("protocol 4.1 base64 !!!"), /unable to decode client message/);
  assert.throws(() => decodeFrame("protocol 4.1 base64 YQ== extra"), /unable to decode/);
  assert.throws(() => decodeFrame("protocol 4.1 plain abc"), FrameError);
});

Deno.test("a version mismatch names who should update", () => {
  assert.throws(() => decodeFrame("protocol 5 base64 YQ=="), /please update DTail server/);
  assert.throws(() => decodeFrame("protocol 4 base64 YQ=="), /please update DTail client/);
  assert.throws(() => decodeFrame("protocol 0 base64 YQ=="), /please update DTail client/);
  assert.ok(versionMismatch("3.2").endsWith("\n"), "old clients split on newlines");
  assert.ok(!versionMismatch("4.0").endsWith("\n"));
});

Deno.test("the frame reader splits at semicolons across reads and keeps partial frames", () => {
  const r = new FrameReader(1024);
  const stream = enc.encode("protocol 4.1 base64 YQ==;protocol 4.1 base64 Yg==;proto");
  assert.deepEqual(r.push(stream.subarray(0, 10)), []);
  assert.deepEqual(r.push(stream.subarray(10)), [
    "protocol 4.1 base64 YQ==",
    "protocol 4.1 base64 Yg==",
  ]);
  assert.deepEqual(r.push(enc.encode("col 4.1 base64 Yw==;")), ["protocol 4.1 base64 Yw=="]);
});

Deno.test("the frame reader refuses frames larger than the limit, even unfinished ones", () => {
  assert.throws(() => new FrameReader(16).push(enc.encode("x".repeat(17) + ";")), /larger than 16/);
  assert.throws(() => new FrameReader(16).push(enc.encode("x".repeat(17))), /larger than 16/);
});

Deno.test("frames split across reads at every position decode the same", () => {
  const stream = concatBytes(
    encodeFrame("cat: /var/log/a regex:noop "),
    enc.encode(";;"),
    encodeFrame("grep:quiet=true /x regex:default ü€"),
    enc.encode("protocol 4.1 base64 \xff\x80;"),
  );
  const whole = new FrameReader(1024).push(stream);
  assert.equal(whole.length, 5);
  for (let a = 0; a <= stream.length; a++) {
    for (const b of [a, Math.min(stream.length, a + 1), Math.min(stream.length, a + 7)]) {
      const r = new FrameReader(1024);
      const got = [
        ...r.push(stream.subarray(0, a)),
        ...r.push(stream.subarray(a, b)),
        ...r.push(stream.subarray(b)),
      ];
      assert.deepEqual(got, whole, `split at ${a} and ${b}`);
    }
  }
  const byByte = new FrameReader(1024);
  assert.deepEqual(
    stream.reduce((got, _, i) => {
      got.push(...byByte.push(stream.subarray(i, i + 1)));
      return got;
    }, [] as string[]),
    whole,
  );
});

Deno.test("a frame arriving one byte per read costs linear time", () => {
  const size = 400_000;
  const r = new FrameReader(size + 100);
  const data = enc.encode("protocol 4.1 base64 " + "QUFB".repeat(size / 4));
  const started = performance.now();
  for (let i = 0; i < data.length - 20; i++) assert.deepEqual(r.push(data.subarray(i, i + 1)), []);
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `400 KB in 1-byte reads took ${ms.toFixed(0)} ms`);
  // The frame still completes: the bytes were kept.
  const rest = r.push(concatBytes(data.subarray(data.length - 20), enc.encode(";")));
  assert.equal(rest.length, 1);
  assert.equal(rest[0]!.length, data.length);
});

Deno.test("an oversize frame throws as soon as it passes the limit, buffering no more", () => {
  const r = new FrameReader(100);
  for (let i = 0; i < 100; i++) r.push(enc.encode("x"));
  assert.throws(() => r.push(enc.encode("x")), /command frame larger than 100 bytes/);
  // In one read: the complete frames before it do not save it; exactly the limit is fine.
  assert.deepEqual(new FrameReader(4).push(enc.encode("abcd;")), ["abcd"]);
  assert.throws(() => new FrameReader(4).push(enc.encode("ab;abcde")), FrameError);
  assert.throws(() => new FrameReader(4).push(enc.encode("ab;abcde;")), FrameError);
  // A 1 GB stream with no ";" is refused after the limit, whatever the read sizes.
  const big = new FrameReader(1 << 20);
  const chunk = new Uint8Array(64 * 1024).fill(0x41);
  let pushed = 0;
  assert.throws(() => {
    for (; pushed < 1 << 30; pushed += chunk.length) big.push(chunk);
  }, FrameError);
  assert.ok(pushed <= 1 << 20, `read ${pushed} bytes before refusing`);
});
