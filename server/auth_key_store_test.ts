import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AuthKeyStore, registerAuthKey } from "./auth_key_store.ts";
import { genKey } from "./_test_ssh.ts";

const blob = (n: number) => new Uint8Array([1, 2, 3, n]);

Deno.test("a registered key lives for the TTL and is then pruned", () => {
  let now = 0;
  const store = new AuthKeyStore({ ttlSeconds: 10, maxPerUser: 5, now: () => now });
  store.add("alice", blob(1));
  now = 9_999;
  assert.equal(store.has("alice", blob(1)), true);
  assert.equal(store.has("bob", blob(1)), false);
  now = 10_000;
  assert.equal(store.has("alice", blob(1)), false);
  assert.deepEqual(store.keys("alice"), []);
});

Deno.test("registering a key again refreshes its TTL", () => {
  let now = 0;
  const store = new AuthKeyStore({ ttlSeconds: 10, maxPerUser: 5, now: () => now });
  store.add("alice", blob(1));
  now = 8_000;
  store.add("alice", blob(1));
  now = 15_000;
  assert.equal(store.has("alice", blob(1)), true);
  assert.equal(store.keys("alice").length, 1);
});

Deno.test("beyond AuthKeyMaxPerUser the oldest registration is dropped", () => {
  let now = 0;
  const store = new AuthKeyStore({ ttlSeconds: 100, maxPerUser: 2, now: () => now });
  store.add("alice", blob(1));
  now = 1;
  store.add("alice", blob(2));
  now = 2;
  store.add("alice", blob(1)); // refreshed: now the newest
  store.add("alice", blob(3));
  assert.deepEqual(store.keys("alice"), [blob(1), blob(3)]);
  store.add("bob", blob(9));
  assert.equal(store.keys("alice").length, 2);
});

Deno.test("AUTHKEY replies follow the Go server's wording", () => {
  const store = new AuthKeyStore({ ttlSeconds: 100, maxPerUser: 5 });
  const pub = genKey().public.split(" ")[1]!;
  assert.equal(registerAuthKey(null, "alice", pub), "AUTHKEY ERR feature disabled");
  assert.equal(registerAuthKey(store, "alice", ""), "AUTHKEY ERR missing public key");
  assert.equal(registerAuthKey(store, "alice", "@@@"), "AUTHKEY ERR invalid base64");
  assert.equal(registerAuthKey(store, "alice", "AAAA"), "AUTHKEY ERR invalid public key");
  assert.equal(registerAuthKey(store, "alice", pub), "AUTHKEY OK");
  assert.equal(store.has("alice", new Uint8Array(Buffer.from(pub, "base64"))), true);
});
