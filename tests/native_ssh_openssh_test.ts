/**
 * The native SSH client (cli/ssh/native/) against a third SSH implementation, OpenSSH's sshd:
 * its strict key exchange, its extension and host-key messages, and the key re-exchanges it starts
 * after every `RekeyLimit` bytes.
 */
import assert from "node:assert/strict";
import { concatBytes } from "../core/bytes.ts";
import { hostKeyAlgorithms } from "../cli/ssh/host_key_algorithms.ts";
import { NativeClient } from "../cli/ssh/native/native_client.ts";
import { parsePrivateKeyFile } from "../cli/ssh/native/ssh_keys.ts";
import { parseServerAddress } from "../cli/ssh/server_list.ts";
import { Bastion, bastionMissing } from "./sshd_bastion.ts";
import { TestClient } from "./ssh_env.ts";

const missing = bastionMissing();
if (missing !== null) console.log(`native_ssh_openssh_test: ${missing}`);

Deno.test({
  name: "a file read from OpenSSH's sshd arrives whole across its key re-exchanges",
  ignore: missing !== null,
  fn: async () => {
    const client = await TestClient.create();
    const dir = await Deno.makeTempDir({ prefix: "dtail-native-sshd-" });
    const bytes = crypto.getRandomValues(new Uint8Array(65536));
    const file = new Uint8Array(3 << 20);
    for (let at = 0; at < file.length; at += bytes.length) {
      file.set(bytes.map((b) => b ^ (at >>> 16)), at);
    }
    await Deno.writeFile(`${dir}/data`, file);
    await Deno.chmod(dir, 0o755);
    const bastion = await Bastion.start(client, {
      config: ["RekeyLimit 256K", `ForceCommand cat ${dir}/data`],
    });
    try {
      const parsed = await parsePrivateKeyFile(
        await Deno.readFile(`${client.home}/.ssh/id_ed25519`),
      );
      assert.equal(parsed.kind, "key");
      const key = (parsed as Extract<typeof parsed, { kind: "key" }>).key;
      const debug: string[] = [];
      const ssh = await NativeClient.connect(parseServerAddress(bastion.address, 22), {
        user: bastion.user,
        keys: [{ source: "id_ed25519", key }],
        hostKeyAlgorithms,
        trust: null,
        timeoutMs: 5000,
        keepaliveMs: 0,
        keepaliveCount: 3,
        debug: (line) => debug.push(line),
      });
      const io = await ssh.shell("sshd", 5000);
      const parts: Uint8Array[] = [];
      for await (const chunk of io.input) parts.push(chunk);
      ssh.end();
      const got = concatBytes(...parts);
      assert.equal(got.length, file.length);
      assert.ok(got.every((b, i) => b === file[i]), "the same bytes in the same order");
      assert.equal(bastion.logins(), 1);
      const rekeys = debug.filter((l) => l.includes("starts a key re-exchange")).length;
      assert.ok(rekeys >= 5, `sshd re-exchanged keys ${rekeys} times (RekeyLimit 256K of 3 MiB)`);
    } finally {
      await bastion.stop();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(client.home, { recursive: true });
    }
  },
});
