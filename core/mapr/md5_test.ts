import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { md5Hex } from "./md5.ts";

Deno.test("md5Hex gives the RFC 1321 test-suite digests", () => {
  assert.equal(md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  assert.equal(md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  assert.equal(md5Hex("message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
  assert.equal(
    md5Hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890"),
    "57edf4a22be3c955ac49da2e2107b67a",
  );
});

Deno.test("md5Hex agrees with node:crypto on UTF-8 text of every padding length", () => {
  for (let n = 0; n < 140; n++) {
    const text = "€a".repeat(n).slice(0, n);
    assert.equal(md5Hex(text), createHash("md5").update(text).digest("hex"), `length ${n}`);
  }
});
