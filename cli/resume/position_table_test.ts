import assert from "node:assert/strict";
import {
  decodeResumeRequest,
  encodeResumeRequest,
  MAX_RESUME_ENTRIES,
} from "../../core/protocol/resume.ts";
import { MAX_REQUEST_BYTES, PositionTable } from "./position_table.ts";

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

Deno.test("a target keeps at most as many files as a resume request may name", () => {
  const table = new PositionTable();
  const at = (path: string, offset = 1) => ({ path, dev: 1, ino: 1, offset });
  for (let i = 0; i <= MAX_RESUME_ENTRIES; i++) table.record("/x/*", at(`/x/${i}`));
  assert.equal(table.size, MAX_RESUME_ENTRIES, "the one more is not kept");
  table.record("/x/*", at("/x/0", 99)); // a file it has moves on
  const files = decodeResumeRequest(table.request("/x/*")!);
  assert.equal(files.length, MAX_RESUME_ENTRIES);
  assert.equal(files.find((p) => p.path === "/x/0")?.offset, 99);
  for (let i = 0; i <= MAX_RESUME_ENTRIES; i++) table.record(`/t${i}`, at(`/t${i}`));
  assert.equal(table.request(`/t${MAX_RESUME_ENTRIES}`), undefined, "nor one target more");
});

Deno.test("a resume request too long for a command frame is not sent, and said once", () => {
  const table = new PositionTable();
  const told: string[] = [];
  table.onTooLarge = (target, files) => told.push(`${target} ${files}`);
  const long = "/var/log/" + "d".repeat(200);
  for (let i = 0; i < 5000; i++) {
    table.record("/var/log/*", { path: `${long}/${i}.log`, dev: 1, ino: i, offset: 1 });
  }
  assert.ok(
    encodeResumeRequest([...Array(5000)].map((_, i) => ({
      path: `${long}/${i}.log`,
      dev: 1,
      ino: i,
      offset: 1,
    }))).length > MAX_REQUEST_BYTES,
  );
  assert.equal(table.request("/var/log/*"), undefined);
  assert.deepEqual(told, ["/var/log/* 5000"]);
  table.record("/small", { path: "/small", dev: 1, ino: 1, offset: 5 });
  assert.notEqual(table.request("/small"), undefined, "other targets still resume");
});
