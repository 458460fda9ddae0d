import assert from "node:assert/strict";
import { toBase64 } from "./frames.ts";
import { decodeSessionPayload, parseSessionCommand } from "./session_spec_decode.ts";
import {
  buildSessionCommand,
  encodeSessionPayload,
  parseSessionAck,
  sessionAckMessage,
  sessionCommands,
  SessionError,
  type SessionSpec,
} from "./session_spec.ts";

interface CapturedFrame {
  command: string;
  json: string;
  legacy?: string[];
}
const captured: { cases: { name: string; frames: CapturedFrame[] }[] } = JSON.parse(
  Deno.readTextFileSync(
    new URL("../../tests/testdata/session/go_client_payloads.json", import.meta.url),
  ),
);

const b64 = (json: string) => toBase64(new TextEncoder().encode(json));

const grep: SessionSpec = {
  mode: "grep",
  files: ["/var/log/app.log"],
  options: {},
  query: "",
  regex: "ERROR",
  invert: false,
  timeout: 0,
};

/** The reason a call throws with (a SessionError). */
function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SessionError, `not a SessionError: ${err}`);
    return err.message;
  }
  throw new Error("did not throw");
}

Deno.test("every payload a Go client sent encodes again byte for byte", () => {
  for (const c of captured.cases) {
    for (const frame of c.frames) {
      const words = frame.command.split(" ");
      const parsed = parseSessionCommand(words.slice(1));
      assert.equal(encodeSessionPayload(parsed.spec), words.at(-1), c.name);
      const generation = parsed.generation ?? undefined;
      assert.equal(buildSessionCommand(parsed.action, parsed.spec, generation), frame.command);
    }
  }
});

Deno.test("a Go client's spec stands for the legacy commands it sends without a session", () => {
  for (const c of captured.cases) {
    for (const frame of c.frames) {
      if (!frame.legacy) continue;
      const spec = parseSessionCommand(frame.command.split(" ").slice(1)).spec;
      // docs/decisions.md: --invert with "." inverts the pattern rather than being dropped.
      const expected = c.name === "dgrep_dot"
        ? ["grep: /tmp/cap/a.log regex:invert ."]
        : frame.legacy;
      assert.deepEqual(sessionCommands(spec), expected, c.name);
    }
  }
});

Deno.test("a captured spec decodes into its fields", () => {
  const dmap = captured.cases.find((c) => c.name === "dmap_timeout")!;
  const spec = decodeSessionPayload(dmap.frames[0]!.command.split(" ")[2]!);
  assert.deepEqual(spec, {
    mode: "map",
    files: ["/tmp/cap/a.log"],
    options: { plain: "true", quiet: "true" },
    query: "select count(*) from STATS group by $hostname logformat generic",
    regex: "\\|MAPREDUCE:STATS\\|",
    invert: false,
    timeout: 3,
  });
});

Deno.test("an empty file list travels as null, and Go's HTML escapes are kept", () => {
  const json = atob(encodeSessionPayload({ ...grep, files: [], regex: "a<b>&c\u2028" }));
  assert.equal(json, String.raw`{"mode":4,"files":null,"regex":"a\u003cb\u003e\u0026c\u2028"}`);
});

Deno.test("health specs stand for the health command", () => {
  assert.deepEqual(sessionCommands({ ...grep, mode: "health", files: [] }), ["health"]);
});

Deno.test("query specs read with cat in map mode and tail in tail mode", () => {
  const query = "from STATS select count(*)";
  const spec: SessionSpec = { ...grep, mode: "map", query, regex: "\\|MAPREDUCE:STATS\\|" };
  assert.deepEqual(sessionCommands({ ...spec, options: { quiet: "true" } }), [
    "map:quiet=true from STATS select count(*)",
    "cat:quiet=true /var/log/app.log regex:default \\|MAPREDUCE:STATS\\|",
  ]);
  assert.deepEqual(sessionCommands({ ...spec, mode: "tail", timeout: 9 }), [
    "map: from STATS select count(*)",
    "timeout 9 tail /var/log/app.log regex:default \\|MAPREDUCE:STATS\\|",
  ]);
});

Deno.test("a spec's since and until travel with its options to every command it stands for", () => {
  const options = { since: "1764756000000", until: "1764757800000" };
  const spec: SessionSpec = { ...grep, options };
  const decoded = decodeSessionPayload(encodeSessionPayload(spec));
  assert.deepEqual(decoded.options, options);
  assert.deepEqual(sessionCommands(decoded), [
    "grep:since=1764756000000:until=1764757800000 /var/log/app.log regex:default,literal ERROR",
  ]);
  const query = "from STATS select count(*)";
  assert.deepEqual(sessionCommands({ ...decoded, mode: "tail", query, timeout: 9 }), [
    "map:since=1764756000000:until=1764757800000 from STATS select count(*)",
    "timeout 9 tail /var/log/app.log regex:default,literal ERROR",
  ]);
});

