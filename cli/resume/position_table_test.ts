import assert from "node:assert/strict";
import { decodeResumeRequest } from "../../core/protocol/resume.ts";
import { PositionTable } from "./position_table.ts";

Deno.test("the last position of each file of a target goes into its resume request", () => {
  const table = new PositionTable();
  assert.equal(table.request("/var/log/*.log"), undefined, "nothing known yet");
  table.record("/var/log/*.log", { path: "/var/log/a.log", dev: 1, ino: 10, offset: 100 });
  table.record("/var/log/*.log", { path: "/var/log/b.log", dev: 1, ino: 11, offset: 7 });
  table.record("/var/log/*.log", { path: "/var/log/a.log", dev: 1, ino: 10, offset: 250 });
  table.record("/tmp/x.log", { path: "/tmp/x.log", dev: 2, ino: 3, offset: 1 });
  assert.equal(table.size, 3);
  const request = table.request("/var/log/*.log")!;
  assert.deepEqual(
    decodeResumeRequest(request).map((p) => [p.path, p.offset]),
    [["/var/log/a.log", 250], ["/var/log/b.log", 7]],
  );
  assert.deepEqual(decodeResumeRequest(table.request("/tmp/x.log")!).map((p) => p.ino), [3]);
});
