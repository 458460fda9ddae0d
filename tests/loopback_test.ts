/**
 * The conformance cases of golden_test.ts, run through the wire protocol (client session ↔ server
 * handler, in memory): the transport must not change the output.
 */
import assert from "node:assert/strict";
import { bytesEqual, tempDir, UPSTREAM } from "./helpers.ts";
import { loopback } from "./loopback.ts";
import { wireRegexOf } from "../core/protocol/regex_wire.ts";
import type { RemoteJob } from "../cli/remote_session.ts";

const read = (name: string) => Deno.readFileSync(`${UPSTREAM}/${name}`);
const job = (over: Partial<RemoteJob>): RemoteJob => ({
  verb: "cat",
  targets: [],
  regex: wireRegexOf("", false),
  before: 0,
  after: 0,
  max: 0,
  plain: true,
  quiet: false,
  ...over,
});

// Each case runs three ways: one message per line, raw blocks (our client's fast paths against
// our server), and against a server that speaks only the Go wire of docs/protocol.md (it advertises
// what a Go dserver does, so the client must fall back to plain 0xAC-separated messages).
const GO_WIRE = { capabilities: ["query-update-v1"] };
const MODES = [
  { fast: false, mode: "", deps: {} },
  { fast: true, mode: " (raw blocks)", deps: {} },
  { fast: true, mode: " (against the Go wire)", deps: GO_WIRE },
];

for (const { fast, mode, deps } of MODES) {
  for (const name of ["dcat1a.txt", "dcat1b.txt", "dcat1c.txt"]) {
    Deno.test(`over the protocol, cat --plain reproduces ${name} byte for byte${mode}`, async () => {
      const r = await loopback(job({ targets: [`${UPSTREAM}/${name}`] }), { fast, deps });
      assert.ok(r.completed);
      assert.ok(bytesEqual(r.stdout, read(name)));
    });
  }
}

Deno.test("over the protocol, several files come back in the order sent", async () => {
  const files = Array(20).fill(`${UPSTREAM}/dcat2.txt`);
  const r = await loopback(job({ targets: files }));
  assert.equal(
    new TextDecoder().decode(r.stdout),
    new TextDecoder().decode(read("dcat2.txt")).repeat(20),
  );
});

const grepCases: [string, Partial<RemoteJob>, string][] = [
  ["a literal", { regex: wireRegexOf("1002-071947", false) }, "dgrep1.txt.expected"],
  ["a regex", { regex: wireRegexOf("1002-07194[789]", false) }, "dgrep2.txt.expected"],
  [
    "context",
    { regex: wireRegexOf("1002-071947", false), before: 2, after: 3 },
    "dgrepcontext1.txt.expected",
  ],
  [
    "inverted context",
    { regex: wireRegexOf("1002-071947", true), before: 2, after: 3 },
    "dgrepcontext2.txt.expected",
  ],
];
for (
  const [[what, over, expected], { fast, mode, deps }] of grepCases.flatMap((c) =>
    MODES.map((m) => [c, m] as const)
  )
) {
  Deno.test(`over the protocol, grep with ${what} matches ${expected}${mode}`, async () => {
    const r = await loopback(
      job({ verb: "grep", targets: [`${UPSTREAM}/mapr_testdata.log`], ...over }),
      { fast, deps },
    );
    assert.equal(new TextDecoder().decode(r.stdout), new TextDecoder().decode(read(expected)));
  });
}

for (const { fast, mode, deps } of MODES) {
  Deno.test(`over the protocol, labelled output is the Go server-mode rendering${mode}`, async () => {
    const r = await loopback(job({ plain: false, targets: [`${UPSTREAM}/dcatcolors.txt`] }), {
      fast,
      deps,
    });
    assert.ok(bytesEqual(r.stdout, read("dcatcolors.server.expected")));
  });

  Deno.test(`over the protocol, colored output equals the serverless colors${mode}`, async () => {
    const r = await loopback(job({ plain: false, targets: [`${UPSTREAM}/dcatcolors.txt`] }), {
      color: true,
      fast,
      deps,
    });
    assert.ok(bytesEqual(r.stdout, read("dcatcolors.expected")));
  });
}

Deno.test("against the Go wire the client asks for no extension of ours", async () => {
  const r = await loopback(job({ targets: [`${UPSTREAM}/dcat2.txt`] }), {
    fast: true,
    deps: GO_WIRE,
  });
  assert.deepEqual(r.capabilities, ["query-update-v1"]);
  assert.ok(r.commands.length > 0);
  for (const c of r.commands) assert.doesNotMatch(c, /escape=|blocks=/, c);
  assert.ok(bytesEqual(r.stdout, read("dcat2.txt")));
});

Deno.test("over the protocol, text with 0xAC bytes (€, ¬) arrives intact", async () => {
  const dir = await tempDir();
  const text = "price: 5 €\nnot ¬ this\n\xab raw\n";
  await Deno.writeTextFile(`${dir}/euro.log`, text);
  for (const fast of [false, true]) {
    const r = await loopback(job({ targets: [`${dir}/euro.log`] }), { fast });
    assert.equal(new TextDecoder().decode(r.stdout), text);
  }
});

Deno.test("over the protocol, a missing file is one notice and counted as unreadable", async () => {
  for (const fast of [false, true]) {
    const r = await loopback(
      job({ targets: ["/nonexistent/file.log", `${UPSTREAM}/dcat1c.txt`] }),
      { fast },
    );
    assert.equal(r.unreadable, 1);
    assert.equal(r.notices.length, 1);
    assert.match(r.notices[0]!, /Unable to read file\(s\), check server logs/);
    assert.ok(bytesEqual(r.stdout, read("dcat1c.txt")));
  }
});

Deno.test("an old server that advertises nothing loses no output to the capability wait", async () => {
  const r = await loopback(job({ targets: [`${UPSTREAM}/dcat2.txt`] }), {
    fast: true,
    deps: { capabilities: null },
    authKey: null, // so that the first chunk the server sends holds lines
  });
  assert.deepEqual(r.capabilities, []);
  assert.ok(r.completed);
  assert.ok(bytesEqual(r.stdout, read("dcat2.txt")));
});

Deno.test("against the Go wire a missing file in --plain mode still counts as unreadable", async () => {
  const r = await loopback(
    job({ targets: ["/nonexistent/file.log", `${UPSTREAM}/dcat1c.txt`] }),
    { fast: true, deps: GO_WIRE },
  );
  assert.equal(r.unreadable, 1);
  // As Go prints it: the notice is a line of the output (plain mode cannot tell them apart).
  assert.match(new TextDecoder().decode(r.stdout), /\|Unable to read file\(s\)/);
});
