import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { AuthKeyStore } from "./auth_key_store.ts";
import {
  AuthorizedKeys,
  isSafeUserName,
  parseAuthorizedKeys,
  passwdHome,
} from "./authorized_keys.ts";
import { genKey } from "../ssh/_test_ssh.ts";

const blobOf = (pub: string) => new Uint8Array(Buffer.from(pub.split(" ")[1]!, "base64"));

async function tree(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "authkeys_test_" });
  await Deno.mkdir(`${dir}/cache`);
  await Deno.mkdir(`${dir}/home/alice/.ssh`, { recursive: true });
  return dir;
}

const noHome = () => Promise.resolve(null);

Deno.test("authorized_keys lines skip options, comments and unparsable lines", () => {
  const a = genKey().public;
  const b = genKey().public;
  const text = [
    "# comment",
    "",
    `${a} alice@laptop`,
    "ssh-ed25519 not-base64!!",
    "garbage line",
    `from="10.0.0.1,10.0.0.2",command="echo a b" ${b} with comment`,
  ].join("\n");
  const keys = parseAuthorizedKeys(text);
  assert.equal(keys.length, 2);
  assert.deepEqual(new Uint8Array(keys[1]!.getPublicSSH()), blobOf(b));
});

Deno.test("user names that could form a path are refused", () => {
  assert.equal(isSafeUserName("alice"), true);
  assert.equal(isSafeUserName("DTAIL-HEALTH"), true);
  assert.equal(isSafeUserName("build$"), true);
  for (const bad of ["", "..", "../etc/x", "a/b", ".hidden", "a b", "a\0b"]) {
    assert.equal(isSafeUserName(bad), false, bad);
  }
});

Deno.test("the CacheDir file is used when it exists, relative to the server's CWD", async () => {
  const dir = await tree();
  const key = genKey().public;
  await Deno.writeTextFile(`${dir}/cache/alice.authorized_keys`, key + "\n");
  const keys = new AuthorizedKeys({ cacheDir: "cache", cwd: dir, homeOf: noHome });
  assert.notEqual((await keys.find("alice", blobOf(key))).key, null);
  assert.equal((await keys.find("alice", blobOf(genKey().public))).key, null);
  assert.equal((await keys.find("bob", blobOf(key))).key, null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("without a CacheDir file the home directory's authorized_keys is used", async () => {
  const dir = await tree();
  const key = genKey().public;
  await Deno.writeTextFile(`${dir}/home/alice/.ssh/authorized_keys`, key + "\n");
  const keys = new AuthorizedKeys({
    cacheDir: `${dir}/cache`,
    homeOf: (u) => Promise.resolve(u === "alice" ? `${dir}/home/alice` : null),
  });
  assert.notEqual((await keys.find("alice", blobOf(key))).key, null);
  // Once a CacheDir file exists it is the only one read.
  await Deno.writeTextFile(`${dir}/cache/alice.authorized_keys`, genKey().public + "\n");
  assert.equal((await keys.find("alice", blobOf(key))).key, null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the AUTHKEY store is consulted first", async () => {
  const dir = await tree();
  const key = genKey().public;
  const store = new AuthKeyStore({ ttlSeconds: 60, maxPerUser: 5 });
  const keys = new AuthorizedKeys({ cacheDir: "cache", cwd: dir, store, homeOf: noHome });
  assert.equal((await keys.find("alice", blobOf(key))).key, null);
  store.add("alice", blobOf(key));
  assert.equal((await keys.find("alice", blobOf(key))).why, "AUTHKEY store");
  assert.equal((await keys.find("bob", blobOf(key))).key, null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a symlink leading outside the expected directory is refused", async () => {
  const dir = await tree();
  const key = genKey().public;
  await Deno.writeTextFile(`${dir}/outside.keys`, key + "\n");
  await Deno.symlink(`${dir}/outside.keys`, `${dir}/cache/alice.authorized_keys`);
  await Deno.writeTextFile(`${dir}/cache/real.keys`, key + "\n");
  await Deno.symlink(`${dir}/cache/real.keys`, `${dir}/cache/bob.authorized_keys`);
  const keys = new AuthorizedKeys({ cacheDir: "cache", cwd: dir, homeOf: noHome });
  const refused = await keys.find("alice", blobOf(key));
  assert.equal(refused.key, null);
  assert.match(refused.why, /symlink/);
  assert.notEqual((await keys.find("bob", blobOf(key))).key, null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("integration mode authorizes ./id_rsa.pub for every user", async () => {
  const dir = await tree();
  const key = genKey().public;
  await Deno.writeTextFile(`${dir}/id_rsa.pub`, key + "\n");
  const keys = new AuthorizedKeys({ cacheDir: "cache", cwd: dir, integrationMode: true });
  assert.notEqual((await keys.find("anyone", blobOf(key))).key, null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("home directories come from the passwd file", async () => {
  const dir = await tree();
  await Deno.writeTextFile(
    `${dir}/passwd`,
    "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n",
  );
  assert.equal(await passwdHome("alice", `${dir}/passwd`), "/home/alice");
  assert.equal(await passwdHome("bob", `${dir}/passwd`), null);
  assert.equal(await passwdHome("alice", `${dir}/missing`), null);
  await Deno.remove(dir, { recursive: true });
});
