import assert from "node:assert/strict";
import { canCreateUsers, testUser } from "./_test_permissions.ts";
import { libc } from "./libc.ts";
import {
  groupName,
  lookupUser,
  lookupUserFfi,
  lookupUserFromFiles,
  lookupUserUncached,
  setUserCacheTtl,
  userName,
} from "./user_lookup.ts";

const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh",
  "broken:x:notanumber:1:::",
].join("\n");
const GROUP = [
  "root:x:0:",
  "alice:x:1000:",
  "adm:x:4:syslog,alice",
  "staff:x:50:bob",
  "aliceagain:x:1000:alice",
].join("\n");

function sorted(groups: number[]): number[] {
  return [...groups].sort((a, b) => a - b);
}

Deno.test("lookupUserFromFiles reads uid, gid, home and every group listing the user", () => {
  assert.deepEqual(lookupUserFromFiles("alice", PASSWD, GROUP), {
    name: "alice",
    uid: 1000,
    gid: 1000,
    groups: [1000, 4],
    home: "/home/alice",
  });
});

Deno.test("lookupUserFromFiles returns null for an unknown or malformed entry", () => {
  assert.equal(lookupUserFromFiles("nobody-here", PASSWD, GROUP), null);
  assert.equal(lookupUserFromFiles("broken", PASSWD, GROUP), null);
  assert.equal(lookupUserFromFiles("", PASSWD, GROUP), null);
});

Deno.test("lookupUser finds root with uid 0, gid 0 and home /root", () => {
  const root = lookupUser("root");
  assert.ok(root);
  assert.equal(root.uid, 0);
  assert.equal(root.gid, 0);
  assert.ok(root.groups.includes(0));
  assert.equal(root.home, "/root");
});

Deno.test("lookupUser returns null for unknown, empty and NUL-containing names", () => {
  assert.equal(lookupUser("no-such-user-dtail-xyz"), null);
  assert.equal(lookupUser(""), null);
  assert.equal(lookupUser("root\0x"), null);
});

Deno.test("lookupUser caches its answer", () => {
  assert.equal(lookupUser("root"), lookupUser("root"));
});

Deno.test("setUserCacheTtl sets how long lookupUser keeps an answer; 0 turns the cache off", async () => {
  try {
    setUserCacheTtl(0);
    assert.notEqual(lookupUser("root"), lookupUser("root")); // looked up again each time
    assert.deepEqual(lookupUser("root"), lookupUser("root"));
    setUserCacheTtl(0.2);
    const first = lookupUser("root");
    assert.equal(lookupUser("root"), first);
    await new Promise((r) => setTimeout(r, 250));
    assert.notEqual(lookupUser("root"), first); // expired: a fresh lookup
    assert.throws(() => setUserCacheTtl(-1), RangeError);
  } finally {
    setUserCacheTtl(5); // the Server.UserCacheTTLSeconds default
  }
});

Deno.test("userName and groupName name ids and fall back to the number", () => {
  assert.equal(userName(0), "root");
  assert.equal(groupName(0), "root");
  assert.equal(userName(3_999_999_999), "3999999999");
  assert.equal(groupName(3_999_999_999), "3999999999");
});

Deno.test({
  name: "the FFI lookup agrees with /etc/passwd and /etc/group for every local account",
  ignore: libc() === null, // needs --allow-ffi and glibc
  fn() {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const name = line.split(":")[0];
      if (!name) continue;
      const viaFfi = lookupUserFfi(name);
      const viaFiles = lookupUserFromFiles(name);
      assert.ok(viaFfi && viaFiles, name);
      assert.deepEqual(
        { ...viaFfi, groups: sorted(viaFfi.groups) },
        { ...viaFiles, groups: sorted(viaFiles.groups) },
      );
    }
  },
});

Deno.test({
  name: "the test users have the groups the permission tests rely on",
  ignore: !canCreateUsers, // creating the users needs root
  fn() {
    const groups = (name: string) => sorted(testUser(name).groups);
    const gid = (group: string) => {
      const line = Deno.readTextFileSync("/etc/group").split("\n").find((l) =>
        l.startsWith(`${group}:`)
      );
      return Number(line?.split(":")[2]);
    };
    assert.deepEqual(groups("dtail-alice"), sorted([testUser("dtail-alice").gid, gid("dtailgrp")]));
    assert.deepEqual(groups("dtail-bob"), sorted([testUser("dtail-bob").gid, gid("dtailacl")]));
    assert.deepEqual(groups("dtail-carol"), [testUser("dtail-carol").gid]);
    assert.equal(testUser("dtail-srv").home, "/home/dtail-srv");
    assert.deepEqual(lookupUserUncached("dtail-alice"), testUser("dtail-alice"));
  },
});
