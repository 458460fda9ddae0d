import assert from "node:assert/strict";
import { run, withTempDir } from "./_test_permissions.ts";
import {
  type AclEntry,
  AclError,
  decodeAcl,
  formatAcl,
  parseGetfacl,
  readAcl,
  readAclFfi,
  readAclGetfacl,
} from "./acl.ts";
import { libc } from "./libc.ts";

function blob(version: number, entries: [number, number, number][]): Uint8Array {
  const bytes = new Uint8Array(4 + 8 * entries.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, version, true);
  entries.forEach(([tag, perm, id], i) => {
    view.setUint16(4 + 8 * i, tag, true);
    view.setUint16(6 + 8 * i, perm, true);
    view.setUint32(8 + 8 * i, id, true);
  });
  return bytes;
}

const UNDEFINED_ID = 0xffffffff;

Deno.test("decodeAcl reads the version 2 xattr layout", () => {
  const entries = decodeAcl(blob(2, [
    [1, 6, UNDEFINED_ID],
    [2, 4, 1003],
    [4, 4, UNDEFINED_ID],
    [8, 5, 1002],
    [16, 4, UNDEFINED_ID],
    [32, 0, UNDEFINED_ID],
  ]));
  assert.deepEqual(entries, [
    { tag: "user_obj", perm: 6, id: null },
    { tag: "user", perm: 4, id: 1003 },
    { tag: "group_obj", perm: 4, id: null },
    { tag: "group", perm: 5, id: 1002 },
    { tag: "mask", perm: 4, id: null },
    { tag: "other", perm: 0, id: null },
  ]);
  assert.equal(
    formatAcl(entries),
    "user::rw-,user:1003:r--,group::r--,group:1002:r-x,mask::r--,other::---",
  );
});

Deno.test("decodeAcl rejects a wrong version, a ragged length and an unknown tag", () => {
  assert.throws(() => decodeAcl(blob(1, [[1, 6, 0]])), AclError);
  assert.throws(() => decodeAcl(blob(2, [[1, 6, 0]]).subarray(0, 10)), AclError);
  assert.throws(() => decodeAcl(blob(2, [[64, 6, 0]])), AclError);
});

Deno.test("parseGetfacl reads access entries and skips comments and default entries", () => {
  const text = [
    "user::rw-",
    "user:1003:r--\t#effective:---",
    "group::r--",
    "mask::---",
    "other::r--",
    "default:user::rwx",
    "",
  ].join("\n");
  assert.deepEqual(parseGetfacl(text), [
    { tag: "user_obj", perm: 6, id: null },
    { tag: "user", perm: 4, id: 1003 },
    { tag: "group_obj", perm: 4, id: null },
    { tag: "mask", perm: 0, id: null },
    { tag: "other", perm: 4, id: null },
  ]);
  assert.throws(() => parseGetfacl("nonsense"), AclError);
});

/** Each case: setfacl changes (numeric ids, so no users are needed) and the expected ACL. */
const CASES: [string, string[], string | null][] = [
  ["a file without an ACL", [], null],
  ["a named user entry", ["u:4242:r"], "user::rw-,user:4242:r--,group::r--,mask::r--,other::---"],
  [
    "a named group entry",
    ["g:4343:rx"],
    "user::rw-,group::r--,group:4343:r-x,mask::r-x,other::---",
  ],
  [
    "a mask limiting a user entry",
    ["u:4242:rw", "m::r"],
    "user::rw-,user:4242:rw-,group::r--,mask::r--,other::---",
  ],
  [
    "several entries",
    ["u:4243:r,u:4242:-,g:4343:r,g:4300:rw"],
    "user::rw-,user:4242:---,user:4243:r--,group::r--,group:4300:rw-,group:4343:r--,mask::rw-,other::---",
  ],
  ["an ACL removed again", ["u:4242:r", "-b"], null],
];

for (const [what, changes, expected] of CASES) {
  Deno.test(`readAcl via FFI and via getfacl agree on ${what}`, async () => {
    await withTempDir((dir) => {
      const file = `${dir}/f`;
      Deno.writeTextFileSync(file, "x");
      Deno.chmodSync(file, 0o640);
      for (const change of changes) {
        run("setfacl", ...(change === "-b" ? ["-b"] : ["-m", change]), file);
      }
      const viaGetfacl = readAclGetfacl(file);
      assert.equal(viaGetfacl === null ? null : formatAcl(viaGetfacl), expected);
      if (expected !== null) {
        const lines = run("getfacl", "-n", "-p", "-c", file).trim().split("\n");
        assert.equal(formatAcl(viaGetfacl!), lines.map((l) => l.replace(/\s*#.*/, "")).join(","));
      }
      if (libc() !== null) assert.deepEqual(readAclFfi(file), viaGetfacl);
      assert.deepEqual(readAcl(file), viaGetfacl);
    });
  });
}

Deno.test("a directory with only a default ACL has no access ACL", async () => {
  await withTempDir((dir) => {
    run("setfacl", "-d", "-m", "u:4242:r", dir);
    assert.equal(readAclGetfacl(dir), null);
    assert.equal(readAcl(dir), null);
  });
});

Deno.test("reading the ACL of a missing file is an AclError", () => {
  assert.throws(() => readAcl("/nonexistent/dtail/file"), AclError);
  assert.throws(() => readAclGetfacl("/nonexistent/dtail/file"), AclError);
});

Deno.test("readAcl works without --allow-ffi by running getfacl", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/f`;
    Deno.writeTextFileSync(file, "x");
    run("setfacl", "-m", "u:4242:r", file);
    const script = `${dir}/probe.ts`;
    Deno.writeTextFileSync(
      script,
      `
      import { readAcl, formatAcl } from "${new URL("./acl.ts", import.meta.url).href}";
      import { libc } from "${new URL("./libc.ts", import.meta.url).href}";
      import { lookupUser } from "${new URL("./user_lookup.ts", import.meta.url).href}";
      console.log(JSON.stringify([libc() === null, formatAcl(readAcl(Deno.args[0]) ?? []),
        lookupUser("root")?.home]));`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-config", "--allow-read", "--allow-run=getfacl", script, file],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assert.ok(out.success);
    const [noFfi, acl, home] = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.equal(noFfi, true);
    assert.equal(acl, formatAcl(readAcl(file) as AclEntry[]));
    assert.equal(home, "/root");
  });
});