Deno.test("a timeout without a query is ignored, as the Go dserver ignores it", () => {
  assert.deepEqual(sessionCommands({ ...grep, mode: "tail", timeout: 5 }), [
    "tail: /var/log/app.log regex:default,literal ERROR",
  ]);
});

Deno.test("SESSION words are checked in the Go dserver's order with its reasons", () => {
  const ok = b64(`{"mode":4,"files":["/x"]}`);
  assert.equal(reason(() => parseSessionCommand([])), "invalid SESSION command");
  assert.equal(reason(() => parseSessionCommand(["START"])), "invalid SESSION command");
  assert.equal(
    reason(() => parseSessionCommand(["UPDATE", "x", ok])),
    "invalid session generation",
  );
  assert.equal(
    reason(() => parseSessionCommand(["UPDATE", "-1", ok])),
    "invalid session generation",
  );
  assert.equal(reason(() => parseSessionCommand(["START", "%%%"])), "invalid session payload");
  assert.equal(reason(() => parseSessionCommand(["NOPE", "%%%"])), "invalid session payload");
  assert.equal(reason(() => parseSessionCommand(["NOPE", ok])), "unknown action");
  assert.deepEqual(parseSessionCommand([" update", "7", ok]).generation, 7);
  assert.deepEqual(parseSessionCommand(["update", "0", ok]).generation, null);
  assert.deepEqual(parseSessionCommand(["UPDATE", ok]).generation, null);
  assert.equal(parseSessionCommand(["start", ok, "extra"]).action, "start");
});

Deno.test("payloads are refused with the Go dserver's reasons", () => {
  const refused = (json: string) => reason(() => decodeSessionPayload(b64(json)));
  assert.equal(reason(() => decodeSessionPayload("e30")), "invalid session payload"); // no padding
  assert.equal(reason(() => decodeSessionPayload("e3 0=")), "invalid session payload");
  assert.equal(refused(`{"mode":4`), "invalid session spec");
  assert.equal(refused(`[]`), "invalid session spec");
  assert.equal(refused(`{"mode":"grep"}`), "invalid session spec");
  assert.equal(refused(`{"mode":4.0,"files":[]}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"files":"/x"}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"files":[1]}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"regex_invert":1}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"timeout":1e3}`), "invalid session spec");
  assert.equal(refused(`{"mode":99999999999999999999}`), "invalid session spec");
  assert.equal(refused(`{}`), "unsupported session mode");
  assert.equal(refused(`null`), "unsupported session mode");
  assert.equal(refused(`{"mode":1}`), "unsupported session mode");
  assert.equal(refused(`{"mode":7}`), "unsupported session mode");
  assert.equal(
    refused(`{"mode":3,"query":"from STATS select count(*)"}`),
    "query sessions require map or tail mode",
  );
  assert.equal(refused(`{"mode":5,"files":["/x"]}`), "missing session query");
  assert.equal(refused(`{"mode":5,"query":"select"}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"options":"plain"}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"options":"before=x"}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"options":"a=base64%!"}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"files":["/x"],"regex":"("}`), "invalid session spec");
  assert.equal(refused(`{"mode":4,"files":["/a b"]}`), "invalid session spec");
});

Deno.test("payloads are read as Go's encoding/json reads them", () => {
  const spec = decodeSessionPayload(
    b64(`{"MODE":3,"Files":["/x",null],"unknown":[1],"query":null,"options":"  ","timeout":-2}`),
  );
  assert.deepEqual(spec, {
    mode: "cat",
    files: ["/x", ""],
    options: {},
    query: "",
    regex: "",
    invert: false,
    timeout: -2,
  });
  assert.deepEqual(sessionCommands(spec), ["cat: /x regex:noop ", "cat:  regex:noop "]);
  assert.equal(decodeSessionPayload(b64(`{"mode":4}`) + "\r\n").mode, "grep");
});

Deno.test("acks parse into action and generation, errors into their reason", () => {
  assert.deepEqual(parseSessionAck(".syn session start ok 1"), {
    ok: true,
    action: "start",
    generation: 1,
  });
  assert.deepEqual(parseSessionAck(".syn session update ok 12\n"), {
    ok: true,
    action: "update",
    generation: 12,
  });
  assert.deepEqual(parseSessionAck(".syn session err session not started"), {
    ok: false,
    reason: "session not started",
  });
  assert.equal(parseSessionAck(".syn close connection"), null);
  assert.equal(parseSessionAck(".syn session start ok x"), null);
  const ack = { ok: true, action: "update", generation: 3 } as const;
  assert.deepEqual(parseSessionAck(sessionAckMessage(ack)), ack);
  assert.equal(
    sessionAckMessage({ ok: false, reason: "unknown action" }),
    ".syn session err unknown action",
  );
});
