import assert from "node:assert/strict";
import { serverAlgorithms } from "./algorithms.ts";

Deno.test("chacha20-poly1305 is the first cipher by default", () => {
  const algorithms = serverAlgorithms({});
  assert.equal((algorithms.cipher as string[])[0], "chacha20-poly1305@openssh.com");
  assert.equal(algorithms.kex, undefined);
  assert.equal(algorithms.hmac, undefined);
});

Deno.test("configured algorithm lists are used verbatim", () => {
  const algorithms = serverAlgorithms({
    ciphers: ["aes256-gcm@openssh.com"],
    keyExchanges: ["curve25519-sha256"],
    macs: ["hmac-sha2-256-etm@openssh.com"],
  });
  assert.deepEqual(algorithms, {
    cipher: ["aes256-gcm@openssh.com"],
    kex: ["curve25519-sha256"],
    hmac: ["hmac-sha2-256-etm@openssh.com"],
  });
});
