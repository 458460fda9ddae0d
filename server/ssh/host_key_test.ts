import assert from "node:assert/strict";
import { generateEd25519Key, HostKeyError, loadHostKey } from "./host_key.ts";

Deno.test("a missing host key is generated as ED25519 with mode 0600 and reused", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cache/ssh_host_key`;
  const warnings: string[] = [];
  const first = await loadHostKey(path, (w) => warnings.push(w));
  assert.equal(first.generated, true);
  assert.equal(first.persisted, true);
  assert.equal(first.parsed.type, "ssh-ed25519");
  assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  const second = await loadHostKey(path, (w) => warnings.push(w));
  assert.equal(second.generated, false);
  assert.equal(second.pem, first.pem);
  assert.deepEqual(warnings, []);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a host key that cannot be stored is used from memory with a warning", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/file`, "");
  const warnings: string[] = [];
  const key = await loadHostKey(`${dir}/file/ssh_host_key`, (w) => warnings.push(w));
  assert.equal(key.generated, true);
  assert.equal(key.persisted, false);
  assert.equal(warnings.length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an unparsable host key file is an error, not replaced", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/key`, "not a key\n");
  await assert.rejects(loadHostKey(`${dir}/key`, () => {}), HostKeyError);
  await Deno.writeTextFile(`${dir}/key`, generateEd25519Key().public);
  await assert.rejects(loadHostKey(`${dir}/key`, () => {}), /public key/);
  assert.equal(await Deno.readTextFile(`${dir}/key`), await Deno.readTextFile(`${dir}/key`));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("every generated ED25519 key parses (ssh2 drops leading zero bytes)", () => {
  for (let i = 0; i < 600; i++) {
    const pair = generateEd25519Key();
    assert.match(pair.public, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI/);
  }
});
