import assert from "node:assert/strict";
import {
  canCreateUsers,
  kernelCanRead,
  makeFile,
  run,
  testUser,
  withTempDir,
} from "./_test_permissions.ts";
import {
  canRead,
  type Inode,
  parents,
  permits,
  READ,
  resolveAs,
  SearchDecisions,
  type StatLike,
} from "./os_access.ts";
import type { UserInfo } from "./user_lookup.ts";

const alice: UserInfo = { name: "a", uid: 1000, gid: 1000, groups: [1000, 50], home: "/" };

Deno.test("permits uses the owner class alone for the owner, even when others may read", () => {
  const inode: Inode = { mode: 0o044, uid: 1000, gid: 1000 };
  assert.equal(permits(alice, inode, null, READ), false);
  assert.equal(permits({ ...alice, uid: 1001 }, inode, null, READ), true);
});

Deno.test("permits lets uid 0 read anything, like CAP_DAC_READ_SEARCH", () => {
  const root = { ...alice, uid: 0, gid: 0, groups: [0] };
  assert.equal(permits(root, { mode: 0, uid: 5, gid: 5 }, null, READ), true);
});

Deno.test("permits refuses other's bits to a member of a group entry that does not grant", () => {
  const acl = [
    { tag: "user_obj", perm: 6, id: null },
    { tag: "group_obj", perm: 4, id: null },
    { tag: "group", perm: 0, id: 50 },
    { tag: "mask", perm: 4, id: null },
    { tag: "other", perm: 4, id: null },
  ] as const;
  const inode = { mode: 0o644, uid: 0, gid: 0 };
  assert.equal(permits(alice, inode, [...acl], READ), false);
  assert.equal(permits({ ...alice, groups: [1000] }, inode, [...acl], READ), true);
});

Deno.test("parents lists every directory above a path, root first", () => {
  assert.deepEqual(parents("/var/log/app/x.log"), ["/", "/var", "/var/log", "/var/log/app"]);
  assert.deepEqual(parents("/x"), ["/"]);
});

/** Each case: who reads, how the file is set up, and whether reading is allowed. */
interface Case {
  what: string;
  user: string;
  mode: number;
  owner: string;
  acl?: string[];
  allowed: boolean;
}

const MATRIX: Case[] = [
  {
    what: "other bits allow everyone",
    user: "dtail-carol",
    mode: 0o644,
    owner: "root:root",
    allowed: true,
  },
  {
    what: "no other bits deny a stranger",
    user: "dtail-carol",
    mode: 0o640,
    owner: "root:root",
    allowed: false,
  },
  {
    what: "owner bits allow the owner",
    user: "dtail-carol",
    mode: 0o600,
    owner: "dtail-carol:root",
    allowed: true,
  },
  {
    what: "owner bits bind the owner",
    user: "dtail-carol",
    mode: 0o044,
    owner: "dtail-carol:root",
    allowed: false,
  },
  {
    what: "owner bits deny others",
    user: "dtail-alice",
    mode: 0o600,
    owner: "dtail-carol:root",
    allowed: false,
  },
  {
    what: "primary group bits allow",
    user: "dtail-carol",
    mode: 0o640,
    owner: "root:dtail-carol",
    allowed: true,
  },
  {
    what: "supplementary group bits allow",
    user: "dtail-alice",
    mode: 0o640,
    owner: "root:dtailgrp",
    allowed: true,
  },
  {
    what: "group bits bind group members",
    user: "dtail-alice",
    mode: 0o604,
    owner: "root:dtailgrp",
    allowed: false,
  },
  {
    what: "an ACL user entry allows",
    user: "dtail-bob",
    mode: 0o600,
    owner: "root:root",
    acl: ["u:dtail-bob:r"],
    allowed: true,
  },
  {
    what: "an ACL user entry is for that user only",
    user: "dtail-carol",
    mode: 0o600,
    owner: "root:root",
    acl: ["u:dtail-bob:r"],
    allowed: false,
  },
  {
    what: "an ACL user entry without r beats other bits",
    user: "dtail-carol",
    mode: 0o644,
    owner: "root:root",
    acl: ["u:dtail-carol:-"],
    allowed: false,
  },
  {
    what: "an ACL group entry allows its members",
    user: "dtail-bob",
    mode: 0o600,
    owner: "root:root",
    acl: ["g:dtailacl:r"],
    allowed: true,
  },
  {
    what: "an ACL group entry is for its members only",
    user: "dtail-alice",
    mode: 0o600,
    owner: "root:root",
    acl: ["g:dtailacl:r"],
    allowed: false,
  },
  {
    what: "a matching group entry without r beats other bits",
    user: "dtail-alice",
    mode: 0o644,
    owner: "root:root",
    acl: ["g:dtailgrp:-"],
    allowed: false,
  },
  {
    what: "any matching group entry granting r suffices",
    user: "dtail-alice",
    mode: 0o600,
    owner: "root:dtail-alice",
    acl: ["g::-", "g:dtailgrp:r"],
    allowed: true,
  },
  {
    what: "the mask limits an ACL user entry",
    user: "dtail-bob",
    mode: 0o600,
    owner: "root:root",
    acl: ["u:dtail-bob:r", "m::-"],
    allowed: false,
  },
  {
    what: "the mask limits an ACL group entry",
    user: "dtail-bob",
    mode: 0o600,
    owner: "root:root",
    acl: ["g:dtailacl:r", "m::-"],
    allowed: false,
  },
  {
    what: "the mask does not limit the owner",
    user: "dtail-bob",
    mode: 0o600,
    owner: "dtail-bob:root",
    acl: ["u:dtail-alice:r", "m::-"],
    allowed: true,
  },
  {
    what: "the mask does not limit other",
    user: "dtail-carol",
    mode: 0o604,
    owner: "root:root",
    acl: ["u:dtail-bob:r", "m::-"],
    allowed: true,
  },
];

