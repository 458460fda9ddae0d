/**
 * The bin/ launchers find their checkout from their own path: a moved or copied checkout runs its
 * own sources, and a symlink to a launcher runs the checkout the launcher is in.
 */
import assert from "node:assert/strict";
import { ROOT } from "./helpers.ts";

async function launch(path: string, args: string[]): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(path, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, text: new TextDecoder().decode(out.stdout) };
}

Deno.test("a copied checkout's launcher runs the copy's sources, not the original's", async () => {
  const copy = await Deno.makeTempDir({ prefix: "dtail-moved-" });
  try {
    for (const dir of ["app", "cli", "core", "server", "ssh"]) {
      const cp = await new Deno.Command("cp", { args: ["-a", `${ROOT}/${dir}`, copy] }).output();
      assert.ok(cp.success);
    }
    for (const file of ["deno.json", "deno.lock"]) {
      await Deno.copyFile(`${ROOT}/${file}`, `${copy}/${file}`);
    }
    // The toolchain and packages are large: the copy shares them.
    await Deno.symlink(`${ROOT}/.tools`, `${copy}/.tools`);
    await Deno.symlink(`${ROOT}/node_modules`, `${copy}/node_modules`);
    await Deno.mkdir(`${copy}/bin`);
    await Deno.copyFile(`${ROOT}/bin/dcat`, `${copy}/bin/dcat`);
    await Deno.chmod(`${copy}/bin/dcat`, 0o755);
    const version = `${copy}/app/version.ts`;
    const source = await Deno.readTextFile(version);
    await Deno.writeTextFile(
      version,
      source.replace(/VERSION = "([^"]+)"/, 'VERSION = "$1-moved"'),
    );
    const moved = await launch(`${copy}/bin/dcat`, ["--version"]);
    assert.equal(moved.code, 0);
    assert.match(moved.text, /^DTail for Deno \S+-moved /);
    const original = await launch(`${ROOT}/bin/dcat`, ["--version"]);
    assert.doesNotMatch(original.text, /-moved/);
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
});

Deno.test("a symlink to a launcher runs the checkout the launcher is in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-link-" });
  try {
    await Deno.symlink(`${ROOT}/bin/dgrep`, `${dir}/dgrep`);
    const sample = `${ROOT}/tests/data/sample.log`;
    const r = await launch(`${dir}/dgrep`, ["--plain", "--grep", "ERROR", sample]);
    assert.equal(r.code, 0);
    const want = (await Deno.readTextFile(sample)).split("\n").filter((l) => l.includes("ERROR"));
    assert.deepEqual(r.text.trimEnd().split("\n"), want);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a launcher reads files under /proc, which Deno opens only with every permission", async () => {
  const r = await launch(`${ROOT}/bin/dcat`, ["--plain", "/proc/self/status"]);
  assert.equal(r.code, 0);
  assert.match(r.text, /^Name:\t\S+\n/);
});
