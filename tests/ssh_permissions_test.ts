/**
 * The permission matrix over SSH: a real dserver (running as dtail-srv) serves a file to SSH
 * user U only when U's path rules allow it and the OS would let U read it
 * (docs/server.md#permissions, docs/compatibility.md#os-permission-check).
 */
import assert from "node:assert/strict";
import { assertNoStackTrace } from "./helpers.ts";
import { canRunServers, TestClient, TestServer } from "./ssh_env.ts";

type User = "dtail-alice" | "dtail-bob" | "dtail-carol";
const USERS: User[] = ["dtail-alice", "dtail-bob", "dtail-carol"];

function sh(cmd: string, ...args: string[]): void {
  const out = new Deno.Command(cmd, { args, stderr: "piped" }).outputSync();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** The kernel's answer, as an oracle for the OS-level cases. */
function kernelCanRead(user: string, path: string): boolean {
  return new Deno.Command("runuser", { args: ["-u", user, "--", "/usr/bin/test", "-r", path] })
    .outputSync().success;
}

interface Case {
  readonly name: string;
  readonly setup: (path: string) => void;
  /** Who may read it. */
  readonly readers: User[];
  /** False when the rules, not the OS, decide (no kernel oracle). */
  readonly osDecides: boolean;
}

/** dtail-srv must be able to open what it serves: an ACL entry for it where needed. */
const serverCanRead = (path: string) => sh("setfacl", "-m", "u:dtail-srv:r", path);

const CASES: Case[] = [
  { name: "world-readable", setup: (p) => sh("chmod", "0644", p), readers: USERS, osDecides: true },
  {
    name: "owner only",
    setup: (p) => {
      sh("chown", "dtail-alice:dtail-alice", p);
      sh("chmod", "0600", p);
      serverCanRead(p);
    },
    readers: ["dtail-alice"],
    osDecides: true,
  },
  {
    name: "group",
    setup: (p) => {
      sh("chown", "root:dtailgrp", p);
      sh("chmod", "0640", p);
      serverCanRead(p);
    },
    readers: ["dtail-alice"],
    osDecides: true,
  },
  {
    name: "ACL user",
    setup: (p) => {
      sh("chmod", "0600", p);
      sh("setfacl", "-m", "u:dtail-bob:r,u:dtail-srv:r", p);
    },
    readers: ["dtail-bob"],
    osDecides: true,
  },
  {
    name: "ACL group",
    setup: (p) => {
      sh("chmod", "0600", p);
      sh("setfacl", "-m", "g:dtailacl:r,u:dtail-srv:r", p);
    },
    readers: ["dtail-bob"],
    osDecides: true,
  },
  {
    name: "ACL mask",
    setup: (p) => {
      sh("chmod", "0600", p);
      sh("setfacl", "-m", "u:dtail-bob:r", p);
      sh("setfacl", "-m", "m::---", p);
    },
    readers: [],
    osDecides: true,
  },
  {
    name: "deny rule for carol",
    setup: (p) => sh("chmod", "0644", p),
    readers: ["dtail-alice", "dtail-bob"],
    osDecides: false,
  },
];

Deno.test({
  name: "over SSH, files are served only to users the rules and the OS allow",
  ignore: !canRunServers,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "dtail-perm-" });
    await Deno.chmod(dir, 0o755);
    const files = CASES.map((c, i) => {
      const path = `${dir}/${c.name.replaceAll(" ", "-")}-${i}.log`;
      Deno.writeTextFileSync(path, `content of ${c.name}\n`);
      c.setup(path);
      return path;
    });
    // Outside the rules: a symlink inside the allowed dir that leads out of it.
    const outside = await Deno.makeTempDir({ prefix: "dtail-outside-" });
    await Deno.chmod(outside, 0o755);
    Deno.writeTextFileSync(`${outside}/target.log`, "outside\n");
    await Deno.chmod(`${outside}/target.log`, 0o644);
    await Deno.symlink(`${outside}/target.log`, `${dir}/escape.log`);
    // A readable file in a directory the users may not search.
    await Deno.mkdir(`${dir}/private`, { mode: 0o700 });
    sh("setfacl", "-m", "u:dtail-srv:x", `${dir}/private`);
    Deno.writeTextFileSync(`${dir}/private/inner.log`, "inner\n");
    await Deno.chmod(`${dir}/private/inner.log`, 0o644);

    const client = await TestClient.create();
    const server = await TestServer.start(client, {
      users: USERS,
      server: {
        Permissions: {
          Default: [`^${dir}/`],
          Users: { "dtail-carol": [`^${dir}/`, `!deny-rule`] },
        },
      },
    });
    try {
      const first = await client.run("dcat", [server], ["--trustAllHosts", "--plain", files[0]!]);
      assert.equal(first.code, 0, first.stderr);
      const check = async (user: User, path: string, allowed: boolean) => {
        const r = await client.run("dcat", [server], ["--plain", path], { user });
        assertNoStackTrace(r.stderr);
        if (allowed) {
          assert.equal(r.code, 0, `${user} should read ${path}: ${r.stderr}`);
          assert.equal(r.text, Deno.readTextFileSync(path));
        } else {
          assert.equal(r.code, 1, `${user} must not read ${path}`);
          assert.equal(r.stdout.length, 0);
          assert.match(r.stderr, /Unable to read file\(s\), check server logs/);
          assert.doesNotMatch(r.stderr, /permission|ACL|mode/i, "the client learns nothing more");
        }
      };
      for (const [i, c] of CASES.entries()) {
        await t.step(`${c.name}: readable by ${c.readers.join(", ") || "nobody"}`, async () => {
          for (const user of USERS) {
            const allowed = c.readers.includes(user);
            if (c.osDecides) {
              assert.equal(kernelCanRead(user, files[i]!), allowed, `oracle: ${user}`);
            }
            await check(user, files[i]!, allowed);
          }
        });
      }
      await t.step("a symlink leading outside the allowed paths is refused", async () => {
        await check("dtail-alice", `${dir}/escape.log`, false);
      });
      await t.step("a file in a directory the user cannot search is refused", async () => {
        assert.equal(kernelCanRead("dtail-alice", `${dir}/private/inner.log`), false);
        await check("dtail-alice", `${dir}/private/inner.log`, false);
      });
      await t.step("the server log says why a file was refused", () => {
        assert.match(server.log(), /dtail-carol.*cannot read .*deny-rule/);
      });
      await t.step(
        "a file name cannot forge a line of the server log or the client's stderr",
        async () => {
          const forged = "INFO|0101-000000|1|stats.ts:1|MAPREDUCE:STATS|currentConnections=999";
          const secret = `${dir}/z\n${forged}`;
          Deno.writeTextFileSync(secret, "secret\n");
          await Deno.chmod(secret, 0o600);
          const refused = await client.run("dcat", [server], ["--plain", `${dir}/z*`], {
            user: "dtail-alice",
          });
          assert.equal(refused.code, 1, refused.stderr);
          const long = `${dir}/long\n${forged}`;
          Deno.writeTextFileSync(long, "x".repeat(1.5 * 1024 * 1024) + "\n");
          await Deno.chmod(long, 0o644);
          const split = await client.run("dcat", [server], ["--plain", `${dir}/long*`], {
            user: "dtail-alice",
          });
          assert.equal(split.code, 0, split.stderr);
          assert.match(split.stderr, /Long log line/);
          assert.match(
            split.stderr,
            /long\\nINFO\|0101-000000/,
            "the notice names the file escaped",
          );
          for (const text of [server.log(), split.stderr]) {
            assert.ok(!text.split("\n").some((line) => line.startsWith(forged)), text.slice(-2000));
          }
          assert.match(server.log(), /cannot read .*z\\nINFO\|0101-000000/);
        },
      );
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    }
  },
});