for (const c of MATRIX) {
  Deno.test({
    name: `canRead agrees with the kernel: ${c.what}`,
    ignore: !canCreateUsers, // needs the test users and chown
    async fn() {
      const user = testUser(c.user);
      await withTempDir((dir) => {
        const file = makeFile(`${dir}/file.log`, c.mode, c.owner);
        for (const entry of c.acl ?? []) run("setfacl", "-m", entry, file);
        assert.equal(kernelCanRead(user, file), c.allowed, "the kernel disagrees with the case");
        const result = canRead(user, file);
        assert.equal(result.ok, c.allowed, JSON.stringify(result));
        if (!result.ok) {
          assert.match(
            result.reason,
            new RegExp(`^user ${c.user}: no read permission on ${file} `),
          );
        }
      });
    },
  });
}

Deno.test({
  name: "canRead refuses a readable file in a directory the user may not search",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    const carol = testUser("dtail-carol");
    await withTempDir((dir) => {
      Deno.mkdirSync(`${dir}/private`, { mode: 0o700 });
      Deno.chmodSync(`${dir}/private`, 0o700);
      const file = makeFile(`${dir}/private/open.log`, 0o644);
      assert.equal(kernelCanRead(carol, file), false);
      assert.deepEqual(canRead(carol, file), {
        ok: false,
        reason:
          `user dtail-carol: no search permission on directory ${dir}/private (mode 0700, owner root:root)`,
      });
    });
  },
});

Deno.test({
  name: "canRead honours an ACL that grants search on a directory",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    const [bob, carol] = [testUser("dtail-bob"), testUser("dtail-carol")];
    await withTempDir((dir) => {
      Deno.mkdirSync(`${dir}/private`);
      Deno.chmodSync(`${dir}/private`, 0o700);
      run("setfacl", "-m", "u:dtail-bob:x", `${dir}/private`);
      const file = makeFile(`${dir}/private/open.log`, 0o644);
      assert.equal(kernelCanRead(bob, file), true);
      assert.deepEqual(canRead(bob, file), { ok: true });
      assert.equal(canRead(carol, file).ok, false);
    });
  },
});

Deno.test({
  name: "canRead names the ACL in its reason",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    const bob = testUser("dtail-bob");
    await withTempDir((dir) => {
      const file = makeFile(`${dir}/masked.log`, 0o600, "root:dtailgrp");
      run("setfacl", "-m", "u:dtail-bob:r,m::-", file);
      const result = canRead(bob, file);
      assert.equal(result.ok, false);
      assert.match(
        (result as { reason: string }).reason,
        new RegExp(
          `\\(mode 0600, owner root:dtailgrp, acl user::rw-,user:${bob.uid}:r--,group::---,mask::---,other::---\\)$`,
        ),
      );
    });
  },
});

Deno.test("canRead reports a missing file", () => {
  const me = { name: "me", uid: 4242, gid: 4242, groups: [4242], home: "/" };
  const result = canRead(me, "/nonexistent/dtail.log");
  assert.deepEqual(result, {
    ok: false,
    reason: "user me: cannot stat /nonexistent/dtail.log: no such file or directory",
  });
});

Deno.test("canRead lets anyone read a root-owned 0644 file in /etc", () => {
  const nobody = { name: "nobody", uid: 65534, gid: 65534, groups: [65534], home: "/" };
  assert.deepEqual(canRead(nobody, "/etc/passwd"), { ok: true });
  assert.equal(canRead(nobody, "/etc/shadow").ok, false);
});

