import assert from "node:assert/strict";
import { selfAddress } from "./dserver_jobs.ts";

Deno.test("a job reaches this server on the loopback address when it listens on every address", () => {
  assert.equal(selfAddress({ bindAddress: "0.0.0.0", port: 2222 }), "127.0.0.1:2222");
  assert.equal(selfAddress({ bindAddress: "", port: 2222 }), "127.0.0.1:2222");
  assert.equal(selfAddress({ bindAddress: "::", port: 2222 }), "[::1]:2222");
});

Deno.test("a job reaches this server on its bind address otherwise, IPv6 in brackets", () => {
  assert.equal(selfAddress({ bindAddress: "10.1.2.3", port: 2300 }), "10.1.2.3:2300");
  assert.equal(selfAddress({ bindAddress: "fe80::1", port: 2300 }), "[fe80::1]:2300");
});
