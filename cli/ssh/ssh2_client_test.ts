import assert from "node:assert/strict";
import ssh2 from "ssh2";
import { BaseAgent, Client, OpenSSHAgent, parseKey } from "./ssh2_client.ts";

Deno.test("the client's ssh2 parts, loaded from their own files, are ssh2's own", () => {
  assert.equal(Client, ssh2.Client);
  assert.equal(OpenSSHAgent, ssh2.OpenSSHAgent);
  assert.equal(BaseAgent, ssh2.BaseAgent);
  assert.equal(parseKey, ssh2.utils.parseKey);
});