Deno.test("a directory's search decision is kept only while its inode, owner, mode and ctime stay", () => {
  const decisions = new SearchDecisions(2);
  let decided = 0;
  const decide = () => (decided++, null);
  const old = new Date(Date.now() - 60_000);
  const info = (mode: number, ctime = old) =>
    ({ dev: 1, ino: 2, mode, uid: 0, gid: 0, ctime }) as unknown as Deno.FileInfo;
  decisions.get(alice, "/d", info(0o40755), decide);
  decisions.get(alice, "/d", info(0o40755), decide);
  assert.equal(decided, 1, "the same stat: the decision kept");
  decisions.get(alice, "/d", info(0o40700), decide);
  decisions.get(alice, "/d", info(0o40700, new Date(old.getTime() + 1)), decide);
  assert.equal(decided, 3, "a chmod, a setfacl (ctime): decided again");
  decisions.get(
    { ...alice, groups: [1000] },
    "/d",
    info(0o40700, new Date(old.getTime() + 1)),
    decide,
  );
  assert.equal(decided, 4, "other groups: another user");
  const now = info(0o40755, new Date());
  decisions.get(alice, "/e", now, decide);
  decisions.get(alice, "/e", now, decide);
  assert.equal(decided, 6, "a ctime of the last second is not trusted");
  decisions.get(alice, "/f", info(0o40755), decide);
  decisions.get(alice, "/g", info(0o40755), decide);
  assert.equal(decisions.size, 2, "bounded");
});

Deno.test({
  name: "resolveAs sees a parent made private after an await, though it walked it just before",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    const carol = testUser("dtail-carol");
    await withTempDir(async (dir) => {
      Deno.mkdirSync(`${dir}/logs`);
      Deno.chmodSync(`${dir}/logs`, 0o755);
      const [a, b] = [makeFile(`${dir}/logs/a.log`, 0o644), makeFile(`${dir}/logs/b.log`, 0o644)];
      const resolved = resolveAs(carol, a);
      assert.ok(resolved.ok);
      assert.equal(resolved.path, a);
      assert.deepEqual(statFields(resolved.info!), statFields(Deno.lstatSync(a)));
      await Deno.chmod(dir, 0o700);
      const refused = resolveAs(carol, b);
      assert.equal(refused.ok, false);
      assert.match((refused as { reason: string }).reason, /no search permission on directory/);
      assert.equal(kernelCanRead(carol, b), false);
    });
  },
});

Deno.test({
  name: "resolveAs refuses a symlink into a private directory beside a file it just resolved",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    const carol = testUser("dtail-carol");
    await withTempDir((dir) => {
      Deno.mkdirSync(`${dir}/logs`);
      Deno.chmodSync(`${dir}/logs`, 0o755);
      Deno.mkdirSync(`${dir}/private`);
      Deno.chmodSync(`${dir}/private`, 0o700);
      const open = makeFile(`${dir}/logs/a.log`, 0o644);
      makeFile(`${dir}/private/secret.log`, 0o644);
      Deno.symlinkSync(`${dir}/private/secret.log`, `${dir}/logs/link.log`);
      assert.equal(resolveAs(carol, open).ok, true);
      const refused = resolveAs(carol, `${dir}/logs/link.log`);
      assert.equal(refused.ok, false);
      assert.match(
        (refused as { reason: string }).reason,
        new RegExp(`no search permission on directory ${dir}/private `),
      );
      assert.equal(kernelCanRead(carol, `${dir}/logs/link.log`), false);
    });
  },
});

Deno.test({
  name: "resolveAs refuses a directory swapped for a symlink into a private one between two files",
  ignore: !canCreateUsers, // needs the test users
  async fn() {
    const carol = testUser("dtail-carol");
    await withTempDir((dir) => {
      for (const d of ["logs", "private"]) Deno.mkdirSync(`${dir}/${d}`);
      Deno.chmodSync(`${dir}/logs`, 0o755);
      Deno.chmodSync(`${dir}/private`, 0o700);
      makeFile(`${dir}/logs/a.log`, 0o644);
      makeFile(`${dir}/private/b.log`, 0o644);
      // One synchronous stretch, as the opens of a glob's files are.
      assert.equal(resolveAs(carol, `${dir}/logs/a.log`).ok, true);
      Deno.renameSync(`${dir}/logs`, `${dir}/old-logs`);
      Deno.symlinkSync(`${dir}/private`, `${dir}/logs`);
      const refused = resolveAs(carol, `${dir}/logs/b.log`);
      assert.equal(refused.ok, false, JSON.stringify(refused));
      assert.match(
        (refused as { reason: string }).reason,
        new RegExp(`no search permission on directory ${dir}/private `),
      );
      assert.equal(kernelCanRead(carol, `${dir}/logs/b.log`), false);
    });
  },
});

/** What the checks read of a stat, from either kind of stat. */
function statFields(info: StatLike) {
  const { dev, ino, mode, uid, gid, isFile, isDirectory, isSymlink } = info;
  return { dev, ino, mode, uid, gid, isFile, isDirectory, isSymlink };
}
