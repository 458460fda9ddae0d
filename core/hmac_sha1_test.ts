import assert from "node:assert/strict";
import { Rng } from "../tests/fuzz/mutate.ts";
import { createHash, createHmac } from "node:crypto";
import { hmacSha1, sha1 } from "./hmac_sha1.ts";

const text = (s: string) => new TextEncoder().encode(s);
const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

/** A seeded generator (the fuzzers' Rng), so that a failure can be replayed. */
function rng(seed: number): () => number {
  const generator = new Rng(seed);
  return () => generator.next();
}

function randomBytes(next: () => number, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => Math.floor(next() * 256));
}

Deno.test("sha1 gives the FIPS 180 example digests", () => {
  assert.equal(hex(sha1(text(""))), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  assert.equal(hex(sha1(text("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d");
  assert.equal(
    hex(sha1(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
  assert.equal(
    hex(sha1(new Uint8Array(1_000_000).fill(0x61))),
    "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
  );
});

Deno.test("sha1 agrees with node:crypto at every length around the block boundaries", () => {
  const next = rng(1);
  for (let length = 0; length <= 200; length++) {
    const data = randomBytes(next, length);
    assert.equal(hex(sha1(data)), createHash("sha1").update(data).digest("hex"), `${length}`);
  }
});

Deno.test("sha1 reads only the view it is given, not the rest of its buffer", () => {
  const whole = text("xxabcyy");
  assert.equal(hex(sha1(whole.subarray(2, 5))), "a9993e364706816aba3e25717850c26c9cd0d89d");
});

Deno.test("hmacSha1 gives the RFC 2202 test case digests", () => {
  const cases: [Uint8Array, Uint8Array, string][] = [
    [new Uint8Array(20).fill(0x0b), text("Hi There"), "b617318655057264e28bc0b6fb378c8ef146be00"],
    [
      text("Jefe"),
      text("what do ya want for nothing?"),
      "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
    ],
    [
      new Uint8Array(20).fill(0xaa),
      new Uint8Array(50).fill(0xdd),
      "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
    ],
    [
      unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
      new Uint8Array(50).fill(0xcd),
      "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
    ],
    [
      new Uint8Array(20).fill(0x0c),
      text("Test With Truncation"),
      "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
    ],
    [
      new Uint8Array(80).fill(0xaa),
      text("Test Using Larger Than Block-Size Key - Hash Key First"),
      "aa4ae5e15272d00e95705637ce8a3b55ed402112",
    ],
    [
      new Uint8Array(80).fill(0xaa),
      text("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
      "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
    ],
  ];
  for (const [key, message, digest] of cases) assert.equal(hex(hmacSha1(key, message)), digest);
});

Deno.test("hmacSha1 agrees with node:crypto's createHmac on random keys and messages", () => {
  const next = rng(2);
  for (let i = 0; i < 2_000; i++) {
    const key = randomBytes(next, Math.floor(next() * 150));
    const message = randomBytes(next, Math.floor(next() * 300));
    assert.equal(
      hex(hmacSha1(key, message)),
      createHmac("sha1", key).update(message).digest("hex"),
      `key ${hex(key)} message ${hex(message)}`,
    );
  }
});

Deno.test("once compiled, a thousand known_hosts-sized HMACs take well under 25 ms", () => {
  const next = rng(3);
  const salts = Array.from({ length: 1_000 }, () => randomBytes(next, 20));
  const name = text("[web-042.example.com]:2222");
  for (const salt of salts) hmacSha1(salt, name); // warm-up
  const started = performance.now();
  for (const salt of salts) hmacSha1(salt, name);
  const took = performance.now() - started;
  assert.ok(took < 25, `1,000 HMACs took ${took.toFixed(1)} ms`);
});
