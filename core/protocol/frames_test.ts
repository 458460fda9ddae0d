import assert from "node:assert/strict";
import { decodeFrame, encodeFrame, FrameError, FrameReader, versionMismatch } from "./frames.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

Deno.test("a frame carries the command base64-encoded after the protocol version", () => {
  // The example exchange of spec §3.15.
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
