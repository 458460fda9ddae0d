import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AUTHKEY_NOT_REFRESHED, AuthKeyStore, registerAuthKey } from "./auth_key_store.ts";
import type { AuthSource, SessionAuth } from "../ssh/ssh_auth.ts";
import { genKey } from "../ssh/_test_ssh.ts";

const blob = (n: number) => new Uint8Array([1, 2, 3, n]);
const login = (source: AuthSource, at = Date.now()): SessionAuth => ({ source, at });
const viaFile = login("authorized_keys");

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
  assert.equal(registerAuthKey(null, "alice", pub, viaFile), "AUTHKEY ERR feature disabled");
  assert.equal(registerAuthKey(store, "alice", "", viaFile), "AUTHKEY ERR missing public key");
  assert.equal(registerAuthKey(store, "alice", "@@@", viaFile), "AUTHKEY ERR invalid base64");
  assert.equal(
    registerAuthKey(store, "alice", "AAAA", viaFile),
    "AUTHKEY ERR invalid public key",
  );
  assert.equal(registerAuthKey(store, "alice", pub, viaFile), "AUTHKEY OK");
  assert.equal(store.has("alice", new Uint8Array(Buffer.from(pub, "base64"))), true);
});

Deno.test("only a session that logged in through authorized_keys registers a key", () => {
  const store = new AuthKeyStore({ ttlSeconds: 100, maxPerUser: 5 });
  const pub = genKey().public.split(" ")[1]!;
  const key = new Uint8Array(Buffer.from(pub, "base64"));
  for (const source of ["authkey_store", "password"] as const) {
    assert.equal(registerAuthKey(store, "alice", pub, login(source)), AUTHKEY_NOT_REFRESHED);
    assert.equal(store.has("alice", key), false, source);
  }
  assert.match(AUTHKEY_NOT_REFRESHED, /^AUTHKEY ERR /); // our client hides AUTHKEY ERR replies
});

Deno.test("an AUTHKEY after a store login does not extend the key (item 10)", () => {
  let now = 0;
  const store = new AuthKeyStore({ ttlSeconds: 10, maxPerUser: 5, now: () => now });
  const pub = genKey().public.split(" ")[1]!;
  const key = new Uint8Array(Buffer.from(pub, "base64"));
  assert.equal(registerAuthKey(store, "alice", pub, login("authorized_keys", 0)), "AUTHKEY OK");
  now = 8_000; // the key was removed from authorized_keys; this login came through the store
  // "OK" as the Go dserver says (the key is registered), but the store is left as it is.
  assert.equal(registerAuthKey(store, "alice", pub, login("authkey_store", 8_000)), "AUTHKEY OK");
  now = 9_999;
  assert.equal(store.has("alice", key), true);
  now = 10_000;
  assert.equal(store.has("alice", key), false);
});

Deno.test("a registration counts from the login that authorized it, not from the AUTHKEY", () => {
  let now = 0;
  const store = new AuthKeyStore({ ttlSeconds: 10, maxPerUser: 5, now: () => now });
  now = 8_000; // a long session sends AUTHKEY 8 s after its authorized_keys login
  store.add("alice", blob(1), 0);
  now = 9_999;
  assert.equal(store.has("alice", blob(1)), true);
  now = 10_000;
  assert.equal(store.has("alice", blob(1)), false);
  store.add("alice", blob(2), 10_000);
  store.add("alice", blob(2), 5_000); // an older session's AUTHKEY never shortens it
  now = 19_999;
  assert.equal(store.has("alice", blob(2)), true);
  now = 20_000;
  store.add("alice", blob(3), 50_000); // a login time in the future counts as now
  now = 29_999;
  assert.equal(store.has("alice", blob(3)), true);
  now = 30_000;
  assert.equal(store.has("alice", blob(3)), false);
});
