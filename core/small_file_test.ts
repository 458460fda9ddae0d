import assert from "node:assert/strict";
import { readSmallFileSync, readSmallTextFileSync } from "./small_file.ts";

Deno.test("a small file is read whole, also when it is empty", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-small-" });
  try {
    await Deno.writeTextFile(`${dir}/a.json`, '{"Client": {}}\n');
    await Deno.writeTextFile(`${dir}/empty`, "");
    assert.equal(readSmallTextFileSync(`${dir}/a.json`), '{"Client": {}}\n');
    assert.equal(readSmallFileSync(`${dir}/empty`).length, 0);
    assert.equal(readSmallTextFileSync(`${dir}/a.json`, 15), '{"Client": {}}\n'); // exactly
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file over the limit is an error naming the limit, even an endless device", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dtail-small-" });
  try {
    await Deno.writeTextFile(`${dir}/big`, "x".repeat(100));
    assert.throws(() => readSmallFileSync(`${dir}/big`, 99), /^Error: larger than 99 bytes$/);
    assert.throws(() => readSmallFileSync("/dev/zero", 2 * 1024 * 1024), /larger than 2 MiB/);
    assert.throws(() => readSmallFileSync(`${dir}/missing`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
