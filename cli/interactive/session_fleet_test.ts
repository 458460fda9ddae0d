import assert from "node:assert/strict";
import { decodeFrame, FrameReader } from "../../core/protocol/frames.ts";
import { wireRegexOf } from "../../core/protocol/regex_wire.ts";
import { type SessionAck, sessionCommands } from "../../core/protocol/session_spec.ts";
import { parseSessionCommand } from "../../core/protocol/session_spec_decode.ts";
import type { RemoteJob } from "../session/command_frames.ts";
import type { SessionLink } from "../session/session_link.ts";
import { SessionFleet } from "./session_fleet.ts";

const job = (pattern: string): RemoteJob => ({
  verb: "grep",
  targets: ["/var/log/a.log"],
  regex: wireRegexOf(pattern, false),
  before: 0,
  after: 0,
  max: 0,
  plain: false,
  quiet: false,
});

type Answer = (action: string, generation: number | null) => SessionAck | null;

/** A server behind a link: it answers each SESSION command with `answer` (null: silence). */
function serve(link: SessionLink, answer: Answer, seen: string[][] = []): string[][] {
  const frames = new FrameReader(1 << 20);
  link.attach((bytes) => {
    for (const frame of frames.push(bytes)) {
      const words = decodeFrame(frame).split(" ");
      const command = parseSessionCommand(words.slice(1));
      seen.push(sessionCommands(command.spec));
      const ack = answer(command.action, command.generation);
      if (ack !== null) queueMicrotask(() => link.receive(ack));
    }
    return Promise.resolve();
  }, "go");
  link.job = null;
  link.settle("session");
  return seen;
}

const ok: Answer = (
  action,
  generation,
) => ({ ok: true, action, generation: generation ?? 1 } as SessionAck);

Deno.test("a reload goes to every connection with the next generation, then commits", async () => {
  const first = job("ERROR");
  const fleet = new SessionFleet(first);
  fleet.servers = ["a", "b"];
  const seen: string[][] = [];
  const links = [fleet.link("a"), fleet.link("b")];
  for (const l of links) serve(l, ok, seen);
  const next = job("WARN");
  let settled: RemoteJob | null = null;
  await fleet.reload(next, { settle: (committed) => void (settled = committed) });
  assert.equal(fleet.job, next);
  assert.equal(fleet.generation, 2);
  assert.equal(settled, next);
  assert.deepEqual(seen, [
    ["grep: /var/log/a.log regex:default,literal WARN"],
    ["grep: /var/log/a.log regex:default,literal WARN"],
  ]);
  for (const l of links) {
    assert.equal(l.job, next);
    assert.equal(l.lastAck, "update ok 2");
  }
  assert.deepEqual(fleet.serverLines(), [
    '  a: capable generation=2 last-ack="update ok 2"',
    '  b: capable generation=2 last-ack="update ok 2"',
  ]);
});

Deno.test("a refused reload rolls back the connections that took it, naming each failure", async () => {
  const first = job("ERROR");
  const fleet = new SessionFleet(first);
  fleet.servers = ["good", "bad"];
  const good: string[][] = [];
  serve(fleet.link("good"), ok, good);
  serve(fleet.link("bad"), () => ({ ok: false, reason: "invalid session spec" }));
  let settled: RemoteJob | null = null;
  await assert.rejects(
    fleet.reload(job("WARN"), { settle: (c) => void (settled = c) }),
    /^Error: bad: session request rejected: invalid session spec$/,
  );
  assert.equal(fleet.job, first);
  assert.equal(settled, first);
  assert.equal(fleet.generation, 3, "the rollback is one more generation");
  assert.deepEqual(good.map((c) => c[0]), [
    "grep: /var/log/a.log regex:default,literal WARN",
    "grep: /var/log/a.log regex:default,literal ERROR",
  ]);
});

Deno.test("an ack of another generation is a failure, and that connection is rolled back too", async () => {
  const fleet = new SessionFleet(job("ERROR"));
  fleet.servers = ["odd"];
  const seen: string[][] = [];
  serve(fleet.link("odd"), (action) => ({ ok: true, action, generation: 7 } as SessionAck), seen);
  await assert.rejects(
    fleet.reload(job("WARN")),
    /odd: unexpected session acknowledgement: got generation 7 want 2; odd: rollback session spec: unexpected session acknowledgement: got generation 7 want 3/,
  );
  assert.equal(seen.length, 2);
});

Deno.test("servers that got the commands refuse reloads, by name; none connected is an error", async () => {
  const fleet = new SessionFleet(job("ERROR"));
  await assert.rejects(fleet.reload(job("WARN")), /^Error: no active connections$/);
  fleet.servers = ["new", "old1", "old2"];
  serve(fleet.link("new"), ok);
  fleet.link("old1").settle("legacy");
  const old2 = fleet.link("old2");
  old2.settle("legacy");
  fleet.drop(old2); // done with its commands: still unable
  await assert.rejects(
    fleet.reload(job("WARN")),
    /^Error: runtime query updates unsupported by server: old1, old2$/,
  );
  assert.equal(fleet.generation, 1);
  assert.match(fleet.serverLines()[2]!, /old2: not capable .*\(disconnected\)/);
  assert.equal(fleet.capable, 1);
});

Deno.test("a connection that does not answer times out and is rolled back", async () => {
  const fleet = new SessionFleet(job("ERROR"));
  fleet.servers = ["mute"];
  serve(fleet.link("mute"), () => null);
  const started = Date.now();
  await assert.rejects(
    fleet.reload(job("WARN")),
    /^Error: mute: timed out waiting for session acknowledgement; mute: rollback session spec: timed out/,
  );
  assert.ok(Date.now() - started >= 4000);
});
