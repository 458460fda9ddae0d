import assert from "node:assert/strict";
import { FNV_OFFSET, FNV_PRIME, KEY_CACHE_ENTRIES, KeyCache } from "./key_cache.ts";

const key = (text: string) => {
  const bytes = new TextEncoder().encode(text);
  let hash = FNV_OFFSET;
  for (const b of bytes) hash = Math.imul(hash ^ b, FNV_PRIME);
  return { bytes, hash };
};

Deno.test("a key cache finds the entries it was given, by bytes, with their texts", () => {
  const cache = new KeyCache(2);
  const a = key("web01|8");
  const b = key("web02|8");
  assert.equal(cache.find(a.bytes, a.bytes.length, a.hash), -1);
  const ea = cache.add(a.bytes, a.bytes.length, a.hash, 7, ["web01", "8"]);
  const eb = cache.add(b.bytes, b.bytes.length, b.hash, 9, ["web02", undefined]);
  assert.equal(cache.find(a.bytes, a.bytes.length, a.hash), ea);
  assert.equal(cache.group(cache.find(b.bytes, b.bytes.length, b.hash)), 9);
  assert.equal(cache.text(ea, 0), "web01");
  assert.equal(cache.text(eb, 1), undefined);
  assert.equal(cache.find(a.bytes, 5, a.hash), -1, "a prefix is another key");
});

Deno.test("keys with the same hash are told apart by their bytes", () => {
  const cache = new KeyCache(1);
  const a = key("x");
  const b = key("y");
  cache.add(a.bytes, 1, 42, 1, ["x"]);
  cache.add(b.bytes, 1, 42, 2, ["y"]);
  assert.equal(cache.group(cache.find(b.bytes, 1, 42)), 2);
  assert.equal(cache.group(cache.find(a.bytes, 1, 42)), 1);
});

Deno.test("a key cache that grows past its first room still finds every key, with its text", () => {
  const cache = new KeyCache(1);
  const count = 5000; // past several doublings from the first 256 entries
  const entries: number[] = [];
  for (let i = 0; i < count; i++) {
    const k = key(`host-${i}`);
    entries.push(cache.add(k.bytes, k.bytes.length, k.hash, i * 3, [`host-${i}`]));
  }
  for (let i = 0; i < count; i++) {
    const k = key(`host-${i}`);
    const e = cache.find(k.bytes, k.bytes.length, k.hash);
    assert.equal(e, entries[i]);
    assert.equal(cache.group(e), i * 3);
    assert.equal(cache.text(e, 0), `host-${i}`);
  }
  const absent = key("host-5000");
  assert.equal(cache.find(absent.bytes, absent.bytes.length, absent.hash), -1);
});

Deno.test("a full key cache starts over and a cleared one forgets every key", () => {
  const cache = new KeyCache(1);
  const first = key("k0");
  for (let i = 0; i < KEY_CACHE_ENTRIES; i++) {
    const k = key(`k${i}`);
    cache.add(k.bytes, k.bytes.length, k.hash, i, [`k${i}`]);
  }
  assert.equal(cache.group(cache.find(first.bytes, first.bytes.length, first.hash)), 0);
  const next = key("next");
  cache.add(next.bytes, next.bytes.length, next.hash, 1, ["next"]);
  assert.equal(cache.find(first.bytes, first.bytes.length, first.hash), -1);
  assert.equal(cache.group(cache.find(next.bytes, next.bytes.length, next.hash)), 1);
  cache.clear();
  assert.equal(cache.find(next.bytes, next.bytes.length, next.hash), -1);
});
