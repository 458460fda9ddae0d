import assert from "node:assert/strict";
import {
  keyTypeOf,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  loadKnownHosts,
  lookup,
  parseKnownHosts,
} from "./known_hosts.ts";
import { generateKey, run, withTempDir } from "./_test_keys.ts";

Deno.test("known_hosts names bracket the host unless the port is 22", () => {
  assert.equal(knownHostsName("Web1", 22), "web1");
  assert.equal(knownHostsName("web1", 2222), "[web1]:2222");
});

Deno.test("a plain name matches port 22 only, [host]:port matches its port", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    const file = parseKnownHosts(`web1 ${k.publicLine}\n[web2]:2222 ${k.publicLine} comment\n`);
    assert.equal(lookup(file, "web1", 22, k.blob), "known");
    assert.equal(lookup(file, "web1", 2222, k.blob), "unknown");
    assert.equal(lookup(file, "web2", 2222, k.blob), "known");
    assert.equal(lookup(file, "WEB2", 2222, k.blob), "known");
    assert.equal(lookup(file, "web2", 22, k.blob), "unknown");
  });
});

Deno.test("comma lists, wildcards and negations select hosts", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    const file = parseKnownHosts(
      `a,[b]:2000,c ${k.publicLine}\n*.example.com,!bad.example.com ${k.publicLine}\n` +
        `[db?]:2222 ${k.publicLine}\n`,
    );
    for (
      const [host, port] of [["a", 22], ["b", 2000], ["c", 22], ["x.example.com", 22]] as const
    ) {
      assert.equal(lookup(file, host, port, k.blob), "known", host);
    }
    assert.equal(lookup(file, "db1", 2222, k.blob), "known");
    assert.equal(lookup(file, "db12", 2222, k.blob), "unknown");
    assert.equal(lookup(file, "bad.example.com", 22, k.blob), "unknown");
  });
});

Deno.test("a pattern of many wildcards is matched quickly and throws nothing", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    // Built into one RegExp, 5,000 `*` were too large to compile; fewer backtracked for long.
    const many = `web${"*eb".repeat(5_000)}`;
    const file = parseKnownHosts(`${many} ${k.publicLine}\n${"a*".repeat(30)}b ${k.publicLine}\n`);
    const started = performance.now();
    assert.equal(lookup(file, "webebeb", 22, k.blob), "unknown");
    assert.equal(lookup(file, "a".repeat(40), 22, k.blob), "unknown");
    assert.equal(lookup(file, `${"a".repeat(40)}b`, 22, k.blob), "known");
    assert.ok(performance.now() - started < 2_000, "wildcard matching took too long");
  });
});

Deno.test("hashed entries written by ssh-keygen -H are recognised", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    const path = `${dir}/known_hosts`;
    await Deno.writeTextFile(path, `[127.0.0.1]:2222 ${k.publicLine}\nweb1 ${k.publicLine}\n`);
    await run("ssh-keygen", ["-H", "-f", path]);
    const text = await Deno.readTextFile(path);
    assert.match(text, /^\|1\|/);
    assert.doesNotMatch(text, /127\.0\.0\.1|web1/);
    const file = await loadKnownHosts(path);
    assert.equal(lookup(file, "127.0.0.1", 2222, k.blob), "known");
    assert.equal(lookup(file, "web1", 22, k.blob), "known");
    assert.equal(lookup(file, "127.0.0.1", 2223, k.blob), "unknown");
  });
});

Deno.test("the same key type with other bytes is changed, another type is unknown", async () => {
  await withTempDir(async (dir) => {
    const [old, next, ecdsa] = await Promise.all([
      generateKey(dir, "old"),
      generateKey(dir, "new"),
      generateKey(dir, "ecdsa", "ecdsa"),
    ]);
    const file = parseKnownHosts(`[h]:2222 ${old.publicLine}\n`);
    assert.equal(lookup(file, "h", 2222, next.blob), "changed");
    assert.equal(lookup(file, "h", 2222, ecdsa.blob), "unknown");
    assert.equal(lookup(file, "other", 2222, next.blob), "unknown");
    const both = parseKnownHosts(`[h]:2222 ${old.publicLine}\n[h]:2222 ${next.publicLine}\n`);
    assert.equal(lookup(both, "h", 2222, next.blob), "known");
  });
});

Deno.test("a revoked key is revoked even when also listed as known", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    const file = parseKnownHosts(`h ${k.publicLine}\n@revoked * ${k.publicLine}\n`);
    assert.equal(lookup(file, "h", 22, k.blob), "revoked");
    assert.equal(lookup(file, "other", 2222, k.blob), "revoked");
  });
});

Deno.test("cert-authority, comment and malformed lines are skipped without a crash", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    const file = parseKnownHosts(
      [
        "# comment",
        `@cert-authority *.example.com ${k.publicLine}`,
        "@unknown-marker h ssh-ed25519 AAAA",
        "h",
        "h ssh-ed25519",
        "h ssh-ed25519 !!!notbase64",
        "|1|broken ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
        "",
        `h ${k.publicLine}`,
      ].join("\n"),
    );
    assert.equal(file.entries.length, 1);
    assert.equal(lookup(file, "h", 22, k.blob), "known");
    assert.equal(lookup(file, "x.example.com", 22, k.blob), "unknown");
  });
});

Deno.test("a missing known_hosts file is empty", async () => {
  const file = await loadKnownHosts("/nonexistent/known_hosts");
  assert.deepEqual(file.entries, []);
});

Deno.test("knownKeyTypes lists the key types on file for a host", async () => {
  await withTempDir(async (dir) => {
    const [a, b] = await Promise.all([generateKey(dir, "a"), generateKey(dir, "b", "ecdsa")]);
    const file = parseKnownHosts(
      `[h]:1 ${b.publicLine}\n[h]:1 ${a.publicLine}\nh ${a.publicLine}\n`,
    );
    assert.deepEqual(knownKeyTypes(file, "h", 1), ["ecdsa-sha2-nistp256", "ssh-ed25519"]);
    assert.deepEqual(knownKeyTypes(file, "x", 1), []);
  });
});

Deno.test("knownHostsLine writes a line that ssh-keygen -F finds", async () => {
  await withTempDir(async (dir) => {
    const k = await generateKey(dir, "k");
    assert.equal(keyTypeOf(k.blob), "ssh-ed25519");
    const line = knownHostsLine(knownHostsName("127.0.0.1", 2222), k.blob);
    assert.equal(line, `[127.0.0.1]:2222 ${k.publicLine}`);
    await Deno.writeTextFile(`${dir}/kh`, line + "\n");
    const found = await run("ssh-keygen", ["-F", "[127.0.0.1]:2222", "-f", `${dir}/kh`]);
    assert.match(found, /found: line 1/);
  });
});
