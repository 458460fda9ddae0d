import assert from "node:assert/strict";
import { HEALTH_USER, isHealthLogin } from "./ssh_auth.ts";

Deno.test("only DTAIL-HEALTH with its own name as password is a health login", () => {
  assert.equal(isHealthLogin(HEALTH_USER, "DTAIL-HEALTH"), true);
  assert.equal(isHealthLogin(HEALTH_USER, "dtail-health"), false);
  assert.equal(isHealthLogin(HEALTH_USER, ""), false);
  assert.equal(isHealthLogin("alice", "DTAIL-HEALTH"), false);
});
