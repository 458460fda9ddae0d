import assert from "node:assert/strict";
import { commandFrames, type RemoteJob, wireFor } from "./command_frames.ts";
import { decodeFrame } from "../../core/protocol/frames.ts";
import { MAX_REQUEST_BYTES } from "../resume/position_table.ts";
import { wireRegexOf } from "../../core/protocol/regex_wire.ts";

const OURS = ["escape-ac-v1", "plain-blocks-v1"];
const GO = ["query-update-v1"];
const NONE: string[] = [];

const job = (over: Partial<RemoteJob> = {}): RemoteJob => ({
  verb: "grep",
  targets: ["/var/log/a.log", "/var/log/b.log"],
  regex: wireRegexOf("ERROR", false),
  before: 0,
  after: 0,
  max: 0,
  plain: false,
  quiet: false,
  ...over,
});

/** The commands inside the frames, each checked to be one whole frame. */
function commands(frames: Uint8Array[]): string[] {
  return frames.map((frame) => {
    const text = new TextDecoder().decode(frame);
    assert.ok(text.endsWith(";"));
    return decodeFrame(text.slice(0, -1));
  });
}

Deno.test("our server is asked for escaping, and gets AUTHKEY after the first read", () => {
  const frames = commandFrames(job({ before: 2, after: 3, max: 4 }), OURS, { authKey: "KEY" });
  assert.deepEqual(commands(frames), [
    "grep:after=3:before=2:escape=ac:max=4 /var/log/a.log regex:default,literal ERROR",
    "AUTHKEY KEY",
    "grep:after=3:before=2:escape=ac:max=4 /var/log/b.log regex:default,literal ERROR",
  ]);
});

Deno.test("a Go dserver gets AUTHKEY first and only the options a Go client sends", () => {
  for (const caps of [GO, NONE]) {
    const frames = commandFrames(job({ before: 2, after: 3, max: 4 }), caps, { authKey: "KEY" });
    assert.deepEqual(commands(frames), [
      "AUTHKEY KEY",
      "grep:after=3:before=2:max=4 /var/log/a.log regex:default,literal ERROR",
      "grep:after=3:before=2:max=4 /var/log/b.log regex:default,literal ERROR",
    ]);
  }
});

Deno.test("without an auth key no AUTHKEY frame is sent", () => {
  for (const caps of [OURS, GO, NONE]) {
    for (const authKey of [undefined, null, ""]) {
      const frames = commands(commandFrames(job(), caps, authKey === undefined ? {} : { authKey }));
      assert.equal(frames.length, 2);
      assert.ok(frames.every((c) => !c.startsWith("AUTHKEY")));
    }
  }
});

Deno.test("cat sends no context or max options", () => {
  const frames = commandFrames(job({ verb: "cat", before: 2, after: 3, max: 4 }), GO);
  assert.deepEqual(commands(frames).slice(0, 1), [
    "cat: /var/log/a.log regex:default,literal ERROR",
  ]);
});

Deno.test("plain output asks our server for raw blocks when the client can print them", () => {
  const plain = job({ verb: "cat", targets: ["/a"], regex: wireRegexOf("", false), plain: true });
  assert.deepEqual(commands(commandFrames(plain, OURS, { acceptsBlocks: true })), [
    "cat:blocks=v1:escape=ac:plain=true:quiet=true /a regex:noop ",
  ]);
  assert.equal(wireFor(plain, OURS, true), "blocks");
  assert.deepEqual(commands(commandFrames(plain, OURS)), [
    "cat:escape=ac:plain=true:quiet=true /a regex:noop ",
  ]);
  assert.equal(wireFor(plain, OURS, false), "escaped");
  const noBlocks = ["escape-ac-v1"];
  assert.deepEqual(commands(commandFrames(plain, noBlocks, { acceptsBlocks: true })), [
    "cat:escape=ac:plain=true:quiet=true /a regex:noop ",
  ]);
  assert.equal(wireFor(plain, noBlocks, true), "escaped");
  assert.deepEqual(commands(commandFrames(plain, GO, { acceptsBlocks: true })), [
    "cat:plain=true:quiet=true /a regex:noop ",
  ]);
  assert.equal(wireFor(plain, GO, true), "go");
});

Deno.test("quiet alone sends quiet=true", () => {
  assert.deepEqual(commands(commandFrames(job({ targets: ["/a"], quiet: true }), NONE)), [
    "grep:quiet=true /a regex:default,literal ERROR",
  ]);
});

