import assert from "node:assert/strict";
import { wireRegexOf } from "../../core/protocol/regex_wire.ts";
import type { RemoteJob } from "./command_frames.ts";
import { SessionLink, SessionRequestError } from "./session_link.ts";

const job = (pattern: string): RemoteJob => ({
  verb: "tail",
  targets: ["/a.log"],
  regex: wireRegexOf(pattern, false),
  before: 0,
  after: 0,
  max: 0,
  plain: false,
  quiet: false,
});

function link(): { link: SessionLink; sent: string[] } {
  const sent: string[] = [];
  const l = new SessionLink("h1");
  l.attach((bytes) => {
    sent.push(new TextDecoder().decode(bytes));
    return Promise.resolve();
  }, "escaped");
  return { link: l, sent };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

Deno.test("an acknowledged start sets the job and the generation the output belongs to", async () => {
  const { link: l, sent } = link();
  const first = job("ERROR");
  const started = l.request("start", "SESSION START x", first, null);
  await tick();
  assert.equal(sent.length, 1);
  l.receive({ ok: true, action: "start", generation: 1 });
  assert.equal(await started, 1);
  assert.equal(l.job, first);
  assert.equal(l.lastAck, "start ok 1");
});

Deno.test("an update is answered by its own generation; a late one is not its answer", async () => {
  const { link: l, sent } = link();
  const next = job("WARN");
  const updated = l.update(next, 3);
  await tick();
  assert.match(sent[0]!, /;$/);
  l.receive({ ok: true, action: "update", generation: 2 }); // a stale ack
  assert.equal(l.job, null);
  l.receive({ ok: true, action: "update", generation: 3 });
  assert.equal(await updated, 3);
  assert.equal(l.job, next);
  assert.equal(l.generation, 3);
});

Deno.test("a refusal, a wrong action and the end of the connection fail the request", async () => {
  const { link: l } = link();
  const refused = l.update(job("x"), 2);
  await tick();
  l.receive({ ok: false, reason: "session not started" });
  await assert.rejects(refused, (err: unknown) => {
    assert.ok(err instanceof SessionRequestError);
    assert.equal(err.why, "rejected");
    assert.equal(err.message, "session request rejected: session not started");
    return true;
  });
  const wrong = l.update(job("x"), 2);
  await tick();
  l.receive({ ok: true, action: "start", generation: 2 });
  await assert.rejects(wrong, /got action "start" want "update"/);
  const cut = l.update(job("x"), 4);
  await tick();
  l.detach();
  await assert.rejects(cut, /connection closed/);
  await assert.rejects(l.update(job("x"), 5), /connection closed/);
});

Deno.test("settled waits for the start to be decided, at most the time given", async () => {
  const { link: l } = link();
  const waiting = l.settled(5000);
  l.settle("session");
  await waiting;
  const other = new SessionLink("h2");
  const started = Date.now();
  await other.settled(30);
  assert.ok(Date.now() - started >= 25);
  other.detach();
  assert.equal(other.state, "failed");
});