Deno.test("a query goes first as map:, the reads as timeout commands, never with blocks", () => {
  const query = job({
    verb: "tail",
    plain: true,
    query: "from STATS select count($line) group by $hostname",
    timeout: 10,
  });
  assert.deepEqual(commands(commandFrames(query, OURS, { authKey: "K", acceptsBlocks: true })), [
    "map:escape=ac:plain=true:quiet=true from STATS select count($line) group by $hostname",
    "AUTHKEY K",
    "timeout 10 tail /var/log/a.log regex:default,literal ERROR",
    "timeout 10 tail /var/log/b.log regex:default,literal ERROR",
  ]);
  assert.equal(wireFor(query, OURS, true), "escaped");
  assert.deepEqual(commands(commandFrames(query, GO, { authKey: "K" })), [
    "AUTHKEY K",
    "map:plain=true:quiet=true from STATS select count($line) group by $hostname",
    "timeout 10 tail /var/log/a.log regex:default,literal ERROR",
    "timeout 10 tail /var/log/b.log regex:default,literal ERROR",
  ]);
});

Deno.test("a query without a timeout sends the reads with their options", () => {
  const query = job({ targets: ["/a"], query: "from STATS select count($line)" });
  assert.deepEqual(commands(commandFrames(query, GO)), [
    "map: from STATS select count($line)",
    "grep: /a regex:default,literal ERROR",
  ]);
});

Deno.test("the timeout prefix is only for queries", () => {
  assert.deepEqual(commands(commandFrames(job({ targets: ["/a"], timeout: 10 }), GO)), [
    "grep: /a regex:default,literal ERROR",
  ]);
});

Deno.test("with no targets our server still gets AUTHKEY", () => {
  const none = job({ targets: [] });
  assert.deepEqual(commands(commandFrames(none, OURS, { authKey: "K" })), ["AUTHKEY K"]);
  assert.deepEqual(commands(commandFrames(none, GO, { authKey: "K" })), ["AUTHKEY K"]);
});

Deno.test("a file name with a space cannot be sent", () => {
  assert.throws(() => commandFrames(job({ targets: ["/a b"] }), OURS), /spaces cannot be sent/);
});

Deno.test("a follow asks a server that can resume for positions, with resume where known", () => {
  const caps = [...OURS, "tail-resume-v1"];
  const resume = (target: string) => target === "/var/log/a.log" ? '{"v":1,"files":[]}' : undefined;
  const got = commands(
    commandFrames(job({ verb: "tail", regex: wireRegexOf("", false) }), caps, { resume }),
  );
  assert.equal(got.length, 2);
  assert.match(got[0]!, /^tail:escape=ac:positions=v1:resume=base64%\S+ \/var\/log\/a\.log /);
  assert.match(got[1]!, /^tail:escape=ac:positions=v1 \/var\/log\/b\.log /);
  for (const other of [OURS, GO, NONE]) {
    const plainTail = commands(commandFrames(job({ verb: "tail" }), other, { resume }));
    assert.ok(plainTail.every((c) => !c.includes("positions") && !c.includes("resume")));
  }
});

Deno.test("a time range goes as since and until options on every read and on map:", () => {
  const range = { since: 1764756000000, until: 1764757800000 };
  assert.deepEqual(commands(commandFrames(job({ targets: ["/a"], timeRange: range }), OURS)), [
    "grep:escape=ac:since=1764756000000:until=1764757800000 /a regex:default,literal ERROR",
  ]);
  const since = job({
    verb: "cat",
    targets: ["/a"],
    query: "from STATS select count($line)",
    timeRange: { since: 1764756000000, until: Infinity },
  });
  assert.deepEqual(commands(commandFrames(since, OURS)), [
    "map:escape=ac:since=1764756000000 from STATS select count($line)",
    "cat:escape=ac:since=1764756000000 /a regex:default,literal ERROR",
  ]);
  assert.deepEqual(
    commands(commandFrames(job({ targets: ["/a"], timeRange: null }), OURS)),
    ["grep:escape=ac /a regex:default,literal ERROR"],
    "no options without a range",
  );
});

Deno.test("a query's timeout reads carry no options: the range rides on map:", () => {
  const query = job({
    verb: "tail",
    targets: ["/a"],
    query: "from STATS select count($line)",
    timeout: 5,
    timeRange: { since: 1764756000000, until: Infinity },
  });
  assert.deepEqual(commands(commandFrames(query, OURS)), [
    "map:escape=ac:since=1764756000000 from STATS select count($line)",
    "timeout 5 tail /a regex:default,literal ERROR",
  ]);
});

Deno.test("the longest resume request a client sends fits in a server's default frame", () => {
  // As a server reads it: MaxCommandFrameSize (1 MiB) counts the frame's bytes up to its ";".
  const request = `{"v":1,"files":[${'"x",'.repeat(MAX_REQUEST_BYTES / 4)}`.slice(
    0,
    MAX_REQUEST_BYTES,
  );
  const [frame] = commandFrames(
    job({ verb: "tail", regex: wireRegexOf("ERROR|WARN", false), targets: ["/var/log/*.log"] }),
    [...OURS, "tail-resume-v1"],
    { resume: () => request },
  );
  assert.ok(frame!.length - 1 <= 1_048_576, `a frame of ${frame!.length} bytes`);
  assert.ok(frame!.length > 900_000, "the bound is not far from the frame's");
});
